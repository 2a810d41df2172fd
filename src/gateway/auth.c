/*-------------------------------------------------------------------------
 *
 * auth.c
 *	  Bearer tokens and the CIDR allow-list.
 *
 * Tokens are stored zero-padded to GW_TOKEN_MAX bytes, and a presented
 * token is compared with every accepted one over that full width, so the
 * time taken does not depend on where a guess first differs nor on which
 * token matched.  No message names a token; a bad line in the token file
 * is reported by its number.
 *
 * The token set is replaced whole on reload: readers hold the read lock
 * only while comparing.
 *
 * src/gateway/auth.c
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE				/* getline, explicit_bzero */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "log.h"

/* One accepted token, zero-padded */
typedef struct GwToken
{
	size_t		len;
	unsigned char bytes[GW_TOKEN_MAX];
} GwToken;

/* The accepted tokens at one moment */
typedef struct GwTokenSet
{
	int			count;
	GwToken    *tokens;
} GwTokenSet;

/* One allow-list entry: a network and its prefix length */
typedef struct GwCidr
{
	int			family;			/* AF_INET or AF_INET6 */
	unsigned char net[16];		/* network bytes, host bits zero */
	int			bits;			/* prefix length */
} GwCidr;

static const GwConfig *auth_cfg;
static pthread_rwlock_t token_lock = PTHREAD_RWLOCK_INITIALIZER;
static GwTokenSet current_tokens;
static GwCidr *allow_list;
static int	allow_count;

/*
 * add_token: append text[0..len) to set.  Returns false, after a message
 * that names where (never what), for an empty, too long or unprintable
 * token.
 */
static bool
add_token(GwTokenSet *set, const char *text, size_t len, const char *where)
{
	GwToken    *grown;
	size_t		i;

	/* Printable ASCII without blanks, as RFC 6750 allows, and not too long */
	if (len > GW_TOKEN_MAX)
	{
		gw_log("invalid token in %s: longer than %d bytes", where,
			   GW_TOKEN_MAX);
		return false;
	}
	for (i = 0; i < len; i++)
		if (text[i] <= ' ' || text[i] > '~')
		{
			gw_log("invalid token in %s: only printable ASCII without "
				   "spaces is allowed", where);
			return false;
		}

	/* Append, zero-padded */
	grown = realloc(set->tokens, (set->count + 1) * sizeof(GwToken));
	if (grown == NULL)
	{
		gw_log("out of memory");
		return false;
	}
	set->tokens = grown;
	memset(&set->tokens[set->count], 0, sizeof(GwToken));
	memcpy(set->tokens[set->count].bytes, text, len);
	set->tokens[set->count].len = len;
	set->count++;
	return true;
}

/*
 * free_tokens: wipe and free a token set, leaving it empty.
 */
static void
free_tokens(GwTokenSet *set)
{
	if (set->tokens != NULL)
		explicit_bzero(set->tokens, set->count * sizeof(GwToken));
	free(set->tokens);
	set->tokens = NULL;
	set->count = 0;
}

/*
 * trim: return the part of s[0..*len) without leading and trailing blanks,
 * updating *len.
 */
static const char *
trim(const char *s, size_t *len)
{
	while (*len > 0 && (s[0] == ' ' || s[0] == '\t'))
		s++, (*len)--;
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t' ||
						s[*len - 1] == '\r' || s[*len - 1] == '\n'))
		(*len)--;
	return s;
}

/*
 * load_token_file: add the tokens of path, one a line, to set.  Blank
 * lines and lines starting with '#' are skipped.  Returns false after a
 * message when the file cannot be read or holds a bad token.
 */
static bool
load_token_file(const char *path, GwTokenSet *set)
{
	FILE	   *f;
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		n;
	int			lineno = 0;
	bool		ok = true;

	f = fopen(path, "r");
	if (f == NULL)
	{
		gw_log("could not open token file \"%s\": %s", path, strerror(errno));
		return false;
	}

	/* One token a line */
	while (ok && (n = getline(&line, &cap, f)) >= 0)
	{
		size_t		len = (size_t) n;
		const char *tok = trim(line, &len);
		char		where[64 + 1024];

		lineno++;
		if (len == 0 || tok[0] == '#')
			continue;
		snprintf(where, sizeof(where), "line %d of file \"%s\"", lineno, path);
		ok = add_token(set, tok, len, where);
	}

	/* A read error is not the same as the end of the file */
	if (ok && ferror(f))
	{
		gw_log("could not read token file \"%s\": %s", path, strerror(errno));
		ok = false;
	}
	if (line != NULL)
		explicit_bzero(line, cap);
	free(line);
	fclose(f);
	return ok;
}

/*
 * load_token_list: add the comma-separated tokens of text to set.
 */
