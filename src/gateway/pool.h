/*-------------------------------------------------------------------------
 *
 * pool.h
 *	  The database pool: a queue of statements and one worker thread per
 *	  PostgreSQL connection.
 *
 * An HTTP thread never talks to PostgreSQL.  It fills a GwJob, reserves a
 * place with gw_pool_reserve(), suspends its HTTP connection, and hands
 * the job over with gw_pool_submit().  A worker runs the statement on its
 * own connection and calls job->done() once the result has arrived, that
 * is after the commit; done() resumes the HTTP connection.  From submit to
 * done() the job belongs to the pool; after done() returns the pool never
 * touches it again.
 *
 * Connections that fail are reopened by their worker with a growing delay,
 * whether or not requests arrive.  While no connection is open, jobs are
 * answered at once as GW_JOB_UNAVAILABLE.
 *
 * The queue is the seam for group commit: a worker could take several
 * ingest jobs, run them in one transaction and call each done() after its
 * COMMIT.  Nothing outside this module would change.
 *
 * src/gateway/pool.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef GW_POOL_H
#define GW_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "metrics.h"

/* Seconds a client is told to wait (Retry-After) when the pool says 503 */
#define GW_RETRY_AFTER_SECONDS 5

typedef enum GwJobKind
{
	GW_JOB_INGEST,				/* SELECT autoplay_ingest_raw($1) */
	GW_JOB_HEALTH				/* SELECT 1 */
} GwJobKind;

typedef enum GwJobOutcome
{
	GW_JOB_DONE,				/* the statement ran and committed */
	GW_JOB_UNAVAILABLE,			/* database away, busy, conflicting: 503 */
	GW_JOB_FAILED				/* any other error: a bug, 500 */
} GwJobOutcome;

/* What autoplay_ingest_raw() said, summed up for the HTTP status */
typedef struct GwIngestResult
{
	char	   *json;			/* the jsonb result as text, malloc'd */
	size_t		json_len;
	long		accepted;		/* the result's counters */
	long		duplicates;
	long		rejected;
	long		tests;
	long		results;		/* elements of "results" */
	long		succeeded;		/* ... accepted, duplicate or test */
	long		not_clicks;		/* ... rejected: not JSON, not a click */
} GwIngestResult;

typedef struct GwJob
{
	/* Set by the submitter */
	GwJobKind	kind;
	const char *body;			/* request body, for ingest; may be NULL */
	size_t		body_len;
	void		(*done) (struct GwJob *job);	/* called once, by a worker */
	void	   *arg;			/* for done() */

	/* Set by the pool before done() */
	GwJobOutcome outcome;
	GwIngestResult result;		/* ingest only, when GW_JOB_DONE */

	/* Private to the pool */
	struct GwJob *next;
	bool		retried;
} GwJob;

/* The pool's gauges */
typedef struct GwPoolStats
{
	bool		database_up;
	int			connections;
	int			queued;
} GwPoolStats;

extern bool gw_pool_start(const char *dsn, int size);
extern bool gw_pool_reserve(void);
extern void gw_pool_submit(GwJob *job);
extern void gw_pool_abort(void);
extern void gw_pool_stop(void);
extern void gw_pool_stats(GwPoolStats *stats);

#endif							/* GW_POOL_H */
