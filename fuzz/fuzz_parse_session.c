/*-------------------------------------------------------------------------
 *
 * fuzz_parse_session.c
 *	  libFuzzer harness for the session key parser of parse_session.h.
 *
 * The input is one session key.  A reference written here from the
 * header decides whether it is good, in another way than the parser: the
 * device id is the run of id characters at the start, a separator must
 * follow it, and the session id is all the rest.  A good key must give
 * back both ids, NUL-terminated, each 1 to AP_SESSION_ID_MAX characters
 * of [A-Za-z0-9_-], which put together again with any separator form give
 * the input or read back as the same ids.  A bad key must give a status
 * that its bytes allow.
 *
 * fuzz/fuzz_parse_session.c
 *
 *-------------------------------------------------------------------------
 */
#include "fuzz_common.h"
#include "parse_session.h"

/* The separators of parse_session.h, in every letter case */
static const char *const separators[] = {
	":", "%3A", "%3a", "%253A", "%253a"
};

#define N_SEPARATORS	(sizeof(separators) / sizeof(separators[0]))

/* is_id_byte: [A-Za-z0-9_-] */
static bool
is_id_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* id_run: the number of id characters at the start of s[0..len) */
static size_t
id_run(const char *s, size_t len)
{
	size_t		n = 0;

	while (n < len && is_id_byte(s[n]))
		n++;
	return n;
}

/* separator_at: the length of the separator at s[0..len), or 0 */
static size_t
separator_at(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < N_SEPARATORS; i++)
	{
		size_t		n = strlen(separators[i]);

		if (len >= n && memcmp(s, separators[i], n) == 0)
			return n;
	}
	return 0;
}

/*
 * ref_key_ok: true when s[0..len) is id, separator, id, each id of 1 to
 * AP_SESSION_ID_MAX characters.  Ids hold neither ':' nor '%', so the
 * split, when there is one, is the only one.
 */
static bool
ref_key_ok(const char *s, size_t len)
{
	size_t		device = id_run(s, len);
	size_t		sep = separator_at(s + device, len - device);
	size_t		rest = len - device - sep;

	return device >= 1 && device <= AP_SESSION_ID_MAX && sep > 0 &&
		rest >= 1 && rest <= AP_SESSION_ID_MAX &&
		id_run(s + device + sep, rest) == rest;
}

/* fold_case: ASCII letters to lower case, other bytes as they are */
static char
fold_case(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
}

/*
 * occurrences: how many times needle occurs in s[0..len), in either
 * letter case of its ASCII letters.
 */
static size_t
occurrences(const char *s, size_t len, const char *needle)
{
	size_t		n = strlen(needle);
	size_t		count = 0;
	size_t		i;
	size_t		j;

	for (i = 0; i + n <= len; i++)
	{
		for (j = 0; j < n; j++)
			if (fold_case(s[i + j]) != fold_case(needle[j]))
				break;
		if (j == n)
			count++;
	}
	return count;
}

/*
 * check_id: id[0..len) is a NUL-terminated id of 1 to AP_SESSION_ID_MAX
 * id characters.
 */
static void
check_id(const char *id, size_t len)
{
	FUZZ_CHECK(len >= 1 && len <= AP_SESSION_ID_MAX);
	FUZZ_CHECK(id[len] == '\0');
	FUZZ_CHECK(id_run(id, len) == len);
}

/*
 * check_rejoined: the ids of *key, joined by each separator form, read
 * back as the same ids.
 */
static void
check_rejoined(const ApSessionKey *key)
{
	char		text[2 * AP_SESSION_ID_MAX + 8];
	size_t		i;

	for (i = 0; i < N_SEPARATORS; i++)
	{
		int			n = snprintf(text, sizeof(text), "%s%s%s", key->device_id,
								 separators[i], key->session_id);
		char	   *copy = fuzz_dup_exact(text, (size_t) n);
		ApSessionKey again;

		FUZZ_CHECK(ap_parse_session_key(copy, (size_t) n, &again) ==
				   AP_SESSION_OK);
		FUZZ_CHECK(again.device_id_len == key->device_id_len &&
				   again.session_id_len == key->session_id_len);
		FUZZ_CHECK(strcmp(again.device_id, key->device_id) == 0 &&
				   strcmp(again.session_id, key->session_id) == 0);
		free(copy);
	}
}

/*
 * check_good_key: a key read as OK: both ids sound, and the input is
 * exactly device id, one separator, session id.
 */
static void
check_good_key(const char *s, size_t len, const ApSessionKey *key)
{
	size_t		dlen = key->device_id_len;
	size_t		slen = key->session_id_len;
	size_t		seplen;

	check_id(key->device_id, dlen);
	check_id(key->session_id, slen);

	/* The input, taken apart again */
	FUZZ_CHECK(dlen + slen < len);
	FUZZ_CHECK(memcmp(s, key->device_id, dlen) == 0);
	FUZZ_CHECK(memcmp(s + len - slen, key->session_id, slen) == 0);
	seplen = separator_at(s + dlen, len - dlen - slen);
	FUZZ_CHECK(seplen == len - dlen - slen);
	check_rejoined(key);
}

/*
 * check_bad_key: the status of a key read as bad is one that its bytes
 * allow.
 */
static void
check_bad_key(const char *s, size_t len, ApSessionStatus st)
{
	size_t		nseparators;
	size_t		i;
	bool		stray = false;

	/* Bytes that no key holds, and separators in any form */
	for (i = 0; i < len; i++)
		if (!is_id_byte(s[i]) && s[i] != ':' && s[i] != '%')
			stray = true;
	nseparators = occurrences(s, len, ":") + occurrences(s, len, "%3a") +
		occurrences(s, len, "%253a");

	/* Each status needs something in the text to stand on */
	FUZZ_CHECK(st >= AP_SESSION_BAD_ESCAPE && st <= AP_SESSION_ID_TOO_LONG);
	if (st == AP_SESSION_BAD_ESCAPE)
		FUZZ_CHECK(memchr(s, '%', len) != NULL);
	if (st == AP_SESSION_BAD_CHARACTER)
		FUZZ_CHECK(stray);
	if (st == AP_SESSION_NO_SEPARATOR)
		FUZZ_CHECK(nseparators == 0);
	if (st == AP_SESSION_EXTRA_SEPARATOR)
		FUZZ_CHECK(nseparators >= 2);
	if (st == AP_SESSION_EMPTY_ID)
		FUZZ_CHECK(nseparators >= 1);
	if (st == AP_SESSION_ID_TOO_LONG)
		FUZZ_CHECK(nseparators >= 1 && len > AP_SESSION_ID_MAX + 1);
}

/*
 * LLVMFuzzerTestOneInput: the input is one session key.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = fuzz_dup_exact(data, size);
	ApSessionKey key;
	ApSessionStatus st;

	memset(&key, 0x5A, sizeof(key));
	st = ap_parse_session_key(s, size, &key);

	/* Good exactly when the reference says so */
	FUZZ_CHECK((st == AP_SESSION_OK) == ref_key_ok(s, size));
	if (st == AP_SESSION_OK)
		check_good_key(s, size, &key);
	else
		check_bad_key(s, size, st);
	free(s);
	return 0;
}
