/*-------------------------------------------------------------------------
 *
 * click_partitions.h
 *	  Create the monthly partition of autoplay.clicks that a click needs.
 *
 * src/click_partitions.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOPLAY_CLICK_PARTITIONS_H
#define AUTOPLAY_CLICK_PARTITIONS_H

#include "utils/timestamp.h"

/* No month is known yet: a value no month key takes */
#define AP_NO_MONTH	(-1)

extern void ap_partition_ensure(TimestampTz occurred_at, int32 *known_month);

#endif							/* AUTOPLAY_CLICK_PARTITIONS_H */
