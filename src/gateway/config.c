/*-------------------------------------------------------------------------
 *
 * config.c
 *	  Read autoplay-gateway's settings from the command line and the
 *	  environment.
 *
 * Each setting is first taken from its AUTOPLAY_* environment variable, if
 * set, then from its flag, if given; then every value is checked.  A bad
 * value ends the program with exit status 1, after one message and a hint
 * to use --help, as PostgreSQL's client tools do.  Bearer tokens have no
 * flag of their own (a command line is visible to every local user): they
 * come from --token-file or the AUTOPLAY_TOKEN variable.
 *
 * src/gateway/config.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "log.h"

/* Largest --max-body: a body is one bytea parameter and is held in memory */
#define GW_MAX_BODY_LIMIT	((size_t) 256 * 1024 * 1024)

/* The raw text of each setting, before it is checked */
typedef struct GwRawSettings
{
	const char *listen;
	const char *dsn;
	const char *token_file;
	const char *tokens;
	const char *allow;
	const char *max_body;
	const char *pool;
	const char *threads;
	const char *timeout;
	const char *grace;
	const char *insecure_no_auth;
	const char *log_requests;
} GwRawSettings;

/* Flags without a one-letter form */
enum
{
	OPT_MAX_BODY = 256,
	OPT_POOL,
	OPT_THREADS,
	OPT_TIMEOUT,
	OPT_GRACE,
	OPT_INSECURE_NO_AUTH,
	OPT_LOG_REQUESTS,
	OPT_HELP
};

/*
 * usage: print --help.  Each flag names its environment variable in
 * brackets.
 */
static void
usage(void)
{
	printf("%s receives FullStory Stream click webhooks over HTTP and stores them\n"
		   "in PostgreSQL through the autoplay extension.\n\n", GW_PROGNAME);
	printf("Usage:\n  %s [OPTION]...\n\n", GW_PROGNAME);
	printf("Options:\n");
	printf("  -l, --listen=HOST:PORT   address to listen on; [::1]:PORT for IPv6, port 0\n"
		   "                           for any free port (default 127.0.0.1:8080)\n"
		   "                           [AUTOPLAY_LISTEN]\n");
	printf("  -d, --dsn=CONNINFO       libpq connection string of the database\n"
		   "                           (default: libpq's defaults) [AUTOPLAY_DSN]\n");
	printf("  -t, --token-file=FILE    accepted bearer tokens, one a line; re-read on\n"
		   "                           SIGHUP [AUTOPLAY_TOKEN_FILE]\n");
	printf("  -a, --allow=CIDR,...     client addresses allowed (default: any)\n"
		   "                           [AUTOPLAY_ALLOW]\n");
	printf("      --max-body=SIZE      largest request body, in bytes or with kB or MB\n"
		   "                           (default 1MB) [AUTOPLAY_MAX_BODY]\n");
	printf("      --pool=N             database connections (default 4) [AUTOPLAY_POOL]\n");
	printf("      --threads=N          HTTP threads (default 4) [AUTOPLAY_THREADS]\n");
	printf("      --timeout=SECONDS    close idle HTTP connections after this long\n"
		   "                           (default 30) [AUTOPLAY_TIMEOUT]\n");
	printf("      --grace=SECONDS      on SIGTERM, wait this long for requests in\n"
		   "                           flight (default 30) [AUTOPLAY_GRACE]\n");
	printf("      --insecure-no-auth   accept requests without a bearer token\n"
		   "                           [AUTOPLAY_INSECURE_NO_AUTH=1]\n");
	printf("      --log-requests       log one line per request [AUTOPLAY_LOG_REQUESTS=1]\n");
	printf("  -V, --version            output version information, then exit\n");
	printf("  -?, --help               show this help, then exit\n\n");
	printf("Environment:\n");
	printf("  AUTOPLAY_TOKEN           accepted bearer tokens, comma-separated; used\n"
		   "                           together with --token-file\n\n");
	printf("Routes: POST /ingest, POST /rpc/autoplay_ingest, GET /healthz, GET /metrics.\n");
	printf("Signals: SIGHUP re-reads the token file; SIGTERM finishes requests in\n"
		   "flight, then exits.\n");
}

/*
 * bad_value: report an invalid setting and exit.  Does not return.
 */
static void
bad_value(const char *flag, const char *value, const char *why)
{
	gw_log("invalid value \"%s\" for option --%s: %s", value, flag, why);
	fprintf(stderr, "Try \"%s --help\" for more information.\n", GW_PROGNAME);
	exit(1);
}

/*
 * parse_int: read text as a decimal integer in [min, max] into *out, or
 * exit with a message naming flag.
 */
static void
parse_int(const char *flag, const char *text, int min, int max, int *out)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
	{
		char		why[64];

		snprintf(why, sizeof(why), "must be an integer from %d to %d",
				 min, max);
		bad_value(flag, text, why);
	}
	*out = (int) v;
}

/*
 * parse_bool_env: read an on/off environment value ("1", "true", "yes",
 * "on" or "0", "false", "no", "off", empty) into *out, or exit.
 */
