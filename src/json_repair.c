/*-------------------------------------------------------------------------
 *
 * json_repair.c
 *	  Check a raw request body as JSON and repair what jsonb refuses.
 *
 * The reader is one loop over the input driven by a small state variable
 * ("a value is expected", "a key is expected", ...) and a depth counter;
 * it never recurses, so deep nesting costs no C stack.  Whether each open
 * container is an array or an object is kept in a bit stack of
 * JSON_DEPTH_CAP bits on the C stack; a max_depth above JSON_DEPTH_CAP is
 * lowered to it, and a negative one is read as 0 (scalars only).
 *
 * The cap keeps the reader free of allocation; no click body nests
 * anywhere near that deep.
 *
 * Output bound: every input byte yields at most six output bytes.  A raw
 * control byte becomes "\u00XX" (six), a raw NUL or an invalid UTF-8 byte
 * at worst U+FFFD (three), an escape is rewritten at its own length, and
 * everything else is copied.  So the copy plus its terminator fits
 * AP_JSON_REPAIR_BOUND, and writes are not checked one by one.
 *
 * Error offsets: AP_JSON_SYNTAX points at the first byte that cannot
 * continue the text; AP_JSON_EMPTY and AP_JSON_TRUNCATED point at the end
 * of the input; AP_JSON_TRAILING at the first byte after the value;
 * AP_JSON_TOO_DEEP at the '[' or '{' that goes too deep.  On any error the
 * output is the empty string and out_len and replaced are 0.
 *
 * src/json_repair.c
 *
 *-------------------------------------------------------------------------
 */
#include "json_repair.h"

#include <stdbool.h>
#include <string.h>

/* Deepest nesting the bit stack can record */
#define JSON_DEPTH_CAP	16384

/* What the reader expects next */
typedef enum JsonState
{
	JS_VALUE,					/* any value */
	JS_ARRAY_FIRST,				/* a value or ']' just after '[' */
	JS_OBJECT_FIRST,			/* a key or '}' just after '{' */
	JS_KEY,						/* a key, after ',' in an object */
	JS_COLON,					/* ':' after a key */
	JS_AFTER					/* ',' or a closing bracket, or the end */
} JsonState;

/* The input, the output and where each stands */
typedef struct JsonReader
{
	const unsigned char *in;
	size_t		len;
	size_t		pos;			/* next input byte */
	unsigned char *out;
	size_t		out_len;		/* output bytes written */
	size_t		replaced;
	size_t		error_offset;
} JsonReader;

static const char hex_digits[] = "0123456789abcdef";

/* is_json_space: the four white space bytes of RFC 8259 */
static inline bool
is_json_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* is_digit: '0' to '9' */
static inline bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* hex_value: the value of a hex digit in either case, or -1 */
static inline int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* fail: note where an error is and return it */
static inline ApJsonError
fail(JsonReader *r, ApJsonError error, size_t offset)
{
	r->error_offset = offset;
	return error;
}

/* put_bytes: append n bytes to the output */
static inline void
put_bytes(JsonReader *r, const void *bytes, size_t n)
{
	memcpy(r->out + r->out_len, bytes, n);
	r->out_len += n;
}

/* put_replacement: append U+FFFD as UTF-8 and count one repair */
static inline void
put_replacement(JsonReader *r)
{
	put_bytes(r, "\xEF\xBF\xBD", 3);
	r->replaced++;
}

/* put_escaped_replacement: append the escape "\ufffd", count one repair */
static inline void
put_escaped_replacement(JsonReader *r)
{
	put_bytes(r, "\\ufffd", 6);
	r->replaced++;
}

/*
 * read_hex4: read the four hex digits at in[at..at+4) into *value.
 * Returns AP_JSON_OK, or the error for a missing or bad digit.
 */
