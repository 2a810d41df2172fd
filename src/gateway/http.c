/*-------------------------------------------------------------------------
 *
 * http.c
 *	  Routes, request checks and answers of autoplay-gateway.
 *
 * The access handler is called several times per request:
 *	1. with the headers only: the allow-list, route, method, token,
 *	   content type and declared length are checked here, so a refused
 *	   body is never read (and "Expect: 100-continue" gets no 100);
 *	2. once per piece of the body, which is kept for the ingest routes;
 *	3. when the whole body is in: the request is answered (metrics, 413)
 *	   or its statement goes to the pool and the connection is suspended;
 *	4. after the pool resumed it: the answer is built from the result.
 * libmicrohttpd only makes the third call once the declared length or the
 * last chunk has arrived, so no answer is ever given for a partial body.
 *
 * A request's state lives from the first call to the completion callback,
 * which counts it in the metrics and frees it.  While suspended, the state
 * is shared with one pool thread, which only marks it done and resumes the
 * connection.
 *
 * src/gateway/http.c
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE				/* asprintf */

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "auth.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"

/*
 * Body bytes past --max-body that are read and dropped to answer 413 to a
 * chunked upload (whose length is not known in advance); past that the
 * connection is closed without an answer.
 *
 * XXX libmicrohttpd does not let an answer be queued while body data is
 * being handed over, so an oversized chunked body is read to its end (into
 * no buffer) before the 413.  That costs bandwidth, not memory.  Closing
 * the connection at once (returning MHD_NO) would save it but give the
 * client no status at all, which FullStory would retry as a failure.
 */
#define GW_DISCARD_MAX ((size_t) 8 * 1024 * 1024)

/* The state of one request */
typedef struct GwRequest
{
	struct MHD_Connection *connection;
	GwRoute		route;
	struct timespec started;	/* CLOCK_MONOTONIC, at the first call */
	char		method[16];		/* for the request log */
	char		path[128];		/* for the request log, made printable */
	char	   *body;			/* kept body (ingest routes), malloc'd */
	size_t		body_len;
	size_t		body_cap;
	size_t		declared;		/* Content-Length, 0 when absent */
	size_t		seen;			/* body bytes received, kept or not */
	bool		too_large;		/* a chunked body passed --max-body */
	bool		submitted;		/* the job went to the pool */
	int			job_done;		/* set by the pool thread (atomic) */
	GwJob		job;
	unsigned int status;		/* status queued, 0 until then */
} GwRequest;

/* The server: one per process */
static struct
{
	const GwConfig *cfg;
	struct MHD_Daemon *daemon;
	MHD_socket	listen_fd;		/* ours only once quiesced, else MHD's */
	bool		own_listen_fd;
	int			in_flight;		/* atomic: begun, not yet completed */
	int			suspended;		/* atomic: waiting for the pool */
	int			quiescing;		/* shutdown has begun (atomic) */
	unsigned int max_connections;	/* HTTP connections served at once */
} http = {NULL, NULL, MHD_INVALID_SOCKET, false, 0, 0, 0, 0};

/*
 * elapsed: seconds since t on the monotonic clock.
 */
