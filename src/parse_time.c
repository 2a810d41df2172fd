/*-------------------------------------------------------------------------
 *
 * parse_time.c
 *	  Click times: ISO 8601 text and unix seconds or milliseconds.
 *
 * Everything here is integer arithmetic on the caller's bytes: no locale,
 * no time zone database and no libc time functions, so the result does not
 * depend on the host.  Dates are proleptic Gregorian.  Each parser checks
 * the whole text's syntax first, then the ranges of its fields, and only
 * then computes; so a text that is wrong in several ways reports its
 * syntax first.  The one exception is PostgreSQL's special words ("now",
 * "epoch", ...), which are recognised before anything else.
 *
 * src/parse_time.c
 *
 *-------------------------------------------------------------------------
 */
#include "parse_time.h"

#include <string.h>

#define SECS_PER_DAY	INT64_C(86400)

/* Fields of an ISO 8601 text, as read before any range check */
typedef struct IsoFields
{
	int			year;
	int			month;
	int			day;
	int			hour;
	int			minute;
	int			second;
	int64_t		frac_usec;		/* fraction, truncated to microseconds */
	bool		has_zone;
	int			zone_sign;		/* +1 east of UTC, -1 west */
	int			zone_hour;
	int			zone_minute;
} IsoFields;

/* PostgreSQL's special datetime words, lowercase */
static const char *const special_words[] = {
	"now", "today", "tomorrow", "yesterday", "infinity", "+infinity",
	"-infinity", "epoch", "allballs"
};

/* Days before the first of each month in a common year */
static const int days_before_month[12] = {
	0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334
};

/*
 * is_space: true for ASCII white space as C's isspace() sees it in the
 * C locale, without depending on the locale.
 */
static inline bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' ||
		c == '\f' || c == '\r';
}

/* is_digit: true for '0' to '9' */
static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * read_digits: read exactly n decimal digits at s[*pos] into *value and
 * advance *pos.  Returns false, leaving *pos alone, when fewer than n
 * digits remain.
 */
static bool
read_digits(const char *s, size_t len, size_t *pos, int n, int *value)
{
	int			v = 0;
	int			i;

	if (len - *pos < (size_t) n)
		return false;
	for (i = 0; i < n; i++)
	{
		char		c = s[*pos + (size_t) i];

		if (!is_digit(c))
			return false;
		v = v * 10 + (c - '0');
	}
	*pos += (size_t) n;
	*value = v;
	return true;
}

/*
 * expect_char: if s[*pos] is c, advance *pos and return true; else return
 * false.
 */
static bool
expect_char(const char *s, size_t len, size_t *pos, char c)
{
	if (*pos >= len || s[*pos] != c)
		return false;
	(*pos)++;
	return true;
}

/*
 * is_special_word: true when s[0..len), with ASCII white space trimmed
 * from both ends, is one of special_words in any letter case.
 */
static bool
is_special_word(const char *s, size_t len)
{
	size_t		start = 0;
	size_t		end = len;
	size_t		w;

	/* Trim white space from both ends */
	while (start < end && is_space(s[start]))
		start++;
	while (end > start && is_space(s[end - 1]))
		end--;

	/* Compare with each word, folding ASCII letters to lower case */
	for (w = 0; w < sizeof(special_words) / sizeof(special_words[0]); w++)
	{
		const char *word = special_words[w];
		size_t		n = strlen(word);
		size_t		i;

		if (n != end - start)
			continue;
		for (i = 0; i < n; i++)
		{
			char		c = s[start + i];

			if (c >= 'A' && c <= 'Z')
				c = (char) (c - 'A' + 'a');
			if (c != word[i])
				break;
		}
		if (i == n)
			return true;
	}
	return false;
}

/*
 * read_fraction: read an optional '.' and 1 to 9 digits at s[*pos] into
 * f->frac_usec, keeping the first six digits.  Returns false for a '.'
 * without digits or with more than nine.
 */
static bool
read_fraction(const char *s, size_t len, size_t *pos, IsoFields *f)
{
	int64_t		usec = 0;
	int			ndigits = 0;

	f->frac_usec = 0;
	if (!expect_char(s, len, pos, '.'))
		return true;

	/* Read the digits; those past the sixth only count */
	while (*pos < len && is_digit(s[*pos]))
	{
		if (ndigits < 6)
			usec = usec * 10 + (s[*pos] - '0');
		ndigits++;
		(*pos)++;
	}
	if (ndigits == 0 || ndigits > 9)
		return false;

	/* Scale a short fraction up to microseconds */
	for (; ndigits < 6; ndigits++)
		usec *= 10;
	f->frac_usec = usec;
	return true;
}

