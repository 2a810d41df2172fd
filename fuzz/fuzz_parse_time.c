/*-------------------------------------------------------------------------
 *
 * fuzz_parse_time.c
 *	  libFuzzer harness for the click-time parsers of parse_time.h.
 *
 * Every input goes to both parsers, ap_parse_iso8601 and
 * ap_parse_unix_time; its first 16 bytes, read as two int64, also go to
 * ap_check_click_time.  Each result is compared with a reference written
 * here from the header alone, in a different way from the parser: a
 * template match and libc's timegm() for ISO 8601, 128-bit arithmetic for
 * unix time.  An OK ISO 8601 result must also survive a round trip
 * through its canonical text "YYYY-MM-DDTHH:MM:SS.ffffffZ" (formatted
 * with libc's gmtime_r()), and through unix seconds with a fraction when
 * it lies in their range.
 *
 * The reference accepts any input the parser should; for the statuses of
 * bad input it checks only what the header settles.  The header lists
 * the special words only by example, so a text that is not ISO 8601 may
 * be either AP_TIME_SYNTAX or AP_TIME_SPECIAL_WORD here.
 *
 * fuzz/fuzz_parse_time.c
 *
 *-------------------------------------------------------------------------
 */
#define _DEFAULT_SOURCE			/* timegm() and gmtime_r() */

#include <time.h>

#include "fuzz_common.h"
#include "parse_time.h"

/* Written into an output that a failed parse must leave alone */
#define UNTOUCHED	INT64_C(0x5A5A5A5A5A5A5A5A)

/* Unix seconds of 0000-01-01 and of 10000-01-01, and of one day */
#define YEAR_0_SECS		INT64_C(-62167219200)
#define YEAR_10000_SECS	INT64_C(253402300800)
#define DAY_SECS		INT64_C(86400)

/* Room for any text formatted here */
#define TEXT_MAX	64

typedef __int128 int128;

/* What the reference reads in an ISO 8601 text */
typedef struct RefIso
{
	bool		syntax_ok;		/* the header's grammar, zone optional */
	bool		range_ok;		/* every field within its range */
	bool		has_zone;
	int64_t		usec;			/* when all three hold */
} RefIso;

/*
 * digits_at: the value of the n decimal digits at s[at], which the caller
 * has checked.
 */
static int
digits_at(const char *s, size_t at, int n)
{
	int			v = 0;
	int			i;

	for (i = 0; i < n; i++)
		v = v * 10 + (s[at + (size_t) i] - '0');
	return v;
}