static inline ApJsonError
read_hex4(JsonReader *r, size_t at, unsigned int *value)
{
	unsigned int v = 0;
	size_t		i;

	for (i = at; i < at + 4; i++)
	{
		int			h;

		if (i >= r->len)
			return fail(r, AP_JSON_TRUNCATED, r->len);
		h = hex_value(r->in[i]);
		if (h < 0)
			return fail(r, AP_JSON_SYNTAX, i);
		v = (v << 4) | (unsigned int) h;
	}
	*value = v;
	return AP_JSON_OK;
}

/*
 * is_low_surrogate_escape: true when in[at..at+6) is a complete "\uXXXX"
 * escape of U+DC00 to U+DFFF.
 */
static inline bool
is_low_surrogate_escape(const JsonReader *r, size_t at)
{
	unsigned int v = 0;
	size_t		i;

	if (r->len - at < 6 || r->in[at] != '\\' || r->in[at + 1] != 'u')
		return false;
	for (i = at + 2; i < at + 6; i++)
	{
		int			h = hex_value(r->in[i]);

		if (h < 0)
			return false;
		v = (v << 4) | (unsigned int) h;
	}
	return v >= 0xDC00 && v <= 0xDFFF;
}

/*
 * copy_unicode_escape: r->pos is at the '\' of "\uXXXX".  A surrogate
 * pair is copied as written; \u0000 and a lone surrogate become "\ufffd";
 * any other escape is copied as written.
 */
static inline ApJsonError
copy_unicode_escape(JsonReader *r)
{
	unsigned int cp;
	ApJsonError err = read_hex4(r, r->pos + 2, &cp);

	if (err != AP_JSON_OK)
		return err;

	/* A high surrogate followed by a low one: a valid pair */
	if (cp >= 0xD800 && cp <= 0xDBFF && is_low_surrogate_escape(r, r->pos + 6))
	{
		put_bytes(r, r->in + r->pos, 12);
		r->pos += 12;
		return AP_JSON_OK;
	}

	/* NUL and unpaired surrogates, which jsonb refuses */
	if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
		put_escaped_replacement(r);
	else
		put_bytes(r, r->in + r->pos, 6);
	r->pos += 6;
	return AP_JSON_OK;
}

/*
 * copy_escape: r->pos is at a '\' inside a string.  Copies the escape, or
 * its repair, and moves past it.
 */
static inline ApJsonError
copy_escape(JsonReader *r)
{
	if (r->pos + 1 >= r->len)
		return fail(r, AP_JSON_TRUNCATED, r->len);
	switch (r->in[r->pos + 1])
	{
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			put_bytes(r, r->in + r->pos, 2);
			r->pos += 2;
			return AP_JSON_OK;
		case 'u':
			return copy_unicode_escape(r);
		default:
			return fail(r, AP_JSON_SYNTAX, r->pos + 1);
	}
}

/*
 * copy_control: r->pos is at a raw byte below 0x20 inside a string.  NUL
 * becomes U+FFFD, the others their "\u00XX" escape.
 */
static inline void
copy_control(JsonReader *r)
{
	unsigned char c = r->in[r->pos++];
	char		esc[6] = {'\\', 'u', '0', '0', 0, 0};

	if (c == 0)
	{
		put_replacement(r);
		return;
	}
	esc[4] = hex_digits[c >> 4];
	esc[5] = hex_digits[c & 0x0F];
	put_bytes(r, esc, 6);
	r->replaced++;
}

/*
 * copy_utf8: r->pos is at a byte of 0x80 or above inside a string.  A
 * valid sequence is copied; otherwise its maximal invalid subpart (the
 * lead byte and the continuation bytes that fit it) becomes one U+FFFD,
 * and reading resumes at the first byte that did not fit.
 */