static double
elapsed(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

/*
 * route_of: the route of a path, whatever the method.
 */
static GwRoute
route_of(const char *url)
{
	if (strcmp(url, "/ingest") == 0)
		return GW_ROUTE_INGEST;
	if (strcmp(url, "/rpc/autoplay_ingest") == 0)
		return GW_ROUTE_RPC;
	if (strcmp(url, "/healthz") == 0)
		return GW_ROUTE_HEALTHZ;
	if (strcmp(url, "/metrics") == 0)
		return GW_ROUTE_METRICS;
	return GW_ROUTE_OTHER;
}

/*
 * is_ingest: whether a route takes click bodies.
 */
static inline bool
is_ingest(GwRoute route)
{
	return route == GW_ROUTE_INGEST || route == GW_ROUTE_RPC;
}

/*
 * is_json_type: whether a Content-Type value (NULL when absent) is JSON:
 * absent or empty, or application/json with or without parameters, in any
 * case.
 */
static bool
is_json_type(const char *type)
{
	static const char json[] = "application/json";
	size_t		n = sizeof(json) - 1;

	if (type == NULL)
		return true;
	type += strspn(type, " \t");
	if (*type == '\0')
		return true;
	if (strncasecmp(type, json, n) != 0)
		return false;
	type += n;
	type += strspn(type, " \t");
	return *type == '\0' || *type == ';';
}

/*
 * copy_printable: copy src into dst (size bytes) for a log line, with
 * quotes, backslashes and non-printable bytes shown as '?'.
 */
static void
copy_printable(char *dst, size_t size, const char *src)
{
	size_t		i;

	for (i = 0; src[i] != '\0' && i + 1 < size; i++)
		dst[i] = (src[i] < ' ' || src[i] > '~' || src[i] == '"' ||
				  src[i] == '\\') ? '?' : src[i];
	dst[i] = '\0';
}

/*
 * reply: queue an answer.  body (len bytes) is freed by libmicrohttpd when
 * owned, else it must be static.  One extra header may be given (name
 * NULL for none).  Once shutdown has begun, the connection is closed after
 * the answer.
 */
static enum MHD_Result
reply(GwRequest *req, unsigned int status, char *body, size_t len,
	  bool owned, const char *type, const char *name, const char *value)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, body,
										   owned ? MHD_RESPMEM_MUST_FREE :
										   MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
	{
		if (owned)
			free(body);
		return MHD_NO;
	}

	/* Headers */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (name != NULL)
		MHD_add_response_header(resp, name, value);
	if (__atomic_load_n(&http.quiescing, __ATOMIC_RELAXED))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");

	ret = MHD_queue_response(req->connection, status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES)
		req->status = status;
	return ret;
}

/*
 * reply_error: answer {"error": message}; message must need no JSON
 * escaping.
 */
static enum MHD_Result
reply_error(GwRequest *req, unsigned int status, const char *message,
			const char *name, const char *value)
{
	char	   *body;
	int			len;

	len = asprintf(&body, "{\"error\": \"%s\"}\n", message);
	if (len < 0)
		return MHD_NO;
	return reply(req, status, body, len, true, "application/json",
				 name, value);
}

/*
 * reply_unavailable: answer 503 with Retry-After.
 */
static enum MHD_Result
reply_unavailable(GwRequest *req, const char *message)
{
	char		seconds[16];

	snprintf(seconds, sizeof(seconds), "%d", GW_RETRY_AFTER_SECONDS);
	return reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, message,
					   MHD_HTTP_HEADER_RETRY_AFTER, seconds);
}

/*
 * check_method: answer 405 unless the method suits the route.  Returns
 * true when the request may go on.
 */
static bool
check_method(GwRequest *req, const char *method, enum MHD_Result *ret)
{
	bool		post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	bool		get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
		strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;

	if (is_ingest(req->route) ? post : get)
		return true;
	*ret = reply_error(req, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
					   MHD_HTTP_HEADER_ALLOW,
					   is_ingest(req->route) ? "POST" : "GET, HEAD");
	return false;
}

/*
 * check_ingest_headers: the checks of an ingest request that need only
 * its headers: token (401), content type (415), declared length (413).
 * Returns true when the body may be read.
 */
static bool
check_ingest_headers(GwRequest *req, enum MHD_Result *ret)
{
	struct MHD_Connection *c = req->connection;
	const char *authorization;
	const char *type;
	const char *length;
	char		message[64];

	authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
												MHD_HTTP_HEADER_AUTHORIZATION);
	type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
									   MHD_HTTP_HEADER_CONTENT_TYPE);
	length = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
										 MHD_HTTP_HEADER_CONTENT_LENGTH);

	/* The token; neither it nor the header is ever logged */
	if (!gw_auth_check_bearer(authorization))
	{
		*ret = reply_error(req, MHD_HTTP_UNAUTHORIZED,
						   "missing or invalid bearer token",
						   MHD_HTTP_HEADER_WWW_AUTHENTICATE,
						   "Bearer realm=\"autoplay\"");
		return false;
	}

	/* JSON, or no type at all */
	if (!is_json_type(type))
	{
		*ret = reply_error(req, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
						   "content type must be application/json",
						   NULL, NULL);
		return false;
	}

	/* A declared length over the limit is refused before any byte */
	if (length != NULL)
		req->declared = strtoull(length, NULL, 10);
	if (req->declared > http.cfg->max_body)
	{
		snprintf(message, sizeof(message), "request body exceeds %zu bytes",
				 http.cfg->max_body);
		*ret = reply_error(req, MHD_HTTP_CONTENT_TOO_LARGE, message,
						   NULL, NULL);
		return false;
	}
	return true;
}

