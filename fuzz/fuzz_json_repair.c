/*-------------------------------------------------------------------------
 *
 * fuzz_json_repair.c
 *	  libFuzzer harness for the JSON check and repair of json_repair.h.
 *
 * The input is one request body.  It is repaired twice: with the depth
 * limit the extension uses (64), and with one taken from the input's
 * length, which also tries negative limits and limits past the cap.  The
 * output block is exactly AP_JSON_REPAIR_BOUND(len) bytes, so that
 * AddressSanitizer catches a write past the bound.
 *
 * Each result is compared with a reference validator written here from
 * RFC 8259 and the header: a recursive descent that tolerates everything
 * the repair replaces.  Status and error offset must be the same.  On OK
 * the output must pass the same validator in strict mode (valid UTF-8,
 * no raw control byte in a string, no \u0000, surrogate escapes only in
 * pairs), must equal the input when nothing was replaced, and repairing
 * it again must give it back unchanged with nothing replaced.
 *
 * The reference recurses once per nesting level; inputs that could nest
 * deeper than REF_MAX_DEPTH are not compared with it, so that a huge
 * regression input cannot exhaust the C stack.
 *
 * fuzz/fuzz_json_repair.c
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>

#include "fuzz_common.h"
#include "json_repair.h"

/* The depth limit that ingest.c passes */
#define EXTENSION_MAX_DEPTH	64

/* The cap of json_repair.h on max_depth */
#define DEPTH_CAP	16384

/* Deepest nesting the recursive reference is trusted with */
#define REF_MAX_DEPTH	4096

/* The reference validator's state */
typedef struct RefJson
{
	const unsigned char *s;
	size_t		len;
	size_t		pos;
	bool		strict;			/* refuse what the repair would replace */
	int			max_depth;		/* already clamped as the header says */
	ApJsonError error;
	size_t		error_offset;
} RefJson;

static bool ref_value(RefJson *r, int depth);

/* ref_fail: record an error and its offset; returns false */
static bool
ref_fail(RefJson *r, ApJsonError error, size_t offset)
{
	r->error = error;
	r->error_offset = offset;
	return false;
}

/* ref_more: true when input is left; otherwise the text is truncated */
static bool
ref_more(RefJson *r)
{
	return r->pos < r->len || ref_fail(r, AP_JSON_TRUNCATED, r->len);
}

/* ref_skip_space: skip RFC 8259's four white space bytes */
static void
ref_skip_space(RefJson *r)
{
	while (r->pos < r->len && strchr(" \t\n\r", r->s[r->pos]) != NULL &&
		   r->s[r->pos] != '\0')
		r->pos++;
}

/* hex_of: the value of a hex digit, or -1 */
static int
hex_of(unsigned char c)
{
	const char *digits = "0123456789abcdef";
	const char *p;

	if (c >= 'A' && c <= 'F')
		c = (unsigned char) (c + ('a' - 'A'));
	p = (c != '\0') ? strchr(digits, c) : NULL;
	return (p != NULL) ? (int) (p - digits) : -1;
}

/*
 * ref_hex4: read "uXXXX" at r->pos + 1 (r->pos is at the '\') into
 * *value and move past it.
 */
static bool
ref_hex4(RefJson *r, unsigned int *value)
{
	size_t		i;

	*value = 0;
	for (i = r->pos + 2; i < r->pos + 6; i++)
	{
		if (i >= r->len)
			return ref_fail(r, AP_JSON_TRUNCATED, r->len);
		if (hex_of(r->s[i]) < 0)
			return ref_fail(r, AP_JSON_SYNTAX, i);
		*value = (*value << 4) | (unsigned int) hex_of(r->s[i]);
	}
	r->pos += 6;
	return true;
}

/*
 * ref_escape: r->pos is at a '\' in a string.  In strict mode \u0000 and
 * surrogate escapes that are not a high one followed by a low one are
 * refused.
 */
