/*-------------------------------------------------------------------------
 *
 * pool.c
 *	  Database connections, their worker threads and the job queue.
 *
 * Each slot owns one PGconn and one thread; only that thread uses the
 * connection.  The shared state (queue, counters, each slot's cancel
 * handle and busy flag) is guarded by pool.lock.  Workers sleep on one
 * condition variable, which is broadcast whenever the queue or the number
 * of open connections changes, because whether a worker may take a job
 * depends on both: a worker with a connection takes queued jobs; a worker
 * without one takes them only when no connection is open at all, and then
 * answers them at once as unavailable, unless its reconnect is due.
 *
 * Group commit: when several ingest jobs wait, a worker takes up to
 * GW_GROUP_MAX of them and runs them in one transaction, pipelined:
 * BEGIN, one ingest statement per job, COMMIT, and only once the COMMIT
 * has succeeded is any of them answered.  Concurrent requests so share one
 * commit, one WAL flush and one NOTIFY, which the database would otherwise
 * serialize.  If anything in the group fails, it is rolled back and each
 * job is run again on its own, so one bad job cannot fail the others.
 *
 * A job run on its own runs in autocommit mode, so when PQexecPrepared
 * returns a result the statement's transaction has committed.  A statement
 * that fails because its connection broke is retried once on a new
 * connection: autoplay_ingest_raw() recognises a click it already stored,
 * so the retry is safe even when the first attempt committed before the
 * break.
 *
 * Errors are sorted by SQLSTATE (classify): connection loss, shutdown,
 * overload and conflicts are GW_JOB_UNAVAILABLE (503, retried by
 * FullStory); a data exception (class 22) raised by the ingest function,
 * as it does under autoplay.strict, becomes a one-element rejected result
 * (400 or 422, like a recorded reject); anything else is GW_JOB_FAILED
 * (500) and is logged.
 *
 * SQL sent: two statements prepared once per connection, each with
 * parameters only (see prepare_statements).
 *
 * src/gateway/pool.c
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "log.h"
#include "pool.h"

/* Reconnect delays: doubled after each failure, within these bounds */
#define GW_BACKOFF_MIN_MS 200
#define GW_BACKOFF_MAX_MS 5000

/* Jobs that may wait for a connection, per connection */
#define GW_QUEUE_PER_CONNECTION 64

/* Most ingest jobs that share one transaction */
#define GW_GROUP_MAX 64

/* Type OID of bytea, for the ingest statement's parameter */
#define GW_BYTEAOID 17

/*
 * The ingest statement.  Besides the function's result as text it returns
 * the numbers the HTTP status is decided from, so that the gateway needs
 * no JSON parser.  Elements that succeeded are the sum of three counters;
 * the rejects that are not clicks at all are counted only when nothing
 * succeeded, the one case where they decide between 400 and 422.
 */
static const char ingest_sql[] =
"SELECT r::text, a, d, j, t,\n"
"       coalesce(jsonb_array_length(r->'results'), 0),\n"
"       a + d + t,\n"
"       CASE WHEN a + d + t = 0 THEN\n"
"         (SELECT count(*) FROM jsonb_array_elements(r->'results') AS e\n"
"           WHERE e->>'status' = 'rejected'\n"
"             AND e->>'code' IN ('22032', '2203C'))\n"
"       ELSE 0 END\n"
"  FROM autoplay_ingest_raw($1) AS r,\n"
"       LATERAL (SELECT coalesce((r->>'accepted')::bigint, 0) AS a,\n"
"                       coalesce((r->>'duplicates')::bigint, 0) AS d,\n"
"                       coalesce((r->>'rejected')::bigint, 0) AS j,\n"
"                       coalesce((r->>'tests')::bigint, 0) AS t) AS n";

static const char health_sql[] = "SELECT 1";