/*
 * read_zone: read the zone designator that must end the text: 'Z', 'z',
 * or a sign with "hh:mm" or "hhmm".  At the very end of the text, there is
 * no zone and it returns true with f->has_zone false.  Returns false for
 * anything else, including text after the zone.
 */
static bool
read_zone(const char *s, size_t len, size_t *pos, IsoFields *f)
{
	char		c;

	f->has_zone = false;
	f->zone_sign = 1;
	f->zone_hour = 0;
	f->zone_minute = 0;
	if (*pos == len)
		return true;

	/* 'Z' is UTC */
	c = s[(*pos)++];
	f->has_zone = true;
	if (c == 'Z' || c == 'z')
		return *pos == len;
	if (c != '+' && c != '-')
		return false;

	/* A numeric offset, with or without the colon */
	f->zone_sign = (c == '-') ? -1 : 1;
	if (!read_digits(s, len, pos, 2, &f->zone_hour))
		return false;
	(void) expect_char(s, len, pos, ':');
	if (!read_digits(s, len, pos, 2, &f->zone_minute))
		return false;
	return *pos == len;
}

/*
 * read_iso_fields: check the syntax of the whole text and read its fields
 * into *f.  Returns false on any syntax error; ranges are not checked.
 */
static bool
read_iso_fields(const char *s, size_t len, IsoFields *f)
{
	size_t		pos = 0;

	/* The date */
	if (!read_digits(s, len, &pos, 4, &f->year) ||
		!expect_char(s, len, &pos, '-') ||
		!read_digits(s, len, &pos, 2, &f->month) ||
		!expect_char(s, len, &pos, '-') ||
		!read_digits(s, len, &pos, 2, &f->day))
		return false;

	/* One separator: 'T', 't' or a single space */
	if (pos >= len || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' '))
		return false;
	pos++;

	/* The time of day, then the optional fraction and zone */
	if (!read_digits(s, len, &pos, 2, &f->hour) ||
		!expect_char(s, len, &pos, ':') ||
		!read_digits(s, len, &pos, 2, &f->minute) ||
		!expect_char(s, len, &pos, ':') ||
		!read_digits(s, len, &pos, 2, &f->second))
		return false;
	return read_fraction(s, len, &pos, f) && read_zone(s, len, &pos, f);
}

/* is_leap_year: the Gregorian rule */
static inline bool
is_leap_year(int64_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* days_in_month: month is 1 to 12 */
static int
days_in_month(int year, int month)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (month == 2 && is_leap_year(year))
		return 29;
	return mdays[month - 1];
}

/* fields_in_range: true when every field of *f is within its range */
static bool
fields_in_range(const IsoFields *f)
{
	if (f->month < 1 || f->month > 12)
		return false;
	if (f->day < 1 || f->day > days_in_month(f->year, f->month))
		return false;
	if (f->hour > 23 || f->minute > 59 || f->second > 59)
		return false;
	return f->zone_hour <= 23 && f->zone_minute <= 59;
}

/* floor_div: division rounding towards minus infinity; d > 0 */
static inline int64_t
floor_div(int64_t n, int64_t d)
{
	int64_t		q = n / d;

	return (n % d < 0) ? q - 1 : q;
}

/*
 * days_before_year: days from 0001-01-01 to year-01-01, negative for
 * years before 1.  Every fourth year is leap, except every hundredth,
 * except every four hundredth.
 */
static int64_t
days_before_year(int64_t year)
{
	int64_t		y = year - 1;

	return y * 365 + floor_div(y, 4) - floor_div(y, 100) + floor_div(y, 400);
}

/*
 * days_from_civil: days from 1970-01-01 to the given date, which must be
 * valid.
 */
static int64_t
days_from_civil(int year, int month, int day)
{
	int64_t		days;

	/* Whole years, then whole months, then days */
	days = days_before_year(year) - days_before_year(1970);
	days += days_before_month[month - 1];
	if (month > 2 && is_leap_year(year))
		days++;
	return days + day - 1;
}

/*
 * ap_parse_iso8601: see parse_time.h.  Syntax is checked first, then field
 * ranges, then the presence of a zone; a four-digit year keeps the result
 * far inside int64.
 */
ApTimeStatus
ap_parse_iso8601(const char *s, size_t len, int64_t *unix_usec)
{
	IsoFields	f;
	int64_t		secs;

	/* Words that PostgreSQL would turn into a time are reported as such */
	if (is_special_word(s, len))
		return AP_TIME_SPECIAL_WORD;

	/* Syntax, ranges, zone */
	if (!read_iso_fields(s, len, &f))
		return AP_TIME_SYNTAX;
	if (!fields_in_range(&f))
		return AP_TIME_FIELD_RANGE;
	if (!f.has_zone)
		return AP_TIME_NO_ZONE;

	/* Local seconds, then shift to UTC: local time is UTC plus offset */
	secs = days_from_civil(f.year, f.month, f.day) * SECS_PER_DAY +
		f.hour * 3600 + f.minute * 60 + f.second;
	secs -= (int64_t) f.zone_sign * (f.zone_hour * 3600 + f.zone_minute * 60);

	*unix_usec = secs * AP_USECS_PER_SEC + f.frac_usec;
	return AP_TIME_OK;
}

