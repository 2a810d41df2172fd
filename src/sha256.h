/*-------------------------------------------------------------------------
 *
 * sha256.h
 *	  SHA-256 digests for click fingerprints.
 *
 * src/sha256.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOPLAY_SHA256_H
#define AUTOPLAY_SHA256_H

#include "common/sha2.h"

extern void ap_sha256(const void *data, size_t len,
					  uint8 digest[PG_SHA256_DIGEST_LENGTH]);

#endif							/* AUTOPLAY_SHA256_H */