/* One connection and its worker */
typedef struct GwSlot
{
	pthread_t	thread;
	PGconn	   *conn;			/* NULL while closed; worker-private */
	PGcancel   *cancel;			/* for conn; under pool.lock */
	bool		busy;			/* running a job; under pool.lock */
	int			backoff_ms;		/* worker-private: last delay */
	struct timespec next_attempt;	/* CLOCK_MONOTONIC; worker-private */
} GwSlot;

/* The pool: one per process */
static struct
{
	pthread_mutex_t lock;
	pthread_cond_t wake;
	GwJob	   *head;			/* the queue */
	GwJob	   *tail;
	int			queued;			/* jobs in the queue */
	int			reserved;		/* places reserved, not yet submitted */
	int			limit;			/* queued + reserved may not pass this */
	int			open;			/* slots with a connection */
	bool		stopping;		/* workers exit once the queue is empty */
	bool		aborting;		/* answer every job as unavailable */
	bool		up;				/* the last database contact succeeded */
	bool		ever_up;		/* some contact ever succeeded */
	char		last_failure[512];	/* last failure logged while down */
	GwSlot	   *slots;
	int			nslots;
	char	   *dsn;
	bool		started;		/* lock and condition variable exist */
} pool;

/*
 * now_plus_ms: the monotonic time ms milliseconds from now.
 */
