/*-------------------------------------------------------------------------
 *
 * fuzz_common.h
 *	  Helpers shared by the libFuzzer harnesses of the plain-C parsers.
 *
 * Every harness copies libFuzzer's input into a malloc'd block of exactly
 * its size before it calls a parser, so that AddressSanitizer reports a
 * read even one byte past the end; libFuzzer's own buffer may have slack.
 * An invariant that does not hold ends the run through fuzz_fail, which
 * prints the failed condition and calls abort(), and libFuzzer saves the
 * input that caused it.
 *
 * Everything here is static inline, so each harness is one translation
 * unit plus the parser it tests.
 *
 * fuzz/fuzz_common.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOPLAY_FUZZ_COMMON_H
#define AUTOPLAY_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer's entry point, defined once by each harness */
extern int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * FUZZ_CHECK: abort, naming the condition and where it is, when expr is
 * false.  Used for every invariant of a parser's contract.
 */
#define FUZZ_CHECK(expr) \
	do { \
		if (!(expr)) \
			fuzz_fail(__FILE__, __LINE__, #expr); \
	} while (0)

/*
 * fuzz_fail: report a broken invariant on stderr and abort, so that
 * libFuzzer counts a crash and writes the input out.
 */
static inline void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	fflush(stderr);
	abort();
}

/*
 * fuzz_alloc_exact: a malloc'd block of exactly size bytes; size 0 gives
 * a block that no code may touch.  Aborts when memory runs out.  The
 * caller frees.
 */
static inline char *
fuzz_alloc_exact(size_t size)
{
	char	   *p = malloc(size);

	if (p == NULL && size > 0)
	{
		fprintf(stderr, "out of memory\n");
		abort();
	}
	return p;
}

/*
 * fuzz_dup_exact: a copy of data[0..size) in a block of exactly size
 * bytes, not NUL-terminated.  The caller frees.
 */
static inline char *
fuzz_dup_exact(const void *data, size_t size)
{
	char	   *p = fuzz_alloc_exact(size);

	if (size > 0)
		memcpy(p, data, size);
	return p;
}

/*
 * fuzz_utf8_char: the length of the strict UTF-8 sequence at s[0..left),
 * left > 0, with its code point in *cp, or 0 when no valid sequence
 * starts there.  Strict means RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF.  Written as decode-then-check, unlike the
 * parsers' byte-range tables, so that the two can be compared.
 */
static inline size_t
fuzz_utf8_char(const unsigned char *s, size_t left, uint32_t *cp)
{
	static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
	size_t		n;
	uint32_t	c;
	size_t		i;

	/* The lead byte: its length and its payload bits */
	if (s[0] < 0x80)
	{
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0)
	{
		n = 2;
		c = s[0] & 0x1Fu;
	}
	else if ((s[0] & 0xF0) == 0xE0)
	{
		n = 3;
		c = s[0] & 0x0Fu;
	}
	else if ((s[0] & 0xF8) == 0xF0)
	{
		n = 4;
		c = s[0] & 0x07u;
	}
	else
		return 0;

	/* Continuation bytes, 10xxxxxx each */
	if (left < n)
		return 0;
	for (i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3Fu);
	}

	/* Then the value: shortest form, no surrogate, in range */
	if (c < min_cp[n] || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
		return 0;
	*cp = c;
	return n;
}

/*
 * fuzz_is_utf8: true when s[0..len) is entirely strict UTF-8.
 */
static inline bool
fuzz_is_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		pos = 0;

	while (pos < len)
	{
		uint32_t	cp;
		size_t		n = fuzz_utf8_char(p + pos, len - pos, &cp);

		if (n == 0)
			return false;
		pos += n;
	}
	return true;
}

#endif							/* AUTOPLAY_FUZZ_COMMON_H */