static void
parse_bool_env(const char *flag, const char *text, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"", "0", "false", "no", "off"};
	size_t		i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(text, yes[i]) == 0)
		{
			*out = true;
			return;
		}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcasecmp(text, no[i]) == 0)
		{
			*out = false;
			return;
		}
	bad_value(flag, text, "must be a boolean");
}

/*
 * gw_parse_size: read "1048576", "512kB" or "1MB" (units of 1024, as in
 * PostgreSQL's settings; "k", "KiB", "M" and "MiB" are also read) into
 * *bytes.  Returns false for anything else, zero, or an overflow.
 */
bool
gw_parse_size(const char *text, size_t *bytes)
{
	static const struct
	{
		const char *unit;
		size_t		factor;
	}			units[] = {
		{"", 1}, {"B", 1},
		{"k", 1024}, {"kB", 1024}, {"KB", 1024}, {"KiB", 1024},
		{"M", 1024 * 1024}, {"MB", 1024 * 1024}, {"MiB", 1024 * 1024}
	};
	char	   *end;
	unsigned long long v;
	size_t		i;

	/* Digits first: strtoull would accept a sign and leading blanks */
	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || v == 0)
		return false;

	/* Then exactly one known unit, or none */
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
	{
		if (strcmp(end, units[i].unit) != 0)
			continue;
		if (v > SIZE_MAX / units[i].factor)
			return false;
		*bytes = (size_t) v * units[i].factor;
		return true;
	}
	return false;
}

/*
 * split_listen: split "host:port", "[v6]:port" or ":port" into a host
 * (NULL for every IPv4 address) and a port, both copied into buffers of
 * size bytes.  Returns false when the text has no such shape.
 */
static bool
split_listen(const char *text, char *host, char *port, size_t size)
{
	const char *colon;
	size_t		hlen;

	/* The host: bracketed IPv6, or everything before the last colon */
	if (text[0] == '[')
	{
		const char *close = strchr(text, ']');

		if (close == NULL || close[1] != ':')
			return false;
		hlen = close - text - 1;
		memcpy(host, text + 1, hlen < size ? hlen : 0);
		colon = close + 1;
	}
	else
	{
		colon = strrchr(text, ':');
		if (colon == NULL || memchr(text, ':', colon - text) != NULL)
			return false;
		hlen = colon - text;
		memcpy(host, text, hlen < size ? hlen : 0);
	}
	if (hlen >= size)
		return false;
	host[hlen] = '\0';

	/* The port: 1 to 5 digits */
	if (strlen(colon + 1) == 0 || strlen(colon + 1) > 5 ||
		strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
		atoi(colon + 1) > 65535)
		return false;
	strcpy(port, colon + 1);
	return true;
}

/*
 * resolve_listen: turn --listen into a socket address in cfg, or exit.
 * Host names are resolved once, here; the first address found is used.
 */
static void
resolve_listen(GwConfig *cfg)
{
	char		host[256];
	char		port[8];
	struct addrinfo hints;
	struct addrinfo *res;
	int			rc;

	if (!split_listen(cfg->listen, host, port, sizeof(host)))
		bad_value("listen", cfg->listen, "must be HOST:PORT or [IPV6]:PORT");

	/* An empty host or "*" means every IPv4 address */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (host[0] == '\0' || strcmp(host, "*") == 0)
		hints.ai_family = AF_INET;

	rc = getaddrinfo(host[0] == '\0' || strcmp(host, "*") == 0 ? NULL : host,
					 port, &hints, &res);
	if (rc != 0)
		bad_value("listen", cfg->listen, gai_strerror(rc));
	memcpy(&cfg->listen_addr, res->ai_addr, res->ai_addrlen);
	cfg->listen_addrlen = res->ai_addrlen;
	freeaddrinfo(res);
}

/*
 * read_environment: fill raw with the AUTOPLAY_* variables that are set,
 * over the built-in defaults.
 */
static void
read_environment(GwRawSettings *raw)
{
	const char *v;

	raw->listen = (v = getenv("AUTOPLAY_LISTEN")) ? v : "127.0.0.1:8080";
	raw->dsn = (v = getenv("AUTOPLAY_DSN")) ? v : "";
	raw->token_file = getenv("AUTOPLAY_TOKEN_FILE");
	raw->tokens = getenv("AUTOPLAY_TOKEN");
	raw->allow = getenv("AUTOPLAY_ALLOW");
	raw->max_body = (v = getenv("AUTOPLAY_MAX_BODY")) ? v : "1MB";
	raw->pool = (v = getenv("AUTOPLAY_POOL")) ? v : "4";
	raw->threads = (v = getenv("AUTOPLAY_THREADS")) ? v : "4";
	raw->timeout = (v = getenv("AUTOPLAY_TIMEOUT")) ? v : "30";
	raw->grace = (v = getenv("AUTOPLAY_GRACE")) ? v : "30";
	raw->insecure_no_auth = (v = getenv("AUTOPLAY_INSECURE_NO_AUTH")) ? v : "";
	raw->log_requests = (v = getenv("AUTOPLAY_LOG_REQUESTS")) ? v : "";
}