static struct timespec
now_plus_ms(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L)
	{
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/*
 * reconnect_due: whether a closed slot may try to connect now.
 */
static bool
reconnect_due(const GwSlot *slot)
{
	struct timespec now = now_plus_ms(0);

	if (slot->conn != NULL)
		return false;
	return now.tv_sec > slot->next_attempt.tv_sec ||
		(now.tv_sec == slot->next_attempt.tv_sec &&
		 now.tv_nsec >= slot->next_attempt.tv_nsec);
}

/*
 * log_first_contact: say where the gateway is connected, and warn when
 * the role is a superuser: the role should only be allowed to call the
 * ingest functions (a member of autoplay_writer).
 */
static void
log_first_contact(PGconn *conn)
{
	const char *super = PQparameterStatus(conn, "is_superuser");

	gw_log("connected to database \"%s\" as user \"%s\"",
		   PQdb(conn), PQuser(conn));
	if (super != NULL && strcmp(super, "on") == 0)
		gw_log("warning: user \"%s\" is a superuser; a role that may only "
			   "call the ingest functions is safer", PQuser(conn));
}

/*
 * note_success: record that the database answered; log the first contact
 * and every recovery.
 */
static void
note_success(PGconn *conn)
{
	bool		was_up;
	bool		ever_up;

	pthread_mutex_lock(&pool.lock);
	was_up = pool.up;
	ever_up = pool.ever_up;
	pool.up = pool.ever_up = true;
	pool.last_failure[0] = '\0';
	pthread_mutex_unlock(&pool.lock);

	if (!was_up && ever_up)
		gw_log("connection to database restored");
	else if (!was_up)
		log_first_contact(conn);
}

/*
 * note_failure: record that the database could not be reached, and log
 * it: "lost connection" once when it was up, otherwise what (a "could not
 * ..." phrase) with the reason, unless that same line was the last logged.
 */
static void
note_failure(const char *what, const char *reason)
{
	char		line[512];
	bool		was_up;
	bool		repeated;

	snprintf(line, sizeof(line), "%s: %s", what, reason);

	pthread_mutex_lock(&pool.lock);
	was_up = pool.up;
	pool.up = false;
	repeated = strcmp(pool.last_failure, line) == 0;
	strcpy(pool.last_failure, line);
	pthread_mutex_unlock(&pool.lock);

	if (was_up)
		gw_log("lost connection to database: %s", reason);
	else if (!repeated)
		gw_log("%s", line);
}

/*
 * slot_close: close a slot's connection, if any.
 */
static void
slot_close(GwSlot *slot)
{
	PGcancel   *cancel;

	if (slot->conn == NULL)
		return;

	/* Others may look at the cancel handle and count: change them locked */
	pthread_mutex_lock(&pool.lock);
	cancel = slot->cancel;
	slot->cancel = NULL;
	pool.open--;
	pthread_cond_broadcast(&pool.wake);
	pthread_mutex_unlock(&pool.lock);

	PQfreeCancel(cancel);
	PQfinish(slot->conn);
	slot->conn = NULL;
}

/*
 * slot_failed: schedule a closed slot's next connect attempt, doubling the
 * delay each time.
 */
static void
slot_failed(GwSlot *slot)
{
	if (slot->backoff_ms == 0)
		slot->backoff_ms = GW_BACKOFF_MIN_MS;
	else if (slot->backoff_ms < GW_BACKOFF_MAX_MS)
		slot->backoff_ms = slot->backoff_ms * 2 < GW_BACKOFF_MAX_MS ?
			slot->backoff_ms * 2 : GW_BACKOFF_MAX_MS;
	slot->next_attempt = now_plus_ms(slot->backoff_ms);
	gw_metrics_db_error(GW_DBERR_CONNECTION);
}

/*
 * prepare_statements: prepare the ingest and health statements on a new
 * connection.  On failure, puts the server's message in reason.
 */
static bool
prepare_statements(PGconn *conn, char *reason, size_t size)
{
	static const unsigned int bytea_type[1] = {GW_BYTEAOID};
	PGresult   *res;
	bool		ok;

	res = PQprepare(conn, "gw_ingest", ingest_sql, 1, bytea_type);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (ok)
	{
		res = PQprepare(conn, "gw_health", health_sql, 0, NULL);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
	}
	if (!ok)
		gw_one_line(reason, size, PQerrorMessage(conn));
	return ok;
}

/*
 * on_notice: libpq's notice receiver.  Server warnings (such as "terminating
 * connection due to immediate shutdown command") are logged; notices and
 * lower levels, which ingest may send for every click, are not.
 */
static void
on_notice(void *arg, const PGresult *res)
{
	const char *severity = PQresultErrorField(res,
											  PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char		line[512];

	(void) arg;
	if (severity == NULL || strcmp(severity, "WARNING") != 0 || msg == NULL)
		return;
	gw_one_line(line, sizeof(line), msg);
	gw_log("database warning: %s", line);
}

/*
 * slot_connect: open a slot's connection and prepare its statements.  On
 * failure the slot stays closed and its next attempt is scheduled.
 */
static void
slot_connect(GwSlot *slot)
{
	/* The DSN's own connect_timeout, if any, overrides the one before it */
	const char *const keys[] = {
		"connect_timeout", "dbname", "fallback_application_name", NULL
	};
	const char *const values[] = {"10", pool.dsn, GW_PROGNAME, NULL};
	char		reason[512];
	PGconn	   *conn;

	/* Connect */
	conn = PQconnectdbParams(keys, values, 1);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		gw_one_line(reason, sizeof(reason), PQerrorMessage(conn));
		PQfinish(conn);
		note_failure("could not connect to database", reason);
		slot_failed(slot);
		return;
	}

	/* Server warnings go to our log, not to stderr as they are */
	PQsetNoticeReceiver(conn, on_notice, NULL);

	/* Prepare; a missing function or privilege shows here */
	if (!prepare_statements(conn, reason, sizeof(reason)))
	{
		PQfinish(conn);
		note_failure("could not prepare statement", reason);
		slot_failed(slot);
		return;
	}

	/* Publish the connection */
	pthread_mutex_lock(&pool.lock);
	slot->conn = conn;
	slot->cancel = PQgetCancel(conn);
	slot->backoff_ms = 0;
	pool.open++;
	pthread_cond_broadcast(&pool.wake);
	pthread_mutex_unlock(&pool.lock);
	note_success(conn);
}

/*
 * classify: sort a failed statement's error.  Sets *broken when the
 * connection cannot be used again.  Connection loss, shutdown, overload,
 * conflicts and cancellation are worth a retry (503); anything else is a
 * bug (500).
 */
static GwDbErrorKind
classify(PGconn *conn, const PGresult *res, bool *broken)
{
	static const char *const retryable[] = {
		"40001",				/* serialization_failure */
		"40P01",				/* deadlock_detected */
		"55P03",				/* lock_not_available */
		"57014",				/* query_canceled: statement_timeout, abort */
		NULL
	};
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	int			i;

	/* Lost, refused or shut down: reconnect */
	*broken = true;
	if (PQstatus(conn) == CONNECTION_BAD || state == NULL ||
		strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
		strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0)
		return GW_DBERR_CONNECTION;

	/* A server turned read-only (a standby after failover): reconnect too */
	if (strcmp(state, "25006") == 0)
		return GW_DBERR_RETRYABLE;

	/* Passing trouble on a good connection */
	*broken = false;
	if (strncmp(state, "53", 2) == 0)	/* insufficient_resources */
		return GW_DBERR_RETRYABLE;
	for (i = 0; retryable[i] != NULL; i++)
		if (strcmp(state, retryable[i]) == 0)
			return GW_DBERR_RETRYABLE;
	return GW_DBERR_OTHER;
}

/*
 * is_data_exception: whether a failed statement raised an error of class
 * 22, data exception: the input was bad, not the gateway or the server.
 */
static bool
is_data_exception(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state != NULL && strncmp(state, "22", 2) == 0 && strlen(state) == 5;
}

/*
 * read_ingest_result: copy the ingest statement's one row into job.
 * Returns false when the row is not there.
 */
static bool
read_ingest_result(const PGresult *res, GwJob *job)
{
	GwIngestResult *r = &job->result;

	if (PQntuples(res) != 1 || PQnfields(res) != 8 || PQgetisnull(res, 0, 0))
		return false;

	r->json_len = PQgetlength(res, 0, 0);
	r->json = malloc(r->json_len + 1);
	if (r->json == NULL)
		return false;
	memcpy(r->json, PQgetvalue(res, 0, 0), r->json_len + 1);

	r->accepted = atol(PQgetvalue(res, 0, 1));
	r->duplicates = atol(PQgetvalue(res, 0, 2));
	r->rejected = atol(PQgetvalue(res, 0, 3));
	r->tests = atol(PQgetvalue(res, 0, 4));
	r->results = atol(PQgetvalue(res, 0, 5));
	r->succeeded = atol(PQgetvalue(res, 0, 6));
	r->not_clicks = atol(PQgetvalue(res, 0, 7));
	return true;
}

/*
 * put_json_string: append s as a JSON string literal to buf, which has
 * room for 6 * strlen(s) + 3 more bytes; returns the new end.
 */
static char *
put_json_string(char *buf, const char *s)
{
	*buf++ = '"';
	for (; *s != '\0'; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
			buf += sprintf(buf, "\\%c", c);
		else if (c < 0x20)
			buf += sprintf(buf, "\\u%04x", c);
		else
			*buf++ = c;
	}
	*buf++ = '"';
	*buf = '\0';
	return buf;
}

/*
 * refused_result: the result for an ingest statement that raised a data
 * exception (class 22) instead of recording a reject, as it does under
 * autoplay.strict: one rejected element, in the shape of the function's
 * own result, so that the answer is 400 or 422 as for a recorded reject.
 * Nothing was stored.  Returns false when out of memory.
 */
static bool
refused_result(const PGresult *res, GwJob *job)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	GwIngestResult *r = &job->result;
	char	   *p;

	if (msg == NULL)
		msg = "rejected";
	r->json = malloc(strlen(msg) * 6 + 160);
	if (r->json == NULL)
		return false;

	/* {"results": [{"status": "rejected", "code": C, "reason": R}], ...} */
	p = r->json + sprintf(r->json, "{\"results\": [{\"status\": \"rejected\", "
						  "\"code\": \"%.5s\", \"reason\": ", state);
	p = put_json_string(p, msg);
	p += sprintf(p, "}], \"accepted\": 0, \"duplicates\": 0, "
				 "\"rejected\": 1, \"tests\": 0}");
	r->json_len = p - r->json;

	r->rejected = r->results = 1;
	r->not_clicks = strcmp(state, "22032") == 0 || strcmp(state, "2203C") == 0;
	return true;
}

