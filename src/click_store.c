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
#include "utils/builtins.h"

#include "click_store.h"

static SPIPlanPtr insert_click_plan = NULL;
static SPIPlanPtr insert_reject_plan = NULL;
static SPIPlanPtr insert_duplicates_plan = NULL;

static SPIPlanPtr prepare_kept(const char *sql, int nargs, Oid *argtypes);

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
