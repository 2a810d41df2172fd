/*-------------------------------------------------------------------------
 *
 * fuzz_parse_label.c
 *	  libFuzzer harness for the label folding of parse_label.h.
 *
 * The first input byte is max_chars (0 means no limit); the rest is the
 * text.  ap_fold_label writes into a block of exactly the text's length,
 * so a write past the header's bound is caught by AddressSanitizer.  The
 * result must equal that of a reference written here from the header in
 * another way (split into characters first, fold, then cut), and must
 * hold on its own: no longer than the input, no space at either end, no
 * two spaces in a row, at most max_chars characters, and a prefix of the
 * uncut label when cut.  For valid UTF-8 input the label must also be
 * valid UTF-8 without any white space but single ASCII spaces, and
 * folding it again must change nothing.
 *
 * For input that is not valid UTF-8 the last two checks do not hold and
 * are not made: invalid bytes are copied through, and when a dropped
 * zero-width character stood between them, they can meet in the label
 * and form a new character, white space included.
 *
 * fuzz/fuzz_parse_label.c
 *
 *-------------------------------------------------------------------------
 */
#include "fuzz_common.h"
#include "parse_label.h"

/* What a character of a label is to folding */
typedef enum CharKind
{
	CK_VISIBLE,					/* written, valid or not */
	CK_SPACE,					/* folds into one ASCII space */
	CK_INVISIBLE				/* dropped, no space */
} CharKind;

/*
 * char_kind: the kind of code point cp, by the lists of parse_label.h.
 */