/*
 * run_statement: send a job's statement on the slot's connection and wait
 * for its result, which arrives after the commit.  The caller clears it.
 */
static PGresult *
run_statement(GwSlot *slot, GwJob *job)
{
	const char *values[1];
	int			lengths[1];
	static const int formats[1] = {1};	/* the body goes as binary bytea */

	if (job->kind == GW_JOB_HEALTH)
		return PQexecPrepared(slot->conn, "gw_health", 0, NULL, NULL, NULL, 0);

	/* A NULL value would be SQL NULL: an empty body is an empty bytea */
	values[0] = job->body != NULL ? job->body : "";
	lengths[0] = (int) job->body_len;
	return PQexecPrepared(slot->conn, "gw_ingest", 1, values, lengths,
						  formats, 0);
}

/*
 * log_statement_error: log a failed statement (not a lost connection):
 * the server's primary message and SQLSTATE.
 */
static void
log_statement_error(const GwJob *job, const PGresult *res)
{
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	gw_log("could not run %s statement: %s (SQLSTATE %s)",
		   job->kind == GW_JOB_INGEST ? "ingest" : "health check",
		   msg ? msg : "unknown error", state ? state : "none");
}

/*
 * execute: run a job on an open connection; retry once on a fresh
 * connection when the connection broke.  Returns the outcome.
 */
