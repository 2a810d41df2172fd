/*-------------------------------------------------------------------------
 *
 * main.c
 *	  autoplay-gateway: start-up, signals and shutdown.
 *
 * The main thread starts the pool and the HTTP server, then only waits for
 * signals with sigwait(): the signals are blocked before any other thread
 * exists, so no handler ever runs in the middle of libpq or libmicrohttpd.
 *	SIGHUP			re-read the tokens
 *	SIGTERM, SIGINT	stop accepting connections, let the requests in flight
 *					finish (for at most --grace seconds; a second signal
 *					cuts the wait short), close everything, exit 0.  Past
 *					the grace period, statements still running are
 *					cancelled and answered 503; should one not end even
 *					then, the program exits 1 without closing its
 *					connections.
 *
 * src/gateway/main.c
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "pool.h"

/* Seconds to keep cancelling statements after the grace period */
#define GW_ABORT_WAIT_SECONDS 10

/*
 * wait_until: wait until count() is zero, a stop signal arrives or seconds
 * pass, polling every 20 ms.  Returns true when count() reached zero.
 */
static bool
wait_until(int (*count) (void), const sigset_t *sigs, int seconds)
{
	struct timespec tick = {0, 20 * 1000 * 1000};
	struct timespec start;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (count() > 0)
	{
		int			sig = sigtimedwait(sigs, NULL, &tick);

		if (sig == SIGTERM || sig == SIGINT)
			return false;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) +
			(now.tv_nsec - start.tv_nsec) / 1e9 >= seconds)
			return false;
	}
	return true;
}

/*
 * shut_down: the orderly stop after SIGTERM or SIGINT.  Returns false when
 * some statement could not be ended; the HTTP and database threads are
 * then left running, since stopping them would wait for it forever.
 */
static bool
shut_down(int sig, const sigset_t *sigs, int grace)
{
	int			i;

	gw_log("received %s, finishing %d requests in flight",
		   sig == SIGTERM ? "SIGTERM" : "SIGINT", gw_http_in_flight());

	/* No new connections; the requests begun go on */
	gw_http_quiesce();
	if (!wait_until(gw_http_in_flight, sigs, grace))
	{
		/*
		 * Out of patience: end the database work, then wait for the
		 * answers.  Cancel again each second, for a statement that was
		 * only about to start when the previous cancel went out.
		 */
		gw_log("giving up on %d requests in flight", gw_http_in_flight());
		for (i = 0; i < GW_ABORT_WAIT_SECONDS && gw_http_suspended() > 0; i++)
		{
			gw_pool_abort();
			wait_until(gw_http_suspended, sigs, 1);
		}
		if (gw_http_suspended() > 0)
		{
			gw_log("could not cancel %d statements in the database",
				   gw_http_suspended());
			return false;
		}
	}

	/* Close what is left: idle connections, then the database */
	gw_http_stop();
	gw_pool_stop();
	return true;
}

/*
 * log_start: the start-up line, and the access rules in force.
 */
static void
log_start(const GwConfig *cfg, const char *bound)
{
	gw_log("listening on %s with %d threads and %d database connections",
		   bound, cfg->threads, cfg->pool_size);
	gw_log("serving up to %u connections at once",
		   gw_http_max_connections());
	if (cfg->insecure_no_auth)
		gw_log("warning: accepting requests without a bearer token "
			   "(--insecure-no-auth)");
	else
		gw_log("accepting %d bearer token%s from %s", gw_auth_token_count(),
			   gw_auth_token_count() == 1 ? "" : "s",
			   cfg->allow ? cfg->allow : "any address");
}

/*
 * main: see the file header.  Exits 1 when start-up fails, 0 after an
 * orderly stop.
 */
int
main(int argc, char **argv)
{
	GwConfig	cfg;
	sigset_t	sigs;
	char		bound[128];
	int			sig = 0;

	/* Settings and tokens, before any thread */
	gw_config_load(&cfg, argc, argv);
	if (!gw_auth_init(&cfg))
	{
		gw_auth_shutdown();
		gw_config_free(&cfg);
		return 1;
	}

	/* Block the signals we wait for, in every thread to come */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The pool first, so the first request finds it */
	if (!gw_pool_start(cfg.dsn, cfg.pool_size) ||
		!gw_http_start(&cfg, bound, sizeof(bound)))
	{
		gw_pool_stop();
		gw_auth_shutdown();
		gw_config_free(&cfg);
		return 1;
	}
	log_start(&cfg, bound);

	/* Serve until told to stop */
	while (sig != SIGTERM && sig != SIGINT)
	{
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP)
			gw_auth_reload();
	}

	if (!shut_down(sig, &sigs, cfg.grace))
	{
		gw_log("stopped without closing every connection");
		return 1;
	}
	gw_auth_shutdown();
	gw_config_free(&cfg);
	gw_log("stopped");
	return 0;
}
