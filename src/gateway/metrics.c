/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  Prometheus counters of autoplay-gateway.
 *
 * Metric names (all prefixed autoplay_gateway_):
 *	requests_total{route,status}		answered requests
 *	requests_aborted_total				requests closed before an answer
 *	clicks_total{outcome}				accepted, duplicate, rejected, test
 *	database_errors_total{kind}			connection, retryable, other
 *	request_duration_seconds{route}		histogram, first byte to answer
 *	database_up, database_connections, queue_length, requests_in_flight
 *										gauges
 *
 * Statuses are counted in a fixed table; a status outside it (which the
 * program never sends) is counted as "other".
 *
 * src/gateway/metrics.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* The statuses the gateway sends, in label order; the last is "other" */
static const unsigned int statuses[] = {
	200, 400, 401, 403, 404, 405, 413, 415, 422, 500, 503, 0
};
#define GW_NUM_STATUSES (sizeof(statuses) / sizeof(statuses[0]))

/* Histogram bucket upper bounds, seconds; +Inf is implicit */
static const double buckets[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};
#define GW_NUM_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static const char *const route_labels[GW_NUM_ROUTES] = {
	"/ingest", "/rpc/autoplay_ingest", "/healthz", "/metrics", "other"
};
static const char *const dberr_labels[GW_NUM_DBERR_KINDS] = {
	"connection", "retryable", "other"
};
static const char *const click_labels[] = {
	"accepted", "duplicate", "rejected", "test"
};

/* All counters; zero-initialized, only ever incremented */
static struct
{
	uint64_t	requests[GW_NUM_ROUTES][GW_NUM_STATUSES];
	uint64_t	aborted;
	uint64_t	clicks[4];
	uint64_t	db_errors[GW_NUM_DBERR_KINDS];
	uint64_t	latency_buckets[GW_NUM_ROUTES][GW_NUM_BUCKETS];
	uint64_t	latency_count[GW_NUM_ROUTES];
	uint64_t	latency_sum_us[GW_NUM_ROUTES];
} counters;

/* A growing text buffer for one scrape */
typedef struct GwText
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		failed;
} GwText;

/*
 * add: atomically add n to a counter.
 */
static inline void
add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/*
 * get: atomically read a counter.
 */
