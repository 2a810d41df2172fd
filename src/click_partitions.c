/*-------------------------------------------------------------------------
 *
 * click_partitions.c
 *	  Create the monthly partition of autoplay.clicks that a click needs.
 *
 * autoplay.clicks is partitioned by range of occurred_at, one partition
 * per calendar month in UTC, named autoplay.clicks_yYYYYmMM.  There is no
 * default partition: a click delivered late or backfilled gets the
 * partition of its own month, created here when it is missing, so
 * retention by whole partitions (autoplay_drop_before) reaches every row.
 *
 * A partition is created as a plain table and then attached.  ATTACH
 * PARTITION takes only SHARE UPDATE EXCLUSIVE on the parent, so sessions
 * inserting into other months are not blocked; CREATE TABLE ... PARTITION
 * OF would take ACCESS EXCLUSIVE.  Creators serialize on a transaction
 * advisory lock and look again once they hold it.  A CHECK constraint on
 * the month lets ATTACH skip its validation scan; it is dropped once the
 * partition bound enforces the same, since every insert would evaluate it.
 *
 * src/click_partitions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

#include "autoplay.h"
#include "click_partitions.h"

/* The advisory lock key that partition creators share: "autoplay" */
#define AP_PARTITION_LOCK_KEY	INT64CONST(0x6175746f706c6179)

static bool partition_exists(const char *name);
static void create_partition(const char *name, int year, int month);

/*
 * ap_partition_ensure: make sure the partition for occurred_at exists.
 * *known_month memoizes the last month checked in this call (pass
 * AP_NO_MONTH at first).  Must be called inside SPI.
 */
void
ap_partition_ensure(TimestampTz occurred_at, int32 *known_month)
{
	int			year;
	int			month;
	int			day;
	int32		key;
	char		name[NAMEDATALEN];

	/* The month, in UTC; clicks are never before 2000, so t >= 0 */
	Assert(occurred_at >= 0);
	j2date((int) (occurred_at / USECS_PER_DAY) + POSTGRES_EPOCH_JDATE,
		   &year, &month, &day);
	key = year * 12 + month - 1;
	if (*known_month == key || !autoplay_create_partitions)
		return;

	snprintf(name, sizeof(name), "clicks_y%04dm%02d", year, month);
	if (!partition_exists(name))
		create_partition(name, year, month);
	*known_month = key;
}

/*
 * partition_exists: is there a table autoplay.<name>?
 */
static bool
partition_exists(const char *name)
{
	return OidIsValid(get_relname_relid(name,
										get_namespace_oid("autoplay", false)));
}

/*
 * create_partition: create and attach autoplay.<name> for the month, unless
 * another session did while this one waited for the lock.
 */
static void
create_partition(const char *name, int year, int month)
{
	char		from[32];
	char		to[32];
	int			rc;

	DirectFunctionCall1(pg_advisory_xact_lock_int8,
						Int64GetDatum(AP_PARTITION_LOCK_KEY));
	AcceptInvalidationMessages();
	if (partition_exists(name))
		return;

	/* [first of the month, first of the next) in UTC */
	snprintf(from, sizeof(from), "%04d-%02d-01 00:00:00+00", year, month);
	snprintf(to, sizeof(to), "%04d-%02d-01 00:00:00+00",
			 month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1);
	rc = SPI_execute(psprintf("CREATE TABLE autoplay.%s (LIKE autoplay.clicks"
							  " INCLUDING CONSTRAINTS INCLUDING GENERATED);"
							  " ALTER TABLE autoplay.%s ADD CONSTRAINT %s_month"
							  " CHECK (occurred_at >= '%s' AND occurred_at < '%s');"
							  " ALTER TABLE autoplay.clicks ATTACH PARTITION autoplay.%s"
							  " FOR VALUES FROM ('%s') TO ('%s');"
							  " ALTER TABLE autoplay.%s DROP CONSTRAINT %s_month",
							  name, name, name, from, to, name, from, to,
							  name, name),
					 false, 0);
	if (rc < 0)
		elog(ERROR, "could not create partition autoplay.%s: %s",
			 name, SPI_result_code_string(rc));
	ereport(DEBUG1,
			(errmsg_internal("created partition autoplay.%s", name)));
}
