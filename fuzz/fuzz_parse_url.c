/*-------------------------------------------------------------------------
 *
 * fuzz_parse_url.c
 *	  libFuzzer harness for the page URL splitter of parse_url.h.
 *
 * The input is one URL.  When ap_parse_url accepts it, the harness walks
 * the input from left to right along the spans it returned and checks
 * that they tile it: scheme, "://", optional userinfo ending in '@', a
 * non-empty host, ':' and the port, path, '?' and the query, '#' and the
 * fragment, and nothing left over.  So every span lies within the input,
 * the spans come in order, and each holds only what its part may hold.
 * Whatever the header says must be refused (a space, a control byte or a
 * backslash anywhere) must be.
 *
 * fuzz/fuzz_parse_url.c
 *
 *-------------------------------------------------------------------------
 */
#include "fuzz_common.h"
#include "parse_url.h"

/* is_scheme_byte: the bytes after a scheme's first letter */
static bool
is_scheme_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

/* is_ip_literal_byte: hex digits, ':' and '.' */
static bool
is_ip_literal_byte(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		(c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

/* has_any: true when s[0..len) holds any byte of set */
static bool
has_any(const char *s, size_t len, const char *set)
{
	size_t		i;

	for (i = 0; i < len; i++)
		if (strchr(set, s[i]) != NULL && s[i] != '\0')
			return true;
	return false;
}

/*
 * has_forbidden: true when s[0..len) holds a byte the header refuses:
 * a space, a control byte (below 0x20, or 0x7F) or a backslash.
 */
static bool
has_forbidden(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c <= 0x20 || c == 0x7F || c == '\\')
			return true;
	}
	return false;
}

/*
 * check_span: *span is absent (NULL, length 0) or lies within s[0..len);
 * returns its offset, or len when absent.
 */
static size_t
check_span(const ApSpan *span, const char *s, size_t len)
{
	uintptr_t	base = (uintptr_t) s;
	uintptr_t	start = (uintptr_t) span->start;

	if (span->start == NULL)
	{
		FUZZ_CHECK(span->len == 0);
		return len;
	}
	FUZZ_CHECK(start >= base && start - base <= len);
	FUZZ_CHECK(span->len <= len - (start - base));
	return (size_t) (start - base);
}

/*
 * ref_port_is_default: a written port of 80 under http or ws, or of 443
 * under https or wss, scheme in any letter case.
 */
static bool
ref_port_is_default(const ApUrl *url)
{
	char		scheme[8] = {0};
	long		port = 0;
	size_t		i;

	if (url->port.start == NULL || url->scheme.len >= sizeof(scheme))
		return false;
	for (i = 0; i < url->port.len; i++)
		port = port * 10 + (url->port.start[i] - '0');
	for (i = 0; i < url->scheme.len; i++)
		scheme[i] = (char) (url->scheme.start[i] | 0x20);
	if (strcmp(scheme, "http") == 0 || strcmp(scheme, "ws") == 0)
		return port == 80;
	if (strcmp(scheme, "https") == 0 || strcmp(scheme, "wss") == 0)
		return port == 443;
	return false;
}

/*
 * check_host: the host span is non-empty; an IP literal is a bracketed,
 * non-empty run of hex digits, ':' and '.', and any other host holds no
 * bracket, ':' or '@'.
 */
static void
check_host(const ApSpan *host)
{
	const char *h = host->start;
	size_t		n = host->len;
	size_t		i;

	FUZZ_CHECK(h != NULL && n > 0);
	FUZZ_CHECK(!has_any(h, n, "/?#@"));
	if (h[0] != '[')
	{
		FUZZ_CHECK(!has_any(h, n, "[]:"));
		return;
	}
	FUZZ_CHECK(n >= 3 && h[n - 1] == ']');
	for (i = 1; i < n - 1; i++)
		FUZZ_CHECK(is_ip_literal_byte(h[i]));
}

/*
 * check_port: a written port is 1 to 5 digits up to 65535.
 */
