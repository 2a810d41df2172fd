/*-------------------------------------------------------------------------
 *
 * click_direct.h
 *	  Insert batches of clicks straight into their partitions, as COPY does.
 *
 * src/click_direct.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOPLAY_CLICK_DIRECT_H
#define AUTOPLAY_CLICK_DIRECT_H

#include "click.h"

/* Smaller batches go through INSERT, whose setup is cheaper */
#define AP_DIRECT_MIN_ROWS	32

typedef struct ApDirect ApDirect;

extern ApDirect *ap_direct_begin(int capacity);
extern bool ap_direct_store_clicks(ApDirect *direct,
								   const ApClickRow *const *rows, int n,
								   int64 *ids, bool *inserted);
extern void ap_direct_end(ApDirect *direct);

#endif							/* AUTOPLAY_CLICK_DIRECT_H */