/*
 * check_headers: the first call of a request.  Queues an error answer, or
 * nothing when the body should be read (libmicrohttpd then sends "100
 * Continue" if it was asked for).
 */
static enum MHD_Result
check_headers(GwRequest *req, const char *method)
{
	const union MHD_ConnectionInfo *ci;
	enum MHD_Result ret = MHD_YES;

	/* The allow-list applies to every route */
	ci = MHD_get_connection_info(req->connection,
								 MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!gw_auth_address_allowed(ci != NULL ? ci->client_addr : NULL))
		return reply_error(req, MHD_HTTP_FORBIDDEN, "address not allowed",
						   NULL, NULL);

	/* Known path, suitable method */
	if (req->route == GW_ROUTE_OTHER)
		return reply_error(req, MHD_HTTP_NOT_FOUND, "not found", NULL, NULL);
	if (!check_method(req, method, &ret))
		return ret;

	/* Ingest routes check the token and what the body will be */
	if (is_ingest(req->route) && !check_ingest_headers(req, &ret))
		return ret;
	return MHD_YES;
}

/*
 * take_body: add a piece of the body.  Ingest routes keep it up to
 * --max-body; past that, and for other routes, bytes are counted and
 * dropped.  Returns false when so much was dropped that the connection
 * should be closed.
 */
static bool
take_body(GwRequest *req, const char *data, size_t size)
{
	size_t		limit = http.cfg->max_body;

	req->seen += size;
	if (!is_ingest(req->route))
		return req->seen <= GW_DISCARD_MAX;

	/* Over the limit: drop what was kept, answer 413 at the end */
	if (req->too_large || req->body_len + size > limit)
	{
		req->too_large = true;
		free(req->body);
		req->body = NULL;
		req->body_len = req->body_cap = 0;
		return req->seen <= limit + GW_DISCARD_MAX;
	}

	/* Grow: to the declared length at once, else by doubling */
	if (req->body_len + size > req->body_cap)
	{
		size_t		cap = req->declared ? req->declared :
			(req->body_cap ? req->body_cap * 2 : 4096);
		char	   *grown;

		while (cap < req->body_len + size)
			cap *= 2;
		if (cap > limit)
			cap = limit;
		grown = realloc(req->body, cap);
		if (grown == NULL)
			return false;
		req->body = grown;
		req->body_cap = cap;
	}
	memcpy(req->body + req->body_len, data, size);
	req->body_len += size;
	return true;
}

/*
 * job_done: called by a pool thread when the request's statement is over.
 * After MHD_resume_connection the request may be freed at any moment, so
 * nothing may follow it.
 */
static void
job_done(GwJob *job)
{
	GwRequest  *req = job->arg;

	__atomic_store_n(&req->job_done, 1, __ATOMIC_RELEASE);
	MHD_resume_connection(req->connection);
}

/*
 * submit_job: hand a database request to the pool and suspend its
 * connection until the answer is there.  The connection is suspended
 * before the job is queued, as it must be before it can be resumed.
 */
static enum MHD_Result
submit_job(GwRequest *req)
{
	if (!gw_pool_reserve())
		return reply_unavailable(req, "too many requests waiting for the "
								 "database");

	req->job.kind = req->route == GW_ROUTE_HEALTHZ ? GW_JOB_HEALTH :
		GW_JOB_INGEST;
	req->job.body = req->body;
	req->job.body_len = req->body_len;
	req->job.done = job_done;
	req->job.arg = req;
	req->submitted = true;

	__atomic_add_fetch(&http.suspended, 1, __ATOMIC_SEQ_CST);
	MHD_suspend_connection(req->connection);
	gw_pool_submit(&req->job);
	return MHD_YES;
}

/*
 * answer_metrics: render the metrics.
 */