/* is_dec: '0' to '9' */
static bool
is_dec(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * match_template: true when s[0..len) starts with the date and time of
 * day, "YYYY-MM-DD", one of 'T', 't' or ' ', then "HH:MM:SS".  'd' in the
 * template stands for a digit, 'T' for the separator.
 */
static bool
match_template(const char *s, size_t len)
{
	static const char tmpl[] = "dddd-dd-ddTdd:dd:dd";
	size_t		i;

	if (len < sizeof(tmpl) - 1)
		return false;
	for (i = 0; i < sizeof(tmpl) - 1; i++)
	{
		if (tmpl[i] == 'd' && !is_dec(s[i]))
			return false;
		if (tmpl[i] == 'T' && s[i] != 'T' && s[i] != 't' && s[i] != ' ')
			return false;
		if (tmpl[i] != 'd' && tmpl[i] != 'T' && s[i] != tmpl[i])
			return false;
	}
	return true;
}

/*
 * read_zone_tail: read the zone that must end the text at s[pos..len):
 * nothing, 'Z' or 'z', or a sign with "hh:mm" or "hhmm".  Sets
 * *has_zone and *offset_secs (east of UTC positive) and *zone_ok (hours
 * up to 23, minutes up to 59).  Returns false for anything else.
 */
static bool
read_zone_tail(const char *s, size_t pos, size_t len, bool *has_zone,
			   int64_t *offset_secs, bool *zone_ok)
{
	size_t		left = len - pos;
	int			hh;
	int			mm;

	*has_zone = (left > 0);
	*offset_secs = 0;
	*zone_ok = true;
	if (left == 0)
		return true;
	if (left == 1)
		return s[pos] == 'Z' || s[pos] == 'z';
	if (s[pos] != '+' && s[pos] != '-')
		return false;

	/* "+hh:mm" is six bytes, "+hhmm" five */
	if (left == 6 && is_dec(s[pos + 1]) && is_dec(s[pos + 2]) &&
		s[pos + 3] == ':' && is_dec(s[pos + 4]) && is_dec(s[pos + 5]))
		mm = digits_at(s, pos + 4, 2);
	else if (left == 5 && is_dec(s[pos + 1]) && is_dec(s[pos + 2]) &&
			 is_dec(s[pos + 3]) && is_dec(s[pos + 4]))
		mm = digits_at(s, pos + 3, 2);
	else
		return false;
	hh = digits_at(s, pos + 1, 2);
	*zone_ok = hh <= 23 && mm <= 59;
	*offset_secs = (s[pos] == '-' ? -1 : 1) * (int64_t) (hh * 3600 + mm * 60);
	return true;
}

/*
 * civil_secs: unix seconds of the given UTC date and time via timegm(),
 * with *valid false when a field is out of range: timegm() normalises
 * such fields, so converting back with gmtime_r() shows a difference.
 */
static int64_t
civil_secs(int year, int month, int day, int hour, int minute, int second,
		   bool *valid)
{
	struct tm	tm;
	struct tm	back;
	time_t		t;

	/* Forward, normalising */
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = minute;
	tm.tm_sec = second;
	t = timegm(&tm);

	/* Back: any field that moved was out of range */
	*valid = gmtime_r(&t, &back) != NULL &&
		back.tm_year == year - 1900 && back.tm_mon == month - 1 &&
		back.tm_mday == day && back.tm_hour == hour &&
		back.tm_min == minute && back.tm_sec == second;
	return (int64_t) t;
}

/*
 * ref_iso8601: read s[0..len) by the grammar of parse_time.h into *ref.
 */
static void
ref_iso8601(const char *s, size_t len, RefIso *ref)
{
	size_t		pos = 19;		/* just after the seconds */
	int64_t		frac_usec = 0;
	int64_t		offset_secs;
	int			ndigits = 0;
	bool		zone_ok;
	bool		date_ok;
	int64_t		secs;

	memset(ref, 0, sizeof(*ref));
	if (!match_template(s, len))
		return;

	/* The fraction: 1 to 9 digits, the first six kept */
	if (pos < len && s[pos] == '.')
	{
		for (pos++; pos < len && is_dec(s[pos]); pos++, ndigits++)
			if (ndigits < 6)
				frac_usec = frac_usec * 10 + (s[pos] - '0');
		if (ndigits == 0 || ndigits > 9)
			return;
		for (; ndigits < 6; ndigits++)
			frac_usec *= 10;
	}

	/* The zone, which must end the text */
	if (!read_zone_tail(s, pos, len, &ref->has_zone, &offset_secs, &zone_ok))
		return;
	ref->syntax_ok = true;

	/* Ranges, then the value: local time is UTC plus the offset */
	secs = civil_secs(digits_at(s, 0, 4), digits_at(s, 5, 2),
					  digits_at(s, 8, 2), digits_at(s, 11, 2),
					  digits_at(s, 14, 2), digits_at(s, 17, 2), &date_ok);
	ref->range_ok = date_ok && zone_ok;
	ref->usec = (secs - offset_secs) * AP_USECS_PER_SEC + frac_usec;
}

/*
 * format_iso: write usec as "YYYY-MM-DDTHH:MM:SS.ffffffZ" into buf and
 * return its length, or 0 when its year is not 0000 to 9999.
 */
static size_t
format_iso(int64_t usec, char *buf)
{
	int64_t		secs = usec / AP_USECS_PER_SEC;
	int64_t		frac = usec % AP_USECS_PER_SEC;
	time_t		t;
	struct tm	tm;

	/* Round towards minus infinity, so the fraction is not negative */
	if (frac < 0)
	{
		secs--;
		frac += AP_USECS_PER_SEC;
	}
	t = (time_t) secs;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 ||
		tm.tm_year > 9999 - 1900)
		return 0;
	return (size_t) snprintf(buf, TEXT_MAX,
							 "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
							 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
							 tm.tm_hour, tm.tm_min, tm.tm_sec, (int) frac);
}