static CharKind
char_kind(uint32_t cp)
{
	static const uint32_t spaces[] = {
		0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680,
		0x2028, 0x2029, 0x202F, 0x205F, 0x3000
	};
	size_t		i;

	if (cp == 0x200B || cp == 0xFEFF ||
		(cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
		return CK_INVISIBLE;
	if (cp >= 0x2000 && cp <= 0x200A)
		return CK_SPACE;
	for (i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++)
		if (cp == spaces[i])
			return CK_SPACE;
	return CK_VISIBLE;
}

/*
 * next_char: the length of the character at s[0..left), left > 0, and
 * its kind in *kind: a valid UTF-8 sequence, or one invalid byte, which
 * is visible.
 */
static size_t
next_char(const char *s, size_t left, CharKind *kind)
{
	uint32_t	cp;
	size_t		n = fuzz_utf8_char((const unsigned char *) s, left, &cp);

	if (n == 0)
	{
		*kind = CK_VISIBLE;
		return 1;
	}
	*kind = char_kind(cp);
	return n;
}

/*
 * count_chars: the number of characters of s[0..len), an invalid byte
 * counting as one.
 */
static size_t
count_chars(const char *s, size_t len)
{
	size_t		pos = 0;
	size_t		count = 0;
	CharKind	kind;

	while (pos < len)
	{
		pos += next_char(s + pos, len - pos, &kind);
		count++;
	}
	return count;
}

/*
 * ref_fold: the header's label of in[0..len) into out (len bytes), and
 * its length.  First the whole text is folded, noting where each of its
 * characters ends; then, when it has more than max_chars characters, it
 * is cut after the max_chars-th and a trailing space is dropped.
 */
static size_t
ref_fold(const char *in, size_t len, char *out, size_t max_chars,
		 bool *truncated)
{
	size_t	   *ends = (size_t *) fuzz_alloc_exact((len + 1) * sizeof(size_t));
	size_t		nchars = 0;
	size_t		out_len = 0;
	size_t		pos = 0;
	bool		gap = false;

	/* Fold: words joined by single spaces */
	while (pos < len)
	{
		CharKind	kind;
		size_t		n = next_char(in + pos, len - pos, &kind);

		if (kind == CK_SPACE)
			gap = true;
		else if (kind == CK_VISIBLE)
		{
			if (gap && out_len > 0)
			{
				out[out_len++] = ' ';
				ends[nchars++] = out_len;
			}
			memcpy(out + out_len, in + pos, n);
			out_len += n;
			ends[nchars++] = out_len;
			gap = false;
		}
		pos += n;
	}

	/* Cut */
	*truncated = max_chars > 0 && nchars > max_chars;
	if (*truncated)
	{
		out_len = ends[max_chars - 1];
		if (out[out_len - 1] == ' ')
			out_len--;
	}
	free(ends);
	return out_len;
}

/*
 * check_shape: a label has no space at either end, no two spaces in a
 * row and no ASCII white space but the space.
 */
static void
check_shape(const char *out, size_t n)
{
	size_t		i;

	if (n == 0)
		return;
	FUZZ_CHECK(out[0] != ' ' && out[n - 1] != ' ');
	for (i = 0; i < n; i++)
	{
		FUZZ_CHECK(out[i] < '\t' || out[i] > '\r');
		if (i > 0)
			FUZZ_CHECK(out[i] != ' ' || out[i - 1] != ' ');
	}
}

/*
 * check_folded: for valid UTF-8 input, the label is valid UTF-8 with no
 * white space but ASCII spaces and nothing invisible, and folding it
 * again gives it back unchanged and uncut.
 */
static void
check_folded(const char *out, size_t n, size_t max_chars)
{
	char	   *copy = fuzz_dup_exact(out, n);
	char	   *again = fuzz_alloc_exact(n);
	size_t		pos = 0;
	bool		truncated = true;

	/* Every character is visible or a single ASCII space */
	FUZZ_CHECK(fuzz_is_utf8(out, n));
	while (pos < n)
	{
		CharKind	kind;
		size_t		len = next_char(out + pos, n - pos, &kind);

		FUZZ_CHECK(kind == CK_VISIBLE || (len == 1 && out[pos] == ' '));
		pos += len;
	}

	/* Idempotence */
	FUZZ_CHECK(ap_fold_label(copy, n, again, max_chars, &truncated) == n);
	FUZZ_CHECK(!truncated && (n == 0 || memcmp(again, out, n) == 0));
	free(again);
	free(copy);
}

/*
 * check_label: fold text[0..len) under max_chars and check the result
 * against the reference and the header's promises.  full[0..full_len) is
 * the uncut label of the same text.
 */
static void
check_label(const char *text, size_t len, size_t max_chars,
			const char *full, size_t full_len)
{
	char	   *out = fuzz_alloc_exact(len);
	char	   *ref = fuzz_alloc_exact(len);
	bool		truncated = true;
	bool		ref_truncated;
	size_t		n = ap_fold_label(text, len, out, max_chars, &truncated);
	size_t		ref_n = ref_fold(text, len, ref, max_chars, &ref_truncated);

	/* The reference's label, no longer than the input */
	FUZZ_CHECK(n <= len);
	FUZZ_CHECK(n == ref_n && truncated == ref_truncated);
	FUZZ_CHECK(n == 0 || memcmp(out, ref, n) == 0);
	check_shape(out, n);

	/* Cut to max_chars, and only when needed, from the uncut label */
	FUZZ_CHECK(n <= full_len && (n == 0 || memcmp(out, full, n) == 0));
	if (max_chars > 0)
		FUZZ_CHECK(count_chars(out, n) <= max_chars);
	if (!truncated)
		FUZZ_CHECK(n == full_len);
	else
		FUZZ_CHECK(max_chars > 0 && n < full_len);
	if (fuzz_is_utf8(text, len))
		check_folded(out, n, max_chars);
	free(ref);
	free(out);
}

/*
 * LLVMFuzzerTestOneInput: byte 0 is max_chars, the rest is the text.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t		max_chars = (size > 0) ? data[0] : 0;
	size_t		len = (size > 0) ? size - 1 : 0;
	char	   *text = fuzz_dup_exact(data + (size > 0), len);
	char	   *full = fuzz_alloc_exact(len);
	bool		truncated = true;
	size_t		full_len;

	/* The uncut label first: never truncated */
	full_len = ap_fold_label(text, len, full, 0, &truncated);
	FUZZ_CHECK(!truncated && full_len <= len);

	check_label(text, len, max_chars, full, full_len);
	free(full);
	free(text);
	return 0;
}