static enum MHD_Result
answer_metrics(GwRequest *req)
{
	GwPoolStats ps;
	GwGauges	g;
	char	   *text;
	size_t		len;

	gw_pool_stats(&ps);
	g.database_up = ps.database_up;
	g.connections = ps.connections;
	g.queued = ps.queued;
	g.in_flight = gw_http_in_flight();

	text = gw_metrics_render(&g, &len);
	if (text == NULL)
		return reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
						   "out of memory", NULL, NULL);
	return reply(req, MHD_HTTP_OK, text, len, true,
				 "text/plain; version=0.0.4; charset=utf-8", NULL, NULL);
}

/*
 * ingest_status: the HTTP status for what autoplay_ingest_raw() said: 200
 * when any click was accepted, was a duplicate or was a test; 400 when
 * every result says "not JSON" (22032) or "not a click" (2203C); else 422.
 * (A result with no element at all, which the function does not return,
 * would count as 400: nothing in the body was a click.)
 */
static unsigned int
ingest_status(const GwIngestResult *r)
{
	if (r->succeeded > 0)
		return MHD_HTTP_OK;
	if (r->not_clicks == r->results)
		return MHD_HTTP_BAD_REQUEST;
	return MHD_HTTP_UNPROCESSABLE_CONTENT;
}

/*
 * answer_job: the fourth call: answer from the pool's outcome.
 */
static enum MHD_Result
answer_job(GwRequest *req)
{
	GwIngestResult *r = &req->job.result;
	char	   *json;

	if (!__atomic_load_n(&req->job_done, __ATOMIC_ACQUIRE))
		return MHD_YES;			/* cannot happen: only resume calls us */
	__atomic_sub_fetch(&http.suspended, 1, __ATOMIC_SEQ_CST);

	/* Errors first */
	if (req->job.outcome == GW_JOB_UNAVAILABLE)
		return reply_unavailable(req, "database unavailable");
	if (req->job.outcome == GW_JOB_FAILED)
		return reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
						   "internal error", NULL, NULL);
	if (req->job.kind == GW_JOB_HEALTH)
		return reply(req, MHD_HTTP_OK, "{\"status\": \"ok\"}\n", 17, false,
					 "application/json", NULL, NULL);

	/* The function's own result is the body; the answer now owns it */
	gw_metrics_clicks(r->accepted, r->duplicates, r->rejected, r->tests);
	json = r->json;
	r->json = NULL;
	return reply(req, ingest_status(r), json, r->json_len, true,
				 "application/json", NULL, NULL);
}

/*
 * answer_complete: the third call: the whole body is in.
 */
static enum MHD_Result
answer_complete(GwRequest *req)
{
	char		message[64];

	if (req->too_large)
	{
		snprintf(message, sizeof(message), "request body exceeds %zu bytes",
				 http.cfg->max_body);
		return reply_error(req, MHD_HTTP_CONTENT_TOO_LARGE, message,
						   NULL, NULL);
	}
	if (req->route == GW_ROUTE_METRICS)
		return answer_metrics(req);
	return submit_job(req);
}

/*
 * request_new: the state of a new request, or NULL when out of memory.
 */
static GwRequest *
request_new(struct MHD_Connection *connection, const char *url,
			const char *method)
{
	GwRequest  *req = calloc(1, sizeof(GwRequest));

	if (req == NULL)
		return NULL;
	req->connection = connection;
	req->route = route_of(url);
	clock_gettime(CLOCK_MONOTONIC, &req->started);
	copy_printable(req->method, sizeof(req->method), method);
	copy_printable(req->path, sizeof(req->path), url);
	__atomic_add_fetch(&http.in_flight, 1, __ATOMIC_SEQ_CST);
	return req;
}

/*
 * on_request: libmicrohttpd's access handler; see the file header for the
 * four kinds of call.
 */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *connection, const char *url,
		   const char *method, const char *version, const char *upload_data,
		   size_t *upload_data_size, void **con_cls)
{
	GwRequest  *req = *con_cls;

	(void) cls;
	(void) version;

	/* 1: the headers */
	if (req == NULL)
	{
		req = request_new(connection, url, method);
		if (req == NULL)
			return MHD_NO;
		*con_cls = req;
		return check_headers(req, method);
	}

	/* 2: a piece of the body */
	if (*upload_data_size > 0)
	{
		bool		ok = take_body(req, upload_data, *upload_data_size);

		*upload_data_size = 0;
		return ok ? MHD_YES : MHD_NO;
	}

	/* 3 and 4: the body is complete; the database has answered */
	if (!req->submitted)
		return answer_complete(req);
	return answer_job(req);
}

