/*-------------------------------------------------------------------------
 *
 * ingest.c
 *	  autoplay_ingest(jsonb) and autoplay_ingest_raw(bytea): store a webhook
 *	  body's clicks once, record everything else, and report per element.
 *
 * A body is one click object or an array of them.  Each element is
 * normalized (click.c) and then inserted as a click, found to be a
 * duplicate, or recorded in autoplay.rejects; one element's problem never
 * aborts the others or the caller's transaction, unless autoplay.strict
 * asks for the error instead.
 *
 * Clicks are inserted in batches of up to AP_BATCH_SIZE elements, one
 * INSERT per batch, so that the executor is set up once per batch rather
 * than once per row.  A batch's memory lives in a context that is reset
 * after each batch, so a large backfill array is ingested in memory
 * bounded by its own size and the result it returns.
 *
 * The result is
 *	{"accepted": n, "duplicates": n, "rejected": n, "tests": n,
 *	 "results": [{"status": "accepted", "id": 17}, ...]}
 * with one result per element, in order.
 *
 * src/ingest.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/async.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/resowner.h"

#include "autoplay.h"
#include "click.h"
#include "click_direct.h"
#include "click_partitions.h"
#include "click_store.h"
#include "json_repair.h"
#include "parse_session.h"
#include "url_rules.h"

/* Arrays and objects nested deeper than this make a body unreadable */
#define AP_MAX_BODY_DEPTH	64

/* Elements normalized before their clicks are inserted in one statement */
#define AP_BATCH_SIZE	1000

/*
 * An element's place in the results: its status once known, or, for a
 * click waiting for the batch INSERT, the index of its row.
 */
typedef struct ApSlot
{
	const char *status;			/* NULL while the click waits */
	int			row;			/* index into rows while waiting */
	ApProblem	problem;		/* for rejections and tests */
} ApSlot;

/* The state of one call, across its elements */
typedef struct ApIngest
{
	MemoryContext callercxt;	/* where the result is built */
	MemoryContext batchcxt;		/* reset after each batch */
	ApSlot	   *slots;			/* the batch's elements, in order */
	int			nslots;
	ApClickRow **rows;			/* the batch's clicks, in order */
	int			nrows;
	TimestampTz received_at;
	const char *body_note;		/* a note for every click, or NULL */
	int32		known_month;	/* last partition month checked */
	ApDirect   *direct;			/* for writing large batches directly */
	/* Sessions notified: the first, or "", then the others, or NULL */
	char		first_notified[AP_SESSION_KEY_MAX + 1];
	HTAB	   *notified;
	bool		direct_tried;	/* was the direct path set up (or refused)? */
	int64		accepted;
	int64		duplicates;
	int64		rejected;
	int64		tests;
	JsonbValue *results;		/* the results array's elements so far */
	int			nresults;
	int			maxresults;
} ApIngest;

PG_FUNCTION_INFO_V1(autoplay_ingest);
PG_FUNCTION_INFO_V1(autoplay_ingest_raw);

static Jsonb *ingest_body(Jsonb *body, const char *body_note);
static void ingest_element(ApIngest *st, const JsonbValue *element);
static void refuse_element(ApIngest *st, const JsonbValue *element,
						   int sqlstate, const char *message,
						   const char *detail);
static void record_problem(ApIngest *st, const char *status,
						   const ApProblem *problem, Jsonb *payload,
						   bytea *raw_body);
static void flush_batch(ApIngest *st);
static bool store_directly(ApIngest *st, int64 *ids, bool *inserted);
static void notify_session(ApIngest *st, Datum session_key);
static void push_result(ApIngest *st, const char *status, int64 id,
						const ApProblem *problem);
static void set_pair(JsonbPair *pair, const char *key, JsonbValue value);
static JsonbValue string_value(const char *s);
static JsonbValue int_value(int64 value);
static Jsonb *finish_result(ApIngest *st);
static void start_ingest(ApIngest *st, const char *body_note);
static Jsonb *parse_repaired(const char *text, ErrorData **error);
static char *describe_json_error(const ApJsonRepair *rep);

/*
 * autoplay_ingest(jsonb) RETURNS jsonb
 *
 * Ingest an already parsed body: PostgREST's POST /rpc/autoplay_ingest
 * lands here with the request body as the single unnamed argument.
 */
