/*-------------------------------------------------------------------------
 *
 * fixed_rate.c
 *	  An open-loop HTTP load generator: POST bodies at a fixed rate and
 *	  report latency percentiles.
 *
 * Request i is due at start + i / rate, whether or not earlier answers
 * have come back; it is sent on the first idle keep-alive connection, and
 * its latency runs from the moment it was due to the end of its answer.
 * So a server that stalls is charged for every request that queued behind
 * the stall (no "coordinated omission"), as wrk2 does; Debian has no wrk2.
 * Requests due in the first --warmup seconds are sent but not counted.
 *
 * Plain sockets and epoll, one thread, HTTP/1.1 with Content-Length
 * answers only (what the gateway sends).  Bodies come from a file, one a
 * line, used round and round; the bearer token from $AUTOPLAY_TOKEN.
 *
 * Usage:
 *	fixed_rate --host 127.0.0.1 --port P --path /ingest --file F
 *			   --rate R --duration S [--warmup S] [--connections C]
 * Prints one "name: value" line per figure.
 *
 * bench/fixed_rate.c
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RECV_CHUNK		65536
#define MAX_CONNECTIONS	1024

/* One body, as read from the file */
typedef struct Body
{
	const char *data;
	size_t		len;
} Body;

/* One keep-alive connection and the request it carries, if any */
typedef struct Conn
{
	int			fd;
	bool		busy;			/* a request is out */
	bool		counted;		/* its latency goes into the figures */
	double		due;			/* when the request was due (s) */
	double		sent_at;		/* when its first byte went out (s) */
	char	   *out;			/* the request bytes */
	size_t		out_len;
	size_t		out_done;
	char	   *in;				/* the answer so far */
	size_t		in_len;
	size_t		in_cap;
} Conn;

/* Settings and running totals */
static struct
{
	const char *host;
	int			port;
	const char *path;
	const char *file;
	const char *token;
	double		rate;
	double		duration;
	double		warmup;
	int			connections;
	Body	   *bodies;
	size_t		nbodies;
	double	   *latency;		/* due to answer, of counted requests (ms) */
	double	   *service;		/* sent to answer, of counted requests (ms) */
	size_t		ncounted;
	size_t		cap;
	long		sent;
	long		answered;
	long		non2xx;
	long		errors;
} G;

/*
 * now_s: the monotonic clock in seconds.
 */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * die: print a message and exit 1.
 */
static void
die(const char *what)
{
	fprintf(stderr, "fixed_rate: %s: %s\n", what, strerror(errno));
	exit(1);
}

/*
 * load_bodies: read the file into memory, one body per line.
 */
static void
load_bodies(void)
{
	FILE	   *f = fopen(G.file, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		n;
	size_t		room = 1024;

	if (f == NULL)
		die(G.file);
	G.bodies = malloc(room * sizeof(Body));
	while ((n = getline(&line, &cap, f)) > 0)
	{
		if (line[n - 1] == '\n')
			n--;
		if (n == 0)
			continue;
		if (G.nbodies == room)
			G.bodies = realloc(G.bodies, (room *= 2) * sizeof(Body));
		G.bodies[G.nbodies].data = strndup(line, n);
		G.bodies[G.nbodies].len = n;
		G.nbodies++;
	}
	free(line);
	fclose(f);
	if (G.nbodies == 0)
	{
		fprintf(stderr, "fixed_rate: no bodies in %s\n", G.file);
		exit(1);
	}
}

/*
 * open_conn: connect c (blocking, then non-blocking) and watch it.
 */
static void
open_conn(int epfd, Conn *c)
{
	struct sockaddr_in addr;
	struct epoll_event ev;
	int			one = 1;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons(G.port);
	if (inet_pton(AF_INET, G.host, &addr.sin_addr) != 1)
	{
		fprintf(stderr, "fixed_rate: not an IPv4 address: %s\n", G.host);
		exit(1);
	}
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0)
		die("socket");
	if (connect(c->fd, (struct sockaddr *) &addr, sizeof(addr)) < 0)
		die("connect");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);

	ev.events = EPOLLIN;
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		die("epoll_ctl");
	c->busy = false;
	c->in_len = 0;
}

/*
 * reopen_conn: replace a connection that failed or was closed; its
 * request, if any, counts as an error.
 */
static void
reopen_conn(int epfd, Conn *c)
{
	if (c->busy)
		G.errors++;
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	open_conn(epfd, c);
}

/*
 * set_writable_watch: watch c for writability too, while it has bytes
 * left to send.
 */
