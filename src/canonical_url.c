/*-------------------------------------------------------------------------
 *
 * canonical_url.c
 *	  The canonical form of a page URL, in which ids are collapsed.
 *
 * The URL is split by ap_parse_url; the canonical form is rebuilt from its
 * parts, so whatever the parser refuses has no canonical form.  Each path
 * segment is classified on its own, in one pass over its bytes.
 *
 * src/canonical_url.c
 *
 *-------------------------------------------------------------------------
 */
#include "canonical_url.h"

#include <string.h>

#include "parse_url.h"

/* Shortest runs of hex digits, and of mixed tokens, taken for ids */
#define MIN_HEX_ID	12
#define MIN_TOKEN_ID	16

static bool is_uuid(const char *s, size_t len);
static bool is_slug(const char *s, size_t len);
static size_t append_lower(char *out, size_t at, const char *s, size_t len);

/*
 * ap_is_dynamic_segment: see canonical_url.h.
 */
bool
ap_is_dynamic_segment(const char *s, size_t len)
{
	size_t		digits = 0;
	size_t		hex_letters = 0;
	size_t		other_letters = 0;
	size_t		i;

	if (len == 0)
		return false;
	if (is_uuid(s, len))
		return true;

	/* Count the kinds of characters; anything else makes it a word */
	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		if (c >= '0' && c <= '9')
			digits++;
		else if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			hex_letters++;
		else if ((c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z'))
			other_letters++;
		else if (c != '_' && c != '-')
			return false;
	}

	/* all digits; long hex; long tokens of letters and digits, not slugs */
	if (digits == len)
		return true;
	if (digits + hex_letters == len && len >= MIN_HEX_ID && digits > 0)
		return true;
	return len >= MIN_TOKEN_ID && digits > 0 &&
		hex_letters + other_letters > 0 && !is_slug(s, len);
}

/*
 * is_slug: words joined by '-' or '_', like "2025-10-product-update" or
 * "release-notes-2025-q3": every part is all letters, all digits, or at
 * most three characters.  A part that mixes letters and digits at length
 * four or more ("a1B2c3D4") makes the segment a token instead.
 */
static bool
is_slug(const char *s, size_t len)
{
	size_t		start = 0;

	while (start < len)
	{
		size_t		end = start;
		bool		letters = false;
		bool		digits = false;

		while (end < len && s[end] != '-' && s[end] != '_')
		{
			if (s[end] >= '0' && s[end] <= '9')
				digits = true;
			else
				letters = true;
			end++;
		}
		if (letters && digits && end - start > 3)
			return false;
		start = end + 1;
	}
	return true;
}

/*
 * is_uuid: 8-4-4-4-12 hex digits, any case.
 */
static bool
is_uuid(const char *s, size_t len)
{
	size_t		i;

	if (len != 36)
		return false;
	for (i = 0; i < len; i++)
	{
		char		c = s[i];
		bool		dash_here = (i == 8 || i == 13 || i == 18 || i == 23);

		if (dash_here != (c == '-'))
			return false;
		if (!dash_here && !((c >= '0' && c <= '9') ||
							(c >= 'a' && c <= 'f') ||
							(c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

/*
 * append_lower: copy s[0..len) to out at offset at, ASCII lowercased;
 * return the new offset.
 */
static size_t
append_lower(char *out, size_t at, const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		out[at++] = (c >= 'A' && c <= 'Z') ? (char) (c + ('a' - 'A')) : c;
	}
	return at;
}

/*
 * ap_canonical_url: see canonical_url.h.  The bound holds because the
 * scheme, "://", the host and the port are copied from the input at most
 * once, and each path segment of n >= 1 bytes becomes at most
 * max(n, 3) bytes.
 */
bool
ap_canonical_url(const char *url, size_t len, char *out, size_t *out_len)
{
	ApUrl		parts;

	if (!ap_parse_url(url, len, &parts))
		return false;
	ap_canonical_url_parts(&parts, out, out_len);
	return true;
}

/*
 * ap_canonical_url_parts: see canonical_url.h.
 */
void
ap_canonical_url_parts(const ApUrl *parts, char *out, size_t *out_len)
{
	size_t		at = 0;
	size_t		path_at;
	const char *seg;
	const char *end;

	/* scheme://host[:port], lowercased, default port dropped */
	at = append_lower(out, at, parts->scheme.start, parts->scheme.len);
	memcpy(out + at, "://", 3);
	at += 3;
	at = append_lower(out, at, parts->host.start, parts->host.len);
	if (parts->port.start != NULL && !parts->port_is_default)
	{
		out[at++] = ':';
		memcpy(out + at, parts->port.start, parts->port.len);
		at += parts->port.len;
	}

	/* The path, segment by segment, ids collapsed */
	seg = parts->path.start ? parts->path.start + 1 : NULL;
	end = parts->path.start ? parts->path.start + parts->path.len : NULL;
	path_at = at;
	out[at++] = '/';
	while (seg != NULL && seg < end)
	{
		const char *slash = memchr(seg, '/', end - seg);
		size_t		seglen = (slash ? slash : end) - seg;

		if (ap_is_dynamic_segment(seg, seglen))
		{
			memcpy(out + at, ":id", 3);
			at += 3;
		}
		else
		{
			memcpy(out + at, seg, seglen);
			at += seglen;
		}
		if (slash == NULL)
			break;
		out[at++] = '/';
		seg = slash + 1;
	}

	/* No trailing slashes, except for the root */
	while (at - path_at > 1 && out[at - 1] == '/')
		at--;
	out[at] = '\0';
	*out_len = at;
}
