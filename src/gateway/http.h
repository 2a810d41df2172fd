/*-------------------------------------------------------------------------
 *
 * http.h
 *	  The HTTP server: routes, request checks and the status contract.
 *
 * libmicrohttpd runs the connections on --threads threads.  A request's
 * state is allocated at its first callback and freed in the completion
 * callback.  Requests that need the database are suspended while the pool
 * runs their statement, so an HTTP thread never waits for PostgreSQL.
 *
 * Shutdown runs in steps: gw_http_quiesce() stops accepting connections,
 * the caller waits while gw_http_in_flight() > 0 (aborting the pool if
 * that takes too long, then waiting while gw_http_suspended() > 0), and
 * gw_http_stop() closes what is left.
 *
 * src/gateway/http.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stdbool.h>

#include "config.h"

extern bool gw_http_start(const GwConfig *cfg, char *bound, size_t size);
extern void gw_http_quiesce(void);
extern int	gw_http_in_flight(void);
extern int	gw_http_suspended(void);
extern void gw_http_stop(void);
extern unsigned int gw_http_max_connections(void);

#endif							/* GW_HTTP_H */