Datum
autoplay_ingest(PG_FUNCTION_ARGS)
{
	Jsonb	   *body = PG_GETARG_JSONB_P(0);

	PG_RETURN_JSONB_P(ingest_body(body, NULL));
}

/*
 * autoplay_ingest_raw(bytea) RETURNS jsonb
 *
 * Ingest the exact bytes of a request body.  Characters that jsonb refuses
 * but that do not make the body unreadable (invalid UTF-8, \u0000,
 * unpaired surrogates, raw control characters) are replaced first, and
 * every click of such a body carries a note saying so.  A body that is not
 * JSON at all is recorded in autoplay.rejects with its exact bytes.
 */
Datum
autoplay_ingest_raw(PG_FUNCTION_ARGS)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	size_t		len = VARSIZE_ANY_EXHDR(raw);
	char	   *repaired;
	ApJsonRepair rep;
	Jsonb	   *body;
	ErrorData  *error = NULL;
	ApIngest	st;
	ApProblem	problem = {0};

	/* Check the grammar and replace what jsonb cannot hold */
	repaired = MemoryContextAllocHuge(CurrentMemoryContext,
									  AP_JSON_REPAIR_BOUND(len));
	ap_json_repair(VARDATA_ANY(raw), len, repaired, AP_MAX_BODY_DEPTH, &rep);
	if (rep.error == AP_JSON_OK)
	{
		body = parse_repaired(repaired, &error);
		pfree(repaired);
		if (body != NULL)
			PG_RETURN_JSONB_P(ingest_body(body, rep.replaced == 0 ? NULL :
										  psprintf("body repaired: %zu character%s that jsonb refuses replaced by U+FFFD or escaped",
												   rep.replaced,
												   rep.replaced == 1 ? "" : "s")));
	}

	/* Not readable as JSON: keep the exact bytes and say why */
	problem.sqlstate = ERRCODE_INVALID_JSON_TEXT;
	problem.message = pstrdup("body is not valid JSON");
	problem.detail = error != NULL ?
		psprintf("jsonb cannot read it: %s.", error->message) :
		describe_json_error(&rep);
	if (autoplay_strict)
		ereport(ERROR,
				(errcode(problem.sqlstate),
				 errmsg("%s", problem.message),
				 errdetail_internal("%s", problem.detail)));

	start_ingest(&st, NULL);
	ap_store_begin();
	record_problem(&st, "rejected", &problem, NULL,
				   DatumGetByteaPCopy(PG_GETARG_DATUM(0)));
	ap_store_end();
	PG_RETURN_JSONB_P(finish_result(&st));
}

/*
 * parse_repaired: jsonb from text that ap_json_repair accepted.  The
 * grammar is known good, but jsonb can still refuse a number out of
 * numeric's range; that error is caught in a subtransaction and returned
 * in *error, with NULL as the result.
 */
static Jsonb *
parse_repaired(const char *text, ErrorData **error)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	Jsonb	   *volatile body = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		body = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
												  CStringGetDatum(text)));
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		*error = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return body;
}

/*
 * describe_json_error: a sentence saying where and why a body is not JSON.
 */
static char *
describe_json_error(const ApJsonRepair *rep)
{
	switch (rep->error)
	{
		case AP_JSON_OK:
			break;
		case AP_JSON_EMPTY:
			return pstrdup("The body is empty or only white space.");
		case AP_JSON_SYNTAX:
			return psprintf("Invalid JSON syntax at byte %zu.",
							rep->error_offset);
		case AP_JSON_TRUNCATED:
			return psprintf("The body ends inside a value at byte %zu.",
							rep->error_offset);
		case AP_JSON_TRAILING:
			return psprintf("Unexpected data after the JSON value at byte %zu.",
							rep->error_offset);
		case AP_JSON_TOO_DEEP:
			return psprintf("Arrays and objects are nested more than %d deep at byte %zu.",
							AP_MAX_BODY_DEPTH, rep->error_offset);
	}
	elog(ERROR, "unexpected JSON error %d", (int) rep->error);
	return NULL;				/* keep compiler quiet */
}