static inline ApJsonError
copy_utf8(JsonReader *r)
{
	unsigned char b = r->in[r->pos];
	unsigned char lo = 0x80;
	unsigned char hi = 0xBF;
	size_t		n;
	size_t		i;

	/* The lead byte gives the length and the range of the second byte */
	if (b >= 0xC2 && b <= 0xDF)
		n = 2;
	else if (b >= 0xE0 && b <= 0xEF)
	{
		n = 3;
		lo = (b == 0xE0) ? 0xA0 : 0x80;		/* no overlong forms */
		hi = (b == 0xED) ? 0x9F : 0xBF;		/* no surrogates */
	}
	else if (b >= 0xF0 && b <= 0xF4)
	{
		n = 4;
		lo = (b == 0xF0) ? 0x90 : 0x80;		/* no overlong forms */
		hi = (b == 0xF4) ? 0x8F : 0xBF;		/* not past U+10FFFF */
	}
	else
	{
		/* A continuation byte alone, C0, C1 or F5 to FF */
		put_replacement(r);
		r->pos++;
		return AP_JSON_OK;
	}

	/* Continuation bytes; the first misfit ends the subpart */
	for (i = 1; i < n; i++)
	{
		unsigned char c;

		if (r->pos + i >= r->len)
			return fail(r, AP_JSON_TRUNCATED, r->len);
		c = r->in[r->pos + i];
		if (c < lo || c > hi)
		{
			put_replacement(r);
			r->pos += i;
			return AP_JSON_OK;
		}
		lo = 0x80;
		hi = 0xBF;
	}
	put_bytes(r, r->in + r->pos, n);
	r->pos += n;
	return AP_JSON_OK;
}

/*
 * copy_string: r->pos is at the opening '"'.  Copies the string through
 * its closing '"', repairing as it goes.  Runs of plain ASCII, the common
 * case, are found by a tight scan and copied at once.
 */
static ApJsonError
copy_string(JsonReader *r)
{
	const unsigned char *in = r->in;
	size_t		len = r->len;

	put_bytes(r, "\"", 1);
	r->pos++;
	for (;;)
	{
		size_t		run = r->pos;
		unsigned char c;
		ApJsonError err = AP_JSON_OK;

		/* Plain ASCII up to the next byte that needs a look */
		while (r->pos < len && in[r->pos] >= 0x20 && in[r->pos] < 0x80 &&
			   in[r->pos] != '"' && in[r->pos] != '\\')
			r->pos++;
		put_bytes(r, in + run, r->pos - run);
		if (r->pos >= len)
			return fail(r, AP_JSON_TRUNCATED, len);

		/* The end of the string, an escape, a control byte, or UTF-8 */
		c = in[r->pos];
		if (c == '"')
		{
			put_bytes(r, "\"", 1);
			r->pos++;
			return AP_JSON_OK;
		}
		if (c == '\\')
			err = copy_escape(r);
		else if (c < 0x20)
			copy_control(r);
		else
			err = copy_utf8(r);
		if (err != AP_JSON_OK)
			return err;
	}
}

/*
 * copy_number: r->pos is at '-' or a digit.  Checks the RFC 8259 number
 * grammar, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, and copies the
 * number as written.  A digit after a leading zero is a syntax error.
 */
static ApJsonError
copy_number(JsonReader *r)
{
	const unsigned char *in = r->in;
	size_t		len = r->len;
	size_t		p = r->pos;

	/* Sign and integer part */
	if (in[p] == '-')
		p++;
	if (p >= len)
		return fail(r, AP_JSON_TRUNCATED, len);
	if (in[p] == '0')
	{
		p++;
		if (p < len && is_digit(in[p]))
			return fail(r, AP_JSON_SYNTAX, p);
	}
	else if (is_digit(in[p]))
	{
		while (p < len && is_digit(in[p]))
			p++;
	}
	else
		return fail(r, AP_JSON_SYNTAX, p);

	/* Fraction: '.' and at least one digit */
	if (p < len && in[p] == '.')
	{
		if (++p >= len)
			return fail(r, AP_JSON_TRUNCATED, len);
		if (!is_digit(in[p]))
			return fail(r, AP_JSON_SYNTAX, p);
		while (p < len && is_digit(in[p]))
			p++;
	}

	/* Exponent: 'e', an optional sign and at least one digit */
	if (p < len && (in[p] == 'e' || in[p] == 'E'))
	{
		if (++p < len && (in[p] == '+' || in[p] == '-'))
			p++;
		if (p >= len)
			return fail(r, AP_JSON_TRUNCATED, len);
		if (!is_digit(in[p]))
			return fail(r, AP_JSON_SYNTAX, p);
		while (p < len && is_digit(in[p]))
			p++;
	}

	put_bytes(r, in + r->pos, p - r->pos);
	r->pos = p;
	return AP_JSON_OK;
}