/*
 * unix_syntax_ok: true when s[0..len) is an optional '-', one or more
 * digits, and optionally '.' with one or more digits, and nothing else.
 * *int_start, *int_end and *frac_start locate the parts (*frac_start is
 * len when there is no fraction).
 */
static bool
unix_syntax_ok(const char *s, size_t len, size_t *int_start,
			   size_t *int_end, size_t *frac_start)
{
	size_t		pos = 0;

	/* Sign and integer part */
	if (pos < len && s[pos] == '-')
		pos++;
	*int_start = pos;
	while (pos < len && is_digit(s[pos]))
		pos++;
	*int_end = pos;
	if (*int_end == *int_start)
		return false;

	/* Optional fraction, which must have digits */
	*frac_start = len;
	if (pos == len)
		return true;
	if (s[pos] != '.')
		return false;
	pos++;
	*frac_start = pos;
	if (pos == len)
		return false;
	while (pos < len && is_digit(s[pos]))
		pos++;
	return pos == len;
}

/*
 * read_fraction_units: the first ndigits digits of the digit run
 * s[start..len), right-padded with zeros; later digits are dropped.
 */
static int64_t
read_fraction_units(const char *s, size_t start, size_t len, int ndigits)
{
	int64_t		v = 0;
	int			i;

	for (i = 0; i < ndigits; i++)
	{
		size_t		p = start + (size_t) i;

		v = v * 10 + ((p < len) ? (s[p] - '0') : 0);
	}
	return v;
}

/*
 * ap_parse_unix_time: see parse_time.h.  The threshold compares the signed
 * value, so every negative value is read as seconds: the header says
 * "values of 1e11 and more".  The magnitude is built in uint64 and checked
 * against INT64_MAX before it is scaled, so no input can overflow.
 * was_millis may be NULL.  Both outputs are set only on AP_TIME_OK.
 */
ApTimeStatus
ap_parse_unix_time(const char *s, size_t len, int64_t *unix_usec,
				   bool *was_millis)
{
	size_t		int_start;
	size_t		int_end;
	size_t		frac_start;
	size_t		i;
	uint64_t	whole = 0;
	uint64_t	magnitude;
	bool		negative;
	bool		millis;
	uint64_t	limit;

	/* Syntax first */
	if (!unix_syntax_ok(s, len, &int_start, &int_end, &frac_start))
		return AP_TIME_SYNTAX;
	negative = (int_start == 1);

	/* The integer part; anything past 1e16 cannot fit in any reading */
	for (i = int_start; i < int_end; i++)
	{
		whole = whole * 10 + (uint64_t) (s[i] - '0');
		if (whole > UINT64_C(10000000000000000))
			return AP_TIME_FIELD_RANGE;
	}
	millis = !negative && whole >= (uint64_t) AP_UNIX_MILLIS_THRESHOLD;

	/* Scale to microseconds, refusing what would not fit in int64 */
	limit = (uint64_t) INT64_MAX / (millis ? 1000 : 1000000);
	if (whole > limit)
		return AP_TIME_FIELD_RANGE;
	if (millis)
		magnitude = whole * 1000 +
			(uint64_t) read_fraction_units(s, frac_start, len, 3);
	else
		magnitude = whole * 1000000 +
			(uint64_t) read_fraction_units(s, frac_start, len, 6);
	if (magnitude > (uint64_t) INT64_MAX)
		return AP_TIME_FIELD_RANGE;

	/* Apply the sign */
	*unix_usec = negative ? -(int64_t) magnitude : (int64_t) magnitude;
	if (was_millis)
		*was_millis = millis;
	return AP_TIME_OK;
}

/*
 * ap_check_click_time: see parse_time.h.  The limit received_usec +
 * AP_MAX_FUTURE_USEC is computed without overflow; a received time so
 * large that the limit would not fit leaves no time too late.
 */
ApTimeStatus
ap_check_click_time(int64_t unix_usec, int64_t received_usec)
{
	if (unix_usec < AP_EARLIEST_CLICK_USEC)
		return AP_TIME_TOO_EARLY;
	if (received_usec <= INT64_MAX - AP_MAX_FUTURE_USEC &&
		unix_usec > received_usec + AP_MAX_FUTURE_USEC)
		return AP_TIME_TOO_LATE;
	return AP_TIME_OK;
}
