/*-------------------------------------------------------------------------
 *
 * fuzz_canonical_url.c
 *	  libFuzzer harness for the canonical page URL of canonical_url.h.
 *
 * The input is one URL.  ap_canonical_url writes into a block of exactly
 * AP_CANONICAL_URL_BOUND(len) bytes, so that AddressSanitizer catches a
 * write past the bound.  It must refuse exactly what ap_parse_url
 * refuses, and otherwise give what a reference written here from the
 * header builds from ap_parse_url's parts: the scheme and host
 * lowercased, the port unless it is the default, and the path with every
 * dynamic segment (slugs excepted) replaced by ":id" and no trailing
 * slash but the root's;
 * no query, fragment or userinfo.  The canonical form must be its own
 * canonical form.  The whole input is also classified as one path
 * segment, by ap_is_dynamic_segment and by the reference's rule.
 *
 * fuzz/fuzz_canonical_url.c
 *
 *-------------------------------------------------------------------------
 */
#include "canonical_url.h"
#include "fuzz_common.h"
#include "parse_url.h"

/* is_hex_digit: hex digits, any case */
static bool
is_hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		(c >= 'A' && c <= 'F');
}

/* is_letter: ASCII letters */
static bool
is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * ref_is_uuid: 36 bytes, hex digits in groups of 8, 4, 4, 4 and 12
 * joined by '-'.
 */
static bool
ref_is_uuid(const char *s, size_t len)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t		i;

	if (len != sizeof(shape) - 1)
		return false;
	for (i = 0; i < len; i++)
		if (shape[i] == '-' ? s[i] != '-' : !is_hex_digit(s[i]))
			return false;
	return true;
}

/*
 * ref_is_slug: words joined by '-' or '_'.  The header gives only
 * examples; canonical_url.c says what a word is: a part between
 * separators that is all letters, all digits, or at most three bytes
 * long.
 */
static bool
ref_is_slug(const char *s, size_t len)
{
	size_t		part = 0;		/* where the current part starts */
	size_t		i;

	for (i = 0; i <= len; i++)
	{
		size_t		j;
		size_t		nletters = 0;

		if (i < len && s[i] != '-' && s[i] != '_')
			continue;

		/* s[part..i) is one part */
		for (j = part; j < i; j++)
			nletters += is_letter(s[j]);
		if (i - part > 3 && nletters != 0 && nletters != i - part)
			return false;
		part = i + 1;
	}
	return true;
}

/*
 * ref_dynamic: the header's rule for one segment s[0..len): all digits,
 * a UUID, 12 or more hex digits with a digit among them, or 16 or more
 * letters, digits, '_' and '-' with at least one letter and one digit
 * that is not a slug.
 */
static bool
ref_dynamic(const char *s, size_t len)
{
	bool		all_digits = len > 0;
	bool		all_hex = len > 0;
	bool		all_token = len > 0;
	bool		any_digit = false;
	bool		any_letter = false;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		bool		digit = s[i] >= '0' && s[i] <= '9';

		all_digits &= digit;
		all_hex &= is_hex_digit(s[i]);
		all_token &= digit || is_letter(s[i]) || s[i] == '_' || s[i] == '-';
		any_digit |= digit;
		any_letter |= is_letter(s[i]);
	}
	return all_digits || ref_is_uuid(s, len) ||
		(all_hex && len >= 12 && any_digit) ||
		(all_token && len >= 16 && any_digit && any_letter &&
		 !ref_is_slug(s, len));
}

/* append: copy s[0..n) to buf at *at, ASCII lowercased when lower */
static void
append(char *buf, size_t *at, const char *s, size_t n, bool lower)
{
	size_t		i;

	for (i = 0; i < n; i++)
		buf[(*at)++] = (lower && s[i] >= 'A' && s[i] <= 'Z') ?
			(char) (s[i] - 'A' + 'a') : s[i];
}

