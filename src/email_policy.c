/*-------------------------------------------------------------------------
 *
 * email_policy.c
 *	  What is stored of user_email: the address, a keyed hash, or nothing.
 *
 * E-mail addresses are personal data.  With autoplay.email = hash, the
 * stored value is the lowercase hex HMAC-SHA-256 of the address, trimmed
 * of white space and lowercased, keyed with autoplay.email_key: the same
 * user always gets the same value, so analysts can still count users, but
 * without the key nobody can test a guessed address against it.
 *
 * src/email_policy.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hmac.h"
#include "common/sha2.h"
#include "parser/scansup.h"
#include "utils/builtins.h"

#include "autoplay.h"
#include "email_policy.h"

static text *hash_email(const char *email, int len);

/*
 * ap_email_to_store: the user_email value to store for email[0..len),
 * which is a non-empty address; NULL when autoplay.email is "drop".  The
 * result is palloc'd in the current memory context.  Raises an error when
 * hashing is asked for without a key: that is a configuration fault, not a
 * fault of the click, so the whole call fails and the sender retries later.
 */
text *
ap_email_to_store(const char *email, int len)
{
	switch ((ApEmailPolicy) autoplay_email_policy)
	{
		case AP_EMAIL_KEEP:
			return cstring_to_text_with_len(email, len);
		case AP_EMAIL_DROP:
			return NULL;
		case AP_EMAIL_HASH:
			return hash_email(email, len);
	}
	elog(ERROR, "unrecognized autoplay.email value %d", autoplay_email_policy);
	return NULL;				/* keep compiler quiet */
}

/*
 * hash_email: the hex HMAC-SHA-256 of the trimmed, lowercased address.
 */
static text *
hash_email(const char *email, int len)
{
	pg_hmac_ctx *hmac;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char		hex[PG_SHA256_DIGEST_LENGTH * 2];
	char	   *folded;
	int			start = 0;
	int			end = len;
	int			i;

	if (autoplay_email_key == NULL || autoplay_email_key[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("autoplay.email_key is not set"),
				 errhint("Set autoplay.email_key when autoplay.email is \"hash\".")));

	/* Trim ASCII white space and lowercase ASCII letters */
	while (start < end && scanner_isspace(email[start]))
		start++;
	while (end > start && scanner_isspace(email[end - 1]))
		end--;
	folded = palloc(end - start + 1);
	for (i = start; i < end; i++)
		folded[i - start] = pg_ascii_tolower((unsigned char) email[i]);

	/* Keyed digest */
	hmac = pg_hmac_create(PG_SHA256);
	if (hmac == NULL ||
		pg_hmac_init(hmac, (const uint8 *) autoplay_email_key,
					 strlen(autoplay_email_key)) < 0 ||
		pg_hmac_update(hmac, (const uint8 *) folded, end - start) < 0 ||
		pg_hmac_final(hmac, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute HMAC-SHA-256: %s",
			 hmac ? pg_hmac_error(hmac) : "out of memory");
	pg_hmac_free(hmac);

	hex_encode((const char *) digest, sizeof(digest), hex);
	return cstring_to_text_with_len(hex, sizeof(hex));
}