/*
 * iso_exact: ap_parse_iso8601 on an exact-size copy of text[0..len).
 */
static ApTimeStatus
iso_exact(const char *text, size_t len, int64_t *usec)
{
	char	   *copy = fuzz_dup_exact(text, len);
	ApTimeStatus st;

	st = ap_parse_iso8601(copy, len, usec);
	free(copy);
	return st;
}

/*
 * unix_exact: ap_parse_unix_time on an exact-size copy of text[0..len).
 */
static ApTimeStatus
unix_exact(const char *text, size_t len, int64_t *usec, bool *was_millis)
{
	char	   *copy = fuzz_dup_exact(text, len);
	ApTimeStatus st;

	st = ap_parse_unix_time(copy, len, usec, was_millis);
	free(copy);
	return st;
}

/*
 * check_iso_round_trip: an OK result, written back as canonical ISO 8601
 * text and as unix seconds with a fraction, reads back as itself.
 */
static void
check_iso_round_trip(int64_t usec)
{
	char		text[TEXT_MAX];
	size_t		n;
	int64_t		again = UNTOUCHED;
	bool		millis = true;

	/* Canonical ISO 8601, when the year has four digits */
	n = format_iso(usec, text);
	if (n > 0)
	{
		FUZZ_CHECK(iso_exact(text, n, &again) == AP_TIME_OK);
		FUZZ_CHECK(again == usec);
	}

	/* Unix seconds, within the range read as seconds */
	if (usec < 0 || usec / AP_USECS_PER_SEC >= AP_UNIX_MILLIS_THRESHOLD)
		return;
	n = (size_t) snprintf(text, sizeof(text), "%lld.%06lld",
						  (long long) (usec / AP_USECS_PER_SEC),
						  (long long) (usec % AP_USECS_PER_SEC));
	again = UNTOUCHED;
	FUZZ_CHECK(unix_exact(text, n, &again, &millis) == AP_TIME_OK);
	FUZZ_CHECK(again == usec && !millis);
}

/*
 * check_iso8601: ap_parse_iso8601 agrees with the reference, keeps its
 * result in range and leaves the output alone on failure.
 */
static void
check_iso8601(const char *s, size_t len)
{
	int64_t		usec = UNTOUCHED;
	ApTimeStatus st = ap_parse_iso8601(s, len, &usec);
	RefIso		ref;

	/* A parse status only; the output is set on OK alone */
	FUZZ_CHECK(st == AP_TIME_OK || st == AP_TIME_SYNTAX ||
			   st == AP_TIME_NO_ZONE || st == AP_TIME_SPECIAL_WORD ||
			   st == AP_TIME_FIELD_RANGE);
	if (st != AP_TIME_OK)
		FUZZ_CHECK(usec == UNTOUCHED);

	/* The status the reference settles */
	ref_iso8601(s, len, &ref);
	if (!ref.syntax_ok)
		FUZZ_CHECK(st == AP_TIME_SYNTAX || st == AP_TIME_SPECIAL_WORD);
	else if (!ref.range_ok)
		FUZZ_CHECK(st == AP_TIME_FIELD_RANGE ||
				   (st == AP_TIME_NO_ZONE && !ref.has_zone));
	else if (!ref.has_zone)
		FUZZ_CHECK(st == AP_TIME_NO_ZONE);
	else
		FUZZ_CHECK(st == AP_TIME_OK && usec == ref.usec);
	if (st != AP_TIME_OK)
		return;

	/* A four-digit year, shifted by at most a day's offset */
	FUZZ_CHECK(usec >= (YEAR_0_SECS - DAY_SECS) * AP_USECS_PER_SEC);
	FUZZ_CHECK(usec < (YEAR_10000_SECS + DAY_SECS) * AP_USECS_PER_SEC);
	check_iso_round_trip(usec);
}

/*
 * ref_unix_time: read s[0..len) as parse_time.h describes unix time,
 * in 128-bit arithmetic, saturating absurdly long integer parts.
 */