/*
 * ref_canonical: the canonical form of a URL split into *url, built in
 * buf (large enough), and its length.
 */
static size_t
ref_canonical(const ApUrl *url, char *buf)
{
	size_t		at = 0;
	size_t		path_at;
	size_t		seg;

	/* scheme://host[:port] */
	append(buf, &at, url->scheme.start, url->scheme.len, true);
	append(buf, &at, "://", 3, false);
	append(buf, &at, url->host.start, url->host.len, true);
	if (url->port.start != NULL && !url->port_is_default)
	{
		append(buf, &at, ":", 1, false);
		append(buf, &at, url->port.start, url->port.len, false);
	}

	/* Each segment after a '/', collapsed when dynamic */
	path_at = at;
	for (seg = 1; url->path.start != NULL && seg <= url->path.len;)
	{
		const char *p = url->path.start + seg;
		size_t		n = 0;

		while (seg + n < url->path.len && p[n] != '/')
			n++;
		append(buf, &at, "/", 1, false);
		if (ref_dynamic(p, n))
			append(buf, &at, ":id", 3, false);
		else
			append(buf, &at, p, n, false);
		seg += n + 1;
	}

	/* At least the root; no trailing slash otherwise */
	if (at == path_at)
		append(buf, &at, "/", 1, false);
	while (at - path_at > 1 && buf[at - 1] == '/')
		at--;
	return at;
}

/*
 * canonical_exact: ap_canonical_url on an exact-size copy of s[0..len)
 * into an exact-size output block, which it returns (NULL when refused);
 * the caller frees it.
 */
static char *
canonical_exact(const char *s, size_t len, size_t *out_len)
{
	char	   *copy = fuzz_dup_exact(s, len);
	char	   *out = fuzz_alloc_exact(AP_CANONICAL_URL_BOUND(len));
	bool		ok = ap_canonical_url(copy, len, out, out_len);

	free(copy);
	if (ok)
	{
		FUZZ_CHECK(*out_len < AP_CANONICAL_URL_BOUND(len));
		FUZZ_CHECK(out[*out_len] == '\0');
		return out;
	}
	free(out);
	return NULL;
}

/*
 * check_canonical: the canonical form of a URL of len bytes, which
 * ap_parse_url split into *url, is the reference's and is its own
 * canonical form.
 */
static void
check_canonical(size_t len, const ApUrl *url, const char *out,
				size_t out_len)
{
	char	   *ref = fuzz_alloc_exact(AP_CANONICAL_URL_BOUND(len));
	size_t		ref_len = ref_canonical(url, ref);
	char	   *again;
	size_t		again_len = 0;

	/* The reference's form, with nothing of query or fragment */
	FUZZ_CHECK(ref_len == out_len && memcmp(ref, out, out_len) == 0);
	FUZZ_CHECK(memchr(out, '?', out_len) == NULL);
	FUZZ_CHECK(memchr(out, '#', out_len) == NULL);
	free(ref);

	/* A fixed point */
	again = canonical_exact(out, out_len, &again_len);
	FUZZ_CHECK(again != NULL);
	FUZZ_CHECK(again_len == out_len && memcmp(again, out, out_len) == 0);
	free(again);
}

/*
 * LLVMFuzzerTestOneInput: the input is one URL, and one path segment.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = fuzz_dup_exact(data, size);
	ApUrl		url;
	bool		parsed = ap_parse_url(s, size, &url);
	size_t		out_len = 0;
	char	   *out = canonical_exact(s, size, &out_len);

	/* Refused exactly when the URL parser refuses */
	FUZZ_CHECK(parsed == (out != NULL));
	if (out != NULL)
		check_canonical(size, &url, out, out_len);
	free(out);

	/* The segment rule */
	FUZZ_CHECK(ap_is_dynamic_segment(s, size) == ref_dynamic(s, size));
	free(s);
	return 0;
}
