/*-------------------------------------------------------------------------
 *
 * parse_label.c
 *	  What the user saw on a clicked element: white space folded.
 *
 * One pass over the input.  Each character is decoded as strict UTF-8
 * (no overlong forms, no surrogates, nothing past U+10FFFF); a byte that
 * does not start a valid sequence is one character by itself and is
 * copied unchanged.  White space is never written at once: it only raises
 * a flag, and the flag becomes one ASCII space when the next visible
 * character is written.  So the output can neither start nor end with
 * white space, and it is never longer than the input.
 *
 * src/parse_label.c
 *
 *-------------------------------------------------------------------------
 */
#include "parse_label.h"

#include <stdint.h>
#include <string.h>

/*
 * decode_utf8: decode the character at in[0..left), left > 0.  Returns its
 * length in bytes and sets *cp, or returns 0 when the bytes there are not
 * a valid UTF-8 sequence.
 */
static size_t
decode_utf8(const unsigned char *in, size_t left, uint32_t *cp)
{
	unsigned char b = in[0];
	size_t		n;
	uint32_t	c;
	unsigned char lo = 0x80;
	unsigned char hi = 0xBF;
	size_t		i;

	/* The lead byte gives the length and the range of the second byte */
	if (b < 0x80)
	{
		*cp = b;
		return 1;
	}
	else if (b >= 0xC2 && b <= 0xDF)
	{
		n = 2;
		c = b & 0x1F;
	}
	else if (b >= 0xE0 && b <= 0xEF)
	{
		n = 3;
		c = b & 0x0F;
		if (b == 0xE0)
			lo = 0xA0;			/* no overlong forms */
		else if (b == 0xED)
			hi = 0x9F;			/* no surrogates */
	}
	else if (b >= 0xF0 && b <= 0xF4)
	{
		n = 4;
		c = b & 0x07;
		if (b == 0xF0)
			lo = 0x90;			/* no overlong forms */
		else if (b == 0xF4)
			hi = 0x8F;			/* nothing past U+10FFFF */
	}
	else
		return 0;

	/* Continuation bytes */
	if (left < n)
		return 0;
	for (i = 1; i < n; i++)
	{
		unsigned char cb = in[i];

		if (cb < lo || cb > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
		c = (c << 6) | (cb & 0x3F);
	}
	*cp = c;
	return n;
}

/* is_label_space: the white space set of parse_label.h */
static bool
is_label_space(uint32_t cp)
{
	if (cp < 0x80)
		return cp == ' ' || (cp >= '\t' && cp <= '\r');
	return cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
		(cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
		cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/*
 * is_label_invisible: characters that take no room and are dropped: the
 * zero-width space and BOM, and the bidirectional embeddings, overrides and
 * isolates, which would let a label display as other text than it holds
 */
static bool
is_label_invisible(uint32_t cp)
{
	return cp == 0x200B || cp == 0xFEFF ||
		(cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * ap_fold_label: see parse_label.h.  A character (with the space that
 * goes before it) is written only when it fits within max_chars; the
 * first one that does not fit ends the pass, so a space is never written
 * without a character after it.
 */
size_t
ap_fold_label(const char *in, size_t len, char *out, size_t max_chars,
			  bool *truncated)
{
	const unsigned char *p = (const unsigned char *) in;
	size_t		pos = 0;
	size_t		out_len = 0;
	size_t		nchars = 0;
	bool		pending_space = false;

	*truncated = false;
	while (pos < len)
	{
		uint32_t	cp = 0;
		size_t		n = decode_utf8(p + pos, len - pos, &cp);
		size_t		need;

		/* An invalid byte is one character, copied as it is */
		if (n == 0)
			n = 1;
		else if (is_label_space(cp) || is_label_invisible(cp))
		{
			pending_space |= is_label_space(cp);
			pos += n;
			continue;
		}

		/* A visible character, with one space before it if due */
		need = (pending_space && out_len > 0) ? 2 : 1;
		if (max_chars > 0 && nchars + need > max_chars)
		{
			*truncated = true;
			break;
		}
		if (need == 2)
			out[out_len++] = ' ';
		memcpy(out + out_len, in + pos, n);
		out_len += n;
		nchars += need;
		pending_space = false;
		pos += n;
	}
	return out_len;
}
