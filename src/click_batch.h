/*-------------------------------------------------------------------------
 *
 * click_batch.h
 *	  Find the clicks of a batch by their key.
 *
 * src/click_batch.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOPLAY_CLICK_BATCH_H
#define AUTOPLAY_CLICK_BATCH_H

#include "click.h"

/*
 * The rows of a batch indexed by key (session_key, occurred_at,
 * fingerprint), the key of autoplay.clicks.  Rows with the same key are
 * found in batch order.
 */
typedef struct ApBatchIndex
{
	const ApClickRow *const *rows;
	int			size;			/* slots in head, a power of two */
	int		   *head;			/* per slot, the first row, or -1 */
	int		   *next;			/* per row, the next row of its slot, or -1 */
} ApBatchIndex;

extern void ap_batch_index_build(ApBatchIndex *index,
								 const ApClickRow *const *rows, int n);
extern int	ap_batch_find(const ApBatchIndex *index, Datum session_key,
						  TimestampTz occurred_at, Datum fingerprint);
extern int	ap_batch_next_same(const ApBatchIndex *index, int row);
extern uint64 ap_fingerprint_hash(Datum fingerprint);

#endif							/* AUTOPLAY_CLICK_BATCH_H */
