/*-------------------------------------------------------------------------
 *
 * canonical_url.h
 *	  The canonical form of a page URL, in which ids are collapsed.
 *
 * Pages whose URLs differ only in the ids they show ("/projects/48213",
 * "/projects/51007") are one page to an analyst and to an assistant.  The
 * canonical form keeps the scheme and host (lowercased, default port
 * dropped) and the path, with each dynamic segment replaced by ":id"; the
 * query, the fragment and userinfo are dropped.  Plain C, no server
 * dependencies.
 *
 * src/canonical_url.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOPLAY_CANONICAL_URL_H
#define AUTOPLAY_CANONICAL_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "parse_url.h"

/* Output never exceeds this many bytes for an input of len bytes */
#define AP_CANONICAL_URL_BOUND(len)	((len) * 3 + 2)

/*
 * ap_canonical_url: write the canonical form of url[0..len) to out, which
 * must hold AP_CANONICAL_URL_BOUND(len) bytes, NUL-terminated, and return
 * its length; return false when url is not an absolute URL with a host
 * (see ap_parse_url), leaving out unspecified.
 *
 * A path segment is dynamic when it is all digits, a UUID
 * (8-4-4-4-12 hex digits), a run of 12 or more hex digits with at least
 * one digit, or a token of 16 or more letters, digits, '_' and '-' with
 * at least one letter and one digit that is not a slug.  A slug is words
 * joined by '-' or '_' ("2025-10-product-update"): each part all letters,
 * all digits, or at most three characters.  Words, slugs, and short codes
 * like "v2", stay.  Trailing slashes are dropped, except for the root
 * path "/".
 */
extern bool ap_canonical_url(const char *url, size_t len, char *out,
							 size_t *out_len);

/*
 * ap_canonical_url_parts: the same for a URL that ap_parse_url has already
 * split into *parts; out must hold AP_CANONICAL_URL_BOUND of the URL's
 * length.
 */
extern void ap_canonical_url_parts(const ApUrl *parts, char *out,
								   size_t *out_len);

/* ap_is_dynamic_segment: the rule above, for one segment s[0..len) */
extern bool ap_is_dynamic_segment(const char *s, size_t len);

#endif							/* AUTOPLAY_CANONICAL_URL_H */
