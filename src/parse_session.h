/*-------------------------------------------------------------------------
 *
 * parse_session.h
 *	  FullStory's composite session key, "device%3Asession".
 *
 * The Stream recipe joins the device id and the session id with "%3A", a
 * URL-encoded colon.  "%3a", the doubly encoded "%253A" (any case) and a
 * raw ':' are read as the same separator.  Each id is 1 to
 * AP_SESSION_ID_MAX characters of [A-Za-z0-9_-].  Plain C, no server
 * dependencies.
 *
 * src/parse_session.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOPLAY_PARSE_SESSION_H
#define AUTOPLAY_PARSE_SESSION_H

#include <stddef.h>

#define AP_SESSION_ID_MAX	64

/* Longest session key, device_id ":" session_id, in bytes */
#define AP_SESSION_KEY_MAX	(2 * AP_SESSION_ID_MAX + 1)

typedef enum ApSessionStatus
{
	AP_SESSION_OK = 0,
	AP_SESSION_BAD_ESCAPE,		/* a '%' that is not an encoded colon */
	AP_SESSION_NO_SEPARATOR,	/* one id only */
	AP_SESSION_EXTRA_SEPARATOR, /* three or more ids */
	AP_SESSION_EMPTY_ID,		/* nothing before or after the separator */
	AP_SESSION_BAD_CHARACTER,	/* a character outside [A-Za-z0-9_-] */
	AP_SESSION_ID_TOO_LONG		/* an id past AP_SESSION_ID_MAX */
} ApSessionStatus;

/*
 * The decoded key.  Both ids are NUL-terminated copies; the session key is
 * device_id ":" session_id.
 */
typedef struct ApSessionKey
{
	char		device_id[AP_SESSION_ID_MAX + 1];
	char		session_id[AP_SESSION_ID_MAX + 1];
	size_t		device_id_len;
	size_t		session_id_len;
} ApSessionKey;

/*
 * ap_parse_session_key: decode s[0..len) into *key.  *key is fully set only
 * on AP_SESSION_OK.
 */
extern ApSessionStatus ap_parse_session_key(const char *s, size_t len,
											ApSessionKey *key);

#endif							/* AUTOPLAY_PARSE_SESSION_H */
