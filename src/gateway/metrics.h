/*-------------------------------------------------------------------------
 *
 * metrics.h
 *	  Counters and a latency histogram, rendered in Prometheus' text
 *	  format for GET /metrics.
 *
 * Counters only grow, from any thread, with relaxed atomic additions; a
 * scrape reads each one once, so numbers of one scrape may be a few
 * requests apart from each other but never go back.  Gauges that other
 * modules own are passed in at render time.
 *
 * src/gateway/metrics.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stdbool.h>
#include <stddef.h>

/* The routes, as the "route" label names them */
typedef enum GwRoute
{
	GW_ROUTE_INGEST,			/* POST /ingest */
	GW_ROUTE_RPC,				/* POST /rpc/autoplay_ingest */
	GW_ROUTE_HEALTHZ,			/* GET /healthz */
	GW_ROUTE_METRICS,			/* GET /metrics */
	GW_ROUTE_OTHER,				/* anything else: 404 */
	GW_NUM_ROUTES
} GwRoute;

/* Kinds of database error, as the "kind" label names them */
typedef enum GwDbErrorKind
{
	GW_DBERR_CONNECTION,		/* could not connect, or connection lost */
	GW_DBERR_RETRYABLE,			/* conflict, overload, shutdown: 503 */
	GW_DBERR_OTHER,				/* anything else: 500 */
	GW_NUM_DBERR_KINDS
} GwDbErrorKind;

/* Point-in-time values owned by other modules */
typedef struct GwGauges
{
	bool		database_up;	/* the last database contact succeeded */
	int			connections;	/* open database connections */
	int			queued;			/* statements waiting for a connection */
	int			in_flight;		/* HTTP requests being handled */
} GwGauges;

extern const char *gw_route_label(GwRoute route);
extern void gw_metrics_request(GwRoute route, unsigned int status,
							   double seconds);
extern void gw_metrics_aborted(void);
extern void gw_metrics_clicks(long accepted, long duplicates, long rejected,
							  long tests);
extern void gw_metrics_db_error(GwDbErrorKind kind);
extern char *gw_metrics_render(const GwGauges *gauges, size_t *len);

#endif							/* GW_METRICS_H */