static void
set_writable_watch(int epfd, Conn *c, bool on)
{
	struct epoll_event ev;

	ev.events = EPOLLIN | (on ? EPOLLOUT : 0);
	ev.data.ptr = c;
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/*
 * flush_out: send what the socket takes of c's request.
 */
static void
flush_out(int epfd, Conn *c)
{
	while (c->out_done < c->out_len)
	{
		ssize_t		n = send(c->fd, c->out + c->out_done,
							 c->out_len - c->out_done, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		{
			set_writable_watch(epfd, c, true);
			return;
		}
		if (n <= 0)
		{
			reopen_conn(epfd, c);
			return;
		}
		c->out_done += n;
	}
	set_writable_watch(epfd, c, false);
}

/*
 * start_request: put body number i on the idle connection c.
 */
static void
start_request(int epfd, Conn *c, long i, double due, double t0)
{
	const Body *b = &G.bodies[i % G.nbodies];
	int			head;

	head = snprintf(NULL, 0,
					"POST %s HTTP/1.1\r\nHost: %s:%d\r\n"
					"Content-Type: application/json\r\n"
					"Authorization: Bearer %s\r\nContent-Length: %zu\r\n\r\n",
					G.path, G.host, G.port, G.token, b->len);
	c->out = realloc(c->out, head + b->len + 1);
	snprintf(c->out, head + 1,
			 "POST %s HTTP/1.1\r\nHost: %s:%d\r\n"
			 "Content-Type: application/json\r\n"
			 "Authorization: Bearer %s\r\nContent-Length: %zu\r\n\r\n",
			 G.path, G.host, G.port, G.token, b->len);
	memcpy(c->out + head, b->data, b->len);
	c->out_len = head + b->len;
	c->out_done = 0;
	c->busy = true;
	c->due = due;
	c->counted = due >= t0 + G.warmup;
	c->sent_at = now_s();
	c->in_len = 0;
	G.sent++;
	flush_out(epfd, c);
}

/*
 * answer_length: the length of a complete answer at the start of buf, or
 * 0 while it is incomplete.  *status gets the HTTP status.
 */
static size_t
answer_length(const char *buf, size_t len, int *status)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	const char *p;
	size_t		head;
	long		body = 0;

	if (end == NULL)
		return 0;
	head = end - buf + 4;
	*status = (len > 12) ? atoi(buf + 9) : 0;

	/* Content-Length, in any case */
	for (p = buf; p < end; p++)
	{
		if ((p == buf || p[-1] == '\n') &&
			strncasecmp(p, "Content-Length:", 15) == 0)
		{
			body = atol(p + 15);
			break;
		}
	}
	return (len >= head + body) ? head + body : 0;
}

/*
 * read_answer: take what arrived on c; when its answer is complete,
 * record it and mark c idle.
 */
static void
read_answer(int epfd, Conn *c)
{
	for (;;)
	{
		ssize_t		n;
		size_t		whole;
		int			status = 0;

		if (c->in_cap - c->in_len < RECV_CHUNK)
			c->in = realloc(c->in, c->in_cap += RECV_CHUNK);
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
		{
			reopen_conn(epfd, c);
			return;
		}
		c->in_len += n;

		whole = answer_length(c->in, c->in_len, &status);
		if (whole == 0 || !c->busy)
			continue;

		/* One answer: record it */
		G.answered++;
		if (status < 200 || status > 299)
			G.non2xx++;
		if (c->counted && G.ncounted < G.cap)
		{
			double		t = now_s();

			G.latency[G.ncounted] = (t - c->due) * 1000;
			G.service[G.ncounted] = (t - c->sent_at) * 1000;
			G.ncounted++;
		}
		memmove(c->in, c->in + whole, c->in_len - whole);
		c->in_len -= whole;
		c->busy = false;
		return;
	}
}

/*
 * compare_double: qsort order.
 */
static int
compare_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * percentile: the p-th percentile (0-100) of sorted v[0..n).
 */
static double
percentile(const double *v, size_t n, double p)
{
	size_t		k;

	if (n == 0)
		return 0;
	k = (size_t) (p / 100.0 * (n - 1) + 0.5);
	return v[k < n ? k : n - 1];
}

/*
 * parse_args: read the options into G.
 */
static void
parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{"host", required_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'p'},
		{"path", required_argument, NULL, 'a'},
		{"file", required_argument, NULL, 'f'},
		{"rate", required_argument, NULL, 'r'},
		{"duration", required_argument, NULL, 'd'},
		{"warmup", required_argument, NULL, 'w'},
		{"connections", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0}
	};
	int			o;

	G.host = "127.0.0.1";
	G.path = "/ingest";
	G.warmup = 1;
	G.connections = 16;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1)
	{
		switch (o)
		{
			case 'h': G.host = optarg; break;
			case 'p': G.port = atoi(optarg); break;
			case 'a': G.path = optarg; break;
			case 'f': G.file = optarg; break;
			case 'r': G.rate = atof(optarg); break;
			case 'd': G.duration = atof(optarg); break;
			case 'w': G.warmup = atof(optarg); break;
			case 'c': G.connections = atoi(optarg); break;
			default: exit(2);
		}
	}
	if (G.port <= 0 || G.file == NULL || G.rate <= 0 || G.duration <= 0 ||
		G.warmup >= G.duration || G.connections < 1 ||
		G.connections > MAX_CONNECTIONS)
	{
		fprintf(stderr, "usage: fixed_rate --port P --file F --rate R "
				"--duration S [--host H] [--path P] [--warmup S] "
				"[--connections C]\n");
		exit(2);
	}
	G.token = getenv("AUTOPLAY_TOKEN") ? getenv("AUTOPLAY_TOKEN") : "";
}

