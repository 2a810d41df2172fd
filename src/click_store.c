/*-------------------------------------------------------------------------
 *
 * click_store.c
 *	  Write clicks and rejects through plans prepared once per backend.
 *
 * A click is inserted with ON CONFLICT DO NOTHING on the table's unique
 * key (session_key, occurred_at, fingerprint): a retried delivery finds
 * the row already there and is reported as a duplicate.  When two sessions
 * insert the same click at once, the second waits for the first to commit
 * and then sees the conflict, so the click is stored once either way.
 *
 * The plans are prepared on first use and kept for the life of the
 * backend; the plan cache replans them by itself after DDL on the tables.
 * Every name in them is schema-qualified, since they run with the pinned
 * search_path of a SECURITY DEFINER function.
 *
 * src/click_store.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "click_batch.h"
#include "click_store.h"

static SPIPlanPtr insert_click_plan = NULL;
static SPIPlanPtr insert_reject_plan = NULL;
static SPIPlanPtr insert_duplicates_plan = NULL;
static SPIPlanPtr insert_batch_plan = NULL;

/* How each column travels in the batch INSERT: element type and storage */
typedef struct ApColumnType
{
	Oid			elemtype;
	int16		typlen;
	bool		typbyval;
	char		typalign;
} ApColumnType;

static SPIPlanPtr prepare_kept(const char *sql, int nargs, Oid *argtypes);
static SPIPlanPtr prepare_batch_plan(void);
static void column_type(int col, ApColumnType *type);
static Datum notes_as_text(Datum notes);
static void match_returned(const ApClickRow *const *rows, int n,
						   int64 *ids, bool *inserted);

/*
 * ap_store_begin: connect to SPI and make sure both plans exist.  Pair
 * with ap_store_end.
 */
void
ap_store_begin(void)
{
	static Oid	click_types[AP_NUM_CLICK_COLUMNS] = {
		TEXTOID, TEXTOID, TEXTOID,	/* session_key, device_id, session_id */
		TIMESTAMPTZOID, INT8OID,	/* occurred_at, occurred_unix */
		TEXTOID, TEXTOID, TEXTOID,	/* target_text, element_name, label */
		TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,	/* page_url and parts */
		TEXTOID,				/* page_canonical */
		TEXTOID, TEXTOID, TEXTOID,	/* replay_url, user_id, user_email */
		JSONBOID, TEXTARRAYOID, BYTEAOID,	/* extra, notes, fingerprint */
		TIMESTAMPTZOID			/* received_at */
	};
	static Oid	reject_types[] = {TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, JSONBOID, BYTEAOID};
	static Oid	duplicates_types[] = {TIMESTAMPTZOID, INT4OID};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (insert_click_plan == NULL)
		insert_click_plan = prepare_kept(
										 "INSERT INTO autoplay.clicks (session_key, device_id, session_id,"
										 " occurred_at, occurred_unix, target_text, element_name, label,"
										 " page_url, page_host, page_path, page_query, page_fragment,"
										 " page_canonical, replay_url, user_id, user_email, extra, notes,"
										 " fingerprint, received_at)"
										 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
										 " $13, $14, $15, $16, $17, $18, $19, $20, $21)"
										 " ON CONFLICT (session_key, occurred_at, fingerprint) DO NOTHING"
										 " RETURNING id",
										 AP_NUM_CLICK_COLUMNS, click_types);
	if (insert_reject_plan == NULL)
		insert_reject_plan = prepare_kept(
										  "INSERT INTO autoplay.rejects (received_at, status, code, reason,"
										  " detail, payload, raw_body)"
										  " VALUES ($1, $2, $3, $4, $5, $6, $7)",
										  lengthof(reject_types), reject_types);
	if (insert_batch_plan == NULL)
		insert_batch_plan = prepare_batch_plan();
	if (insert_duplicates_plan == NULL)
		insert_duplicates_plan = prepare_kept(
											  "INSERT INTO autoplay.duplicate_log (received_at, duplicates)"
											  " VALUES ($1, $2)",
											  lengthof(duplicates_types), duplicates_types);
}

/*
 * ap_store_end: disconnect from SPI.
 */
void
ap_store_end(void)
{
	SPI_finish();
}

/*
 * prepare_kept: prepare sql and keep the plan for the life of the backend.
 */