static bool
load_token_list(const char *text, GwTokenSet *set)
{
	int			item = 0;

	while (text != NULL)
	{
		const char *comma = strchr(text, ',');
		size_t		len = comma ? (size_t) (comma - text) : strlen(text);
		const char *tok = trim(text, &len);
		char		where[64];

		item++;
		snprintf(where, sizeof(where), "item %d of AUTOPLAY_TOKEN", item);
		if (len > 0 && !add_token(set, tok, len, where))
			return false;
		text = comma ? comma + 1 : NULL;
	}
	return true;
}

/*
 * load_tokens: build a fresh set from the token file and AUTOPLAY_TOKEN.
 * On failure the set may hold some tokens; the caller frees it.
 */
static bool
load_tokens(GwTokenSet *set)
{
	if (auth_cfg->token_file != NULL &&
		!load_token_file(auth_cfg->token_file, set))
		return false;
	return load_token_list(auth_cfg->tokens, set);
}

/*
 * parse_cidr: read "a.b.c.d/n", "x:y::z/n" or a bare address (a host
 * route) into *out.  Returns NULL, or why the text is not one.
 */
static const char *
parse_cidr(const char *text, size_t len, GwCidr *out)
{
	char		buf[INET6_ADDRSTRLEN + 8];
	char	   *slash;
	int			max_bits;
	int			i;

	/* Split address and prefix length */
	if (len >= sizeof(buf))
		return "too long";
	memcpy(buf, text, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';

	/* The address, IPv4 first */
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	max_bits = 32;
	if (inet_pton(AF_INET, buf, out->net) != 1)
	{
		out->family = AF_INET6;
		max_bits = 128;
		if (inet_pton(AF_INET6, buf, out->net) != 1)
			return "not an IP address";
	}

	/* The prefix length: digits only, within the family's width */
	out->bits = max_bits;
	if (slash != NULL)
	{
		if (slash[0] == '\0' || strlen(slash) > 3 ||
			strspn(slash, "0123456789") != strlen(slash) ||
			atoi(slash) > max_bits)
			return "invalid prefix length";
		out->bits = atoi(slash);
	}

	/* No bits may be set past the prefix: that is usually a typo */
	for (i = out->bits; i < max_bits; i++)
		if (out->net[i / 8] & (0x80 >> (i % 8)))
			return "address has bits set past the prefix length";
	return NULL;
}

/*
 * parse_allow_list: fill allow_list from comma-separated text (NULL or
 * empty allows any address).  Returns false after a message on a bad
 * entry.
 */
static bool
parse_allow_list(const char *text)
{
	while (text != NULL)
	{
		const char *comma = strchr(text, ',');
		size_t		len = comma ? (size_t) (comma - text) : strlen(text);
		const char *item = trim(text, &len);
		const char *why;
		GwCidr	   *grown;

		text = comma ? comma + 1 : NULL;
		if (len == 0)
			continue;

		/* Grow the list, then parse into the new entry */
		grown = realloc(allow_list, (allow_count + 1) * sizeof(GwCidr));
		if (grown == NULL)
		{
			gw_log("out of memory");
			return false;
		}
		allow_list = grown;
		why = parse_cidr(item, len, &allow_list[allow_count]);
		if (why != NULL)
		{
			gw_log("invalid value \"%.*s\" in --allow: %s", (int) len, item,
				   why);
			return false;
		}
		allow_count++;
	}
	return true;
}

/*
 * gw_auth_init: load the tokens and the allow-list for cfg, which must
 * outlive this module.  Returns false after a message when the settings
 * cannot work: a bad token or CIDR, no token without --insecure-no-auth,
 * or tokens with it.
 */
bool
gw_auth_init(const GwConfig *cfg)
{
	auth_cfg = cfg;
	if (!parse_allow_list(cfg->allow) || !load_tokens(&current_tokens))
		return false;

	/* Without a token, refuse to start unless told to run open */
	if (current_tokens.count == 0 && !cfg->insecure_no_auth)
	{
		gw_log("no bearer token configured");
		gw_log("hint: Give --token-file or AUTOPLAY_TOKEN, or "
			   "--insecure-no-auth to accept requests without a token.");
		return false;
	}
	if (current_tokens.count > 0 && cfg->insecure_no_auth)
	{
		gw_log("--insecure-no-auth cannot be used together with tokens");
		return false;
	}
	return true;
}

/*
 * gw_auth_reload: re-read the token file and AUTOPLAY_TOKEN (on SIGHUP).
 * When the new set is unusable (unreadable, a bad line, or empty), the old
 * set stays in force and false is returned.
 */
bool
gw_auth_reload(void)
{
	GwTokenSet fresh = {0, NULL};
	GwTokenSet old;
	bool		ok;

	/* Build the new set aside; an empty one is refused too */
	ok = load_tokens(&fresh);
	if (ok && fresh.count == 0 && !auth_cfg->insecure_no_auth)
	{
		gw_log("could not reload tokens: no token left");
		ok = false;
	}
	if (!ok)
	{
		gw_log("keeping the %d tokens loaded before", gw_auth_token_count());
		free_tokens(&fresh);
		return false;
	}

	/* Swap it in; requests being checked finish with the old set first */
	pthread_rwlock_wrlock(&token_lock);
	old = current_tokens;
	current_tokens = fresh;
	pthread_rwlock_unlock(&token_lock);

	free_tokens(&old);
	gw_log("reloaded tokens: %d accepted", fresh.count);
	return true;
}

/*
 * gw_auth_shutdown: free the tokens and the allow-list.
 */
void
gw_auth_shutdown(void)
{
	free_tokens(&current_tokens);
	free(allow_list);
	allow_list = NULL;
	allow_count = 0;
}

/*
 * gw_auth_token_count: how many tokens are accepted now.
 */
int
gw_auth_token_count(void)
{
	int			n;

	pthread_rwlock_rdlock(&token_lock);
	n = current_tokens.count;
	pthread_rwlock_unlock(&token_lock);
	return n;
}

/*
 * token_equal: compare a zero-padded presented token with an accepted one
 * over all GW_TOKEN_MAX bytes, without an early exit.
 */
static bool
token_equal(const unsigned char *given, size_t given_len, const GwToken *want)
{
	volatile unsigned int diff = 0;
	size_t		i;

	for (i = 0; i < GW_TOKEN_MAX; i++)
		diff |= given[i] ^ want->bytes[i];
	diff |= (unsigned int) (given_len ^ want->len);
	return diff == 0;
}

/*
 * gw_auth_check_bearer: whether an Authorization header value (NULL when
 * absent) carries an accepted bearer token.  Always true with
 * --insecure-no-auth.
 */
bool
gw_auth_check_bearer(const char *authorization)
{
	unsigned char given[GW_TOKEN_MAX];
	const char *tok;
	size_t		len;
	bool		match = false;
	int			i;

	if (auth_cfg->insecure_no_auth)
		return true;

	/* "Bearer", case-insensitive, then blanks, then the token */
	if (authorization == NULL)
		return false;
	len = strlen(authorization);
	tok = trim(authorization, &len);
	if (len < 7 || strncasecmp(tok, "Bearer", 6) != 0 ||
		(tok[6] != ' ' && tok[6] != '\t'))
		return false;
	tok += 7, len -= 7;
	tok = trim(tok, &len);
	if (len == 0 || len > GW_TOKEN_MAX)
		return false;

	/* Compare with every accepted token; no early exit */
	memset(given, 0, sizeof(given));
	memcpy(given, tok, len);
	pthread_rwlock_rdlock(&token_lock);
	for (i = 0; i < current_tokens.count; i++)
		match |= token_equal(given, len, &current_tokens.tokens[i]);
	pthread_rwlock_unlock(&token_lock);
	explicit_bzero(given, sizeof(given));
	return match;
}

/*
 * prefix_match: whether the first bits bits of a and b agree.
 */
static bool
prefix_match(const unsigned char *a, const unsigned char *b, int bits)
{
	int			full = bits / 8;
	int			rest = bits % 8;
	unsigned char mask = (unsigned char) (0xff << (8 - rest));

	if (memcmp(a, b, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ b[full]) & mask) == 0;
}

/*
 * gw_auth_address_allowed: whether a client address is on the allow-list
 * (always, when the list is empty).  An IPv4 client seen through an IPv6
 * socket (::ffff:a.b.c.d) is matched as IPv4.
 */
bool
gw_auth_address_allowed(const struct sockaddr *addr)
{
	const unsigned char *bytes;
	int			family;
	int			i;

	if (allow_count == 0)
		return true;
	if (addr == NULL)
		return false;

	/* The address bytes, unwrapping IPv4-mapped IPv6 */
	if (addr->sa_family == AF_INET)
	{
		family = AF_INET;
		bytes = (const unsigned char *)
			&((const struct sockaddr_in *) addr)->sin_addr;
	}
	else if (addr->sa_family == AF_INET6)
	{
		const struct in6_addr *a6 =
			&((const struct sockaddr_in6 *) addr)->sin6_addr;

		family = IN6_IS_ADDR_V4MAPPED(a6) ? AF_INET : AF_INET6;
		bytes = a6->s6_addr + (family == AF_INET ? 12 : 0);
	}
	else
		return false;

	/* Any matching entry admits */
	for (i = 0; i < allow_count; i++)
		if (allow_list[i].family == family &&
			prefix_match(bytes, allow_list[i].net, allow_list[i].bits))
			return true;
	return false;
}