/*
 * ingest_body: ingest every element of a parsed body and build the result.
 * body_note, when not NULL, is copied onto every stored click.
 */
static Jsonb *
ingest_body(Jsonb *body, const char *body_note)
{
	ApIngest	st;
	JsonbValue	element;

	start_ingest(&st, body_note);
	ap_store_begin();
	ap_url_rules_load();

	if (JB_ROOT_IS_SCALAR(body))
	{
		/* A bare scalar: not a click, but kept */
		JsonbExtractScalar(&body->root, &element);
		ingest_element(&st, &element);
	}
	else if (JB_ROOT_IS_OBJECT(body))
	{
		element.type = jbvBinary;
		element.val.binary.data = &body->root;
		element.val.binary.len = VARSIZE(body) - VARHDRSZ;
		ingest_element(&st, &element);
	}
	else if (JB_ROOT_COUNT(body) == 0)
	{
		element.type = jbvBinary;
		element.val.binary.data = &body->root;
		element.val.binary.len = VARSIZE(body) - VARHDRSZ;
		refuse_element(&st, &element, ERRCODE_SQL_JSON_OBJECT_NOT_FOUND,
					   "array holds no clicks",
					   "A body is a click object or a non-empty array of them.");
	}
	else
	{
		/* A backfill: each element in turn, nested containers unopened */
		JsonbIterator *it = JsonbIteratorInit(&body->root);
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &element, true)) != WJB_DONE)
			if (tok == WJB_ELEM)
				ingest_element(&st, &element);
	}

	flush_batch(&st);
	if (st.direct != NULL)
		ap_direct_end(st.direct);
	if (st.duplicates > 0)
		ap_store_duplicates(st.received_at, st.duplicates);
	ap_store_end();
	return finish_result(&st);
}

/*
 * start_ingest: set up the state of one call in the current context.
 */
static void
start_ingest(ApIngest *st, const char *body_note)
{
	memset(st, 0, sizeof(*st));
	st->callercxt = CurrentMemoryContext;
	st->batchcxt = AllocSetContextCreate(CurrentMemoryContext,
										 "autoplay ingest batch",
										 ALLOCSET_DEFAULT_SIZES);
	st->slots = palloc(sizeof(ApSlot) * AP_BATCH_SIZE);
	st->rows = palloc(sizeof(ApClickRow *) * AP_BATCH_SIZE);
	st->received_at = GetCurrentTransactionStartTimestamp();
	st->body_note = body_note;
	st->known_month = AP_NO_MONTH;
	st->maxresults = 16;
	st->results = palloc(sizeof(JsonbValue) * st->maxresults);
}

/*
 * ingest_element: normalize one element.  A click joins the batch, to be
 * inserted by flush_batch; a rejection or a connection test is recorded at
 * once.  Flushes when the batch is full.
 */
static void
ingest_element(ApIngest *st, const JsonbValue *element)
{
	ApClickRow	row;
	ApProblem	problem;
	ApSlot	   *slot;
	MemoryContext oldcxt = MemoryContextSwitchTo(st->batchcxt);

	switch (ap_normalize_click(element, st->received_at, st->body_note,
							   &row, &problem))
	{
		case AP_CLICK_OK:
			ap_partition_ensure(DatumGetTimestampTz(row.values[AP_COL_OCCURRED_AT]),
								&st->known_month);
			slot = &st->slots[st->nslots++];
			slot->status = NULL;
			slot->row = st->nrows;
			st->rows[st->nrows++] = memcpy(palloc(sizeof(ApClickRow)), &row,
										   sizeof(ApClickRow));
			break;
		case AP_CLICK_REJECTED:
			record_problem(st, "rejected", &problem,
						   JsonbValueToJsonb((JsonbValue *) element), NULL);
			break;
		case AP_CLICK_TEST:
			record_problem(st, "test", &problem,
						   JsonbValueToJsonb((JsonbValue *) element), NULL);
			break;
	}

	MemoryContextSwitchTo(oldcxt);
	if (st->nslots == AP_BATCH_SIZE)
		flush_batch(st);
}

/*
 * store_directly: write the batch's clicks as COPY does, when the batch is
 * large enough for that to pay and the table allows it.  Returns false,
 * having stored nothing, otherwise.
 */