static SPIPlanPtr
prepare_kept(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s",
			 sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

/*
 * ap_store_click: insert one row.  Returns true and sets *id when it was
 * new, false when the same click is already stored.
 */
bool
ap_store_click(const ApClickRow *row, int64 *id)
{
	char		nulls[AP_NUM_CLICK_COLUMNS];
	bool		isnull;
	int			rc;
	int			i;

	for (i = 0; i < AP_NUM_CLICK_COLUMNS; i++)
		nulls[i] = row->isnull[i] ? 'n' : ' ';

	rc = SPI_execute_plan(insert_click_plan, (Datum *) row->values, nulls,
						  false, 1);
	if (rc != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "could not insert click: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
	{
		SPI_freetuptable(SPI_tuptable);
		return false;
	}

	*id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return true;
}

/*
 * ap_store_reject: record an element or body that was not stored as a
 * click.  status is "rejected" or "test"; payload is the element as sent
 * (NULL when the body was not JSON), raw_body the exact request bytes
 * (NULL when the body was JSON).
 */
void
ap_store_reject(TimestampTz received_at, const char *status,
				const ApProblem *problem, Jsonb *payload, bytea *raw_body)
{
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	int			rc;

	values[0] = TimestampTzGetDatum(received_at);
	values[1] = CStringGetTextDatum(status);
	if (problem->sqlstate != 0)
		values[2] = CStringGetTextDatum(unpack_sql_state(problem->sqlstate));
	else
		nulls[2] = 'n';
	values[3] = CStringGetTextDatum(problem->message);
	if (problem->detail != NULL)
		values[4] = CStringGetTextDatum(problem->detail);
	else
		nulls[4] = 'n';
	values[5] = PointerGetDatum(payload);
	nulls[5] = payload ? ' ' : 'n';
	values[6] = PointerGetDatum(raw_body);
	nulls[6] = raw_body ? ' ' : 'n';

	rc = SPI_execute_plan(insert_reject_plan, values, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not insert reject: %s", SPI_result_code_string(rc));
}

/*
 * ap_store_duplicates: count the retried deliveries one call absorbed.
 * Duplicates leave no row in autoplay.clicks, so this is where statistics
 * find them.
 */
void
ap_store_duplicates(TimestampTz received_at, int64 duplicates)
{
	Datum		values[2];
	int			rc;

	values[0] = TimestampTzGetDatum(received_at);
	values[1] = Int32GetDatum((int32) Min(duplicates, PG_INT32_MAX));
	rc = SPI_execute_plan(insert_duplicates_plan, values, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not count duplicates: %s",
			 SPI_result_code_string(rc));
}

/*
 * column_type: the element type of column col as an array parameter of
 * the batch INSERT.  notes (text[] per row) travels as text, its notes
 * separated by newlines, which notes never hold (see add_note).
 */
static void
column_type(int col, ApColumnType *type)
{
	switch ((ApClickColumn) col)
	{
		case AP_COL_OCCURRED_AT:
		case AP_COL_RECEIVED_AT:
			*type = (ApColumnType)
			{
				TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE
			};
			break;
		case AP_COL_OCCURRED_UNIX:
			*type = (ApColumnType)
			{
				INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE
			};
			break;
		case AP_COL_EXTRA:
			*type = (ApColumnType)
			{
				JSONBOID, -1, false, TYPALIGN_INT
			};
			break;
		case AP_COL_FINGERPRINT:
			*type = (ApColumnType)
			{
				BYTEAOID, -1, false, TYPALIGN_INT
			};
			break;
		default:
			*type = (ApColumnType)
			{
				TEXTOID, -1, false, TYPALIGN_INT
			};
			break;
	}
}

/*
 * prepare_batch_plan: one INSERT for many rows, each column passed as an
 * array and unnested, so that the executor and the partition routing are
 * set up once per batch rather than once per row.
 */
static SPIPlanPtr
prepare_batch_plan(void)
{
	Oid			argtypes[AP_NUM_CLICK_COLUMNS];
	int			col;

	for (col = 0; col < AP_NUM_CLICK_COLUMNS; col++)
	{
		ApColumnType type;

		column_type(col, &type);
		argtypes[col] = get_array_type(type.elemtype);
	}
	return prepare_kept(
						"INSERT INTO autoplay.clicks (session_key, device_id, session_id,"
						" occurred_at, occurred_unix, target_text, element_name, label,"
						" page_url, page_host, page_path, page_query, page_fragment,"
						" page_canonical, replay_url, user_id, user_email, extra, notes,"
						" fingerprint, received_at)"
						" SELECT u.session_key, u.device_id, u.session_id, u.occurred_at,"
						" u.occurred_unix, u.target_text, u.element_name, u.label,"
						" u.page_url, u.page_host, u.page_path, u.page_query,"
						" u.page_fragment, u.page_canonical, u.replay_url, u.user_id,"
						" u.user_email, u.extra,"
						" pg_catalog.string_to_array(u.notes, E'\\n'),"
						" u.fingerprint, u.received_at"
						" FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
						"  pg_catalog.unnest($3), pg_catalog.unnest($4),"
						"  pg_catalog.unnest($5), pg_catalog.unnest($6),"
						"  pg_catalog.unnest($7), pg_catalog.unnest($8),"
						"  pg_catalog.unnest($9), pg_catalog.unnest($10),"
						"  pg_catalog.unnest($11), pg_catalog.unnest($12),"
						"  pg_catalog.unnest($13), pg_catalog.unnest($14),"
						"  pg_catalog.unnest($15), pg_catalog.unnest($16),"
						"  pg_catalog.unnest($17), pg_catalog.unnest($18),"
						"  pg_catalog.unnest($19), pg_catalog.unnest($20),"
						"  pg_catalog.unnest($21))"
						"  AS u(session_key, device_id, session_id, occurred_at,"
						"  occurred_unix, target_text, element_name, label, page_url,"
						"  page_host, page_path, page_query, page_fragment, page_canonical,"
						"  replay_url, user_id, user_email, extra, notes, fingerprint,"
						"  received_at)"
						" ON CONFLICT (session_key, occurred_at, fingerprint) DO NOTHING"
						" RETURNING id, session_key, occurred_at, fingerprint",
						AP_NUM_CLICK_COLUMNS, argtypes);
}

/*
 * notes_as_text: a text[] of notes as one text, newline-separated.
 */
static Datum
notes_as_text(Datum notes)
{
	Datum	   *items;
	bool	   *nulls;
	int			count;
	int			i;
	StringInfoData buf;

	deconstruct_array(DatumGetArrayTypeP(notes), TEXTOID, -1, false,
					  TYPALIGN_INT, &items, &nulls, &count);
	initStringInfo(&buf);
	for (i = 0; i < count; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, '\n');
		appendStringInfoString(&buf, TextDatumGetCString(items[i]));
	}
	return PointerGetDatum(cstring_to_text_with_len(buf.data, buf.len));
}

/*
 * ap_store_clicks: insert n rows in one statement.  For each row, sets
 * inserted[i] and, when true, ids[i].  Rows with the same key as one
 * already stored, or as an earlier row of the batch, are not inserted.
 */
void
ap_store_clicks(const ApClickRow *const *rows, int n, int64 *ids,
				bool *inserted)
{
	Datum		arrays[AP_NUM_CLICK_COLUMNS];
	Datum	   *elems = palloc(sizeof(Datum) * n);
	bool	   *nulls = palloc(sizeof(bool) * n);
	int			lbound = 1;
	int			col;
	int			i;
	int			rc;

	/* One array per column */
	for (col = 0; col < AP_NUM_CLICK_COLUMNS; col++)
	{
		ApColumnType type;

		column_type(col, &type);
		for (i = 0; i < n; i++)
		{
			nulls[i] = rows[i]->isnull[col];
			elems[i] = rows[i]->values[col];
			if (col == AP_COL_NOTES && !nulls[i])
				elems[i] = notes_as_text(elems[i]);
		}
		arrays[col] = PointerGetDatum(construct_md_array(elems, nulls, 1, &n,
														 &lbound,
														 type.elemtype,
														 type.typlen,
														 type.typbyval,
														 type.typalign));
	}

	/* Insert, then see which rows came back */
	rc = SPI_execute_plan(insert_batch_plan, arrays, NULL, false, 0);
	if (rc != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "could not insert clicks: %s", SPI_result_code_string(rc));
	match_returned(rows, n, ids, inserted);
	SPI_freetuptable(SPI_tuptable);
}

/*
 * match_returned: mark the rows of the batch that SPI_tuptable returned
 * (id, session_key, occurred_at, fingerprint) as inserted.  Each returned
 * row goes to the first unmarked row of the batch with the same key: when
 * a batch holds the same click twice, the first is the one stored.
 */
static void
match_returned(const ApClickRow *const *rows, int n, int64 *ids,
			   bool *inserted)
{
	ApBatchIndex index;
	uint64		i;

	ap_batch_index_build(&index, rows, n);
	memset(inserted, 0, sizeof(bool) * n);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		int			r;

		r = ap_batch_find(&index, SPI_getbinval(tup, desc, 2, &isnull),
						  DatumGetTimestampTz(SPI_getbinval(tup, desc, 3,
															&isnull)),
						  SPI_getbinval(tup, desc, 4, &isnull));
		while (r >= 0 && inserted[r])
			r = ap_batch_next_same(&index, r);
		if (r < 0)
			elog(ERROR, "inserted click %lld matches no row of the batch",
				 (long long) id);
		inserted[r] = true;
		ids[r] = id;
	}
}