static inline uint64_t
get(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/*
 * gw_route_label: the "route" label of a route.
 */
const char *
gw_route_label(GwRoute route)
{
	return route_labels[route];
}

/*
 * gw_metrics_request: count one answered request and its latency.
 */
void
gw_metrics_request(GwRoute route, unsigned int status, double seconds)
{
	size_t		s;
	size_t		b;

	/* The status's slot, or the last one ("other") */
	for (s = 0; s + 1 < GW_NUM_STATUSES; s++)
		if (statuses[s] == status)
			break;
	add(&counters.requests[route][s], 1);

	/* Buckets are cumulative: count in every bucket the time fits */
	for (b = 0; b < GW_NUM_BUCKETS; b++)
		if (seconds <= buckets[b])
			add(&counters.latency_buckets[route][b], 1);
	add(&counters.latency_count[route], 1);
	add(&counters.latency_sum_us[route], (uint64_t) (seconds * 1e6));
}

/*
 * gw_metrics_aborted: count a request closed before it was answered.
 */
void
gw_metrics_aborted(void)
{
	add(&counters.aborted, 1);
}

/*
 * gw_metrics_clicks: count the clicks of one answered ingest request.
 */
void
gw_metrics_clicks(long accepted, long duplicates, long rejected, long tests)
{
	add(&counters.clicks[0], accepted > 0 ? accepted : 0);
	add(&counters.clicks[1], duplicates > 0 ? duplicates : 0);
	add(&counters.clicks[2], rejected > 0 ? rejected : 0);
	add(&counters.clicks[3], tests > 0 ? tests : 0);
}

/*
 * gw_metrics_db_error: count one database error of the given kind.
 */
void
gw_metrics_db_error(GwDbErrorKind kind)
{
	add(&counters.db_errors[kind], 1);
}

/*
 * put: append formatted text to t, growing it; on allocation failure t is
 * marked failed and later calls do nothing.
 */
static void
__attribute__((format(printf, 2, 3)))
put(GwText *t, const char *fmt,...)
{
	va_list		ap;
	int			need;
	char	   *grown;

	if (t->failed)
		return;

	/* Try in place; on a short buffer, grow and retry once */
	for (;;)
	{
		va_start(ap, fmt);
		need = vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (need < 0)
			break;
		if ((size_t) need < t->cap - t->len)
		{
			t->len += need;
			return;
		}
		grown = realloc(t->data, (t->cap + need + 1) * 2);
		if (grown == NULL)
			break;
		t->data = grown;
		t->cap = (t->cap + need + 1) * 2;
	}
	t->failed = true;
}

/*
 * render_requests: the requests_total and requests_aborted_total families;
 * only route and status pairs seen so far are listed.
 */
static void
render_requests(GwText *t)
{
	int			r;
	size_t		s;

	put(t, "# HELP autoplay_gateway_requests_total HTTP requests answered, "
		"by route and status.\n"
		"# TYPE autoplay_gateway_requests_total counter\n");
	for (r = 0; r < GW_NUM_ROUTES; r++)
		for (s = 0; s < GW_NUM_STATUSES; s++)
		{
			uint64_t	n = get(&counters.requests[r][s]);
			char		status[16];

			if (n == 0)
				continue;
			if (statuses[s] == 0)
				strcpy(status, "other");
			else
				snprintf(status, sizeof(status), "%u", statuses[s]);
			put(t, "autoplay_gateway_requests_total{route=\"%s\","
				"status=\"%s\"} %llu\n",
				route_labels[r], status, (unsigned long long) n);
		}

	put(t, "# HELP autoplay_gateway_requests_aborted_total Requests closed "
		"before an answer was sent.\n"
		"# TYPE autoplay_gateway_requests_aborted_total counter\n"
		"autoplay_gateway_requests_aborted_total %llu\n",
		(unsigned long long) get(&counters.aborted));
}

/*
 * render_clicks: the clicks_total and database_errors_total families.
 */
static void
render_clicks(GwText *t)
{
	int			i;

	put(t, "# HELP autoplay_gateway_clicks_total Clicks in answered ingest "
		"requests, by outcome.\n"
		"# TYPE autoplay_gateway_clicks_total counter\n");
	for (i = 0; i < 4; i++)
		put(t, "autoplay_gateway_clicks_total{outcome=\"%s\"} %llu\n",
			click_labels[i], (unsigned long long) get(&counters.clicks[i]));

	put(t, "# HELP autoplay_gateway_database_errors_total Failed database "
		"connections and statements, by kind.\n"
		"# TYPE autoplay_gateway_database_errors_total counter\n");
	for (i = 0; i < GW_NUM_DBERR_KINDS; i++)
		put(t, "autoplay_gateway_database_errors_total{kind=\"%s\"} %llu\n",
			dberr_labels[i], (unsigned long long) get(&counters.db_errors[i]));
}

/*
 * render_latency: the request_duration_seconds histogram, per route.
 */
static void
render_latency(GwText *t)
{
	int			r;
	size_t		b;

	put(t, "# HELP autoplay_gateway_request_duration_seconds Time from a "
		"request's headers to its answer.\n"
		"# TYPE autoplay_gateway_request_duration_seconds histogram\n");
	for (r = 0; r < GW_NUM_ROUTES; r++)
	{
		uint64_t	count = get(&counters.latency_count[r]);

		for (b = 0; b < GW_NUM_BUCKETS; b++)
			put(t, "autoplay_gateway_request_duration_seconds_bucket"
				"{route=\"%s\",le=\"%g\"} %llu\n", route_labels[r], buckets[b],
				(unsigned long long) get(&counters.latency_buckets[r][b]));
		put(t, "autoplay_gateway_request_duration_seconds_bucket"
			"{route=\"%s\",le=\"+Inf\"} %llu\n", route_labels[r],
			(unsigned long long) count);
		put(t, "autoplay_gateway_request_duration_seconds_sum"
			"{route=\"%s\"} %.6f\n", route_labels[r],
			get(&counters.latency_sum_us[r]) / 1e6);
		put(t, "autoplay_gateway_request_duration_seconds_count"
			"{route=\"%s\"} %llu\n", route_labels[r],
			(unsigned long long) count);
	}
}

/*
 * render_gauges: the point-in-time values.
 */
static void
render_gauges(GwText *t, const GwGauges *g)
{
	put(t, "# HELP autoplay_gateway_database_up Whether the last contact "
		"with the database succeeded.\n"
		"# TYPE autoplay_gateway_database_up gauge\n"
		"autoplay_gateway_database_up %d\n", g->database_up ? 1 : 0);
	put(t, "# HELP autoplay_gateway_database_connections Open database "
		"connections.\n"
		"# TYPE autoplay_gateway_database_connections gauge\n"
		"autoplay_gateway_database_connections %d\n", g->connections);
	put(t, "# HELP autoplay_gateway_queue_length Statements waiting for a "
		"database connection.\n"
		"# TYPE autoplay_gateway_queue_length gauge\n"
		"autoplay_gateway_queue_length %d\n", g->queued);
	put(t, "# HELP autoplay_gateway_requests_in_flight HTTP requests being "
		"handled.\n"
		"# TYPE autoplay_gateway_requests_in_flight gauge\n"
		"autoplay_gateway_requests_in_flight %d\n", g->in_flight);
}

/*
 * gw_metrics_render: the whole exposition as a malloc'd string (its length
 * in *len), or NULL when out of memory.  The caller frees it.
 */
char *
gw_metrics_render(const GwGauges *gauges, size_t *len)
{
	GwText		t = {NULL, 0, 0, false};

	t.cap = 16384;
	t.data = malloc(t.cap);
	if (t.data == NULL)
		return NULL;

	render_requests(&t);
	render_clicks(&t);
	render_latency(&t);
	render_gauges(&t, gauges);

	if (t.failed)
	{
		free(t.data);
		return NULL;
	}
	*len = t.len;
	return t.data;
}