static void
check_port(const ApSpan *port)
{
	long		value = 0;
	size_t		i;

	FUZZ_CHECK(port->len >= 1 && port->len <= 5);
	for (i = 0; i < port->len; i++)
	{
		FUZZ_CHECK(port->start[i] >= '0' && port->start[i] <= '9');
		value = value * 10 + (port->start[i] - '0');
	}
	FUZZ_CHECK(value <= 65535);
}

/*
 * check_scheme_and_host: the URL starts with its scheme and "://", then
 * optional userinfo that ends in '@', then the host and optional port.
 * Returns the offset just after them.
 */
static size_t
check_scheme_and_host(const char *s, size_t len, const ApUrl *url)
{
	size_t		pos;
	size_t		host_at;
	size_t		i;

	/* scheme "://" */
	FUZZ_CHECK(check_span(&url->scheme, s, len) == 0);
	FUZZ_CHECK(url->scheme.len >= 1 && url->scheme.len + 3 <= len);
	FUZZ_CHECK((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z');
	for (i = 0; i < url->scheme.len; i++)
		FUZZ_CHECK(is_scheme_byte(s[i]));
	FUZZ_CHECK(memcmp(s + url->scheme.len, "://", 3) == 0);
	pos = url->scheme.len + 3;

	/* Userinfo, up to an '@', within the authority */
	host_at = check_span(&url->host, s, len);
	FUZZ_CHECK(host_at >= pos && host_at < len);
	FUZZ_CHECK(!has_any(s + pos, host_at - pos, "/?#"));
	if (host_at > pos)
		FUZZ_CHECK(s[host_at - 1] == '@');
	check_host(&url->host);
	pos = host_at + url->host.len;

	/* ':' and the port, or a bare ':' that counts as no port */
	if (url->port.start != NULL)
	{
		FUZZ_CHECK(pos < len && s[pos] == ':');
		FUZZ_CHECK(check_span(&url->port, s, len) == pos + 1);
		check_port(&url->port);
		pos += 1 + url->port.len;
	}
	else if (pos < len && s[pos] == ':')
		pos++;
	FUZZ_CHECK(url->port_is_default == ref_port_is_default(url));
	return pos;
}

/*
 * check_tail: from pos, the path, '?' and the query, '#' and the
 * fragment follow one another to the very end of s[0..len).
 */
static void
check_tail(const char *s, size_t len, size_t pos, const ApUrl *url)
{
	/* The path starts with '/' and runs to '?', '#' or the end */
	if (url->path.start != NULL)
	{
		FUZZ_CHECK(check_span(&url->path, s, len) == pos);
		FUZZ_CHECK(url->path.len > 0 && s[pos] == '/');
		FUZZ_CHECK(!has_any(url->path.start, url->path.len, "?#"));
		pos += url->path.len;
	}
	FUZZ_CHECK(pos == len || s[pos] == '?' || s[pos] == '#');

	/* '?' and the query, up to '#' or the end */
	if (url->query.start != NULL)
	{
		FUZZ_CHECK(pos < len && s[pos] == '?');
		FUZZ_CHECK(check_span(&url->query, s, len) == pos + 1);
		FUZZ_CHECK(!has_any(url->query.start, url->query.len, "#"));
		pos += 1 + url->query.len;
	}
	FUZZ_CHECK(pos == len || s[pos] == '#');

	/* '#' and the fragment, to the end */
	if (url->fragment.start != NULL)
	{
		FUZZ_CHECK(pos < len && s[pos] == '#');
		FUZZ_CHECK(check_span(&url->fragment, s, len) == pos + 1);
		pos += 1 + url->fragment.len;
	}
	FUZZ_CHECK(pos == len);
}

/*
 * LLVMFuzzerTestOneInput: the input is one URL.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = fuzz_dup_exact(data, size);
	ApUrl		url;

	memset(&url, 0, sizeof(url));
	if (ap_parse_url(s, size, &url))
	{
		FUZZ_CHECK(!has_forbidden(s, size));
		check_tail(s, size, check_scheme_and_host(s, size, &url), &url);
	}
	free(s);
	return 0;
}