static ApTimeStatus
ref_unix_time(const char *s, size_t len, int64_t *usec, bool *millis)
{
	const int128 saturate = (int128) INT64_MAX * 10;
	size_t		pos = 0;
	size_t		int_start;
	bool		negative = false;
	int128		whole = 0;
	int128		frac3 = 0;
	int128		frac6 = 0;
	int			ndigits = 0;
	int128		magnitude;

	/* Sign and integer part */
	if (pos < len && s[pos] == '-')
	{
		negative = true;
		pos++;
	}
	for (int_start = pos; pos < len && is_dec(s[pos]); pos++)
		whole = (whole >= saturate) ? saturate : whole * 10 + (s[pos] - '0');
	if (pos == int_start)
		return AP_TIME_SYNTAX;

	/* An optional fraction with at least one digit, then the end */
	if (pos < len)
	{
		if (s[pos++] != '.' || pos == len)
			return AP_TIME_SYNTAX;
		for (; pos < len && is_dec(s[pos]); pos++, ndigits++)
		{
			if (ndigits < 3)
				frac3 = frac3 * 10 + (s[pos] - '0');
			if (ndigits < 6)
				frac6 = frac6 * 10 + (s[pos] - '0');
		}
		if (pos < len)
			return AP_TIME_SYNTAX;
	}
	for (; ndigits < 6; ndigits++)
	{
		if (ndigits < 3)
			frac3 *= 10;
		frac6 *= 10;
	}

	/* The unit, then the magnitude, which must fit */
	*millis = !negative && whole >= AP_UNIX_MILLIS_THRESHOLD;
	magnitude = *millis ? whole * 1000 + frac3 : whole * 1000000 + frac6;
	if (magnitude > INT64_MAX)
		return AP_TIME_FIELD_RANGE;
	*usec = (int64_t) (negative ? -magnitude : magnitude);
	return AP_TIME_OK;
}

/*
 * check_unix_time: ap_parse_unix_time agrees with the reference, with
 * and without was_millis, and the unit agrees with the magnitude.
 */
static void
check_unix_time(const char *s, size_t len)
{
	int64_t		usec = UNTOUCHED;
	int64_t		usec_no_flag = UNTOUCHED;
	bool		millis = false;
	int64_t		ref_usec = 0;
	bool		ref_millis = false;
	ApTimeStatus st = ap_parse_unix_time(s, len, &usec, &millis);
	ApTimeStatus ref = ref_unix_time(s, len, &ref_usec, &ref_millis);

	/* The same status and value as the reference */
	FUZZ_CHECK(st == ref);
	FUZZ_CHECK(ap_parse_unix_time(s, len, &usec_no_flag, NULL) == st);
	FUZZ_CHECK(usec_no_flag == usec);
	if (st != AP_TIME_OK)
	{
		FUZZ_CHECK(usec == UNTOUCHED);
		return;
	}
	FUZZ_CHECK(usec == ref_usec && millis == ref_millis);

	/* Milliseconds only from 1e11 seconds' worth of them up */
	if (millis)
		FUZZ_CHECK(usec >= AP_UNIX_MILLIS_THRESHOLD * 1000);
	else if (usec >= 0)
		FUZZ_CHECK(usec < AP_UNIX_MILLIS_THRESHOLD * AP_USECS_PER_SEC);
}

/*
 * check_click_time: ap_check_click_time on the first 16 input bytes as
 * two int64, compared with exact 128-bit arithmetic.
 */
static void
check_click_time(const uint8_t *data, size_t size)
{
	int64_t		t;
	int64_t		received;
	ApTimeStatus want = AP_TIME_OK;

	if (size < 2 * sizeof(int64_t))
		return;
	memcpy(&t, data, sizeof(t));
	memcpy(&received, data + sizeof(t), sizeof(received));

	if (t < AP_EARLIEST_CLICK_USEC)
		want = AP_TIME_TOO_EARLY;
	else if ((int128) t > (int128) received + AP_MAX_FUTURE_USEC)
		want = AP_TIME_TOO_LATE;
	FUZZ_CHECK(ap_check_click_time(t, received) == want);
}

/*
 * LLVMFuzzerTestOneInput: one input, every check above.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = fuzz_dup_exact(data, size);

	check_iso8601(s, size);
	check_unix_time(s, size);
	check_click_time(data, size);
	free(s);
	return 0;
}
