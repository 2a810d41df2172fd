/*-------------------------------------------------------------------------
 *
 * parse_url.c
 *	  Split a page URL into host, path, query and fragment.
 *
 * The URL is read the way a browser's location.href writes it, in a few
 * left-to-right steps: scheme, "//", authority (up to the first '/', '?'
 * or '#'), then path, query and fragment.  Nothing is decoded or
 * normalised; every part is a span into the caller's text.
 *
 * Choices where RFC 3986 and browsers leave room:
 *
 *	- userinfo, everything up to the last '@' of the authority, is skipped.
 *	- A host in brackets is an IP literal; its content must be non-empty
 *	  and made of hex digits, ':' and '.'.  A host not in brackets must not
 *	  contain '[' or ']'.
 *	- "host:" with nothing after the colon has no port, as browsers
 *	  normalise it away.
 *	- port_is_default is true only when a port is written: a URL without
 *	  a port has no default port to drop.
 *	- Bytes 0x80 and above pass through: browsers may report hosts and
 *	  paths in UTF-8.
 *
 * src/parse_url.c
 *
 *-------------------------------------------------------------------------
 */
#include "parse_url.h"

#include <string.h>

/* is_alpha: ASCII letters */
static inline bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* is_digit: '0' to '9' */
static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* is_hex: hex digits in either case */
static inline bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* set_span: make *span cover s[from..to) */
static inline void
set_span(ApSpan *span, const char *s, size_t from, size_t to)
{
	span->start = s + from;
	span->len = to - from;
}

/* clear_url: mark every part of *url absent */
static void
clear_url(ApUrl *url)
{
	ApSpan		absent = {NULL, 0};

	url->scheme = absent;
	url->host = absent;
	url->port = absent;
	url->path = absent;
	url->query = absent;
	url->fragment = absent;
	url->port_is_default = false;
}

/*
 * has_forbidden_byte: true when s[0..len) holds a space, a control byte
 * (below 0x21, or 0x7F) or a backslash.
 */
static bool
has_forbidden_byte(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c < 0x21 || c == 0x7F || c == '\\')
			return true;
	}
	return false;
}

/*
 * read_scheme: read ALPHA *(ALPHA / DIGIT / "+" / "-" / ".") followed by
 * "://" into url->scheme and return the offset just after "://", or 0
 * when the text does not start that way.
 */
static size_t
read_scheme(const char *s, size_t len, ApUrl *url)
{
	size_t		pos = 0;

	if (len == 0 || !is_alpha(s[0]))
		return 0;
	while (pos < len && (is_alpha(s[pos]) || is_digit(s[pos]) ||
						 s[pos] == '+' || s[pos] == '-' || s[pos] == '.'))
		pos++;
	if (len - pos < 3 || memcmp(s + pos, "://", 3) != 0)
		return 0;
	set_span(&url->scheme, s, 0, pos);
	return pos + 3;
}

/*
 * read_port: take s[from..to), the text after the host's ':', as the
 * port.  Returns false unless it is empty (no port) or 1 to 5 digits with
 * a value up to 65535.
 */
static bool
read_port(const char *s, size_t from, size_t to, ApUrl *url)
{
	long		value = 0;
	size_t		i;

	if (from == to)
		return true;
	if (to - from > 5)
		return false;
	for (i = from; i < to; i++)
	{
		if (!is_digit(s[i]))
			return false;
		value = value * 10 + (s[i] - '0');
	}
	if (value > 65535)
		return false;
	set_span(&url->port, s, from, to);
	return true;
}

/*
 * read_host: read the host and port of the authority's host part
 * s[from..to) (userinfo already skipped).  Returns false for an empty
 * host, a bad IP literal or a bad port.
 */
static bool
read_host(const char *s, size_t from, size_t to, ApUrl *url)
{
	size_t		pos;

	/* An IP literal runs to its ']' */
	if (from < to && s[from] == '[')
	{
		for (pos = from + 1; pos < to && s[pos] != ']'; pos++)
			if (!is_hex(s[pos]) && s[pos] != ':' && s[pos] != '.')
				return false;
		if (pos == to || pos == from + 1)
			return false;
		set_span(&url->host, s, from, pos + 1);
		pos++;
		if (pos == to)
			return true;
		return s[pos] == ':' && read_port(s, pos + 1, to, url);
	}

	/* A name or IPv4 address runs to the first ':' */
	for (pos = from; pos < to && s[pos] != ':'; pos++)
		if (s[pos] == '[' || s[pos] == ']')
			return false;
	if (pos == from)
		return false;
	set_span(&url->host, s, from, pos);
	if (pos == to)
		return true;
	return read_port(s, pos + 1, to, url);
}

/*
 * port_is_default: true when the URL's written port is the default one of
 * its scheme: 80 for http and ws, 443 for https and wss, in any case.
 */
static bool
port_is_default(const ApUrl *url)
{
	char		scheme[6];
	long		port = 0;
	size_t		i;

	/* Only a written port can be a default one */
	if (url->port.start == NULL || url->scheme.len >= sizeof(scheme))
		return false;
	for (i = 0; i < url->port.len; i++)
		port = port * 10 + (url->port.start[i] - '0');

	/* Lower-case the scheme and compare */
	for (i = 0; i < url->scheme.len; i++)
	{
		char		c = url->scheme.start[i];

		scheme[i] = (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
	}
	scheme[i] = '\0';
	if (strcmp(scheme, "http") == 0 || strcmp(scheme, "ws") == 0)
		return port == 80;
	if (strcmp(scheme, "https") == 0 || strcmp(scheme, "wss") == 0)
		return port == 443;
	return false;
}

/*
 * ap_parse_url: see parse_url.h.  The result is built in a local copy and
 * stored in *url only on success.
 */
bool
ap_parse_url(const char *s, size_t len, ApUrl *url)
{
	ApUrl		u;
	size_t		pos;
	size_t		auth_end;
	size_t		host_start;
	size_t		i;

	clear_url(&u);
	if (has_forbidden_byte(s, len))
		return false;

	/* Scheme, then the authority up to the first '/', '?' or '#' */
	pos = read_scheme(s, len, &u);
	if (pos == 0)
		return false;
	auth_end = pos;
	while (auth_end < len && s[auth_end] != '/' && s[auth_end] != '?' &&
		   s[auth_end] != '#')
		auth_end++;

	/* Skip userinfo, up to the authority's last '@' */
	host_start = pos;
	for (i = pos; i < auth_end; i++)
		if (s[i] == '@')
			host_start = i + 1;
	if (!read_host(s, host_start, auth_end, &u))
		return false;
	pos = auth_end;

	/* Path up to '?' or '#', query up to '#', fragment to the end */
	i = pos;
	while (i < len && s[i] != '?' && s[i] != '#')
		i++;
	if (i > pos)
		set_span(&u.path, s, pos, i);
	pos = i;
	if (pos < len && s[pos] == '?')
	{
		for (i = pos + 1; i < len && s[i] != '#'; i++)
			;
		set_span(&u.query, s, pos + 1, i);
		pos = i;
	}
	if (pos < len && s[pos] == '#')
		set_span(&u.fragment, s, pos + 1, len);

	u.port_is_default = port_is_default(&u);
	*url = u;
	return true;
}