static GwJobOutcome
execute(GwSlot *slot, GwJob *job)
{
	for (;;)
	{
		PGresult   *res = run_statement(slot, job);
		ExecStatusType st = PQresultStatus(res);
		GwDbErrorKind kind;
		bool		broken;
		char		reason[512];

		/* Success: the transaction has committed */
		if (st == PGRES_TUPLES_OK &&
			(job->kind == GW_JOB_HEALTH || read_ingest_result(res, job)))
		{
			PQclear(res);
			note_success(slot->conn);
			return GW_JOB_DONE;
		}
		if (st == PGRES_TUPLES_OK)
		{
			gw_log("could not read result of ingest statement");
			PQclear(res);
			gw_metrics_db_error(GW_DBERR_OTHER);
			return GW_JOB_FAILED;
		}

		/* A click refused by an error (autoplay.strict): 400 or 422 */
		if (job->kind == GW_JOB_INGEST &&
			PQstatus(slot->conn) == CONNECTION_OK &&
			is_data_exception(res) && refused_result(res, job))
		{
			PQclear(res);
			note_success(slot->conn);
			return GW_JOB_DONE;
		}

		/* Sort the error; anything but a broken connection ends here */
		kind = classify(slot->conn, res, &broken);
		gw_metrics_db_error(kind);
		if (!broken)
		{
			if (kind == GW_DBERR_OTHER)
				log_statement_error(job, res);
			PQclear(res);
			return kind == GW_DBERR_OTHER ? GW_JOB_FAILED : GW_JOB_UNAVAILABLE;
		}

		/*
		 * Broken: close, and try once more on a new connection.  One dead
		 * connection (a backend terminated, a restart since it was last
		 * used) is not a lost database; a failed reconnect is, and
		 * slot_connect logs it.
		 */
		gw_one_line(reason, sizeof(reason), PQerrorMessage(slot->conn));
		PQclear(res);
		slot_close(slot);
		if (job->retried)
		{
			note_failure("could not run statement", reason);
			return GW_JOB_UNAVAILABLE;
		}
		job->retried = true;
		slot_connect(slot);
		if (slot->conn == NULL)
			return GW_JOB_UNAVAILABLE;
	}
}

/*
 * send_group: pipeline BEGIN, the jobs' ingest statements and COMMIT, and
 * a sync.  Returns false when the connection refused any of it.
 */
