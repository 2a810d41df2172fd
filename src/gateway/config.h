/*-------------------------------------------------------------------------
 *
 * config.h
 *	  Command-line flags and environment variables of autoplay-gateway.
 *
 * Every setting has a flag and an environment variable; a flag given on
 * the command line wins over the variable.  gw_config_load() fills a
 * GwConfig once at start-up and exits the program on a bad value, so the
 * rest of the program can trust what it reads.  After that the struct is
 * read-only and may be read from any thread.
 *
 * src/gateway/config.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define GW_VERSION "1.0"

typedef struct GwConfig
{
	char	   *listen;			/* "host:port" as given */
	struct sockaddr_storage listen_addr;	/* listen, resolved */
	socklen_t	listen_addrlen;
	char	   *dsn;			/* libpq connection string */
	char	   *token_file;		/* one token a line, or NULL */
	char	   *tokens;			/* AUTOPLAY_TOKEN (a,b,c), or NULL */
	char	   *allow;			/* comma-separated CIDRs, or NULL for any */
	size_t		max_body;		/* largest request body accepted, bytes */
	int			pool_size;		/* database connections */
	int			threads;		/* HTTP threads */
	int			timeout;		/* idle HTTP connection timeout, seconds */
	int			grace;			/* SIGTERM: seconds for requests */
	bool		insecure_no_auth;	/* start without any token */
	bool		log_requests;	/* one log line per request */
} GwConfig;

extern void gw_config_load(GwConfig *cfg, int argc, char **argv);
extern void gw_config_free(GwConfig *cfg);
extern bool gw_parse_size(const char *text, size_t *bytes);

#endif							/* GW_CONFIG_H */
