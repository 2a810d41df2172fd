/*-------------------------------------------------------------------------
 *
 * auth.h
 *	  Who may post: bearer tokens and the client address allow-list.
 *
 * The accepted tokens are the union of --token-file and AUTOPLAY_TOKEN.
 * Several tokens may be valid at once, so a token is rotated without
 * downtime: add the new one, move FullStory to it, remove the old one, and
 * send SIGHUP after each edit of the file.  Tokens are compared in
 * constant time and never logged.  The set is swapped under a lock, so a
 * reload is safe while requests are being checked.
 *
 * The allow-list is fixed at start-up; an empty list allows any address.
 *
 * src/gateway/auth.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef GW_AUTH_H
#define GW_AUTH_H

#include <stdbool.h>
#include <sys/socket.h>

#include "config.h"

/* Longest token accepted, in bytes */
#define GW_TOKEN_MAX 512

extern bool gw_auth_init(const GwConfig *cfg);
extern bool gw_auth_reload(void);
extern void gw_auth_shutdown(void);
extern int	gw_auth_token_count(void);
extern bool gw_auth_check_bearer(const char *authorization);
extern bool gw_auth_address_allowed(const struct sockaddr *addr);

#endif							/* GW_AUTH_H */