static bool
send_group(PGconn *conn, GwJob *jobs)
{
	static const int formats[1] = {1};	/* the body goes as binary bytea */
	GwJob	   *job;

	if (!PQenterPipelineMode(conn) ||
		!PQsendQueryParams(conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0))
		return false;
	for (job = jobs; job != NULL; job = job->next)
	{
		const char *values[1];
		int			lengths[1];

		values[0] = job->body != NULL ? job->body : "";
		lengths[0] = (int) job->body_len;
		if (!PQsendQueryPrepared(conn, "gw_ingest", 1, values, lengths,
								 formats, 0))
			return false;
	}
	return PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) &&
		PQpipelineSync(conn);
}

/*
 * read_group: read the results of send_group in order: BEGIN, each job's
 * row, COMMIT, the sync.  Returns true only when every statement
 * succeeded and the COMMIT committed; job results read before a failure
 * are freed by the caller.
 */
static bool
read_group(PGconn *conn, GwJob *jobs)
{
	bool		ok = true;
	GwJob	   *job = jobs;
	int			step = 0;		/* 0: BEGIN, 1: jobs, 2: COMMIT */

	for (;;)
	{
		PGresult   *res = PQgetResult(conn);
		ExecStatusType st;

		if (res == NULL)
		{
			/* The end of one statement's results */
			if (step == 0)
				step = 1;
			else if (step == 1 && (job = job->next) == NULL)
				step = 2;
			continue;
		}
		st = PQresultStatus(res);
		if (st == PGRES_PIPELINE_SYNC)
		{
			PQclear(res);
			return ok;
		}
		if (st == PGRES_FATAL_ERROR && PQstatus(conn) == CONNECTION_BAD)
		{
			PQclear(res);
			return false;
		}
		if (step == 1 && st == PGRES_TUPLES_OK)
			ok &= read_ingest_result(res, job);
		else if (!(step != 1 && st == PGRES_COMMAND_OK &&
				   (step == 0 || strcmp(PQcmdStatus(res), "COMMIT") == 0)))
			ok = false;
		PQclear(res);
	}
}

/*
 * execute_group: run ingest jobs (two or more, linked by next) in one
 * transaction.  Returns true when it committed, with every job's result
 * set and its outcome GW_JOB_DONE.  Otherwise nothing was stored (or, when
 * the connection broke during the COMMIT, it may have been, which running
 * again detects as duplicates): job results are freed, the connection is
 * left out of pipeline mode and of any transaction, or closed, and the
 * caller runs each job on its own.
 */
static bool
execute_group(GwSlot *slot, GwJob *jobs)
{
	PGconn	   *conn = slot->conn;
	GwJob	   *job;
	bool		ok;

	ok = send_group(conn, jobs) && read_group(conn, jobs);
	if (ok && PQexitPipelineMode(conn))
	{
		note_success(conn);
		for (job = jobs; job != NULL; job = job->next)
			job->outcome = GW_JOB_DONE;
		return true;
	}

	/* Undo: results read so far, the pipeline, the transaction */
	for (job = jobs; job != NULL; job = job->next)
	{
		free(job->result.json);
		memset(&job->result, 0, sizeof(job->result));
	}
	if (PQstatus(conn) != CONNECTION_OK || !PQexitPipelineMode(conn))
	{
		slot_close(slot);
		slot_connect(slot);
		return false;
	}
	if (PQtransactionStatus(conn) != PQTRANS_IDLE)
		PQclear(PQexec(conn, "ROLLBACK"));
	return false;
}

/*
 * run_job: answer a job, or a group of ingest jobs linked by next, and
 * hand each back through done().
 */
static void
run_job(GwSlot *slot, GwJob *jobs)
{
	bool		aborting;
	bool		grouped = false;
	GwJob	   *job;
	GwJob	   *next;

	pthread_mutex_lock(&pool.lock);
	aborting = pool.aborting;
	pthread_mutex_unlock(&pool.lock);

	/* A closed slot tries to connect if its delay is over */
	if (!aborting && reconnect_due(slot))
		slot_connect(slot);

	/* A group in one transaction; failing that, or alone, one by one */
	if (!aborting && slot->conn != NULL && jobs->next != NULL)
		grouped = execute_group(slot, jobs);
	for (job = jobs; !grouped && job != NULL; job = job->next)
	{
		if (aborting || slot->conn == NULL)
			job->outcome = GW_JOB_UNAVAILABLE;
		else
			job->outcome = execute(slot, job);
	}

	/* Not busy any more; after done() a job is gone */
	pthread_mutex_lock(&pool.lock);
	slot->busy = false;
	pthread_mutex_unlock(&pool.lock);
	for (job = jobs; job != NULL; job = next)
	{
		next = job->next;
		job->done(job);
	}
}