static bool
store_directly(ApIngest *st, int64 *ids, bool *inserted)
{
	if (st->nrows < AP_DIRECT_MIN_ROWS || !autoplay_direct_insert)
		return false;
	if (!st->direct_tried)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(st->callercxt);

		st->direct = ap_direct_begin(AP_BATCH_SIZE);
		st->direct_tried = true;
		MemoryContextSwitchTo(oldcxt);
	}
	return st->direct != NULL &&
		ap_direct_store_clicks(st->direct,
							   (const ApClickRow *const *) st->rows,
							   st->nrows, ids, inserted);
}

/*
 * flush_batch: insert the batch's clicks in one statement (a single click
 * through the one-row plan, a large batch straight into the partitions
 * when it can), then report every element of the batch in
 * order and free the batch's memory.  Needs SPI only when clicks wait.
 */
static void
flush_batch(ApIngest *st)
{
	int64	   *ids = palloc0(sizeof(int64) * Max(st->nrows, 1));
	bool	   *inserted = palloc0(sizeof(bool) * Max(st->nrows, 1));
	int			i;

	if (st->nrows == 1)
		inserted[0] = ap_store_click(st->rows[0], &ids[0]);
	else if (st->nrows > 1 && !store_directly(st, ids, inserted))
		ap_store_clicks((const ApClickRow *const *) st->rows, st->nrows,
						ids, inserted);

	for (i = 0; i < st->nslots; i++)
	{
		ApSlot	   *slot = &st->slots[i];
		const ApClickRow *row;

		if (slot->status != NULL)
		{
			push_result(st, slot->status, 0, &slot->problem);
			continue;
		}
		row = st->rows[slot->row];
		if (!inserted[slot->row])
		{
			st->duplicates++;
			push_result(st, "duplicate", 0, NULL);
			continue;
		}
		st->accepted++;
		if (autoplay_notify)
			notify_session(st, row->values[AP_COL_SESSION_KEY]);
		push_result(st, "accepted", ids[slot->row], NULL);
	}

	pfree(ids);
	pfree(inserted);
	st->nslots = 0;
	st->nrows = 0;
	MemoryContextReset(st->batchcxt);
}

/*
 * notify_session: queue NOTIFY autoplay_clicks for the session of a click
 * stored, once per session and call.  PostgreSQL would fold the repeats
 * into one notification at commit anyway, but building each costs more
 * than looking the key up here.
 */