/*
 * main: send on schedule until the duration is over, wait up to five
 * seconds for the answers still out, then print the figures.
 */
int
main(int argc, char **argv)
{
	static Conn conns[MAX_CONNECTIONS];
	struct epoll_event events[64];
	int			epfd;
	double		t0;
	double		stop;
	long		next = 0;
	long		total;
	int			i;

	parse_args(argc, argv);
	load_bodies();
	total = (long) (G.rate * G.duration);
	G.cap = total + 1;
	G.latency = malloc(G.cap * sizeof(double));
	G.service = malloc(G.cap * sizeof(double));

	epfd = epoll_create1(0);
	if (epfd < 0)
		die("epoll_create1");
	for (i = 0; i < G.connections; i++)
		open_conn(epfd, &conns[i]);

	/* Send what is due on idle connections; wait for answers or the next due */
	t0 = now_s();
	stop = t0 + G.duration + 5;
	for (;;)
	{
		double		t = now_s();
		int			busy = 0;
		struct timespec wait;
		double		until;
		int			n;

		for (i = 0; i < G.connections; i++)
		{
			while (next < total && !conns[i].busy && t0 + next / G.rate <= t)
			{
				start_request(epfd, &conns[i], next, t0 + next / G.rate, t0);
				next++;
			}
			busy += conns[i].busy;
		}
		if ((next >= total && busy == 0) || t > stop)
			break;

		until = (next < total) ? t0 + next / G.rate - t : 0.01;
		if (until < 0)
			until = 0.0005;		/* all connections busy: wait for one */
		wait.tv_sec = (time_t) until;
		wait.tv_nsec = (long) ((until - wait.tv_sec) * 1e9);
		n = epoll_pwait2(epfd, events, 64, &wait, NULL);
		for (i = 0; i < n; i++)
		{
			Conn	   *c = events[i].data.ptr;

			if (events[i].events & EPOLLOUT)
				flush_out(epfd, c);
			if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				read_answer(epfd, c);
		}
	}

	/* Requests still out when time ran out are errors */
	for (i = 0; i < G.connections; i++)
		G.errors += conns[i].busy;
	qsort(G.latency, G.ncounted, sizeof(double), compare_double);
	qsort(G.service, G.ncounted, sizeof(double), compare_double);
	printf("target_rps: %.2f\n", G.rate);
	printf("sent: %ld\n", G.sent);
	printf("answered: %ld\n", G.answered);
	printf("non_2xx: %ld\n", G.non2xx);
	printf("errors: %ld\n", G.errors);
	printf("achieved_rps: %.2f\n", G.answered / (now_s() - t0));
	printf("p50_ms: %.3f\n", percentile(G.latency, G.ncounted, 50));
	printf("p99_ms: %.3f\n", percentile(G.latency, G.ncounted, 99));
	printf("max_ms: %.3f\n", percentile(G.latency, G.ncounted, 100));
	printf("service_p50_ms: %.3f\n", percentile(G.service, G.ncounted, 50));
	printf("service_p99_ms: %.3f\n", percentile(G.service, G.ncounted, 99));
	printf("service_max_ms: %.3f\n", percentile(G.service, G.ncounted, 100));
	return 0;
}
