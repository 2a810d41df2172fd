/*-------------------------------------------------------------------------
 *
 * json_repair.h
 *	  Check a raw request body as JSON and repair what jsonb refuses.
 *
 * PostgreSQL's jsonb refuses some bodies that carry real clicks: invalid
 * UTF-8, an escaped NUL (\u0000), unpaired surrogate escapes, raw control
 * characters inside strings.  This reader validates the JSON grammar of
 * RFC 8259 in one pass and writes a copy in which each such character is
 * replaced: invalid UTF-8 (each maximal invalid subpart, as the WHATWG
 * decoder does), raw NUL bytes, \u0000 and unpaired \uD800-\uDFFF escapes
 * become U+FFFD; other raw control characters inside strings become their
 * \u00XX escape.  A leading UTF-8 byte order mark is dropped.  Plain C, no
 * server dependencies.
 *
 * src/json_repair.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOPLAY_JSON_REPAIR_H
#define AUTOPLAY_JSON_REPAIR_H

#include <stddef.h>

/* Output never exceeds this many bytes for an input of len bytes */
#define AP_JSON_REPAIR_BOUND(len)	((len) * 6 + 1)

typedef enum ApJsonError
{
	AP_JSON_OK = 0,
	AP_JSON_EMPTY,				/* nothing but white space */
	AP_JSON_SYNTAX,				/* not JSON at error_offset */
	AP_JSON_TRUNCATED,			/* ended inside a value */
	AP_JSON_TRAILING,			/* more after the first value */
	AP_JSON_TOO_DEEP			/* arrays and objects nested past max_depth */
} ApJsonError;

typedef struct ApJsonRepair
{
	ApJsonError error;
	size_t		error_offset;	/* byte offset into the input */
	size_t		replaced;		/* characters replaced or escaped */
	size_t		out_len;		/* bytes written to out */
} ApJsonRepair;

/*
 * ap_json_repair: check in[0..len) and write its repaired copy to out,
 * which must hold AP_JSON_REPAIR_BOUND(len) bytes; the copy is
 * NUL-terminated (the terminator is not counted in out_len).  On an error
 * out holds an empty string.  Nesting deeper than max_depth arrays and
 * objects (at most 16384; larger values are lowered to it) is
 * AP_JSON_TOO_DEEP.  error_offset is the end of the input for EMPTY and
 * TRUNCATED, the first byte that cannot continue the text for SYNTAX, the
 * first byte after the value for TRAILING, and the bracket that goes too
 * deep for TOO_DEEP.
 */
extern void ap_json_repair(const char *in, size_t len, char *out,
						   int max_depth, ApJsonRepair *result);

/* ap_json_error_text: a short lowercase description of an error */
extern const char *ap_json_error_text(ApJsonError error);

#endif							/* AUTOPLAY_JSON_REPAIR_H */