static void
notify_session(ApIngest *st, Datum session_key)
{
	text	   *key = DatumGetTextPP(session_key);
	char		name[AP_SESSION_KEY_MAX + 1];
	int			len = Min(VARSIZE_ANY_EXHDR(key), AP_SESSION_KEY_MAX);
	bool		found;

	memcpy(name, VARDATA_ANY(key), len);
	name[len] = '\0';

	/* The first session goes without a table: most calls have only one */
	if (st->first_notified[0] == '\0')
	{
		strcpy(st->first_notified, name);
		Async_Notify("autoplay_clicks", name);
		return;
	}
	if (strcmp(st->first_notified, name) == 0)
		return;
	if (st->notified == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = AP_SESSION_KEY_MAX + 1;
		ctl.entrysize = AP_SESSION_KEY_MAX + 1;
		ctl.hcxt = st->callercxt;
		st->notified = hash_create("autoplay notified sessions", 64, &ctl,
								   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	hash_search(st->notified, name, HASH_ENTER, &found);
	if (!found)
		Async_Notify("autoplay_clicks", name);
}

/*
 * refuse_element: reject an element for a reason found by this file rather
 * than by normalization.
 */
static void
refuse_element(ApIngest *st, const JsonbValue *element, int sqlstate,
			   const char *message, const char *detail)
{
	ApProblem	problem;

	problem.sqlstate = sqlstate;
	problem.message = (char *) message;
	problem.detail = (char *) detail;
	record_problem(st, "rejected", &problem,
				   JsonbValueToJsonb((JsonbValue *) element), NULL);
}

/*
 * record_problem: raise it under autoplay.strict, else write it to
 * autoplay.rejects and give it its place in the batch's results; the
 * problem's strings must live until the batch is flushed.  Connection
 * tests are never raised.
 */
static void
record_problem(ApIngest *st, const char *status, const ApProblem *problem,
			   Jsonb *payload, bytea *raw_body)
{
	bool		is_test = strcmp(status, "test") == 0;

	if (autoplay_strict && !is_test)
		ereport(ERROR,
				(errcode(problem->sqlstate),
				 errmsg("%s", problem->message),
				 problem->detail ?
				 errdetail_internal("%s", problem->detail) : 0));

	ap_store_reject(st->received_at, status, problem, payload, raw_body);
	if (is_test)
		st->tests++;
	else
		st->rejected++;
	st->slots[st->nslots].status = status;
	st->slots[st->nslots].problem = *problem;
	st->nslots++;
}

/*
 * push_result: append {"status": ..., ...} to the results array, in the
 * caller's memory context so that it outlives the element's.
 *
 * The object is built as a JsonbValue directly, its keys in the order
 * jsonb keeps them (shorter first, then bytewise): id, code, detail,
 * reason, status.  pushJsonbValue would make a parse state, room for four
 * pairs and a sort for each of thousands of elements.
 */
static void
push_result(ApIngest *st, const char *status, int64 id,
			const ApProblem *problem)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(st->callercxt);
	int			npairs = 1;
	JsonbPair  *pairs;
	JsonbValue *element;
	int			n = 0;

	if (id != 0)
		npairs++;
	if (problem != NULL)
		npairs += 1 + (problem->sqlstate != 0) + (problem->detail != NULL);
	pairs = palloc(sizeof(JsonbPair) * npairs);

	if (id != 0)
		set_pair(&pairs[n++], "id", int_value(id));
	if (problem != NULL && problem->sqlstate != 0)
		set_pair(&pairs[n++], "code",
				 string_value(pstrdup(unpack_sql_state(problem->sqlstate))));
	if (problem != NULL && problem->detail != NULL)
		set_pair(&pairs[n++], "detail",
				 string_value(pstrdup(problem->detail)));
	if (problem != NULL)
		set_pair(&pairs[n++], "reason",
				 string_value(pstrdup(problem->message)));
	set_pair(&pairs[n++], "status", string_value(status));
	Assert(n == npairs);

	if (st->nresults == st->maxresults)
	{
		st->maxresults *= 2;
		st->results = repalloc(st->results,
							   sizeof(JsonbValue) * st->maxresults);
	}
	element = &st->results[st->nresults++];
	element->type = jbvObject;
	element->val.object.nPairs = npairs;
	element->val.object.pairs = pairs;

	MemoryContextSwitchTo(oldcxt);
}

/*
 * set_pair: pair as key (a string that outlives the result) and value.
 */
static void
set_pair(JsonbPair *pair, const char *key, JsonbValue value)
{
	pair->key = string_value(key);
	pair->value = value;
	pair->order = 0;
}

/*
 * string_value: s as a jsonb string, not copied.
 */
static JsonbValue
string_value(const char *s)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.len = strlen(s);
	v.val.string.val = (char *) s;
	return v;
}

/*
 * int_value: an integer as a jsonb number.
 */
static JsonbValue
int_value(int64 value)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(value);
	return v;
}

/*
 * finish_result: the results array and the counts, as one jsonb object
 * whose keys are in jsonb's order: tests, results, accepted, rejected,
 * duplicates.
 */
static Jsonb *
finish_result(ApIngest *st)
{
	JsonbPair	pairs[5];
	JsonbValue	results;
	JsonbValue	result;

	flush_batch(st);
	MemoryContextDelete(st->batchcxt);

	results.type = jbvArray;
	results.val.array.nElems = st->nresults;
	results.val.array.elems = st->results;
	results.val.array.rawScalar = false;
	set_pair(&pairs[0], "tests", int_value(st->tests));
	set_pair(&pairs[1], "results", results);
	set_pair(&pairs[2], "accepted", int_value(st->accepted));
	set_pair(&pairs[3], "rejected", int_value(st->rejected));
	set_pair(&pairs[4], "duplicates", int_value(st->duplicates));
	result.type = jbvObject;
	result.val.object.nPairs = lengthof(pairs);
	result.val.object.pairs = pairs;
	return JsonbValueToJsonb(&result);
}