/*
 * log_request: the optional one line per request.
 */
static void
log_request(const GwRequest *req, struct MHD_Connection *connection,
			double seconds)
{
	const union MHD_ConnectionInfo *ci;
	char		client[INET6_ADDRSTRLEN] = "?";

	ci = MHD_get_connection_info(connection,
								 MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL)
		getnameinfo(ci->client_addr,
					ci->client_addr->sa_family == AF_INET6 ?
					sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
					client, sizeof(client), NULL, 0, NI_NUMERICHOST);

	if (req->status != 0)
		gw_log("%s \"%s %s\" %u %zu %.1f ms", client, req->method, req->path,
			   req->status, req->seen, seconds * 1000);
	else
		gw_log("%s \"%s %s\" closed before an answer %zu %.1f ms", client,
			   req->method, req->path, req->seen, seconds * 1000);
}

/*
 * on_completed: libmicrohttpd's completion callback: count, log and free
 * the request.
 */
static void
on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	GwRequest  *req = *con_cls;
	double		seconds;

	(void) cls;
	(void) toe;
	if (req == NULL)
		return;

	/* Count the request; one with no answer is counted apart */
	seconds = elapsed(&req->started);
	if (req->status != 0)
		gw_metrics_request(req->route, req->status, seconds);
	else
		gw_metrics_aborted();
	if (http.cfg->log_requests)
		log_request(req, connection, seconds);

	/* Free */
	free(req->body);
	free(req->job.result.json);
	free(req);
	*con_cls = NULL;
	__atomic_sub_fetch(&http.in_flight, 1, __ATOMIC_SEQ_CST);
}

/*
 * on_mhd_log: libmicrohttpd's own messages, in our voice as far as it
 * goes: lowercase first word, no final period.
 */
static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char		msg[512];
	char		line[512];

	(void) cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	gw_one_line(line, sizeof(line), msg);
	if (line[0] >= 'A' && line[0] <= 'Z' && line[1] >= 'a' && line[1] <= 'z')
		line[0] += 'a' - 'A';
	if (line[0] != '\0' && line[strlen(line) - 1] == '.')
		line[strlen(line) - 1] = '\0';
	gw_log("http: %s", line);
}

/*
 * open_listener: create, bind and listen on cfg's address; write the bound
 * address ("127.0.0.1:8080", "[::1]:8080") into bound.  Returns the
 * socket, or MHD_INVALID_SOCKET after a message.
 */
