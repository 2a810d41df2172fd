/*-------------------------------------------------------------------------
 *
 * test_parsers.c
 *	  Unit and robustness tests of the plain-C parsers.
 *
 * One self-contained program: fixed cases with exact expected values for
 * each parser, bad input next to good, then a fuzz-style pass that feeds
 * every prefix and seeded random mutations of valid inputs to every
 * parser.  Every input is copied into a malloc'd block of its exact size,
 * so that AddressSanitizer catches a read one byte too far.  The program
 * ends with one line, "N passed, M failed", and exits non-zero on any
 * failure.
 *
 * test/unit/test_parsers.c
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canonical_url.h"
#include "json_repair.h"
#include "parse_label.h"
#include "parse_session.h"
#include "parse_time.h"
#include "parse_url.h"

static int	n_passed = 0;
static int	n_failed = 0;

/* CHECK: count expr as passed or failed; print where it failed */
#define CHECK(expr) \
	do { \
		if (expr) \
			n_passed++; \
		else \
		{ \
			n_failed++; \
			fprintf(stderr, "%s:%d: check failed: %s\n", \
					__FILE__, __LINE__, #expr); \
		} \
	} while (0)

/* A string literal as pointer and length, embedded NULs included */
#define LIT(s)	(s), (sizeof(s) - 1)

/* Sentinel written into outputs that must not change on failure */
#define UNTOUCHED	INT64_C(0x5A5A5A5A5A5A5A5A)


/* ---------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------
 */

/*
 * dup_exact: a malloc'd copy of s[0..len) in a block of exactly len bytes
 * (one byte when len is 0, which no parser may read).  The caller frees.
 */
static char *
dup_exact(const char *s, size_t len)
{
	char	   *p = malloc(len > 0 ? len : 1);

	if (p == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	if (len > 0)
		memcpy(p, s, len);
	return p;
}

/* iso: ap_parse_iso8601 on an exact-size copy of the NUL-terminated s */
static ApTimeStatus
iso(const char *s, int64_t *usec)
{
	char	   *p = dup_exact(s, strlen(s));
	ApTimeStatus st;

	*usec = UNTOUCHED;
	st = ap_parse_iso8601(p, strlen(s), usec);
	free(p);
	return st;
}

/* iso_is: true when s parses as OK to exactly want microseconds */
static bool
iso_is(const char *s, int64_t want)
{
	int64_t		got;
	ApTimeStatus st = iso(s, &got);

	if (st == AP_TIME_OK && got == want)
		return true;
	fprintf(stderr, "  iso \"%s\": status %d, got %lld, want %lld\n",
			s, (int) st, (long long) got, (long long) want);
	return false;
}

/* iso_fails: true when s gives status want and leaves the output alone */
static bool
iso_fails(const char *s, ApTimeStatus want)
{
	int64_t		got;
	ApTimeStatus st = iso(s, &got);

	if (st == want && got == UNTOUCHED)
		return true;
	fprintf(stderr, "  iso \"%s\": status %d, want %d\n",
			s, (int) st, (int) want);
	return false;
}

/* unix_is: true when s reads as OK to want, with the given unit */
static bool
unix_is(const char *s, int64_t want, bool want_millis)
{
	char	   *p = dup_exact(s, strlen(s));
	int64_t		got = UNTOUCHED;
	bool		millis = !want_millis;
	ApTimeStatus st = ap_parse_unix_time(p, strlen(s), &got, &millis);

	free(p);
	if (st == AP_TIME_OK && got == want && millis == want_millis)
		return true;
	fprintf(stderr, "  unix \"%s\": status %d, got %lld (%s), want %lld\n",
			s, (int) st, (long long) got, millis ? "ms" : "s",
			(long long) want);
	return false;
}

/* unix_fails: true when s gives status want and leaves outputs alone */
static bool
unix_fails(const char *s, size_t len, ApTimeStatus want)
{
	char	   *p = dup_exact(s, len);
	int64_t		got = UNTOUCHED;
	bool		millis = true;
	ApTimeStatus st = ap_parse_unix_time(p, len, &got, &millis);

	free(p);
	if (st == want && got == UNTOUCHED && millis)
		return true;
	fprintf(stderr, "  unix \"%.*s\": status %d, want %d\n",
			(int) len, s, (int) st, (int) want);
	return false;
}

/*
 * session: ap_parse_session_key on an exact-size copy of s[0..len); the
 * key is filled with 'Z' first, so that a failure can be seen not to
 * write it.
 */
static ApSessionStatus
session(const char *s, size_t len, ApSessionKey *key)
{
	char	   *p = dup_exact(s, len);
	ApSessionStatus st;

	memset(key, 'Z', sizeof(*key));
	st = ap_parse_session_key(p, len, key);
	free(p);
	return st;
}

/* session_is: true when s decodes to exactly the two ids given */
static bool
session_is(const char *s, const char *device, const char *sess)
{
	ApSessionKey key;
	ApSessionStatus st = session(s, strlen(s), &key);

	if (st == AP_SESSION_OK &&
		key.device_id_len == strlen(device) &&
		strcmp(key.device_id, device) == 0 &&
		key.session_id_len == strlen(sess) &&
		strcmp(key.session_id, sess) == 0)
		return true;
	fprintf(stderr, "  session \"%s\": status %d\n", s, (int) st);
	return false;
}

/* session_fails: true when s[0..len) gives want and leaves key alone */
static bool
session_fails(const char *s, size_t len, ApSessionStatus want)
{
	ApSessionKey key;
	ApSessionStatus st = session(s, len, &key);

	if (st == want && key.device_id[0] == 'Z' && key.session_id[0] == 'Z')
		return true;
	fprintf(stderr, "  session \"%.*s\": status %d, want %d\n",
			(int) len, s, (int) st, (int) want);
	return false;
}

/* span_is: true when span is absent and want NULL, or equals want */
static bool
span_is(ApSpan span, const char *want)
{
	if (want == NULL)
		return span.start == NULL && span.len == 0;
	return span.start != NULL && span.len == strlen(want) &&
		memcmp(span.start, want, span.len) == 0;
}

/*
 * url_is: true when s parses and each part equals the expected text
 * (NULL: absent).  The spans are checked while the copy is alive.
 */
static bool
url_is(const char *s, const char *scheme, const char *host,
	   const char *port, const char *path, const char *query,
	   const char *fragment, bool is_default)
{
	size_t		len = strlen(s);
	char	   *p = dup_exact(s, len);
	ApUrl		u;
	bool		ok;

	ok = ap_parse_url(p, len, &u) &&
		span_is(u.scheme, scheme) && span_is(u.host, host) &&
		span_is(u.port, port) && span_is(u.path, path) &&
		span_is(u.query, query) && span_is(u.fragment, fragment) &&
		u.port_is_default == is_default;
	free(p);
	if (!ok)
		fprintf(stderr, "  url \"%s\" did not split as expected\n", s);
	return ok;
}

/* url_fails: true when s[0..len) is refused and *url is left alone */
static bool
url_fails(const char *s, size_t len)
{
	char	   *p = dup_exact(s, len);
	ApUrl		u;
	bool		ok;

	u.host.start = s;
	u.host.len = 12345;
	ok = !ap_parse_url(p, len, &u) && u.host.start == s &&
		u.host.len == 12345;
	free(p);
	if (!ok)
		fprintf(stderr, "  url \"%.*s\" was not refused\n", (int) len, s);
	return ok;
}

/*
 * label_is: true when in[0..len) folds, with max_chars, to exactly
 * want[0..want_len) and the truncation flag want_trunc.  The output block
 * has exactly len bytes, the minimum the header allows.
 */
static bool
label_is(const char *in, size_t len, size_t max_chars,
		 const char *want, size_t want_len, bool want_trunc)
{
	char	   *p = dup_exact(in, len);
	char	   *out = malloc(len > 0 ? len : 1);
	bool		trunc = !want_trunc;
	size_t		n;
	bool		ok;

	n = ap_fold_label(p, len, out, max_chars, &trunc);
	ok = n == want_len && memcmp(out, want, n) == 0 && trunc == want_trunc;
	if (!ok)
		fprintf(stderr, "  label \"%.*s\" folded to \"%.*s\" (%s)\n",
				(int) len, in, (int) n, out, trunc ? "cut" : "whole");
	free(p);
	free(out);
	return ok;
}

/*
 * json_run: ap_json_repair on an exact-size copy of in[0..len), into an
 * output block of exactly AP_JSON_REPAIR_BOUND(len) bytes.  Returns the
 * malloc'd output, which the caller frees.
 */
static char *
json_run(const char *in, size_t len, int max_depth, ApJsonRepair *res)
{
	char	   *p = dup_exact(in, len);
	char	   *out = malloc(AP_JSON_REPAIR_BOUND(len));

	if (out == NULL)
		exit(2);
	memset(res, 0x5A, sizeof(*res));
	ap_json_repair(p, len, out, max_depth, res);
	free(p);
	return out;
}

/*
 * json_is: true when in[0..len) is accepted and repaired to exactly
 * want[0..want_len), NUL-terminated, with want_replaced repairs.
 */
static bool
json_is(const char *in, size_t len, const char *want, size_t want_len,
		size_t want_replaced)
{
	ApJsonRepair res;
	char	   *out = json_run(in, len, 64, &res);
	bool		ok;

	ok = res.error == AP_JSON_OK && res.out_len == want_len &&
		memcmp(out, want, want_len) == 0 && out[want_len] == '\0' &&
		res.replaced == want_replaced;
	if (!ok)
		fprintf(stderr, "  json \"%.*s\": error %d at %zu, out \"%.*s\", "
				"replaced %zu\n", (int) len, in, (int) res.error,
				res.error_offset, (int) res.out_len, out, res.replaced);
	free(out);
	return ok;
}

/* json_same: true when valid in[0..len) is copied unchanged */
static bool
json_same(const char *in, size_t len)
{
	return json_is(in, len, in, len, 0);
}

/* json_fails: true when in[0..len) fails with error at offset */
static bool
json_fails(const char *in, size_t len, int max_depth, ApJsonError error,
		   size_t offset)
{
	ApJsonRepair res;
	char	   *out = json_run(in, len, max_depth, &res);
	bool		ok;

	ok = res.error == error && res.error_offset == offset &&
		res.out_len == 0 && out[0] == '\0';
	if (!ok)
		fprintf(stderr, "  json \"%.*s\": error %d at %zu, want %d at %zu\n",
				len > 60 ? 60 : (int) len, in, (int) res.error,
				res.error_offset, (int) error, offset);
	free(out);
	return ok;
}


/* ---------------------------------------------------------------------
 * parse_time
 * ---------------------------------------------------------------------
 */

/* test_iso_good: exact instants for accepted ISO 8601 texts */
static void
test_iso_good(void)
{
	/* The recipe's shape, and the same instant with offsets */
	CHECK(iso_is("2025-10-21T14:17:34.073Z", INT64_C(1761056254073000)));
	CHECK(iso_is("2025-10-21T14:17:34.073+00:00",
				 INT64_C(1761056254073000)));
	CHECK(iso_is("2025-10-21T14:17:34.073+02:00",
				 INT64_C(1761049054073000)));
	CHECK(iso_is("2025-10-21T14:17:34.073+0200", INT64_C(1761049054073000)));
	CHECK(iso_is("2025-10-21T14:17:34.073-05:30",
				 INT64_C(1761076054073000)));
	CHECK(iso_is("2025-10-21T14:17:34.073-0530", INT64_C(1761076054073000)));
	CHECK(iso_is("2025-10-21T16:17:34.073+02:00",
				 INT64_C(1761056254073000)));
	CHECK(iso_is("1970-01-01T00:00:00-00:00", 0));
	CHECK(iso_is("1970-01-01T00:00:00+00:01", INT64_C(-60000000)));
	CHECK(iso_is("2025-12-31T23:59:59+23:59", INT64_C(1767139259000000)));
	CHECK(iso_is("2025-01-01T00:00:00-23:59", INT64_C(1735775940000000)));

	/* Separators and letter case */
	CHECK(iso_is("2025-10-21 14:17:34Z", INT64_C(1761056254000000)));
	CHECK(iso_is("2025-10-21t14:17:34.073z", INT64_C(1761056254073000)));
	CHECK(iso_is("2025-10-21T14:17:34z", INT64_C(1761056254000000)));

	/* Fractions: none, short, six, nine digits (truncated, not rounded) */
	CHECK(iso_is("2025-10-21T14:17:34Z", INT64_C(1761056254000000)));
	CHECK(iso_is("2025-10-21T14:17:34.1Z", INT64_C(1761056254100000)));
	CHECK(iso_is("2025-10-21T14:17:34.123456Z", INT64_C(1761056254123456)));
	CHECK(iso_is("2025-10-21T14:17:34.123456789Z",
				 INT64_C(1761056254123456)));
	CHECK(iso_is("2025-10-21T14:17:34.999999999Z",
				 INT64_C(1761056254999999)));
	CHECK(iso_is("2025-10-21T14:17:34.000000001Z",
				 INT64_C(1761056254000000)));

	/* Calendar: epoch, leap days, century rules, ends of the range */
	CHECK(iso_is("1970-01-01T00:00:00Z", 0));
	CHECK(iso_is("1969-12-31T23:59:59Z", INT64_C(-1000000)));
	CHECK(iso_is("2000-01-01T00:00:00Z", AP_EARLIEST_CLICK_USEC));
	CHECK(iso_is("2024-02-29T00:00:00Z", INT64_C(1709164800000000)));
	CHECK(iso_is("2000-02-29T12:00:00Z", INT64_C(951825600000000)));
	CHECK(iso_is("1600-02-29T00:00:00Z", INT64_C(-11670998400000000)));
	CHECK(iso_is("1900-03-01T00:00:00Z", INT64_C(-2203891200000000)));
	CHECK(iso_is("0001-01-01T00:00:00Z", INT64_C(-62135596800000000)));
	CHECK(iso_is("0001-03-01T00:00:00Z", INT64_C(-62130499200000000)));
	CHECK(iso_is("0000-01-01T00:00:00Z", INT64_C(-62167219200000000)));
	CHECK(iso_is("0000-02-29T00:00:00Z", INT64_C(-62162121600000000)));
	CHECK(iso_is("9999-12-31T23:59:59.999999Z",
				 INT64_C(253402300799999999)));
	CHECK(iso_is("2025-12-31T23:59:59Z", INT64_C(1767225599000000)));
}

/* test_iso_bad: each refusal, with the status that names it */
static void
test_iso_bad(void)
{
	static const char *const specials[] = {
		"now", "NOW", "Today", "tomorrow", "yesterday", "infinity",
		"+infinity", "-Infinity", "epoch", "ALLBALLS", " now ", "\tepoch\n",
		"\r\n today \v\f"
	};
	static const char *const syntax[] = {
		"", " ", "hello", "nowx", "now now", "2025-10-21", "2025-10-21T",
		"2025-10-21T14:17Z", "25-10-21T14:17:34Z", "2025-1-21T14:17:34Z",
		"20251-10-21T14:17:34Z", "2025-10-21T14:17:34.Z",
		"2025-10-21T14:17:34.0123456789Z", " 2025-10-21T14:17:34Z",
		"2025-10-21T14:17:34Z ", "2025-10-21  14:17:34Z",
		"2025-10-21T14:17:34+02", "2025-10-21T14:17:34+2:00",
		"2025-10-21T14:17:34+02:0", "2025-10-21T14:17:34+020",
		"2025-10-21T14:17:34Zx", "2025-10-21T14:17:34+02:00:00",
		"2025-10-21T14:17:34GMT", "2025/10/21T14:17:34Z",
		"2025-10-21X14:17:34Z", "2025-10-21T14.17.34Z", "1761056254",
		"2025-10-21T14:17:34 Z", "2025-10-21T14:17:34,073Z",
		"+2025-10-21T14:17:34Z", "2025-10-21T14:17:34.07aZ",
		"\xEF\xBC\x92\xEF\xBC\x90\xEF\xBC\x92\xEF\xBC\x95-10-21T14:17:34Z"
	};
	static const char *const ranges[] = {
		"2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
		"2025-00-10T00:00:00Z", "2025-13-10T00:00:00Z",
		"2025-01-00T00:00:00Z", "2025-01-32T00:00:00Z",
		"2025-04-31T00:00:00Z", "2025-02-30T00:00:00Z",
		"2025-10-21T24:00:00Z", "2025-10-21T14:60:00Z",
		"2025-10-21T14:17:60Z", "2025-10-21T14:17:34+24:00",
		"2025-10-21T14:17:34+23:60", "2025-10-21T14:17:34-25:00",
		"2025-10-21T99:99:99Z", "2023-02-30T00:00:00"
	};
	size_t		i;

	for (i = 0; i < sizeof(specials) / sizeof(specials[0]); i++)
		CHECK(iso_fails(specials[i], AP_TIME_SPECIAL_WORD));
	for (i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++)
		CHECK(iso_fails(syntax[i], AP_TIME_SYNTAX));
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		CHECK(iso_fails(ranges[i], AP_TIME_FIELD_RANGE));

	/* A valid date and time without a zone */
	CHECK(iso_fails("2025-10-21T14:17:34", AP_TIME_NO_ZONE));
	CHECK(iso_fails("2025-10-21T14:17:34.073", AP_TIME_NO_ZONE));
	CHECK(iso_fails("2025-10-21 14:17:34.123456789", AP_TIME_NO_ZONE));

	/* An embedded NUL is just a bad byte */
	{
		static const char with_nul[] = "2025-10-21T14:17:34Z\0";
		char	   *p = dup_exact(LIT(with_nul));
		int64_t		got = UNTOUCHED;

		CHECK(ap_parse_iso8601(p, sizeof(with_nul) - 1, &got) ==
			  AP_TIME_SYNTAX);
		CHECK(got == UNTOUCHED);
		free(p);
	}
}

/*
 * test_iso_prefixes: every proper prefix of a valid text is refused:
 * those that end after the seconds or inside a fraction lack only the
 * zone, all others are bad syntax.
 */
static void
test_iso_prefixes(void)
{
	static const char full[] = "2025-10-21T14:17:34.073+02:00";
	size_t		n;
	int			bad = 0;

	for (n = 0; n < sizeof(full) - 1; n++)
	{
		char	   *p = dup_exact(full, n);
		int64_t		got = UNTOUCHED;
		ApTimeStatus want = (n == 19 || (n >= 21 && n <= 23)) ?
			AP_TIME_NO_ZONE : AP_TIME_SYNTAX;

		if (ap_parse_iso8601(p, n, &got) != want || got != UNTOUCHED)
		{
			fprintf(stderr, "  prefix %zu of \"%s\" misread\n", n, full);
			bad++;
		}
		free(p);
	}
	CHECK(bad == 0);
	CHECK(iso_is(full, INT64_C(1761049054073000)));
}

/* test_unix_time: seconds, milliseconds, fractions, sign and overflow */
static void
test_unix_time(void)
{
	/* Seconds and milliseconds on both sides of the threshold */
	CHECK(unix_is("1761056254", INT64_C(1761056254000000), false));
	CHECK(unix_is("1761056254073", INT64_C(1761056254073000), true));
	CHECK(unix_is("99999999999", INT64_C(99999999999000000), false));
	CHECK(unix_is("100000000000", INT64_C(100000000000000), true));
	CHECK(unix_is("0", 0, false));
	CHECK(unix_is("0001761056254", INT64_C(1761056254000000), false));
	CHECK(unix_is("00000000000000000000000000001", 1000000, false));

	/* Fractions: truncated to microseconds in either unit */
	CHECK(unix_is("1761056254.073", INT64_C(1761056254073000), false));
	CHECK(unix_is("1761056254.0731239", INT64_C(1761056254073123), false));
	CHECK(unix_is("1761056254.9999999999", INT64_C(1761056254999999),
				  false));
	CHECK(unix_is("1761056254073.5", INT64_C(1761056254073500), true));
	CHECK(unix_is("1761056254073.5678", INT64_C(1761056254073567), true));
	CHECK(unix_is("99999999999.5", INT64_C(99999999999500000), false));

	/* Negative values are computed, and always read as seconds */
	CHECK(unix_is("-5", INT64_C(-5000000), false));
	CHECK(unix_is("-1.5", INT64_C(-1500000), false));
	CHECK(unix_is("-0", 0, false));
	CHECK(unix_is("-100000000000", INT64_C(-100000000000000000), false));
	CHECK(unix_is("-9223372036854", INT64_C(-9223372036854000000), false));
	CHECK(unix_is("-9223372036854.775807", -INT64_MAX, false));

	/* The edges of int64 in milliseconds */
	CHECK(unix_is("9223372036854775", INT64_C(9223372036854775000), true));
	CHECK(unix_is("9223372036854775.807", INT64_MAX, true));
	CHECK(unix_fails(LIT("9223372036854775.808"), AP_TIME_FIELD_RANGE));
	CHECK(unix_fails(LIT("9223372036854776"), AP_TIME_FIELD_RANGE));
	CHECK(unix_fails(LIT("9223372036854775807"), AP_TIME_FIELD_RANGE));
	CHECK(unix_fails(LIT("123456789012345678901234567890"),
					 AP_TIME_FIELD_RANGE));
	CHECK(unix_fails(LIT("-123456789012345678901234567890.5"),
					 AP_TIME_FIELD_RANGE));
	CHECK(unix_fails(LIT("-9223372036855"), AP_TIME_FIELD_RANGE));
	CHECK(unix_fails(LIT("-9223372036854.775808"), AP_TIME_FIELD_RANGE));

	/* Everything that is not sign, digits and fraction */
	CHECK(unix_fails(LIT(""), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT("-"), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT(".5"), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT("5."), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT("-.5"), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT("1e3"), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT("1.5E3"), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT("+5"), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT(" 5"), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT("5 "), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT("1,5"), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT("0x10"), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT("1.2.3"), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT("--1"), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT("1761056254073Z"), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT("17610\0" "56254"), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT("99999999999999999999999999x"), AP_TIME_SYNTAX));
	CHECK(unix_fails(LIT("2025-10-21T14:17:34Z"), AP_TIME_SYNTAX));

	/* was_millis may be NULL */
	{
		int64_t		got = 0;

		CHECK(ap_parse_unix_time("1761056254073", 13, &got, NULL) ==
			  AP_TIME_OK);
		CHECK(got == INT64_C(1761056254073000));
	}
}

/* test_click_time: the window [2000-01-01, arrival + 1 day] */
static void
test_click_time(void)
{
	int64_t		recv = INT64_C(1761056254073000);

	CHECK(ap_check_click_time(AP_EARLIEST_CLICK_USEC, recv) == AP_TIME_OK);
	CHECK(ap_check_click_time(AP_EARLIEST_CLICK_USEC - 1, recv) ==
		  AP_TIME_TOO_EARLY);
	CHECK(ap_check_click_time(0, recv) == AP_TIME_TOO_EARLY);
	CHECK(ap_check_click_time(INT64_MIN, recv) == AP_TIME_TOO_EARLY);
	CHECK(ap_check_click_time(recv, recv) == AP_TIME_OK);
	CHECK(ap_check_click_time(recv - INT64_C(3600000000), recv) ==
		  AP_TIME_OK);
	CHECK(ap_check_click_time(recv + AP_MAX_FUTURE_USEC, recv) ==
		  AP_TIME_OK);
	CHECK(ap_check_click_time(recv + AP_MAX_FUTURE_USEC + 1, recv) ==
		  AP_TIME_TOO_LATE);
	CHECK(ap_check_click_time(INT64_MAX, recv) == AP_TIME_TOO_LATE);

	/* Extreme arrival times must not overflow */
	CHECK(ap_check_click_time(INT64_MAX, INT64_MAX) == AP_TIME_OK);
	CHECK(ap_check_click_time(INT64_MAX, INT64_MAX - 1) == AP_TIME_OK);
	CHECK(ap_check_click_time(AP_EARLIEST_CLICK_USEC, INT64_MIN) ==
		  AP_TIME_TOO_LATE);

	/* Too early wins over too late when arrival is absurd */
	CHECK(ap_check_click_time(AP_EARLIEST_CLICK_USEC - 1, INT64_MIN) ==
		  AP_TIME_TOO_EARLY);
}


/* ---------------------------------------------------------------------
 * parse_session
 * ---------------------------------------------------------------------
 */

/* test_session_good: every separator form, ids at the length limit */
static void
test_session_good(void)
{
	char		buf[256];
	char		a64[AP_SESSION_ID_MAX + 1];
	char		b64[AP_SESSION_ID_MAX + 1];

	/* The recipe's form and the ones hand-edited mappings make */
	CHECK(session_is("3350978756809951428%3A8226444501427639735",
					 "3350978756809951428", "8226444501427639735"));
	CHECK(session_is("3350978756809951428%3a8226444501427639735",
					 "3350978756809951428", "8226444501427639735"));
	CHECK(session_is("3350978756809951428%253A8226444501427639735",
					 "3350978756809951428", "8226444501427639735"));
	CHECK(session_is("3350978756809951428%253a8226444501427639735",
					 "3350978756809951428", "8226444501427639735"));
	CHECK(session_is("3350978756809951428:8226444501427639735",
					 "3350978756809951428", "8226444501427639735"));

	/* Ids past the signed 64-bit range are kept as text */
	CHECK(session_is("18446744073709551000%3A9300000000000000001",
					 "18446744073709551000", "9300000000000000001"));
	CHECK(session_is("18446744073709551615:18446744073709551615",
					 "18446744073709551615", "18446744073709551615"));
	CHECK(session_is("dev_1-X%3Asess-2_y", "dev_1-X", "sess-2_y"));
	CHECK(session_is("a:b", "a", "b"));

	/* 64 characters on both sides */
	memset(a64, 'a', AP_SESSION_ID_MAX);
	a64[AP_SESSION_ID_MAX] = '\0';
	memset(b64, '9', AP_SESSION_ID_MAX);
	b64[AP_SESSION_ID_MAX] = '\0';
	snprintf(buf, sizeof(buf), "%s%%253A%s", a64, b64);
	CHECK(session_is(buf, a64, b64));
}

/* test_session_bad: each status, and which wins when several apply */
static void
test_session_bad(void)
{
	char		buf[256];
	char	   *huge;
	size_t		huge_len = 100000;

	/* Escapes that are not an encoded colon */
	CHECK(session_fails(LIT("a%3Bb"), AP_SESSION_BAD_ESCAPE));
	CHECK(session_fails(LIT("a%"), AP_SESSION_BAD_ESCAPE));
	CHECK(session_fails(LIT("a%3"), AP_SESSION_BAD_ESCAPE));
	CHECK(session_fails(LIT("a%25"), AP_SESSION_BAD_ESCAPE));
	CHECK(session_fails(LIT("a%253"), AP_SESSION_BAD_ESCAPE));
	CHECK(session_fails(LIT("a%2F3Ab"), AP_SESSION_BAD_ESCAPE));
	CHECK(session_fails(LIT("%%3Ab"), AP_SESSION_BAD_ESCAPE));
	CHECK(session_fails(LIT("a%20:b"), AP_SESSION_BAD_ESCAPE));
	CHECK(session_fails(LIT("a%25253Ab"), AP_SESSION_BAD_ESCAPE));

	/* Characters outside [A-Za-z0-9_-] */
	CHECK(session_fails(LIT("a b:c"), AP_SESSION_BAD_CHARACTER));
	CHECK(session_fails(LIT("a.b:c"), AP_SESSION_BAD_CHARACTER));
	CHECK(session_fails(LIT("a:b/c"), AP_SESSION_BAD_CHARACTER));
	CHECK(session_fails(LIT("\xC3\xA9:b"), AP_SESSION_BAD_CHARACTER));
	CHECK(session_fails(LIT("a:b\0"), AP_SESSION_BAD_CHARACTER));
	CHECK(session_fails(LIT(" a:b"), AP_SESSION_BAD_CHARACTER));

	/* Separator counts, empty ids, long ids */
	CHECK(session_fails(LIT("3350978756809951428"), AP_SESSION_NO_SEPARATOR));
	CHECK(session_fails(LIT(""), AP_SESSION_NO_SEPARATOR));
	CHECK(session_fails(LIT("a:b:c"), AP_SESSION_EXTRA_SEPARATOR));
	CHECK(session_fails(LIT("a%3Ab%3Ac"), AP_SESSION_EXTRA_SEPARATOR));
	CHECK(session_fails(LIT("a%3A%253Ab"), AP_SESSION_EXTRA_SEPARATOR));
	CHECK(session_fails(LIT("a:"), AP_SESSION_EMPTY_ID));
	CHECK(session_fails(LIT(":b"), AP_SESSION_EMPTY_ID));
	CHECK(session_fails(LIT(":"), AP_SESSION_EMPTY_ID));
	CHECK(session_fails(LIT("%3A"), AP_SESSION_EMPTY_ID));
	memset(buf, 'a', 65);
	memcpy(buf + 65, ":b", 2);
	CHECK(session_fails(buf, 67, AP_SESSION_ID_TOO_LONG));
	memcpy(buf, "b:", 2);
	memset(buf + 2, 'a', 65);
	CHECK(session_fails(buf, 67, AP_SESSION_ID_TOO_LONG));

	/* Priority: escape > character > separators > empty > too long */
	CHECK(session_fails(LIT("a b%zz"), AP_SESSION_BAD_ESCAPE));
	CHECK(session_fails(LIT("a%3Ab%ZZ"), AP_SESSION_BAD_ESCAPE));
	CHECK(session_fails(LIT("a b"), AP_SESSION_BAD_CHARACTER));
	CHECK(session_fails(LIT("a b:c:d"), AP_SESSION_BAD_CHARACTER));
	CHECK(session_fails(LIT(". :"), AP_SESSION_BAD_CHARACTER));
	CHECK(session_fails(LIT("::"), AP_SESSION_EXTRA_SEPARATOR));
	memset(buf, 'x', 65);
	CHECK(session_fails(buf, 65, AP_SESSION_NO_SEPARATOR));
	memset(buf, 'x', 200);
	buf[100] = ':';
	buf[150] = ':';
	CHECK(session_fails(buf, 200, AP_SESSION_EXTRA_SEPARATOR));
	buf[0] = ':';
	memset(buf + 1, 'x', 65);
	CHECK(session_fails(buf, 66, AP_SESSION_EMPTY_ID));

	/* A huge key cannot write past the fixed buffers */
	huge = malloc(huge_len);
	memset(huge, '7', huge_len);
	huge[huge_len / 2] = ':';
	CHECK(session_fails(huge, huge_len, AP_SESSION_ID_TOO_LONG));
	free(huge);
}


/* ---------------------------------------------------------------------
 * parse_url
 * ---------------------------------------------------------------------
 */

/* test_url_good: parts of accepted URLs */
static void
test_url_good(void)
{
	/* Page URLs as the samples carry them */
	CHECK(url_is("https://app.example.com/reports", "https",
				 "app.example.com", NULL, "/reports", NULL, NULL, false));
	CHECK(url_is("https://app.example.com/projects/48213/settings"
				 "?tab=members#invite", "https", "app.example.com", NULL,
				 "/projects/48213/settings", "tab=members", "invite",
				 false));
	CHECK(url_is("https://app.fullstory.com/ui/ORG1/client-session/"
				 "3350978756809951428%3A8226444501427639735"
				 "?ts=1761056254073", "https", "app.fullstory.com", NULL,
				 "/ui/ORG1/client-session/"
				 "3350978756809951428%3A8226444501427639735",
				 "ts=1761056254073", NULL, false));

	/* Ports, default or not */
	CHECK(url_is("http://example.com:8080/a", "http", "example.com",
				 "8080", "/a", NULL, NULL, false));
	CHECK(url_is("http://example.com:80/", "http", "example.com", "80",
				 "/", NULL, NULL, true));
	CHECK(url_is("HTTPS://x:443", "HTTPS", "x", "443", NULL, NULL, NULL,
				 true));
	CHECK(url_is("wss://x:443/s", "wss", "x", "443", "/s", NULL, NULL,
				 true));
	CHECK(url_is("Ws://x:80", "Ws", "x", "80", NULL, NULL, NULL, true));
	CHECK(url_is("https://x:80/", "https", "x", "80", "/", NULL, NULL,
				 false));
	CHECK(url_is("http://x:443/", "http", "x", "443", "/", NULL, NULL,
				 false));
	CHECK(url_is("ftp://x:21/", "ftp", "x", "21", "/", NULL, NULL, false));
	CHECK(url_is("http://x:080/", "http", "x", "080", "/", NULL, NULL,
				 true));
	CHECK(url_is("http://x:65535/", "http", "x", "65535", "/", NULL, NULL,
				 false));
	CHECK(url_is("http://x:0/", "http", "x", "0", "/", NULL, NULL, false));
	CHECK(url_is("http://x:/p", "http", "x", NULL, "/p", NULL, NULL,
				 false));
	CHECK(url_is("http://x/", "http", "x", NULL, "/", NULL, NULL, false));

	/* userinfo is skipped up to the last '@' */
	CHECK(url_is("https://user:pw@host.com:444/p", "https", "host.com",
				 "444", "/p", NULL, NULL, false));
	CHECK(url_is("https://a@b@c.com/", "https", "c.com", NULL, "/", NULL,
				 NULL, false));
	CHECK(url_is("https://c.com/@x?y@z", "https", "c.com", NULL, "/@x",
				 "y@z", NULL, false));

	/* IPv6 and IPv4 literals */
	CHECK(url_is("https://[::1]:8443/x", "https", "[::1]", "8443", "/x",
				 NULL, NULL, false));
	CHECK(url_is("http://[2001:db8::1]/", "http", "[2001:db8::1]", NULL,
				 "/", NULL, NULL, false));
	CHECK(url_is("http://[::ffff:192.0.2.1]:80", "http",
				 "[::ffff:192.0.2.1]", "80", NULL, NULL, NULL, true));
	CHECK(url_is("http://[::1]:/", "http", "[::1]", NULL, "/", NULL, NULL,
				 false));
	CHECK(url_is("http://192.0.2.1:81/", "http", "192.0.2.1", "81", "/",
				 NULL, NULL, false));

	/* Query without path, fragment only, empty query and fragment */
	CHECK(url_is("https://example.com?x=1", "https", "example.com", NULL,
				 NULL, "x=1", NULL, false));
	CHECK(url_is("https://example.com#frag", "https", "example.com", NULL,
				 NULL, NULL, "frag", false));
	CHECK(url_is("https://example.com", "https", "example.com", NULL, NULL,
				 NULL, NULL, false));
	CHECK(url_is("https://example.com/?", "https", "example.com", NULL,
				 "/", "", NULL, false));
	CHECK(url_is("https://example.com/#", "https", "example.com", NULL,
				 "/", NULL, "", false));
	CHECK(url_is("https://example.com/a?b#c?d", "https", "example.com",
				 NULL, "/a", "b", "c?d", false));
	CHECK(url_is("https://example.com/a#b?c", "https", "example.com", NULL,
				 "/a", NULL, "b?c", false));
	CHECK(url_is("https://example.com:8443?q#f", "https", "example.com",
				 "8443", NULL, "q", "f", false));

	/* Scheme characters, and UTF-8 passed through */
	CHECK(url_is("git+ssh://host/x", "git+ssh", "host", NULL, "/x", NULL,
				 NULL, false));
	CHECK(url_is("a.b-c+d1://h", "a.b-c+d1", "h", NULL, NULL, NULL, NULL,
				 false));
	CHECK(url_is("https://b\xC3\xBC" "cher.example/stra\xC3\x9F" "e",
				 "https", "b\xC3\xBC" "cher.example", NULL,
				 "/stra\xC3\x9F" "e", NULL, NULL, false));
}

/* test_url_bad: texts that are not absolute URLs with a host */
static void
test_url_bad(void)
{
	static const char *const bad[] = {
		"", "example.com/x", "/relative", "https:/x", "https:x", "://x",
		"1http://x", "+http://x", "ht tp://x", "h_t://x", "https://",
		"https:///path", "https://:80/", "https://user@/", "https://@",
		"https://x:65536/", "https://x:99999/", "https://x:123456/",
		"https://x:000080/", "https://x:8a/", "https://x:-1/",
		"https://x:1:2/", "https://exa mple.com/", "https://x/a b",
		"https://x/\tpath", "https://x/a\\b", "https://x/\x7F",
		"https://x/\x1B", "https://x/\r\n", " https://x/", "https://x/ ",
		"mailto:a@b.c", "javascript:alert(1)", "https://a]b/",
		"https://a[b/", "http://[::1", "http://[::1/x]", "http://[]/",
		"http://[::1]x/", "http://[zz::1]/",
		"http://[::1]:99999/", "https\\://x/", "https://x\\y/"
	};
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(url_fails(bad[i], strlen(bad[i])));

	/* An embedded NUL and a NUL right after the host */
	CHECK(url_fails(LIT("https://x/\0")));
	CHECK(url_fails(LIT("https://x\0/")));
}


/* ---------------------------------------------------------------------
 * parse_label
 * ---------------------------------------------------------------------
 */

/* LABEL: label_is for a literal input and literal expected output */
#define LABEL(in, max, want, trunc) \
	label_is(LIT(in), (max), LIT(want), (trunc))

/* test_label_fold: white space of every kind folds to one space */
static void
test_label_fold(void)
{
	/* ASCII white space, runs, both ends */
	CHECK(LABEL("Export CSV", 0, "Export CSV", false));
	CHECK(LABEL("Starter plan\n  $12 / month\n\n  Choose", 0,
				"Starter plan $12 / month Choose", false));
	CHECK(LABEL("  \t Save\t\tchanges \r\n", 0, "Save changes", false));
	CHECK(LABEL("a\tb\vc\fd\re\nf", 0, "a b c d e f", false));
	CHECK(LABEL("", 0, "", false));
	CHECK(LABEL("   \n\t  ", 0, "", false));
	CHECK(LABEL("x", 0, "x", false));

	/* Unicode white space and the invisible ones */
	CHECK(LABEL("a\xC2\xA0" "b", 0, "a b", false));
	CHECK(LABEL("\xC2\xA0\xC2\xA0x\xC2\xA0", 0, "x", false));
	CHECK(LABEL("a\xE3\x80\x80" "b", 0, "a b", false));
	CHECK(LABEL("a\xC2\x85" "b", 0, "a b", false));
	CHECK(LABEL("a\xE1\x9A\x80" "b", 0, "a b", false));
	CHECK(LABEL("a\xE2\x80\x80" "b\xE2\x80\x8A" "c", 0, "a b c", false));
	CHECK(LABEL("Export\xE2\x80\x8B" "CSV", 0, "ExportCSV", false));
	CHECK(LABEL("Export \xE2\x80\x8B CSV", 0, "Export CSV", false));
	/* bidirectional overrides and isolates are dropped, marks stay */
	CHECK(LABEL("Pay \xE2\x80\xAE" "00.001\xE2\x80\xAC", 0, "Pay 00.001",
				false));
	CHECK(LABEL("\xE2\x81\xA6" "abc\xE2\x81\xA9", 0, "abc", false));
	CHECK(LABEL("a\xE2\x80\x8F" "b", 0, "a\xE2\x80\x8F" "b", false));
	CHECK(LABEL("a\xE2\x80\xA8" "b\xE2\x80\xA9" "c", 0, "a b c", false));
	CHECK(LABEL("a\xE2\x80\xAF" "b\xE2\x81\x9F" "c", 0, "a b c", false));
	CHECK(LABEL("\xEF\xBB\xBF" "Save", 0, "Save", false));
	CHECK(LABEL(" \xC2\xA0\n\xE3\x80\x80\t\xE2\x80\x8B ", 0, "", false));
	CHECK(LABEL("a \xC2\xA0\t\xE3\x80\x80 b", 0, "a b", false));

	/* Not white space: joiners, emoji, right-to-left text */
	CHECK(LABEL("a\xE2\x80\x8C" "b", 0, "a\xE2\x80\x8C" "b", false));
	CHECK(LABEL("a\xE2\x81\xA0" "b", 0, "a\xE2\x81\xA0" "b", false));
	CHECK(LABEL("Like \xF0\x9F\x91\x8D", 0, "Like \xF0\x9F\x91\x8D",
				false));
	CHECK(LABEL("\xD7\xA9\xD7\x9E\xD7\x95\xD7\xA8\n\n"
				"\xD7\xA9\xD7\x99\xD7\xA0\xD7\x95\xD7\x99",
				0,
				"\xD7\xA9\xD7\x9E\xD7\x95\xD7\xA8 "
				"\xD7\xA9\xD7\x99\xD7\xA0\xD7\x95\xD7\x99", false));
	CHECK(LABEL("\xD8\xAD\xD9\x81\xD8\xB8\xE2\x80\x8F", 0,
				"\xD8\xAD\xD9\x81\xD8\xB8\xE2\x80\x8F", false));

	/* Invalid UTF-8 is copied, byte by byte */
	CHECK(LABEL("a\xFF" "b", 0, "a\xFF" "b", false));
	CHECK(LABEL("\xC3(", 0, "\xC3(", false));
	CHECK(LABEL("x\xE2\x80", 0, "x\xE2\x80", false));
	CHECK(LABEL("\xED\xA0\x80", 0, "\xED\xA0\x80", false));
	CHECK(LABEL("\xC0\xA0x", 0, "\xC0\xA0x", false));
	CHECK(LABEL("\xC2 x", 0, "\xC2 x", false));
	CHECK(LABEL("\xC2", 0, "\xC2", false));
	CHECK(LABEL("\xF4\x90\x80\x80", 0, "\xF4\x90\x80\x80", false));
	CHECK(LABEL("a\0b", 0, "a\0b", false));
}

/* test_label_truncate: cuts count characters of the folded text */
static void
test_label_truncate(void)
{
	/* A cut just before, on and after a space */
	CHECK(LABEL("Export CSV file", 6, "Export", true));
	CHECK(LABEL("Export CSV file", 7, "Export", true));
	CHECK(LABEL("Export CSV file", 8, "Export C", true));
	CHECK(LABEL("Export CSV file", 14, "Export CSV fil", true));
	CHECK(LABEL("Export CSV file", 15, "Export CSV file", false));
	CHECK(LABEL("Export CSV file", 16, "Export CSV file", false));
	CHECK(LABEL("  Export \n\n CSV  ", 7, "Export", true));
	CHECK(LABEL("  Export \n\n CSV  ", 10, "Export CSV", false));
	CHECK(LABEL("abc   ", 3, "abc", false));
	CHECK(LABEL("abc d", 3, "abc", true));
	CHECK(LABEL("abc d", 1, "a", true));
	CHECK(LABEL("   ", 1, "", false));

	/* Never inside a UTF-8 sequence */
	CHECK(LABEL("h\xC3\xA9llo w\xC3\xB6rld", 2, "h\xC3\xA9", true));
	CHECK(LABEL("\xF0\x9F\x91\x8D\xF0\x9F\x91\x8D\xF0\x9F\x91\x8D", 2,
				"\xF0\x9F\x91\x8D\xF0\x9F\x91\x8D", true));
	CHECK(LABEL("ab\xF0\x9F\x91\x8D", 2, "ab", true));
	CHECK(LABEL("ab\xF0\x9F\x91\x8D", 3, "ab\xF0\x9F\x91\x8D", false));
	CHECK(LABEL("\xE3\x81\x82\xC2\xA0\xE3\x81\x84", 2,
				"\xE3\x81\x82", true));
	CHECK(LABEL("\xE3\x81\x82\xC2\xA0\xE3\x81\x84", 3,
				"\xE3\x81\x82 \xE3\x81\x84", false));

	/* Invalid bytes count one character each */
	CHECK(LABEL("\xFF\xFE\xFD", 2, "\xFF\xFE", true));
	CHECK(LABEL("\xE2\x80x", 2, "\xE2\x80", true));
}


/* ---------------------------------------------------------------------
 * json_repair
 * ---------------------------------------------------------------------
 */

/* JSON_IS and JSON_SAME: json_is and json_same on literals */
#define JSON_IS(in, want, nrep)	json_is(LIT(in), LIT(want), (nrep))
#define JSON_SAME(in)	json_same(LIT(in))

/* JSON_FAILS: json_fails on a literal with max_depth 64 */
#define JSON_FAILS(in, err, off)	json_fails(LIT(in), 64, (err), (off))

/* A sample body, as the recipe sends it */
static const char sample_identified[] =
"{\"target_text\":\"Export CSV\",\"element_name\":\"Export button\","
"\"page_url\":\"https://app.example.com/reports\","
"\"timestamp\":\"2025-10-21T14:17:34.073Z\",\"timestamp_unix\":1761056254,"
"\"session_replay_url\":\"https://app.fullstory.com/ui/ORG1/client-session/"
"3350978756809951428%3A8226444501427639735?ts=1761056254073\","
"\"user_id\":\"user-462718483\",\"user_email\":\"jane@example.com\","
"\"session_id\":\"3350978756809951428%3A8226444501427639735\"}";

/* Another, with escapes, nulls and 20-digit ids */
static const char sample_multiline[] =
"{\"target_text\":\"Starter plan\\n  $12 / month\\n\\n  Choose\","
"\"element_name\":\"\",\"page_url\":\"https://www.example.org/pricing\","
"\"timestamp\":\"2025-10-21T14:20:45.918Z\",\"timestamp_unix\":1761056445,"
"\"session_replay_url\":\"https://app.fullstory.com/ui/ORG1/client-session/"
"18446744073709551000%3A9300000000000000001?ts=1761056445918\","
"\"user_id\":null,\"user_email\":null,"
"\"session_id\":\"18446744073709551000%3A9300000000000000001\"}";

/* test_json_valid: valid JSON is copied byte for byte */
static void
test_json_valid(void)
{
	CHECK(JSON_SAME(sample_identified));
	CHECK(JSON_SAME(sample_multiline));
	CHECK(JSON_SAME("{}"));
	CHECK(JSON_SAME("[]"));
	CHECK(JSON_SAME(" \t\r\n[ 1 , 2 ]\n "));
	CHECK(JSON_SAME("\"x\""));
	CHECK(JSON_SAME("\"\""));
	CHECK(JSON_SAME("0"));
	CHECK(JSON_SAME("-0"));
	CHECK(JSON_SAME("-0.5e+10"));
	CHECK(JSON_SAME("1E-3"));
	CHECK(JSON_SAME("123456789012345678901234567890.5e400"));
	CHECK(JSON_SAME("true"));
	CHECK(JSON_SAME("false"));
	CHECK(JSON_SAME("null"));
	CHECK(JSON_SAME("{\"a\":[1,{\"b\":null}],\"c\":\"\\u00e9\\n\\\"\"}"));
	CHECK(JSON_SAME("[[],[[]],{},{\"\":{}}]"));
	CHECK(JSON_SAME("\"\\ud83d\\ude00\""));
	CHECK(JSON_SAME("\"\\uD83D\\uDE00\""));
	CHECK(JSON_SAME("\"\\u00E9\\uFFFF\\u0001\""));
	CHECK(JSON_SAME("\"\\/\\b\\f\\n\\r\\t\\\\\\\"\""));
	CHECK(JSON_SAME("\"\xC3\xA9\xF0\x9F\x91\x8D"
					"\xE4\xB8\xAD\xF4\x8F\xBF\xBF\""));
	CHECK(JSON_SAME("\"\xEE\x80\x80\xED\x9F\xBF\xE0\xA0\x80\""));
	CHECK(JSON_SAME("\"a\x7F" "b\""));
	CHECK(JSON_SAME("{\"k\xC3\xA9y\" : \"v\" }"));
}

/* test_json_repairs: each repair, with the exact bytes written */
static void
test_json_repairs(void)
{
	/* Invalid UTF-8: each maximal subpart becomes one U+FFFD */
	CHECK(JSON_IS("\"a\xFF" "b\"", "\"a\xEF\xBF\xBD" "b\"", 1));
	CHECK(JSON_IS("\"\x80\"", "\"\xEF\xBF\xBD\"", 1));
	CHECK(JSON_IS("\"\xC0\xAF\"", "\"\xEF\xBF\xBD\xEF\xBF\xBD\"", 2));
	CHECK(JSON_IS("\"\xC1\xBF\"", "\"\xEF\xBF\xBD\xEF\xBF\xBD\"", 2));
	CHECK(JSON_IS("\"\xE0\x80\xAF\"",
				  "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"", 3));
	CHECK(JSON_IS("\"\xED\xA0\x80\"",
				  "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"", 3));
	CHECK(JSON_IS("\"\xF0\x80\x80\x80\"",
				  "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"", 4));
	CHECK(JSON_IS("\"\xF4\x90\x80\x80\"",
				  "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"", 4));
	CHECK(JSON_IS("\"\xF5\"", "\"\xEF\xBF\xBD\"", 1));
	CHECK(JSON_IS("\"\xE2\x82x\"", "\"\xEF\xBF\xBDx\"", 1));
	CHECK(JSON_IS("\"\xF0\x9F\x91\"", "\"\xEF\xBF\xBD\"", 1));
	CHECK(JSON_IS("\"\xF0\x9F\x91\xC3\xA9\"", "\"\xEF\xBF\xBD\xC3\xA9\"", 1));
	CHECK(JSON_IS("\"\xC3\"", "\"\xEF\xBF\xBD\"", 1));
	CHECK(JSON_IS("\"\xC3\\n\"", "\"\xEF\xBF\xBD\\n\"", 1));
	CHECK(JSON_IS("\"\xE2\x82\xE2\x82\xAC\"", "\"\xEF\xBF\xBD\xE2\x82\xAC\"",
				  1));

	/* Raw control bytes: NUL to U+FFFD, others to their escape */
	CHECK(JSON_IS("\"a\0b\"", "\"a\xEF\xBF\xBD" "b\"", 1));
	CHECK(JSON_IS("\"a\x01" "b\nc\x1F\"", "\"a\\u0001b\\u000ac\\u001f\"", 3));
	CHECK(JSON_IS("\"\t\r\x1B\"", "\"\\u0009\\u000d\\u001b\"", 3));

	/* Escapes jsonb refuses */
	CHECK(JSON_IS("\"\\u0000\"", "\"\\ufffd\"", 1));
	CHECK(JSON_IS("\"a\\u0000b\\u0000\"", "\"a\\ufffdb\\ufffd\"", 2));
	CHECK(JSON_IS("\"\\ud800x\"", "\"\\ufffdx\"", 1));
	CHECK(JSON_IS("\"\\uDBFF\"", "\"\\ufffd\"", 1));
	CHECK(JSON_IS("\"\\udc00\"", "\"\\ufffd\"", 1));
	CHECK(JSON_IS("\"\\uDFFF\\n\"", "\"\\ufffd\\n\"", 1));
	CHECK(JSON_IS("\"\\ud800\\ud800\\udc00\"", "\"\\ufffd\\ud800\\udc00\"",
				  1));
	CHECK(JSON_IS("\"\\udc00\\ud800\"", "\"\\ufffd\\ufffd\"", 2));
	CHECK(JSON_IS("\"\\ud83d\\n\"", "\"\\ufffd\\n\"", 1));
	CHECK(JSON_IS("\"\\ud83d\\u0041\"", "\"\\ufffd\\u0041\"", 1));
	CHECK(JSON_IS("\"\\ud83d\\\\udc00\"", "\"\\ufffd\\\\udc00\"", 1));

	/* Keys are repaired too, and everything counts */
	CHECK(JSON_IS("{\"a\x01\":\"\xFF\\u0000\"}",
				  "{\"a\\u0001\":\"\xEF\xBF\xBD\\ufffd\"}", 3));

	/* A byte order mark at the very start is dropped, not counted */
	CHECK(JSON_IS("\xEF\xBB\xBF{\"a\":1}", "{\"a\":1}", 0));
	CHECK(JSON_IS("\xEF\xBB\xBF \"\xEF\xBB\xBF\"", " \"\xEF\xBB\xBF\"", 0));
}

/* test_json_bound: the worst case fills the bound without passing it */
static void
test_json_bound(void)
{
	size_t		n = 1000;
	size_t		len = n + 2;
	char	   *in = malloc(len);
	char	   *out;
	ApJsonRepair res;
	size_t		i;
	bool		all_escaped = true;

	/* A string of raw control bytes: six output bytes for each */
	in[0] = '"';
	memset(in + 1, 0x01, n);
	in[len - 1] = '"';
	out = json_run(in, len, 64, &res);
	CHECK(res.error == AP_JSON_OK);
	CHECK(res.replaced == n);
	CHECK(res.out_len == 6 * n + 2);
	CHECK(res.out_len < AP_JSON_REPAIR_BOUND(len));
	CHECK(out[res.out_len] == '\0');
	for (i = 0; i < n; i++)
		if (memcmp(out + 1 + 6 * i, "\\u0001", 6) != 0)
			all_escaped = false;
	CHECK(all_escaped);
	free(out);
	free(in);

	/* The empty input still gets its terminator */
	out = json_run("", 0, 64, &res);
	CHECK(res.error == AP_JSON_EMPTY && out[0] == '\0');
	free(out);
}

/* test_json_errors: each error kind, at its input offset */
static void
test_json_errors(void)
{
	/* Nothing but white space */
	CHECK(JSON_FAILS("", AP_JSON_EMPTY, 0));
	CHECK(JSON_FAILS("  \n", AP_JSON_EMPTY, 3));
	CHECK(JSON_FAILS("\xEF\xBB\xBF", AP_JSON_EMPTY, 3));
	CHECK(JSON_FAILS("\xEF\xBB\xBF\r\n", AP_JSON_EMPTY, 5));

	/* The input ends inside a value */
	CHECK(JSON_FAILS("{", AP_JSON_TRUNCATED, 1));
	CHECK(JSON_FAILS("[1,", AP_JSON_TRUNCATED, 3));
	CHECK(JSON_FAILS("[1", AP_JSON_TRUNCATED, 2));
	CHECK(JSON_FAILS("\"abc", AP_JSON_TRUNCATED, 4));
	CHECK(JSON_FAILS("tru", AP_JSON_TRUNCATED, 3));
	CHECK(JSON_FAILS("nul", AP_JSON_TRUNCATED, 3));
	CHECK(JSON_FAILS("-", AP_JSON_TRUNCATED, 1));
	CHECK(JSON_FAILS("1.", AP_JSON_TRUNCATED, 2));
	CHECK(JSON_FAILS("1e", AP_JSON_TRUNCATED, 2));
	CHECK(JSON_FAILS("1e+", AP_JSON_TRUNCATED, 3));
	CHECK(JSON_FAILS("{\"a\"", AP_JSON_TRUNCATED, 4));
	CHECK(JSON_FAILS("{\"a\":", AP_JSON_TRUNCATED, 5));
	CHECK(JSON_FAILS("{\"a\":1 ", AP_JSON_TRUNCATED, 7));
	CHECK(JSON_FAILS("\"\\", AP_JSON_TRUNCATED, 2));
	CHECK(JSON_FAILS("\"\\u12", AP_JSON_TRUNCATED, 5));
	CHECK(JSON_FAILS("\"\\ud83d", AP_JSON_TRUNCATED, 7));
	CHECK(JSON_FAILS("\"\xE2\x82", AP_JSON_TRUNCATED, 3));
	CHECK(JSON_FAILS("\"\xFF", AP_JSON_TRUNCATED, 2));

	/* Not JSON at the offset */
	CHECK(JSON_FAILS("x", AP_JSON_SYNTAX, 0));
	CHECK(JSON_FAILS("  x", AP_JSON_SYNTAX, 2));
	CHECK(JSON_FAILS("[1,]", AP_JSON_SYNTAX, 3));
	CHECK(JSON_FAILS("{\"a\":1,}", AP_JSON_SYNTAX, 7));
	CHECK(JSON_FAILS("{,}", AP_JSON_SYNTAX, 1));
	CHECK(JSON_FAILS("[,1]", AP_JSON_SYNTAX, 1));
	CHECK(JSON_FAILS("{\"a\" 1}", AP_JSON_SYNTAX, 5));
	CHECK(JSON_FAILS("{\"a\"::1}", AP_JSON_SYNTAX, 5));
	CHECK(JSON_FAILS("{1:2}", AP_JSON_SYNTAX, 1));
	CHECK(JSON_FAILS("{a:2}", AP_JSON_SYNTAX, 1));
	CHECK(JSON_FAILS("[1 2]", AP_JSON_SYNTAX, 3));
	CHECK(JSON_FAILS("{\"a\":1 \"b\":2}", AP_JSON_SYNTAX, 7));
	CHECK(JSON_FAILS("01", AP_JSON_SYNTAX, 1));
	CHECK(JSON_FAILS("-01", AP_JSON_SYNTAX, 2));
	CHECK(JSON_FAILS("-a", AP_JSON_SYNTAX, 1));
	CHECK(JSON_FAILS("1.a", AP_JSON_SYNTAX, 2));
	CHECK(JSON_FAILS("1ea", AP_JSON_SYNTAX, 2));
	CHECK(JSON_FAILS("[1.]", AP_JSON_SYNTAX, 3));
	CHECK(JSON_FAILS("+1", AP_JSON_SYNTAX, 0));
	CHECK(JSON_FAILS(".5", AP_JSON_SYNTAX, 0));
	CHECK(JSON_FAILS("tru e", AP_JSON_SYNTAX, 3));
	CHECK(JSON_FAILS("nulL", AP_JSON_SYNTAX, 3));
	CHECK(JSON_FAILS("True", AP_JSON_SYNTAX, 0));
	CHECK(JSON_FAILS("NaN", AP_JSON_SYNTAX, 0));
	CHECK(JSON_FAILS("'a'", AP_JSON_SYNTAX, 0));
	CHECK(JSON_FAILS("\"\\x\"", AP_JSON_SYNTAX, 2));
	CHECK(JSON_FAILS("\"\\U0041\"", AP_JSON_SYNTAX, 2));
	CHECK(JSON_FAILS("\"\\u12G4\"", AP_JSON_SYNTAX, 5));
	CHECK(JSON_FAILS("\"\\ud800\\uZZZZ\"", AP_JSON_SYNTAX, 9));
	CHECK(JSON_FAILS("[}", AP_JSON_SYNTAX, 1));
	CHECK(JSON_FAILS("{]", AP_JSON_SYNTAX, 1));
	CHECK(JSON_FAILS("[{\"a\":[{}}]}]", AP_JSON_SYNTAX, 9));
	CHECK(JSON_FAILS("]", AP_JSON_SYNTAX, 0));
	CHECK(JSON_FAILS("[\xFF]", AP_JSON_SYNTAX, 1));
	CHECK(JSON_FAILS("\xC3\xA9", AP_JSON_SYNTAX, 0));
	CHECK(JSON_FAILS("[1,\xC2\xA0" "2]", AP_JSON_SYNTAX, 3));
	CHECK(JSON_FAILS("\v1", AP_JSON_SYNTAX, 0));
	CHECK(JSON_FAILS(" \xEF\xBB\xBF{}", AP_JSON_SYNTAX, 1));
	CHECK(JSON_FAILS("\xEF\xBB\xBF\xEF\xBB\xBF{}", AP_JSON_SYNTAX, 3));
	CHECK(JSON_FAILS("[\0]", AP_JSON_SYNTAX, 1));

	/* More after the value */
	CHECK(JSON_FAILS("{} x", AP_JSON_TRAILING, 3));
	CHECK(JSON_FAILS("{}{}", AP_JSON_TRAILING, 2));
	CHECK(JSON_FAILS("{\"a\":1}}", AP_JSON_TRAILING, 7));
	CHECK(JSON_FAILS("[]]", AP_JSON_TRAILING, 2));
	CHECK(JSON_FAILS("1 2", AP_JSON_TRAILING, 2));
	CHECK(JSON_FAILS("truex", AP_JSON_TRAILING, 4));
	CHECK(JSON_FAILS("\"a\"\"b\"", AP_JSON_TRAILING, 3));
	CHECK(JSON_FAILS("null\0", AP_JSON_TRAILING, 4));
	CHECK(JSON_FAILS("{},", AP_JSON_TRAILING, 2));
}

/*
 * nested: a malloc'd text of depth levels of open, then close; the caller
 * frees.
 */
static char *
nested(size_t depth, const char *open, const char *middle,
	   const char *close, size_t *len)
{
	size_t		no = strlen(open);
	size_t		nm = strlen(middle);
	size_t		nc = strlen(close);
	char	   *s = malloc(depth * (no + nc) + nm);
	size_t		i;

	for (i = 0; i < depth; i++)
		memcpy(s + i * no, open, no);
	memcpy(s + depth * no, middle, nm);
	for (i = 0; i < depth; i++)
		memcpy(s + depth * no + nm + i * nc, close, nc);
	*len = depth * (no + nc) + nm;
	return s;
}

/* test_json_depth: nesting limits, without recursion */
static void
test_json_depth(void)
{
	size_t		len;
	char	   *s;
	char	   *out;
	ApJsonRepair res;

	/* 10,000 arrays: refused at the 65th under a limit of 64 */
	s = nested(10000, "[", "", "]", &len);
	CHECK(json_fails(s, len, 64, AP_JSON_TOO_DEEP, 64));
	CHECK(json_fails(s, len, 9999, AP_JSON_TOO_DEEP, 9999));
	out = json_run(s, len, 10000, &res);
	CHECK(res.error == AP_JSON_OK && res.out_len == len &&
		  memcmp(out, s, len) == 0);
	free(out);

	/* A truncated deep text is truncated, not too deep */
	CHECK(json_fails(s, len - 1, 10000, AP_JSON_TRUNCATED, len - 1));
	free(s);

	/* Objects count as levels too, mixed with arrays */
	s = nested(100, "{\"a\":[", "1", "]}", &len);
	out = json_run(s, len, 200, &res);
	CHECK(res.error == AP_JSON_OK && res.out_len == len);
	free(out);
	CHECK(json_fails(s, len, 199, AP_JSON_TOO_DEEP, 99 * 6 + 5));
	CHECK(json_fails(s, len, 1, AP_JSON_TOO_DEEP, 5));
	free(s);

	/* Zero and negative limits allow scalars only */
	CHECK(json_fails(LIT("[]"), 0, AP_JSON_TOO_DEEP, 0));
	CHECK(json_fails(LIT("{}"), -5, AP_JSON_TOO_DEEP, 0));
	CHECK(json_fails(LIT("[[]]"), 1, AP_JSON_TOO_DEEP, 1));
	out = json_run("1", 1, 0, &res);
	CHECK(res.error == AP_JSON_OK && res.out_len == 1);
	free(out);
	out = json_run("[[]]", 4, 2, &res);
	CHECK(res.error == AP_JSON_OK && res.out_len == 4);
	free(out);

	/* A huge limit is capped by the reader's own bit stack */
	s = nested(20000, "[", "", "]", &len);
	CHECK(json_fails(s, len, INT_MAX, AP_JSON_TOO_DEEP, 16384));
	free(s);
}

/* test_json_error_text: every error has a short lowercase text */
static void
test_json_error_text(void)
{
	CHECK(strcmp(ap_json_error_text(AP_JSON_EMPTY), "body is empty") == 0);
	CHECK(strcmp(ap_json_error_text(AP_JSON_SYNTAX),
				 "invalid JSON syntax") == 0);
	CHECK(strcmp(ap_json_error_text(AP_JSON_TRUNCATED),
				 "body ends inside a value") == 0);
	CHECK(strcmp(ap_json_error_text(AP_JSON_TRAILING),
				 "unexpected data after the JSON value") == 0);
	CHECK(strcmp(ap_json_error_text(AP_JSON_TOO_DEEP),
				 "JSON nested too deeply") == 0);
	CHECK(ap_json_error_text(AP_JSON_OK) != NULL);
	CHECK(ap_json_error_text((ApJsonError) 99) != NULL);
}


/* ---------------------------------------------------------------------
 * Robustness: prefixes and random mutations
 * ---------------------------------------------------------------------
 */

/* Valid inputs that the mutations start from, for all parsers */
static const char *const seeds[] = {
	"2025-10-21T14:17:34.073Z",
	"2025-10-21 14:17:34.123456789-05:30",
	"1761056254.073",
	"1761056254073",
	"3350978756809951428%3A8226444501427639735",
	"18446744073709551000%253a9300000000000000001",
	"https://user:pw@app.example.com:8443/projects/48213?tab=x#invite",
	"http://[2001:db8::1]:80/a/b?c",
	"  Starter plan\n  $12 / month \xC2\xA0 \xE3\x80\x80 Choose "
	"\xF0\x9F\x91\x8D \xD7\xA9\xD7\x9E\xD7\x95\xD7\xA8",
	"{\"a\":[1,-2.5e+3,true,false,null,{\"b\":\"\\ud83d\\ude00\\n\"}],"
	"\"c\":\"\xC3\xA9\xE2\x82\xAC\"}",
	"[[[[[[[[{\"x\":[[[[\"deep\"]]]]}]]]]]]]]",
	NULL,						/* sample_identified */
	NULL						/* sample_multiline */
};

#define N_SEEDS		(sizeof(seeds) / sizeof(seeds[0]))

/* Bytes that tend to matter to some parser */
static const unsigned char interesting[] = {
	0x00, 0x01, 0x1F, ' ', '"', '%', '+', '-', '.', '/', '0', '3', '9',
	':', '@', 'A', 'T', 'Z', '[', '\\', ']', 'a', 'e', 'u', '{', '}',
	0x7F, 0x80, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xEF, 0xF0, 0xF4,
	0xFF
};

static int	fuzz_bad = 0;

/* FUZZ_CHECK: like CHECK, but counted once per run, printed each time */
#define FUZZ_CHECK(expr) \
	do { \
		if (!(expr)) \
		{ \
			fuzz_bad++; \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n", \
					__FILE__, __LINE__, #expr); \
		} \
	} while (0)

/* xorshift64: a small seeded generator, so runs repeat exactly */
static uint64_t
xorshift64(uint64_t *state)
{
	uint64_t	x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/* seed_text: the i-th seed, the two samples included */
static const char *
seed_text(size_t i)
{
	if (seeds[i] != NULL)
		return seeds[i];
	return (i == N_SEEDS - 2) ? sample_identified : sample_multiline;
}

/* span_inside: true when span is absent or lies within s[0..len) */
static bool
span_inside(ApSpan span, const char *s, size_t len)
{
	if (span.start == NULL)
		return span.len == 0;
	return span.start >= s && span.start <= s + len &&
		span.len <= (size_t) (s + len - span.start);
}

/* count_chars: UTF-8 characters in s[0..len), as the label counts them */
static size_t
count_chars(const char *s, size_t len)
{
	size_t		n = 0;
	size_t		i;

	/* Count lead and invalid bytes: a loose bound is enough here */
	for (i = 0; i < len; i++)
		if (((unsigned char) s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* fuzz_time: the time parsers return a known status */
static void
fuzz_time(const char *s, size_t len)
{
	int64_t		usec;
	bool		ms;
	ApTimeStatus st;

	st = ap_parse_iso8601(s, len, &usec);
	FUZZ_CHECK(st >= AP_TIME_OK && st <= AP_TIME_FIELD_RANGE);
	if (st == AP_TIME_OK)
		FUZZ_CHECK(ap_check_click_time(usec, usec) != AP_TIME_TOO_LATE);
	st = ap_parse_unix_time(s, len, &usec, &ms);
	FUZZ_CHECK(st == AP_TIME_OK || st == AP_TIME_SYNTAX ||
			   st == AP_TIME_FIELD_RANGE);
}

/* fuzz_session: ids are within bounds and terminated */
static void
fuzz_session(const char *s, size_t len)
{
	ApSessionKey key;

	if (ap_parse_session_key(s, len, &key) != AP_SESSION_OK)
		return;
	FUZZ_CHECK(key.device_id_len >= 1 &&
			   key.device_id_len <= AP_SESSION_ID_MAX);
	FUZZ_CHECK(key.session_id_len >= 1 &&
			   key.session_id_len <= AP_SESSION_ID_MAX);
	FUZZ_CHECK(strlen(key.device_id) == key.device_id_len);
	FUZZ_CHECK(strlen(key.session_id) == key.session_id_len);
}

/* fuzz_url: every span lies inside the input */
static void
fuzz_url(const char *s, size_t len)
{
	ApUrl		u;

	if (!ap_parse_url(s, len, &u))
		return;
	FUZZ_CHECK(u.scheme.start == s && u.scheme.len > 0);
	FUZZ_CHECK(u.host.start != NULL && u.host.len > 0);
	FUZZ_CHECK(span_inside(u.host, s, len) && span_inside(u.port, s, len) &&
			   span_inside(u.path, s, len) &&
			   span_inside(u.query, s, len) &&
			   span_inside(u.fragment, s, len));
	FUZZ_CHECK(u.port.start == NULL || (u.port.len >= 1 && u.port.len <= 5));
}

/*
 * fuzz_label: the output fits in len bytes, has no space at either end,
 * and respects max_chars.
 */
static void
fuzz_label(const char *s, size_t len, size_t max_chars)
{
	char	   *out = malloc(len > 0 ? len : 1);
	bool		trunc;
	size_t		n = ap_fold_label(s, len, out, max_chars, &trunc);

	FUZZ_CHECK(n <= len);
	FUZZ_CHECK(n == 0 || (out[0] != ' ' && out[n - 1] != ' '));
	FUZZ_CHECK(max_chars == 0 || count_chars(out, n) <= max_chars);
	FUZZ_CHECK(max_chars > 0 || !trunc);
	free(out);
}

/*
 * fuzz_json: the output fits the bound and is terminated; an accepted
 * text repairs to JSON that is accepted again unchanged, and a text that
 * needed no repair is copied unchanged.
 */
static void
fuzz_json(const char *s, size_t len)
{
	ApJsonRepair res;
	ApJsonRepair again;
	char	   *out = json_run(s, len, 16, &res);
	char	   *out2;
	bool		bom = len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0;

	FUZZ_CHECK(res.out_len < AP_JSON_REPAIR_BOUND(len));
	FUZZ_CHECK(out[res.out_len] == '\0');
	FUZZ_CHECK(res.error_offset <= len);
	if (res.error == AP_JSON_OK)
	{
		if (res.replaced == 0 && !bom)
			FUZZ_CHECK(res.out_len == len && memcmp(out, s, len) == 0);
		out2 = json_run(out, res.out_len, 16, &again);
		FUZZ_CHECK(again.error == AP_JSON_OK && again.replaced == 0 &&
				   again.out_len == res.out_len &&
				   memcmp(out2, out, res.out_len) == 0);
		free(out2);
	}
	free(out);
}

/*
 * fuzz_canonical: the output fits the bound, is terminated, and is its
 * own canonical form.
 */
static void
fuzz_canonical(const char *s, size_t len)
{
	char	   *out = malloc(AP_CANONICAL_URL_BOUND(len));
	char	   *again;
	size_t		n;
	size_t		n2;

	if (ap_canonical_url(s, len, out, &n))
	{
		FUZZ_CHECK(n < AP_CANONICAL_URL_BOUND(len) && out[n] == '\0');
		again = malloc(AP_CANONICAL_URL_BOUND(n));
		FUZZ_CHECK(ap_canonical_url(out, n, again, &n2) &&
				   n2 == n && memcmp(again, out, n) == 0);
		free(again);
	}
	free(out);
}

/* fuzz_all: every parser on one exact-size copy of s[0..len) */
static void
fuzz_all(const char *s, size_t len, uint64_t r)
{
	char	   *p = dup_exact(s, len);

	fuzz_time(p, len);
	fuzz_session(p, len);
	fuzz_url(p, len);
	fuzz_canonical(p, len);
	fuzz_label(p, len, 0);
	fuzz_label(p, len, (size_t) (r % 40) + 1);
	fuzz_json(p, len);
	free(p);
}

/*
 * mutate: apply one to four random edits to buf[0..*len), whose capacity
 * is cap: overwrite, insert, delete, duplicate a slice, or cut the end.
 */
static void
mutate(unsigned char *buf, size_t *len, size_t cap, uint64_t *rng)
{
	int			edits = (int) (xorshift64(rng) % 4) + 1;

	while (edits-- > 0)
	{
		uint64_t	r = xorshift64(rng);
		size_t		n = *len;
		size_t		at = n > 0 ? (size_t) (r >> 8) % n : 0;
		unsigned char b = (r & 0x10) ?
			interesting[(r >> 40) % sizeof(interesting)] :
			(unsigned char) (r >> 48);

		switch (r % 5)
		{
			case 0:				/* overwrite */
				if (n > 0)
					buf[at] = b;
				break;
			case 1:				/* insert */
				if (n < cap)
				{
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = b;
					(*len)++;
				}
				break;
			case 2:				/* delete */
				if (n > 0)
				{
					memmove(buf + at, buf + at + 1, n - at - 1);
					(*len)--;
				}
				break;
			case 3:				/* duplicate a short slice */
				{
					size_t		k = (size_t) (r >> 32) % 8 + 1;

					if (at + k <= n && n + k <= cap)
					{
						memmove(buf + at + k, buf + at, n - at);
						*len += k;
					}
				}
				break;
			default:			/* cut the end */
				*len = at;
				break;
		}
	}
}

/* test_robustness: every prefix, then seeded mutations, of every seed */
static void
test_robustness(void)
{
	uint64_t	rng = UINT64_C(0x9E3779B97F4A7C15);
	unsigned char buf[1024];
	size_t		i;
	size_t		n;
	int			round;

	/* Every prefix of every seed */
	for (i = 0; i < N_SEEDS; i++)
	{
		const char *s = seed_text(i);

		for (n = 0; n <= strlen(s); n++)
			fuzz_all(s, n, n);
	}

	/* Random mutations */
	for (round = 0; round < 20000; round++)
	{
		const char *s = seed_text(xorshift64(&rng) % N_SEEDS);
		size_t		len = strlen(s);

		memcpy(buf, s, len);
		mutate(buf, &len, sizeof(buf), &rng);
		fuzz_all((const char *) buf, len, xorshift64(&rng));
	}
	CHECK(fuzz_bad == 0);
}


/* canon: the canonical form of the NUL-terminated url, or NULL */
static char canon_buf[1024];

static const char *
canon(const char *url)
{
	size_t		len = strlen(url);
	char	   *p = dup_exact(url, len);
	size_t		out_len = 0;
	bool		ok;

	ok = ap_canonical_url(p, len, canon_buf, &out_len);
	free(p);
	if (!ok)
		return NULL;
	if (strlen(canon_buf) != out_len)
		return "(length mismatch)";
	return canon_buf;
}

/* canon_is: url has the canonical form want (NULL: none) */
static bool
canon_is(const char *url, const char *want)
{
	const char *got = canon(url);

	if (want == NULL || got == NULL)
		return want == got;
	if (strcmp(got, want) != 0)
		fprintf(stderr, "canonical of \"%s\" is \"%s\"\n", url, got);
	return strcmp(got, want) == 0;
}

/* test_canonical_url: ids collapse, words stay, query and fragment go */
static void
test_canonical_url(void)
{
	CHECK(canon_is("https://app.example.com/reports",
				   "https://app.example.com/reports"));
	CHECK(canon_is("https://app.example.com/projects/48213/settings?tab=members#invite",
				   "https://app.example.com/projects/:id/settings"));
	CHECK(canon_is("HTTPS://App.Example.COM:443/A/B/",
				   "https://app.example.com/A/B"));
	CHECK(canon_is("http://example.com:80", "http://example.com/"));
	CHECK(canon_is("http://localhost:3000/x/", "http://localhost:3000/x"));
	CHECK(canon_is("https://example.com/", "https://example.com/"));
	CHECK(canon_is("https://example.com?q=1", "https://example.com/"));
	CHECK(canon_is("https://u:p@example.com/a", "https://example.com/a"));
	CHECK(canon_is("https://example.com/items/7/edit",
				   "https://example.com/items/:id/edit"));
	CHECK(canon_is("https://example.com/o/3f2b8c1e-9d4a-4b6f-8e2d-1a2b3c4d5e6f",
				   "https://example.com/o/:id"));
	CHECK(canon_is("https://example.com/o/3F2B8C1E-9D4A-4B6F-8E2D-1A2B3C4D5E6F/x",
				   "https://example.com/o/:id/x"));
	CHECK(canon_is("https://example.com/c/5f8d0a3b2c1e4f6a7b8c9d0e",
				   "https://example.com/c/:id"));
	CHECK(canon_is("https://example.com/t/cus_J8d7s6D5f4g3H2",
				   "https://example.com/t/:id"));
	CHECK(canon_is("https://example.com/api/v2/users/1/2/3",
				   "https://example.com/api/v2/users/:id/:id/:id"));
	/* words, short codes and mixed-case words stay */
	CHECK(canon_is("https://example.com/settings/billing-and-plans",
				   "https://example.com/settings/billing-and-plans"));
	CHECK(canon_is("https://example.com/html5/page2",
				   "https://example.com/html5/page2"));
	CHECK(canon_is("https://example.com/deadbeefcafe",
				   "https://example.com/deadbeefcafe"));
	CHECK(canon_is("https://example.com/abc123def45",
				   "https://example.com/abc123def45"));
	CHECK(canon_is("https://example.com/caf\xC3\xA9/12",
				   "https://example.com/caf\xC3\xA9/:id"));
	CHECK(canon_is("https://example.com/a%20b/x", "https://example.com/a%20b/x"));
	CHECK(canon_is("https://example.com//a//", "https://example.com//a"));
	CHECK(canon_is("https://example.com//", "https://example.com/"));
	/* not URLs */
	CHECK(canon_is("not a url", NULL));
	CHECK(canon_is("/relative", NULL));
	CHECK(canon_is("", NULL));

	/* the segment rule alone */
	CHECK(ap_is_dynamic_segment(LIT("0")));
	CHECK(!ap_is_dynamic_segment(LIT("")));
	CHECK(!ap_is_dynamic_segment(LIT("v2")));
	CHECK(ap_is_dynamic_segment(LIT("a1b2c3d4e5f6")));
	CHECK(!ap_is_dynamic_segment(LIT("a1b2c3d4e5f")));
	CHECK(ap_is_dynamic_segment(LIT("abcdefghijklmno1")));
	CHECK(!ap_is_dynamic_segment(LIT("abcdefghijklmnop")));
	CHECK(!ap_is_dynamic_segment(LIT("abcdefghijklmno.1")));
	/* not a UUID, but still a long token of letters and digits */
	CHECK(ap_is_dynamic_segment(LIT("3f2b8c1e-9d4a-4b6f-8e2d-1a2b3c4d5e6")));
	CHECK(!ap_is_dynamic_segment(LIT("billing-and-plans")));
	/* slugs with dates, versions and short codes stay */
	CHECK(!ap_is_dynamic_segment(LIT("2025-10-product-update")));
	CHECK(!ap_is_dynamic_segment(LIT("release-notes-2025-q3")));
	CHECK(!ap_is_dynamic_segment(LIT("product_v2_launch_2025")));
	CHECK(ap_is_dynamic_segment(LIT("cs_live_a1B2c3D4e5F6g7H8")));
	CHECK(ap_is_dynamic_segment(LIT("order-a1b2-c3d4e5f6g7")));
}


/* main: run every group, print the tally, fail on any failure */
int
main(void)
{
	test_iso_good();
	test_iso_bad();
	test_iso_prefixes();
	test_unix_time();
	test_click_time();
	test_session_good();
	test_session_bad();
	test_url_good();
	test_url_bad();
	test_label_fold();
	test_label_truncate();
	test_json_valid();
	test_json_repairs();
	test_json_bound();
	test_json_errors();
	test_json_depth();
	test_json_error_text();
	test_canonical_url();
	test_robustness();

	printf("%d passed, %d failed\n", n_passed, n_failed);
	return n_failed == 0 ? 0 : 1;
}
