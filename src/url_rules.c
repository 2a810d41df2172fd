/*-------------------------------------------------------------------------
 *
 * url_rules.c
 *	  User rules that override the canonical form of page URLs.
 *
 * autoplay.url_rules holds (pattern, replacement) pairs, POSIX regular
 * expressions in PostgreSQL's dialect.  At ingest, the first rule in
 * (priority, id) order whose pattern matches page_url gives page_canonical
 * as regexp_replace(page_url, pattern, replacement); without a match the
 * built-in canonical form is used.
 *
 * The rules are read once per backend and kept in TopMemoryContext.  A
 * statement trigger on the table (autoplay_url_rules_changed) sends a
 * relcache invalidation for it at commit, and the callback registered here
 * then marks the copy stale in every backend, so the next ingest call
 * reads the rules again.  DDL on the table invalidates it the same way.
 * Compiled patterns are cached by PostgreSQL's regex cache.
 *
 * src/url_rules.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "url_rules.h"

typedef struct ApUrlRule
{
	text	   *pattern;
	text	   *replacement;
} ApUrlRule;

static ApUrlRule *rules = NULL;
static int	rule_count = 0;
static bool rules_valid = false;
static bool callback_registered = false;
static Oid	rules_relid = InvalidOid;

PG_FUNCTION_INFO_V1(autoplay_url_rules_changed);

static void invalidate_rules(Datum arg, Oid relid);
static void read_rules(void);

/*
 * invalidate_rules: relcache callback; the rules table changed, or
 * everything did.
 */
static void
invalidate_rules(Datum arg pg_attribute_unused(), Oid relid)
{
	if (relid == InvalidOid || relid == rules_relid)
		rules_valid = false;
}

/*
 * read_rules: read the table into new arrays in TopMemoryContext and swap
 * them in.  Must be called inside SPI.
 */
static void
read_rules(void)
{
	ApUrlRule  *fresh = NULL;
	int			count;
	int			i;
	int			rc;

	rules_relid = get_relname_relid("url_rules",
									get_namespace_oid("autoplay", false));
	rc = SPI_execute("SELECT pattern, replacement FROM autoplay.url_rules"
					 " ORDER BY priority, id", true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read autoplay.url_rules: %s",
			 SPI_result_code_string(rc));

	/* Copy the rows where they outlive the call */
	count = (int) SPI_processed;
	if (count > 0)
		fresh = MemoryContextAlloc(TopMemoryContext,
								   sizeof(ApUrlRule) * count);
	for (i = 0; i < count; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		MemoryContext oldcxt = MemoryContextSwitchTo(TopMemoryContext);
		bool		isnull;

		fresh[i].pattern = DatumGetTextPCopy(SPI_getbinval(tup, desc, 1,
														   &isnull));
		fresh[i].replacement = DatumGetTextPCopy(SPI_getbinval(tup, desc, 2,
															   &isnull));
		MemoryContextSwitchTo(oldcxt);
	}
	SPI_freetuptable(SPI_tuptable);

	/* Swap, then free the old copy */
	for (i = 0; i < rule_count; i++)
	{
		pfree(rules[i].pattern);
		pfree(rules[i].replacement);
	}
	if (rules != NULL)
		pfree(rules);
	rules = fresh;
	rule_count = count;
}

/*
 * ap_url_rules_load: make sure the rules are current.  Must be called
 * inside SPI (after SPI_connect); cheap when nothing changed.
 */
void
ap_url_rules_load(void)
{
	if (rules_valid)
		return;
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(invalidate_rules, (Datum) 0);
		callback_registered = true;
	}

	/*
	 * Mark the copy valid before reading, so that an invalidation that
	 * arrives while reading makes it stale again; an error leaves it stale.
	 */
	rules_valid = true;
	PG_TRY();
	{
		read_rules();
	}
	PG_CATCH();
	{
		rules_valid = false;
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * ap_url_rules_apply: the canonical form a rule gives url, or NULL when no
 * rule matches.  Patterns are matched with the C collation.
 */
text *
ap_url_rules_apply(text *url)
{
	int			i;

	for (i = 0; i < rule_count; i++)
	{
		if (!DatumGetBool(DirectFunctionCall2Coll(textregexeq, C_COLLATION_OID,
												  PointerGetDatum(url),
												  PointerGetDatum(rules[i].pattern))))
			continue;
		return DatumGetTextPP(DirectFunctionCall3Coll(textregexreplace_noopt,
													  C_COLLATION_OID,
													  PointerGetDatum(url),
													  PointerGetDatum(rules[i].pattern),
													  PointerGetDatum(rules[i].replacement)));
	}
	return NULL;
}

/*
 * autoplay_url_rules_changed() RETURNS trigger
 *
 * Statement trigger on autoplay.url_rules: tell every backend, at commit,
 * that its copy of the rules is stale.
 */
Datum
autoplay_url_rules_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("autoplay_url_rules_changed must be called as a trigger")));

	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}
