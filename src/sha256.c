/*-------------------------------------------------------------------------
 *
 * sha256.c
 *	  SHA-256 digests for click fingerprints, through OpenSSL.
 *
 * Every stored click takes one digest of a few hundred bytes, so the cost
 * of setting a digest up matters as much as hashing itself.  PostgreSQL's
 * pg_cryptohash asks OpenSSL for the algorithm by name at every
 * initialization, which takes locks and costs about twice the hashing.
 * Here the algorithm is fetched once per backend and one digest context is
 * kept for the backend's life: a digest then costs its hashing, done with
 * the CPU's SHA instructions where it has them.
 *
 * src/sha256.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include "sha256.h"

/* Fetched on first use, kept for the backend's life */
static EVP_MD *sha256_md = NULL;
static EVP_MD_CTX *sha256_ctx = NULL;

static void sha256_failed(const char *what) pg_attribute_noreturn();

/*
 * ap_sha256: the SHA-256 digest of data[0..len).
 */
void
ap_sha256(const void *data, size_t len, uint8 digest[PG_SHA256_DIGEST_LENGTH])
{
	unsigned int digest_len;

	if (sha256_md == NULL)
	{
		sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
		if (sha256_md == NULL)
			sha256_failed("could not load SHA-256");
	}
	if (sha256_ctx == NULL)
	{
		sha256_ctx = EVP_MD_CTX_new();
		if (sha256_ctx == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
	}
	if (EVP_DigestInit_ex2(sha256_ctx, sha256_md, NULL) != 1 ||
		EVP_DigestUpdate(sha256_ctx, data, len) != 1 ||
		EVP_DigestFinal_ex(sha256_ctx, digest, &digest_len) != 1)
		sha256_failed("could not compute a SHA-256 digest");
	Assert(digest_len == PG_SHA256_DIGEST_LENGTH);
}

/*
 * sha256_failed: report an OpenSSL failure with OpenSSL's reason.
 */
static void
sha256_failed(const char *what)
{
	unsigned long code = ERR_get_error();
	const char *reason = code != 0 ? ERR_reason_error_string(code) : NULL;

	ERR_clear_error();
	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("%s", what),
			 reason != NULL ? errdetail("OpenSSL: %s.", reason) : 0));
}
