/*-------------------------------------------------------------------------
 *
 * click_batch.c
 *	  Find the clicks of a batch by their key.
 *
 * A batch of up to a few thousand normalized clicks is indexed once by a
 * hash table keyed on the first eight bytes of each fingerprint, which are
 * already uniformly distributed (they come from SHA-256).  Rows whose
 * fingerprints share those bytes are chained in batch order, so that the
 * first row with a given key is the first one delivered.
 *
 * src/click_batch.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "click_batch.h"

static int	find_slot(const ApBatchIndex *index, uint64 hash);
static bool same_key(const ApClickRow *row, Datum session_key,
					 TimestampTz occurred_at, Datum fingerprint);
static bool varlena_equal(Datum a, Datum b);

/*
 * ap_batch_index_build: index rows[0..n-1].  The index points into rows,
 * which must outlive it.
 */
void
ap_batch_index_build(ApBatchIndex *index, const ApClickRow *const *rows,
					 int n)
{
	int			r;

	index->rows = rows;
	index->size = 1;
	while (index->size < 2 * n)
		index->size <<= 1;
	index->head = palloc(sizeof(int) * index->size);
	memset(index->head, -1, sizeof(int) * index->size);
	index->next = palloc(sizeof(int) * Max(n, 1));

	/* Push rows last to first, so that each chain is in batch order */
	for (r = n - 1; r >= 0; r--)
	{
		int			slot = find_slot(index,
									 ap_fingerprint_hash(rows[r]->values[AP_COL_FINGERPRINT]));

		index->next[r] = index->head[slot];
		index->head[slot] = r;
	}
}

/*
 * ap_batch_find: the first row of the batch with this key, or -1.
 */
int
ap_batch_find(const ApBatchIndex *index, Datum session_key,
			  TimestampTz occurred_at, Datum fingerprint)
{
	int			r;

	r = index->head[find_slot(index, ap_fingerprint_hash(fingerprint))];
	while (r >= 0 &&
		   !same_key(index->rows[r], session_key, occurred_at, fingerprint))
		r = index->next[r];
	return r;
}

/*
 * ap_batch_next_same: the next row after row with the same key, or -1.
 */
int
ap_batch_next_same(const ApBatchIndex *index, int row)
{
	const ApClickRow *first = index->rows[row];
	int			r = index->next[row];

	while (r >= 0 &&
		   !same_key(index->rows[r], first->values[AP_COL_SESSION_KEY],
					 DatumGetTimestampTz(first->values[AP_COL_OCCURRED_AT]),
					 first->values[AP_COL_FINGERPRINT]))
		r = index->next[r];
	return r;
}

/*
 * ap_fingerprint_hash: the first eight bytes of a fingerprint, already as
 * uniform as a hash can be.
 */
uint64
ap_fingerprint_hash(Datum fingerprint)
{
	bytea	   *fp = DatumGetByteaPP(fingerprint);
	uint64		hash = 0;

	memcpy(&hash, VARDATA_ANY(fp), Min(sizeof(hash), VARSIZE_ANY_EXHDR(fp)));
	return hash;
}

/*
 * find_slot: the slot of the chain for hash, by linear probing from its
 * home slot to the first slot that is free or holds that hash.
 */
static int
find_slot(const ApBatchIndex *index, uint64 hash)
{
	int			mask = index->size - 1;
	int			slot = (int) (hash & mask);

	while (index->head[slot] >= 0 &&
		   ap_fingerprint_hash(index->rows[index->head[slot]]->values[AP_COL_FINGERPRINT]) != hash)
		slot = (slot + 1) & mask;
	return slot;
}

/*
 * same_key: does row have this key?
 */
static bool
same_key(const ApClickRow *row, Datum session_key, TimestampTz occurred_at,
		 Datum fingerprint)
{
	return DatumGetTimestampTz(row->values[AP_COL_OCCURRED_AT]) == occurred_at &&
		varlena_equal(row->values[AP_COL_FINGERPRINT], fingerprint) &&
		varlena_equal(row->values[AP_COL_SESSION_KEY], session_key);
}

/*
 * varlena_equal: do two text or bytea values hold the same bytes, whatever
 * their headers?
 */
static bool
varlena_equal(Datum a, Datum b)
{
	struct varlena *x = PG_DETOAST_DATUM_PACKED(a);
	struct varlena *y = PG_DETOAST_DATUM_PACKED(b);

	return VARSIZE_ANY_EXHDR(x) == VARSIZE_ANY_EXHDR(y) &&
		memcmp(VARDATA_ANY(x), VARDATA_ANY(y), VARSIZE_ANY_EXHDR(x)) == 0;
}
