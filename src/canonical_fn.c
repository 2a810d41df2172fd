/*-------------------------------------------------------------------------
 *
 * canonical_fn.c
 *	  autoplay_canonical_url(text): the built-in canonical page URL in SQL.
 *
 * src/canonical_fn.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "canonical_url.h"

PG_FUNCTION_INFO_V1(autoplay_canonical_url);

/*
 * autoplay_canonical_url(text) RETURNS text
 *
 * The canonical form of a URL (see canonical_url.h), or NULL when it is
 * not an absolute URL.  Immutable: the user rules of autoplay.url_rules
 * apply at ingest only.
 */
Datum
autoplay_canonical_url(PG_FUNCTION_ARGS)
{
	text	   *url = PG_GETARG_TEXT_PP(0);
	size_t		len = VARSIZE_ANY_EXHDR(url);
	char	   *out = palloc(AP_CANONICAL_URL_BOUND(len));
	size_t		out_len;

	if (!ap_canonical_url(VARDATA_ANY(url), len, out, &out_len))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out, out_len));
}