/*
 * next_work: wait, with pool.lock held, until this slot has something to
 * do.  Returns a job to run, or NULL with *reconnect set, or NULL without
 * it when the worker should exit.
 */
static GwJob *
next_work(GwSlot *slot, bool *reconnect)
{
	*reconnect = false;
	for (;;)
	{
		bool		may_take = slot->conn != NULL || pool.open == 0 ||
			pool.aborting || pool.stopping;

		/*
		 * Queued work first, then a due reconnect, then the end.  Waiting
		 * ingest jobs are taken together, up to GW_GROUP_MAX, as a list
		 * linked by next; a health check goes alone.
		 */
		if (pool.head != NULL && may_take)
		{
			GwJob	   *first = pool.head;
			GwJob	   *last = first;
			int			taken = 1;

			while (first->kind == GW_JOB_INGEST && last->next != NULL &&
				   last->next->kind == GW_JOB_INGEST && taken < GW_GROUP_MAX)
			{
				last = last->next;
				taken++;
			}
			pool.head = last->next;
			if (pool.head == NULL)
				pool.tail = NULL;
			last->next = NULL;
			pool.queued -= taken;
			slot->busy = true;
			return first;
		}
		if (!pool.stopping && reconnect_due(slot))
		{
			*reconnect = true;
			return NULL;
		}
		if (pool.stopping && pool.head == NULL)
			return NULL;

		/* Sleep: until the reconnect is due, or until woken */
		if (slot->conn == NULL && !pool.stopping)
			pthread_cond_timedwait(&pool.wake, &pool.lock,
								   &slot->next_attempt);
		else
			pthread_cond_wait(&pool.wake, &pool.lock);
	}
}

/*
 * worker_main: the thread of one slot.
 */
static void *
worker_main(void *arg)
{
	GwSlot	   *slot = arg;

	for (;;)
	{
		GwJob	   *job;
		bool		reconnect;

		pthread_mutex_lock(&pool.lock);
		job = next_work(slot, &reconnect);
		pthread_mutex_unlock(&pool.lock);

		if (job != NULL)
			run_job(slot, job);
		else if (reconnect)
			slot_connect(slot);
		else
			break;
	}
	slot_close(slot);
	return NULL;
}

/*
 * gw_pool_start: start size workers for dsn (copied).  Connections are
 * opened by the workers, so the database need not be up yet.  Returns
 * false after a message when dsn is not a valid connection string or a
 * thread cannot be started.
 */
bool
gw_pool_start(const char *dsn, int size)
{
	pthread_condattr_t cattr;
	char	   *err = NULL;
	PQconninfoOption *opts;
	int			i;

	/* Check the connection string now, not at every reconnect */
	opts = PQconninfoParse(dsn, &err);
	if (opts == NULL)
	{
		char		reason[512];

		gw_one_line(reason, sizeof(reason), err ? err : "out of memory");
		gw_log("invalid connection string in --dsn: %s", reason);
		PQfreemem(err);
		return false;
	}
	PQconninfoFree(opts);

	/* Shared state; the condition variable runs on the monotonic clock */
	pthread_mutex_init(&pool.lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&pool.wake, &cattr);
	pthread_condattr_destroy(&cattr);
	pool.started = true;
	pool.dsn = strdup(dsn);
	pool.nslots = size;
	pool.limit = size * GW_QUEUE_PER_CONNECTION;
	pool.slots = calloc(size, sizeof(GwSlot));
	if (pool.dsn == NULL || pool.slots == NULL)
	{
		gw_log("out of memory");
		pool.nslots = 0;		/* no thread to join */
		gw_pool_stop();
		return false;
	}

	/* One worker per slot; each connects at once */
	for (i = 0; i < size; i++)
	{
		int			rc = pthread_create(&pool.slots[i].thread, NULL,
										worker_main, &pool.slots[i]);

		if (rc != 0)
		{
			gw_log("could not start database thread: %s", strerror(rc));
			pool.nslots = i;
			gw_pool_stop();
			return false;
		}
	}
	return true;
}