/*
 * copy_literal: r->pos is at the first letter of true, false or null;
 * word is the literal that letter starts.  Checks and copies it.
 */
static ApJsonError
copy_literal(JsonReader *r, const char *word)
{
	size_t		n = strlen(word);
	size_t		i;

	for (i = 0; i < n; i++)
	{
		if (r->pos + i >= r->len)
			return fail(r, AP_JSON_TRUNCATED, r->len);
		if (r->in[r->pos + i] != (unsigned char) word[i])
			return fail(r, AP_JSON_SYNTAX, r->pos + i);
	}
	put_bytes(r, word, n);
	r->pos += n;
	return AP_JSON_OK;
}

/*
 * copy_scalar: r->pos is at the first byte of a value that is not an
 * array or an object.  Copies it, or fails.
 */
static ApJsonError
copy_scalar(JsonReader *r)
{
	unsigned char c = r->in[r->pos];

	if (c == '"')
		return copy_string(r);
	if (c == '-' || is_digit(c))
		return copy_number(r);
	if (c == 't')
		return copy_literal(r, "true");
	if (c == 'f')
		return copy_literal(r, "false");
	if (c == 'n')
		return copy_literal(r, "null");
	return fail(r, AP_JSON_SYNTAX, r->pos);
}

/*
 * set_level_kind: record in the bit stack whether the container opened at
 * level depth (counted from 0) is an object.
 */
static inline void
set_level_kind(unsigned char *stack, int depth, bool is_object)
{
	unsigned char bit = (unsigned char) (1 << (depth % 8));

	if (is_object)
		stack[depth / 8] |= bit;
	else
		stack[depth / 8] &= (unsigned char) ~bit;
}

/* level_is_object: true when level depth (from 0) is an object */
static inline bool
level_is_object(const unsigned char *stack, int depth)
{
	return (stack[depth / 8] & (1 << (depth % 8))) != 0;
}

/*
 * may_close: true when byte c closes the innermost container here: ']'
 * right after '[' or after an array element, '}' right after '{' or after
 * an object member.
 */
static inline bool
may_close(unsigned char c, JsonState state, int depth, bool top_is_object)
{
	if (c == ']')
		return state == JS_ARRAY_FIRST ||
			(state == JS_AFTER && depth > 0 && !top_is_object);
	if (c == '}')
		return state == JS_OBJECT_FIRST ||
			(state == JS_AFTER && depth > 0 && top_is_object);
	return false;
}

/*
 * run_reader: the main loop.  stack holds one bit per open container, set
 * for an object; max_depth is at most JSON_DEPTH_CAP.
 */