static MHD_socket
open_listener(const GwConfig *cfg, char *bound, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t	sslen = sizeof(ss);
	char		host[INET6_ADDRSTRLEN];
	char		port[8];
	int			fd;
	int			one = 1;

	/* Socket, bind, listen */
	fd = socket(cfg->listen_addr.ss_family,
				SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		bind(fd, (struct sockaddr *) &cfg->listen_addr,
			 cfg->listen_addrlen) < 0 ||
		listen(fd, 1024) < 0)
	{
		gw_log("could not listen on \"%s\": %s", cfg->listen, strerror(errno));
		if (fd >= 0)
			close(fd);
		return MHD_INVALID_SOCKET;
	}

	/* The address really bound: port 0 picks one */
	if (getsockname(fd, (struct sockaddr *) &ss, &sslen) == 0 &&
		getnameinfo((struct sockaddr *) &ss, sslen, host, sizeof(host),
					port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(bound, size, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
				 host, port);
	else
		snprintf(bound, size, "%s", cfg->listen);
	return fd;
}

/* File descriptors kept back from HTTP connections: logs, epoll, libpq */
#define GW_RESERVED_FDS 64

/* Most connections served at once, whatever the descriptor limit */
#define GW_MAX_CONNECTIONS 60000

/*
 * connection_limit: how many HTTP connections to serve at once.  The soft
 * limit on open files is raised to the hard one, then the limit is what it
 * leaves after the database connections and a reserve.  Without this,
 * libmicrohttpd's default of about a thousand lets a thousand idle
 * connections keep every other client waiting.
 */
static unsigned int
connection_limit(int pool_size)
{
	struct rlimit rl;
	rlim_t		open_files;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1000;
	if (rl.rlim_cur < rl.rlim_max)
	{
		rl.rlim_cur = rl.rlim_max;
		if (rl.rlim_cur == RLIM_INFINITY ||
			rl.rlim_cur > GW_MAX_CONNECTIONS + GW_RESERVED_FDS + 1000)
			rl.rlim_cur = GW_MAX_CONNECTIONS + GW_RESERVED_FDS + 1000;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	open_files = rl.rlim_cur;
	if (open_files <= (rlim_t) (pool_size + GW_RESERVED_FDS + 16))
		return 16;
	open_files -= pool_size + GW_RESERVED_FDS;
	return open_files > GW_MAX_CONNECTIONS ? GW_MAX_CONNECTIONS :
		(unsigned int) open_files;
}

/*
 * gw_http_max_connections: the connection limit in force.
 */
unsigned int
gw_http_max_connections(void)
{
	return http.max_connections;
}

/*
 * gw_http_start: listen and start serving on cfg->threads threads.  cfg
 * must outlive the server.  The bound address is written into bound.
 * Returns false after a message.
 */
bool
gw_http_start(const GwConfig *cfg, char *bound, size_t size)
{
	unsigned int flags;
	struct MHD_OptionItem pool_opts[] = {
		{MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, NULL},
		{MHD_OPTION_END, 0, NULL}
	};

	http.cfg = cfg;
	http.max_connections = connection_limit(cfg->pool_size);
	http.listen_fd = open_listener(cfg, bound, size);
	if (http.listen_fd == MHD_INVALID_SOCKET)
		return false;

	/*
	 * Internal threads, epoll where there is one, suspendable requests; the
	 * logger must be the first option to catch every message.  A pool of
	 * one thread is no pool: the option is left out, or MHD complains.
	 */
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
		MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (cfg->listen_addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;

	http.daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
								   MHD_OPTION_EXTERNAL_LOGGER,
								   on_mhd_log, NULL,
								   MHD_OPTION_LISTEN_SOCKET, http.listen_fd,
								   MHD_OPTION_ARRAY,
								   pool_opts + (cfg->threads > 1 ? 0 : 1),
								   MHD_OPTION_CONNECTION_TIMEOUT,
								   (unsigned int) cfg->timeout,
								   MHD_OPTION_CONNECTION_LIMIT,
								   http.max_connections,
								   MHD_OPTION_NOTIFY_COMPLETED,
								   on_completed, NULL,
								   MHD_OPTION_END);
	if (http.daemon == NULL)
	{
		gw_log("could not start HTTP server on \"%s\"", bound);
		close(http.listen_fd);
		http.listen_fd = MHD_INVALID_SOCKET;
		return false;
	}
	return true;
}

/*
 * gw_http_quiesce: stop accepting connections.  Requests already begun, on
 * connections already open, go on; their answers close the connection.
 */
void
gw_http_quiesce(void)
{
	__atomic_store_n(&http.quiescing, 1, __ATOMIC_RELAXED);
	if (http.daemon != NULL &&
		MHD_quiesce_daemon(http.daemon) != MHD_INVALID_SOCKET)
		http.own_listen_fd = true;	/* to be closed after the threads end */
}

/*
 * gw_http_in_flight: requests begun and not yet completed.
 */
int
gw_http_in_flight(void)
{
	return __atomic_load_n(&http.in_flight, __ATOMIC_SEQ_CST);
}

/*
 * gw_http_suspended: requests waiting for the pool.
 */
int
gw_http_suspended(void)
{
	return __atomic_load_n(&http.suspended, __ATOMIC_SEQ_CST);
}

/*
 * gw_http_stop: close every connection and stop the threads.  No request
 * may be suspended any more.
 */
void
gw_http_stop(void)
{
	if (http.daemon != NULL)
		MHD_stop_daemon(http.daemon);
	http.daemon = NULL;
	if (http.own_listen_fd)
		close(http.listen_fd);
	http.listen_fd = MHD_INVALID_SOCKET;
	http.own_listen_fd = false;
}