/*
 * gw_pool_reserve: reserve a place in the queue for one job.  Returns false
 * when the queue is full or the pool is stopping; the caller then answers
 * 503 itself.  A true return must be followed by gw_pool_submit.
 */
bool
gw_pool_reserve(void)
{
	bool		ok;

	pthread_mutex_lock(&pool.lock);
	ok = !pool.stopping && pool.queued + pool.reserved < pool.limit;
	if (ok)
		pool.reserved++;
	pthread_mutex_unlock(&pool.lock);
	return ok;
}

/*
 * gw_pool_submit: queue a job for which a place was reserved.  job->done
 * will be called exactly once, from a worker thread, possibly before this
 * function returns.
 */
void
gw_pool_submit(GwJob *job)
{
	job->next = NULL;
	job->retried = false;
	memset(&job->result, 0, sizeof(job->result));

	pthread_mutex_lock(&pool.lock);
	pool.reserved--;
	if (pool.tail != NULL)
		pool.tail->next = job;
	else
		pool.head = job;
	pool.tail = job;
	pool.queued++;

	/*
	 * With every slot connected, any sleeping worker may take the job, so
	 * one is woken: waking all of them would cost a round of futex calls
	 * and context switches per request for nothing.  Otherwise the worker
	 * woken might be one that may not take it.
	 */
	if (pool.open == pool.nslots)
		pthread_cond_signal(&pool.wake);
	else
		pthread_cond_broadcast(&pool.wake);
	pthread_mutex_unlock(&pool.lock);
}

/*
 * gw_pool_abort: end all pending work quickly, for a shutdown whose grace
 * period is over: queued jobs are answered as unavailable and running
 * statements are cancelled (they then end as unavailable too).  May be
 * called again, to cancel statements that started meanwhile.
 */
void
gw_pool_abort(void)
{
	char		errbuf[256];
	int			i;

	pthread_mutex_lock(&pool.lock);
	pool.aborting = true;
	for (i = 0; i < pool.nslots; i++)
		if (pool.slots[i].busy && pool.slots[i].cancel != NULL)
			PQcancel(pool.slots[i].cancel, errbuf, sizeof(errbuf));
	pthread_cond_broadcast(&pool.wake);
	pthread_mutex_unlock(&pool.lock);
}

/*
 * gw_pool_stop: let the workers finish the queue, close every connection
 * and free the pool.  No job may be submitted once this is called.  Does
 * nothing when the pool was not started, or was already stopped.
 */
void
gw_pool_stop(void)
{
	int			i;

	if (!pool.started)
		return;
	pthread_mutex_lock(&pool.lock);
	pool.stopping = true;
	pthread_cond_broadcast(&pool.wake);
	pthread_mutex_unlock(&pool.lock);

	for (i = 0; i < pool.nslots; i++)
		pthread_join(pool.slots[i].thread, NULL);

	free(pool.slots);
	free(pool.dsn);
	pool.slots = NULL;
	pool.dsn = NULL;
	pool.nslots = 0;
	pthread_cond_destroy(&pool.wake);
	pthread_mutex_destroy(&pool.lock);
	pool.started = false;
}

/*
 * gw_pool_stats: the pool's gauges, for /metrics.
 */
void
gw_pool_stats(GwPoolStats *stats)
{
	pthread_mutex_lock(&pool.lock);
	stats->database_up = pool.up;
	stats->connections = pool.open;
	stats->queued = pool.queued;
	pthread_mutex_unlock(&pool.lock);
}
