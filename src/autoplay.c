/*-------------------------------------------------------------------------
 *
 * autoplay.c
 *	  Module entry point: the autoplay.* settings.
 *
 * The SQL-callable functions live in ingest.c.  This file only defines the
 * settings, all of them here, so that their names, contexts and defaults
 * can be read in one place.
 *
 * src/autoplay.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "autoplay.h"

PG_MODULE_MAGIC;

bool		autoplay_strict = false;
int			autoplay_email_policy = AP_EMAIL_KEEP;
char	   *autoplay_email_key = NULL;
int			autoplay_max_label_length = 256;
bool		autoplay_notify = true;
bool		autoplay_direct_insert = true;
bool		autoplay_create_partitions = true;
char	   *autoplay_product_id = NULL;

static const struct config_enum_entry email_policy_options[] = {
	{"keep", AP_EMAIL_KEEP, false},
	{"hash", AP_EMAIL_HASH, false},
	{"drop", AP_EMAIL_DROP, false},
	{NULL, 0, false}
};

void		_PG_init(void);

/*
 * _PG_init: define the autoplay.* settings.
 *
 * strict, notify and product_id are the caller's choice per session.
 * The settings that decide what is stored (email, email_key,
 * max_label_length, create_partitions) are superuser-only, so a writer
 * role cannot turn hashing off for its own session; set them with ALTER
 * DATABASE or ALTER ROLE, or in postgresql.conf.
 */
void
_PG_init(void)
{
	DefineCustomBoolVariable("autoplay.strict",
							 "Raise an error for a rejected click instead of "
							 "recording it in autoplay.rejects.",
							 NULL,
							 &autoplay_strict,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomEnumVariable("autoplay.email",
							 "What ingest stores of user_email: keep, hash "
							 "or drop.",
							 "hash stores the hex HMAC-SHA-256 of the "
							 "trimmed, lowercased address keyed with "
							 "autoplay.email_key.",
							 &autoplay_email_policy,
							 AP_EMAIL_KEEP,
							 email_policy_options,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("autoplay.email_key",
							   "Secret key for autoplay.email = hash.",
							   NULL,
							   &autoplay_email_key,
							   "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("autoplay.max_label_length",
							"Longest label stored, in characters; longer "
							"labels are cut.",
							NULL,
							&autoplay_max_label_length,
							256,
							16,
							100000,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("autoplay.notify",
							 "Send NOTIFY autoplay_clicks with the session key "
							 "of each session that got clicks, at commit.",
							 "Notifications make commits take a global lock "
							 "in turn; turn this off for the fastest bulk "
							 "loads when nobody listens.",
							 &autoplay_notify,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("autoplay.direct_insert",
							 "Write batches of clicks straight into the "
							 "partitions, as COPY does.",
							 "Off stores every batch with INSERT ... ON "
							 "CONFLICT, which is slower and stores the same "
							 "rows.",
							 &autoplay_direct_insert,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("autoplay.create_partitions",
							 "Create the monthly partition of autoplay.clicks "
							 "that a click needs when it is missing.",
							 "Turn off when another tool, such as pg_partman, "
							 "manages the partitions.",
							 &autoplay_create_partitions,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("autoplay.product_id",
							   "Product id reported in session actions.",
							   NULL,
							   &autoplay_product_id,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);

	MarkGUCPrefixReserved("autoplay");
}