static bool
ref_escape(RefJson *r)
{
	unsigned int cp;
	unsigned int low;
	size_t		at = r->pos;

	if (r->pos + 1 >= r->len)
		return ref_fail(r, AP_JSON_TRUNCATED, r->len);
	if (strchr("\"\\/bfnrt", r->s[r->pos + 1]) != NULL &&
		r->s[r->pos + 1] != '\0')
	{
		r->pos += 2;
		return true;
	}
	if (r->s[r->pos + 1] != 'u')
		return ref_fail(r, AP_JSON_SYNTAX, r->pos + 1);
	if (!ref_hex4(r, &cp))
		return false;
	if (!r->strict)
		return true;

	/* Strict: what jsonb takes, a high surrogate only with a low one */
	if (cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
		return ref_fail(r, AP_JSON_SYNTAX, at);
	if (cp < 0xD800 || cp > 0xDBFF)
		return true;
	if (r->len - r->pos < 6 || r->s[r->pos] != '\\' ||
		r->s[r->pos + 1] != 'u' || !ref_hex4(r, &low) ||
		low < 0xDC00 || low > 0xDFFF)
		return ref_fail(r, AP_JSON_SYNTAX, at);
	return true;
}

/*
 * ref_string: r->pos is at the opening '"'.  Lenient mode passes any
 * byte but '"' and '\' through, one at a time; strict mode takes only
 * valid UTF-8 and no control byte.
 */
static bool
ref_string(RefJson *r)
{
	r->pos++;
	for (;;)
	{
		unsigned char c;
		uint32_t	cp;
		size_t		n;

		if (!ref_more(r))
			return false;
		c = r->s[r->pos];
		if (c == '"')
		{
			r->pos++;
			return true;
		}
		if (c == '\\')
		{
			if (!ref_escape(r))
				return false;
			continue;
		}
		if (!r->strict)
		{
			r->pos++;
			continue;
		}
		n = fuzz_utf8_char(r->s + r->pos, r->len - r->pos, &cp);
		if (n == 0 || c < 0x20)
			return ref_fail(r, AP_JSON_SYNTAX, r->pos);
		r->pos += n;
	}
}

/*
 * ref_digits: one or more digits at r->pos, which the caller has checked
 * is within the input.
 */
static bool
ref_digits(RefJson *r)
{
	if (r->s[r->pos] < '0' || r->s[r->pos] > '9')
		return ref_fail(r, AP_JSON_SYNTAX, r->pos);
	while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9')
		r->pos++;
	return true;
}

/*
 * ref_number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?  A digit
 * straight after a leading zero cannot continue the text.
 */
static bool
ref_number(RefJson *r)
{
	if (r->s[r->pos] == '-')
		r->pos++;
	if (!ref_more(r))
		return false;
	if (r->s[r->pos] == '0')
	{
		r->pos++;
		if (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9')
			return ref_fail(r, AP_JSON_SYNTAX, r->pos);
	}
	else if (!ref_digits(r))
		return false;

	/* Fraction, then exponent */
	if (r->pos < r->len && r->s[r->pos] == '.')
	{
		r->pos++;
		if (!ref_more(r) || !ref_digits(r))
			return false;
	}
	if (r->pos < r->len && (r->s[r->pos] == 'e' || r->s[r->pos] == 'E'))
	{
		r->pos++;
		if (r->pos < r->len && (r->s[r->pos] == '+' || r->s[r->pos] == '-'))
			r->pos++;
		if (!ref_more(r) || !ref_digits(r))
			return false;
	}
	return true;
}

/* ref_word: the literal word at r->pos */
static bool
ref_word(RefJson *r, const char *word)
{
	for (; *word != '\0'; word++)
	{
		if (!ref_more(r))
			return false;
		if (r->s[r->pos] != (unsigned char) *word)
			return ref_fail(r, AP_JSON_SYNTAX, r->pos);
		r->pos++;
	}
	return true;
}

/*
 * ref_container: r->pos is at '[' or '{', opened inside depth others.
 * Members are separated by ',' with no trailing one.
 */
static bool
ref_container(RefJson *r, int depth)
{
	bool		object = (r->s[r->pos] == '{');
	unsigned char close = object ? '}' : ']';

	if (depth >= r->max_depth)
		return ref_fail(r, AP_JSON_TOO_DEEP, r->pos);
	r->pos++;
	ref_skip_space(r);
	if (!ref_more(r))
		return false;
	if (r->s[r->pos] == close)
	{
		r->pos++;
		return true;
	}
	for (;;)
	{
		/* A key and ':' in an object */
		if (object)
		{
			if (r->s[r->pos] != '"')
				return ref_fail(r, AP_JSON_SYNTAX, r->pos);
			if (!ref_string(r))
				return false;
			ref_skip_space(r);
			if (!ref_more(r))
				return false;
			if (r->s[r->pos] != ':')
				return ref_fail(r, AP_JSON_SYNTAX, r->pos);
			r->pos++;
			ref_skip_space(r);
			if (!ref_more(r))
				return false;
		}

		/* The value, then ',' or the closing bracket */
		if (!ref_value(r, depth + 1))
			return false;
		ref_skip_space(r);
		if (!ref_more(r))
			return false;
		if (r->s[r->pos] == close)
		{
			r->pos++;
			return true;
		}
		if (r->s[r->pos] != ',')
			return ref_fail(r, AP_JSON_SYNTAX, r->pos);
		r->pos++;
		ref_skip_space(r);
		if (!ref_more(r))
			return false;
	}
}

/*
 * ref_value: any value at r->pos, which the caller has checked is within
 * the input, inside depth containers.
 */
static bool
ref_value(RefJson *r, int depth)
{
	unsigned char c = r->s[r->pos];

	if (c == '[' || c == '{')
		return ref_container(r, depth);
	if (c == '"')
		return ref_string(r);
	if (c == '-' || (c >= '0' && c <= '9'))
		return ref_number(r);
	if (c == 't')
		return ref_word(r, "true");
	if (c == 'f')
		return ref_word(r, "false");
	if (c == 'n')
		return ref_word(r, "null");
	return ref_fail(r, AP_JSON_SYNTAX, r->pos);
}

/*
 * ref_check: validate s[0..len) as one JSON text under max_depth (clamped
 * as the header says).  Lenient mode skips a leading byte order mark.
 * Returns the status; *error_offset is set on an error.
 */
static ApJsonError
ref_check(const char *s, size_t len, int max_depth, bool strict,
		  size_t *error_offset)
{
	RefJson		r;

	memset(&r, 0, sizeof(r));
	r.s = (const unsigned char *) s;
	r.len = len;
	r.strict = strict;
	r.max_depth = max_depth < 0 ? 0 : (max_depth > DEPTH_CAP ? DEPTH_CAP :
										max_depth);
	r.error = AP_JSON_OK;
	if (!strict && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		r.pos = 3;

	/* One value, with white space around it and nothing else */
	ref_skip_space(&r);
	if (r.pos == len)
		(void) ref_fail(&r, AP_JSON_EMPTY, len);
	else if (ref_value(&r, 0))
	{
		ref_skip_space(&r);
		if (r.pos < len)
			(void) ref_fail(&r, AP_JSON_TRAILING, r.pos);
	}
	*error_offset = r.error_offset;
	return r.error;
}

/*
 * ref_fits: true when the reference may recurse as deep as s[0..len)
 * could nest under max_depth.
 */
static bool
ref_fits(const char *s, size_t len, int max_depth)
{
	size_t		brackets = 0;
	size_t		i;

	for (i = 0; i < len; i++)
		if (s[i] == '[' || s[i] == '{')
			brackets++;
	return brackets <= REF_MAX_DEPTH || max_depth <= REF_MAX_DEPTH;
}

/*
 * repair_checked: ap_json_repair on an exact-size copy of in[0..len) into
 * an exact-size output block, checked against the header's promises and
 * the reference.  Returns the output; the caller frees it.
 */
static char *
repair_checked(const char *in, size_t len, int max_depth, ApJsonRepair *res)
{
	char	   *copy = fuzz_dup_exact(in, len);
	char	   *out = fuzz_alloc_exact(AP_JSON_REPAIR_BOUND(len));
	size_t		ref_offset = 0;

	memset(res, 0x5A, sizeof(*res));
	ap_json_repair(copy, len, out, max_depth, res);
	free(copy);

	/* Within the bound, NUL-terminated, empty on an error */
	FUZZ_CHECK(res->error >= AP_JSON_OK && res->error <= AP_JSON_TOO_DEEP);
	FUZZ_CHECK(res->out_len < AP_JSON_REPAIR_BOUND(len));
	FUZZ_CHECK(out[res->out_len] == '\0');
	if (res->error != AP_JSON_OK)
		FUZZ_CHECK(res->out_len == 0 && res->error_offset <= len);
	else
		FUZZ_CHECK(res->replaced <= len);

	/* The reference's verdict, to the byte */
	if (ref_fits(in, len, max_depth))
	{
		FUZZ_CHECK(ref_check(in, len, max_depth, false, &ref_offset) ==
				   res->error);
		if (res->error != AP_JSON_OK)
			FUZZ_CHECK(res->error_offset == ref_offset);
	}
	return out;
}

/*
 * check_output: an OK output is strict JSON, equals the input (less a
 * byte order mark) when nothing was replaced and differs otherwise, and
 * comes back unchanged from a second repair.
 */
static void
check_output(const char *in, size_t len, const char *out,
			 const ApJsonRepair *res, int max_depth)
{
	size_t		bom = (len >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
	size_t		offset;
	ApJsonRepair again;
	char	   *twice;
	bool		same;

	/* Strict JSON that jsonb takes, all of it valid UTF-8 */
	FUZZ_CHECK(fuzz_is_utf8(out, res->out_len));
	if (ref_fits(out, res->out_len, max_depth))
		FUZZ_CHECK(ref_check(out, res->out_len, max_depth, true,
							 &offset) == AP_JSON_OK);

	/* Replacements are counted */
	same = (res->out_len == len - bom &&
			memcmp(out, in + bom, res->out_len) == 0);
	FUZZ_CHECK(same == (res->replaced == 0));

	/* Idempotence */
	twice = repair_checked(out, res->out_len, max_depth, &again);
	FUZZ_CHECK(again.error == AP_JSON_OK && again.replaced == 0);
	FUZZ_CHECK(again.out_len == res->out_len &&
			   memcmp(twice, out, res->out_len) == 0);
	free(twice);
}

/*
 * other_depth: a second depth limit, picked by the input's length among
 * small, usual, capped and out-of-range values.
 */
static int
other_depth(size_t size)
{
	static const int depths[] = {-1, 0, 1, 2, 5, DEPTH_CAP, INT_MAX, 3};

	return depths[size % (sizeof(depths) / sizeof(depths[0]))];
}

/*
 * check_error_texts: every status has a text in PostgreSQL's style: not
 * empty, no capitalised first word (an acronym such as "JSON" may lead)
 * and no final period.
 */
static void
check_error_texts(void)
{
	int			e;

	for (e = AP_JSON_OK; e <= AP_JSON_TOO_DEEP; e++)
	{
		const char *t = ap_json_error_text((ApJsonError) e);

		FUZZ_CHECK(t != NULL && t[0] != '\0');
		FUZZ_CHECK(!(t[0] >= 'A' && t[0] <= 'Z' && t[1] >= 'a' &&
					 t[1] <= 'z'));
		FUZZ_CHECK(t[strlen(t) - 1] != '.');
	}
}

/*
 * LLVMFuzzerTestOneInput: the input is one request body.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *) data;
	int			depth = other_depth(size);
	ApJsonRepair res;
	ApJsonRepair res2;
	char	   *out;
	char	   *out2;

	if (size == 0)
		check_error_texts();

	/* With the extension's limit */
	out = repair_checked(in, size, EXTENSION_MAX_DEPTH, &res);
	if (res.error == AP_JSON_OK)
		check_output(in, size, out, &res, EXTENSION_MAX_DEPTH);

	/* With another limit: the same output whenever both succeed */
	out2 = repair_checked(in, size, depth, &res2);
	if (res2.error == AP_JSON_OK)
		check_output(in, size, out2, &res2, depth);
	if (res.error == AP_JSON_OK && res2.error == AP_JSON_OK)
		FUZZ_CHECK(res.out_len == res2.out_len &&
				   memcmp(out, out2, res.out_len) == 0 &&
				   res.replaced == res2.replaced);
	free(out2);
	free(out);
	return 0;
}
