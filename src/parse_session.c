/*-------------------------------------------------------------------------
 *
 * parse_session.c
 *	  FullStory's composite session key, "device%3Asession".
 *
 * One scan of the input notes where each id lies and what is wrong; the
 * ids are copied into the caller's key only at the end, and only when the
 * whole key is good, so an error never leaves a half-written key and no
 * input length can write past the fixed buffers.
 *
 * When a key is wrong in several ways, one status is reported, in this
 * order of priority:
 *
 *	1. AP_SESSION_BAD_ESCAPE: a '%' that is not an encoded colon.
 *	2. AP_SESSION_BAD_CHARACTER: a character outside [A-Za-z0-9_-].
 *	3. AP_SESSION_NO_SEPARATOR or AP_SESSION_EXTRA_SEPARATOR: not exactly
 *	   one separator (the empty text has none).
 *	4. AP_SESSION_EMPTY_ID: nothing before or after the separator.
 *	5. AP_SESSION_ID_TOO_LONG: an id longer than AP_SESSION_ID_MAX.
 *
 * The order goes from the least to the most plausible damage: an escape or
 * a stray character means the text is not a key at all, a wrong number of
 * separators means the ids cannot be told apart, and an empty or long id
 * is a key of the right shape with a bad part.
 *
 * src/parse_session.c
 *
 *-------------------------------------------------------------------------
 */
#include "parse_session.h"

#include <stdbool.h>
#include <string.h>

/* is_id_char: true for the characters of an id, [A-Za-z0-9_-] */
static inline bool
is_id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '-';
}

/*
 * separator_length: the length of the separator that starts at s[pos] (a
 * ':', "%3A" or "%253A", hex letter in either case), 0 when s[pos] starts
 * no separator.
 */
static size_t
separator_length(const char *s, size_t len, size_t pos)
{
	size_t		left = len - pos;

	/* A raw colon */
	if (s[pos] == ':')
		return 1;
	if (s[pos] != '%')
		return 0;

	/* "%3A", then the doubly encoded "%253A" */
	if (left >= 3 && s[pos + 1] == '3' &&
		(s[pos + 2] == 'A' || s[pos + 2] == 'a'))
		return 3;
	if (left >= 5 && s[pos + 1] == '2' && s[pos + 2] == '5' &&
		s[pos + 3] == '3' && (s[pos + 4] == 'A' || s[pos + 4] == 'a'))
		return 5;
	return 0;
}

/*
 * ap_parse_session_key: see parse_session.h.  Statuses are reported in the
 * priority order given at the top of this file.
 */
ApSessionStatus
ap_parse_session_key(const char *s, size_t len, ApSessionKey *key)
{
	size_t		pos = 0;
	size_t		nseparators = 0;
	size_t		first_end = len;	/* where the device id ends */
	size_t		second_start = len; /* where the session id starts */
	bool		bad_character = false;

	/* One scan: find separators, note stray characters */
	while (pos < len)
	{
		size_t		seplen = separator_length(s, len, pos);

		if (seplen > 0)
		{
			if (nseparators == 0)
			{
				first_end = pos;
				second_start = pos + seplen;
			}
			nseparators++;
			pos += seplen;
			continue;
		}
		if (s[pos] == '%')
			return AP_SESSION_BAD_ESCAPE;
		if (!is_id_char(s[pos]))
			bad_character = true;
		pos++;
	}

	/* Judge the shape in priority order */
	if (bad_character)
		return AP_SESSION_BAD_CHARACTER;
	if (nseparators == 0)
		return AP_SESSION_NO_SEPARATOR;
	if (nseparators > 1)
		return AP_SESSION_EXTRA_SEPARATOR;
	if (first_end == 0 || second_start == len)
		return AP_SESSION_EMPTY_ID;
	if (first_end > AP_SESSION_ID_MAX ||
		len - second_start > AP_SESSION_ID_MAX)
		return AP_SESSION_ID_TOO_LONG;

	/* Both ids fit: copy them */
	key->device_id_len = first_end;
	memcpy(key->device_id, s, first_end);
	key->device_id[first_end] = '\0';
	key->session_id_len = len - second_start;
	memcpy(key->session_id, s + second_start, len - second_start);
	key->session_id[len - second_start] = '\0';
	return AP_SESSION_OK;
}
