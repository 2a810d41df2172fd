/*-------------------------------------------------------------------------
 *
 * click_store.h
 *	  Write clicks and rejects through plans prepared once per backend.
 *
 * src/click_store.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOPLAY_CLICK_STORE_H
#define AUTOPLAY_CLICK_STORE_H

#include "click.h"

extern void ap_store_begin(void);
extern void ap_store_end(void);
extern bool ap_store_click(const ApClickRow *row, int64 *id);
extern void ap_store_clicks(const ApClickRow *const *rows, int n, int64 *ids,
							bool *inserted);
extern void ap_store_reject(TimestampTz received_at, const char *status,
							const ApProblem *problem, Jsonb *payload,
							bytea *raw_body);
extern void ap_store_duplicates(TimestampTz received_at, int64 duplicates);

#endif							/* AUTOPLAY_CLICK_STORE_H */
