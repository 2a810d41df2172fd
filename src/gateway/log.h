/*-------------------------------------------------------------------------
 *
 * log.h
 *	  Messages of autoplay-gateway, in the voice of PostgreSQL's client
 *	  tools.
 *
 * Every line goes to standard error as "autoplay-gateway: message", with a
 * lowercase message and no final period, so that journald or a terminal
 * shows it as it shows psql's or pg_dump's.  Lines from several threads
 * never interleave.  Secrets (bearer tokens, passwords) must never be
 * passed here.
 *
 * src/gateway/log.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stddef.h>

#define GW_PROGNAME "autoplay-gateway"

extern void gw_log(const char *fmt,...)
			__attribute__((format(printf, 1, 2)));

extern void gw_one_line(char *dst, size_t size, const char *src);

#endif							/* GW_LOG_H */
