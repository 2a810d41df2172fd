/*-------------------------------------------------------------------------
 *
 * parse_time.h
 *	  Click times: ISO 8601 text and unix seconds or milliseconds.
 *
 * Plain C with no server dependencies, so that the rules can be unit-tested
 * and fuzzed alone.  All instants are microseconds since 1970-01-01 UTC.
 * Inputs are a pointer and a length; they need not be NUL-terminated.
 *
 * src/parse_time.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOPLAY_PARSE_TIME_H
#define AUTOPLAY_PARSE_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AP_USECS_PER_SEC	INT64_C(1000000)

/* Unix time, in microseconds, of 2000-01-01 00:00:00 UTC: the earliest click */
#define AP_EARLIEST_CLICK_USEC	(INT64_C(946684800) * AP_USECS_PER_SEC)

/* How far ahead of its arrival a click's time may be */
#define AP_MAX_FUTURE_USEC	(INT64_C(86400) * AP_USECS_PER_SEC)

/* Unix times at or above this are read as milliseconds */
#define AP_UNIX_MILLIS_THRESHOLD	INT64_C(100000000000)

typedef enum ApTimeStatus
{
	AP_TIME_OK = 0,
	AP_TIME_SYNTAX,				/* not a time we accept */
	AP_TIME_NO_ZONE,			/* a date and time without Z or an offset */
	AP_TIME_SPECIAL_WORD,		/* now, today, infinity, epoch, ... */
	AP_TIME_FIELD_RANGE,		/* month 13, 25:00, February 30, offset 25:00 */
	AP_TIME_TOO_EARLY,			/* before 2000-01-01 UTC */
	AP_TIME_TOO_LATE			/* more than a day after arrival */
} ApTimeStatus;

/*
 * ap_parse_iso8601: read "YYYY-MM-DD(T|t| )HH:MM:SS[.f{1,9}](Z|z|+hh:mm|+hhmm)"
 * (also "-" offsets) into *unix_usec.  Fraction digits past the sixth are
 * truncated.  Leading or trailing white space is a syntax error, except
 * around a special word, which is recognized with ASCII white space trimmed
 * (" now " is AP_TIME_SPECIAL_WORD).  *unix_usec is set only on
 * AP_TIME_OK.
 */
extern ApTimeStatus ap_parse_iso8601(const char *s, size_t len,
									 int64_t *unix_usec);

/*
 * ap_parse_unix_time: read unix time written as decimal digits, with an
 * optional leading '-' and an optional fraction (".073"), the way a JSON
 * number or a numeric string carries it.  Values of 1e11 and more are
 * milliseconds (negative values are always seconds); *was_millis, when not
 * NULL, says which reading was used.  Exponents,
 * white space and anything else are AP_TIME_SYNTAX; magnitudes that do not
 * fit in int64 microseconds are AP_TIME_FIELD_RANGE.
 */
extern ApTimeStatus ap_parse_unix_time(const char *s, size_t len,
									   int64_t *unix_usec, bool *was_millis);

/*
 * ap_check_click_time: AP_TIME_TOO_EARLY before 2000-01-01 UTC,
 * AP_TIME_TOO_LATE more than AP_MAX_FUTURE_USEC after received_usec, else
 * AP_TIME_OK.
 */
extern ApTimeStatus ap_check_click_time(int64_t unix_usec,
										int64_t received_usec);

#endif							/* AUTOPLAY_PARSE_TIME_H */
