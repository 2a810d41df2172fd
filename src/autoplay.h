/*-------------------------------------------------------------------------
 *
 * autoplay.h
 *	  Settings shared by the autoplay extension's backend files.
 *
 * Every setting is defined once, in _PG_init (autoplay.c); the other files
 * read these variables and never write them.
 *
 * src/autoplay.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOPLAY_H
#define AUTOPLAY_H

/* What ingest does with user_email (autoplay.email) */
typedef enum ApEmailPolicy
{
	AP_EMAIL_KEEP,				/* store as sent */
	AP_EMAIL_HASH,				/* store HMAC-SHA-256 hex with email_key */
	AP_EMAIL_DROP				/* store NULL */
} ApEmailPolicy;

extern bool autoplay_strict;
extern int	autoplay_email_policy;
extern char *autoplay_email_key;
extern int	autoplay_max_label_length;
extern bool autoplay_notify;
extern bool autoplay_direct_insert;
extern bool autoplay_create_partitions;
extern char *autoplay_product_id;

#endif							/* AUTOPLAY_H */
