/*-------------------------------------------------------------------------
 *
 * parse_url.h
 *	  Split a page URL into host, path, query and fragment.
 *
 * Reads absolute URLs of the form scheme://[userinfo@]host[:port][/path]
 * [?query][#fragment], as browsers report them in location.href.  The
 * result is a set of spans into the caller's buffer; nothing is copied or
 * decoded.  Plain C, no server dependencies.
 *
 * src/parse_url.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOPLAY_PARSE_URL_H
#define AUTOPLAY_PARSE_URL_H

#include <stdbool.h>
#include <stddef.h>

/* A piece of the input: start and length; start is NULL when absent */
typedef struct ApSpan
{
	const char *start;
	size_t		len;
} ApSpan;

typedef struct ApUrl
{
	ApSpan		scheme;			/* "https", as written */
	ApSpan		host;			/* "app.example.com" or "[::1]", as written */
	ApSpan		port;			/* digits after ':', absent when none */
	ApSpan		path;			/* from the first '/', absent when empty */
	ApSpan		query;			/* after '?', without it; absent when none */
	ApSpan		fragment;		/* after '#', without it; absent when none */
	bool		port_is_default;	/* a written 80 for http/ws, 443 for
								 * https/wss; false when no port */
} ApUrl;

/*
 * ap_parse_url: split s[0..len) into *url.  Returns false for text that is
 * not an absolute URL with a host: no scheme, no "//", an empty host, a
 * port that is not 1-5 digits up to 65535 (an empty port after ':' is
 * read as no port, as browsers do), an unterminated IPv6 literal,
 * or a space, control character or backslash anywhere.  *url is fully set
 * only when it returns true.
 */
extern bool ap_parse_url(const char *s, size_t len, ApUrl *url);

#endif							/* AUTOPLAY_PARSE_URL_H */