/*
 * read_flags: override raw with the command-line flags.  Handles --help
 * and --version (exit 0) and unknown flags (exit 1).
 */
static void
read_flags(GwRawSettings *raw, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"dsn", required_argument, NULL, 'd'},
		{"token-file", required_argument, NULL, 't'},
		{"allow", required_argument, NULL, 'a'},
		{"max-body", required_argument, NULL, OPT_MAX_BODY},
		{"pool", required_argument, NULL, OPT_POOL},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"grace", required_argument, NULL, OPT_GRACE},
		{"insecure-no-auth", no_argument, NULL, OPT_INSECURE_NO_AUTH},
		{"log-requests", no_argument, NULL, OPT_LOG_REQUESTS},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0}
	};
	int			c;

	/* "-?" is help too, but getopt also answers '?' for unknown flags */
	if (argc > 1 && strcmp(argv[1], "-?") == 0)
	{
		usage();
		exit(0);
	}

	/* Complaints are ours, in our voice */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":l:d:t:a:V", longopts, NULL)) != -1)
	{
		switch (c)
		{
			case 'l':
				raw->listen = optarg;
				break;
			case 'd':
				raw->dsn = optarg;
				break;
			case 't':
				raw->token_file = optarg;
				break;
			case 'a':
				raw->allow = optarg;
				break;
			case OPT_MAX_BODY:
				raw->max_body = optarg;
				break;
			case OPT_POOL:
				raw->pool = optarg;
				break;
			case OPT_THREADS:
				raw->threads = optarg;
				break;
			case OPT_TIMEOUT:
				raw->timeout = optarg;
				break;
			case OPT_GRACE:
				raw->grace = optarg;
				break;
			case OPT_INSECURE_NO_AUTH:
				raw->insecure_no_auth = "on";
				break;
			case OPT_LOG_REQUESTS:
				raw->log_requests = "on";
				break;
			case 'V':
				printf("%s %s\n", GW_PROGNAME, GW_VERSION);
				exit(0);
			case OPT_HELP:
				usage();
				exit(0);
			case ':':
				gw_log("option \"%s\" requires an argument", argv[optind - 1]);
				fprintf(stderr, "Try \"%s --help\" for more information.\n",
						GW_PROGNAME);
				exit(1);
			default:
				gw_log("invalid option \"%s\"", argv[optind - 1]);
				fprintf(stderr, "Try \"%s --help\" for more information.\n",
						GW_PROGNAME);
				exit(1);
		}
	}

	if (optind < argc)
	{
		gw_log("too many command-line arguments (first is \"%s\")",
			   argv[optind]);
		fprintf(stderr, "Try \"%s --help\" for more information.\n",
				GW_PROGNAME);
		exit(1);
	}
}

/*
 * dup_or_null: strdup text, or NULL when text is NULL or empty.
 */
static char *
dup_or_null(const char *text)
{
	return (text != NULL && text[0] != '\0') ? strdup(text) : NULL;
}

/*
 * gw_config_load: fill cfg from the environment and argv, or exit.  The
 * caller frees it with gw_config_free.
 */
void
gw_config_load(GwConfig *cfg, int argc, char **argv)
{
	GwRawSettings raw;

	memset(cfg, 0, sizeof(*cfg));
	read_environment(&raw);
	read_flags(&raw, argc, argv);

	/* Strings are kept as given; the address is resolved now */
	cfg->listen = strdup(raw.listen);
	cfg->dsn = strdup(raw.dsn);
	cfg->token_file = dup_or_null(raw.token_file);
	cfg->tokens = dup_or_null(raw.tokens);
	cfg->allow = dup_or_null(raw.allow);
	resolve_listen(cfg);

	/* Numbers, with bounds that keep the program sane */
	if (!gw_parse_size(raw.max_body, &cfg->max_body) ||
		cfg->max_body > GW_MAX_BODY_LIMIT)
		bad_value("max-body", raw.max_body,
				  "must be a size from 1 byte to 256MB");
	parse_int("pool", raw.pool, 1, 1000, &cfg->pool_size);
	parse_int("threads", raw.threads, 1, 1024, &cfg->threads);
	parse_int("timeout", raw.timeout, 1, 86400, &cfg->timeout);
	parse_int("grace", raw.grace, 0, 86400, &cfg->grace);

	/* Switches */
	parse_bool_env("insecure-no-auth", raw.insecure_no_auth,
				   &cfg->insecure_no_auth);
	parse_bool_env("log-requests", raw.log_requests, &cfg->log_requests);
}

/*
 * gw_config_free: release the strings gw_config_load allocated.
 */
void
gw_config_free(GwConfig *cfg)
{
	free(cfg->listen);
	free(cfg->dsn);
	free(cfg->token_file);
	free(cfg->tokens);
	free(cfg->allow);
	memset(cfg, 0, sizeof(*cfg));
}