static ApJsonError
run_reader(JsonReader *r, int max_depth, unsigned char *stack)
{
	const unsigned char *in = r->in;
	size_t		len = r->len;
	JsonState	state = JS_VALUE;
	int			depth = 0;
	ApJsonError err;

	for (;;)
	{
		unsigned char c;
		bool		top_is_object;

		/* White space between tokens is copied as it is */
		while (r->pos < len && is_json_space(in[r->pos]))
			r->out[r->out_len++] = in[r->pos++];
		if (r->pos >= len)
		{
			if (state == JS_AFTER && depth == 0)
				return AP_JSON_OK;
			if (state == JS_VALUE && depth == 0)
				return fail(r, AP_JSON_EMPTY, len);
			return fail(r, AP_JSON_TRUNCATED, len);
		}
		c = in[r->pos];
		top_is_object = depth > 0 && level_is_object(stack, depth - 1);

		/* A closing bracket, where the state allows it */
		if (may_close(c, state, depth, top_is_object))
		{
			r->out[r->out_len++] = in[r->pos++];
			depth--;
			state = JS_AFTER;
			continue;
		}

		switch (state)
		{
			case JS_VALUE:
			case JS_ARRAY_FIRST:
				/* An array or object opens a level; a scalar is copied */
				if (c == '[' || c == '{')
				{
					if (depth >= max_depth)
						return fail(r, AP_JSON_TOO_DEEP, r->pos);
					set_level_kind(stack, depth, c == '{');
					depth++;
					r->out[r->out_len++] = in[r->pos++];
					state = (c == '{') ? JS_OBJECT_FIRST : JS_ARRAY_FIRST;
					break;
				}
				err = copy_scalar(r);
				if (err != AP_JSON_OK)
					return err;
				state = JS_AFTER;
				break;

			case JS_OBJECT_FIRST:
			case JS_KEY:
				/* A key is a string */
				if (c != '"')
					return fail(r, AP_JSON_SYNTAX, r->pos);
				err = copy_string(r);
				if (err != AP_JSON_OK)
					return err;
				state = JS_COLON;
				break;

			case JS_COLON:
				if (c != ':')
					return fail(r, AP_JSON_SYNTAX, r->pos);
				r->out[r->out_len++] = in[r->pos++];
				state = JS_VALUE;
				break;

			case JS_AFTER:
				/* Only a ',' can continue; at the top, nothing can */
				if (depth == 0)
					return fail(r, AP_JSON_TRAILING, r->pos);
				if (c != ',')
					return fail(r, AP_JSON_SYNTAX, r->pos);
				r->out[r->out_len++] = in[r->pos++];
				state = top_is_object ? JS_KEY : JS_VALUE;
				break;
		}
	}
}

/*
 * ap_json_repair: see json_repair.h and the top of this file.  A leading
 * byte order mark is skipped without counting as a repair.
 */
void
ap_json_repair(const char *in, size_t len, char *out, int max_depth,
			   ApJsonRepair *result)
{
	unsigned char stack[JSON_DEPTH_CAP / 8];
	JsonReader	r;
	ApJsonError err;

	/* Set up, skipping a byte order mark */
	r.in = (const unsigned char *) in;
	r.len = len;
	r.pos = 0;
	r.out = (unsigned char *) out;
	r.out_len = 0;
	r.replaced = 0;
	r.error_offset = 0;
	if (len >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0)
		r.pos = 3;

	/* Clamp the depth limit to what the bit stack can hold */
	if (max_depth < 0)
		max_depth = 0;
	if (max_depth > JSON_DEPTH_CAP)
		max_depth = JSON_DEPTH_CAP;
	err = run_reader(&r, max_depth, stack);

	/* Report; an error leaves an empty output */
	result->error = err;
	result->error_offset = (err == AP_JSON_OK) ? 0 : r.error_offset;
	result->replaced = (err == AP_JSON_OK) ? r.replaced : 0;
	result->out_len = (err == AP_JSON_OK) ? r.out_len : 0;
	out[result->out_len] = '\0';
}

/* ap_json_error_text: see json_repair.h */
const char *
ap_json_error_text(ApJsonError error)
{
	switch (error)
	{
		case AP_JSON_OK:
			return "valid JSON";
		case AP_JSON_EMPTY:
			return "body is empty";
		case AP_JSON_SYNTAX:
			return "invalid JSON syntax";
		case AP_JSON_TRUNCATED:
			return "body ends inside a value";
		case AP_JSON_TRAILING:
			return "unexpected data after the JSON value";
		case AP_JSON_TOO_DEEP:
			return "JSON nested too deeply";
	}
	return "unknown JSON error";
}
