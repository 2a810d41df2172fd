/*-------------------------------------------------------------------------
 *
 * click_direct.c
 *	  Insert batches of clicks straight into their partitions, as COPY does.
 *
 * INSERT ... ON CONFLICT stores one row at a time: each heap tuple is
 * inserted with a speculative token and confirmed afterwards, two WAL
 * records per row, and the unique index is searched twice, once to look
 * for a conflict and once to insert.  For a batch of clicks this file does
 * what COPY FROM does instead: it routes each row to its partition, writes
 * each partition's rows with one table_multi_insert, which fills whole
 * pages and logs each page once, and then inserts the index entries, whose
 * uniqueness check is the only search of the unique index.
 *
 * Duplicates within a batch are dropped before anything is written.  A
 * click already stored makes the unique index refuse its entry with
 * unique_violation; the batch is written in a subtransaction, so that such
 * a refusal undoes it.  The batch is then written again, this time
 * probing the index for every row first, the way ON CONFLICT probes it
 * (waiting for a transaction that is inserting the same key), and leaving
 * out the clicks found.  Some rows are probed in any case: the first of
 * each batch, so that a resent backfill costs probes rather than a wasted
 * write, and those whose fingerprint this call has already stored, so
 * that a resend within one large body does not make the call probe
 * everything.  Once a write has been refused, the call probes every row.
 * Should a probed write still be refused, a concurrent session stored one
 * of the clicks after its probe, and the caller stores the batch through
 * INSERT ... ON CONFLICT.
 *
 * Everything that opens relations or pins tuple descriptors happens
 * outside the subtransactions, once per call: routing creates partition
 * result relations and their slots on first use and keeps them for the
 * call's later batches.
 *
 * The path is taken only where it writes exactly what INSERT would: no
 * triggers, no row security, ordinary partitions with one unique index
 * (the key's), and no Citus, which must route rows to its shards itself.
 * Column defaults (the identity), stored generated columns and CHECK
 * constraints are applied as INSERT applies them.
 *
 * src/click_direct.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/tupconvert.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "commands/extension.h"
#include "executor/execPartition.h"
#include "executor/executor.h"
#include "executor/nodeModifyTable.h"
#include "nodes/makefuncs.h"
#include "rewrite/rewriteHandler.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/rls.h"

#include "click_batch.h"
#include "click_direct.h"

/* The columns of autoplay.clicks that ingest fills, in ApClickColumn order */
static const char *const click_column_names[AP_NUM_CLICK_COLUMNS] = {
	"session_key", "device_id", "session_id", "occurred_at",
	"occurred_unix", "target_text", "element_name", "label", "page_url",
	"page_host", "page_path", "page_query", "page_fragment",
	"page_canonical", "replay_url", "user_id", "user_email", "extra",
	"notes", "fingerprint", "received_at"
};

/* A partition the call has routed rows to */
typedef struct DirectPartition
{
	ResultRelInfo *rri;
	TupleTableSlot **slots;		/* made on first use, kept for the call */
	int		   *rows;			/* index in the batch of each slot's row */
	int			nslots;			/* slots holding rows of this batch */
	BulkInsertState bistate;	/* its ring of buffers, kept for the call */
} DirectPartition;

/* The executor state of one call */
struct ApDirect
{
	EState	   *estate;
	ModifyTableState *mtstate;
	ResultRelInfo *root;		/* autoplay.clicks */
	PartitionTupleRouting *proute;
	TupleTableSlot *rootslot;	/* a row as autoplay.clicks holds it */
	AttrNumber	attnums[AP_NUM_CLICK_COLUMNS];	/* where each column goes */
	AttrNumber	id_attnum;
	int			ndefaults;		/* columns that take their default */
	AttrNumber *default_attnums;
	ExprState **default_exprs;
	DirectPartition *parts;
	int			nparts;
	int			maxparts;
	int			capacity;		/* most rows in a batch */
	bool		probe;			/* probe every row before writing */
	uint64	   *stored;			/* fingerprint hashes written, 0 for none */
	int			stored_size;	/* a power of two */
	int			stored_count;
};

static bool table_allows_direct(Relation rel);
static bool set_up(ApDirect *d, Oid relid);
static bool route_batch(ApDirect *d, const ApClickRow *const *rows, int n,
						int64 *ids, bool *inserted);
static void fill_root_slot(ApDirect *d, const ApClickRow *row);
static TupleTableSlot *add_defaults(ApDirect *d, DirectPartition *part,
									TupleTableSlot *slot);
static DirectPartition *partition_of(ApDirect *d, ResultRelInfo *rri);
static bool partition_allows_direct(ResultRelInfo *rri);
static TupleTableSlot *partition_slot(ApDirect *d, DirectPartition *part);
static bool already_stored(ApDirect *d, ResultRelInfo *rri,
						   TupleTableSlot *slot);
static bool write_batch(ApDirect *d, int n, bool *inserted);
static uint64 fingerprint_hash(Datum fingerprint);
static bool stored_may_hold(ApDirect *d, Datum fingerprint);
static void remember_stored(ApDirect *d, const ApClickRow *const *rows);
static bool add_hash(uint64 *table, int size, uint64 hash);
static void write_partition(ApDirect *d, DirectPartition *part,
							bool *inserted);
static void forget_bulk_states(ApDirect *d);

/*
 * ap_direct_begin: the state for writing a call's batches of at most
 * capacity rows, in the current memory context.  NULL when autoplay.clicks
 * does not allow the direct path.  End with ap_direct_end.
 */
ApDirect *
ap_direct_begin(int capacity)
{
	ApDirect   *d;
	Oid			relid;
	Relation	rel;
	bool		applies;

	relid = RangeVarGetRelid(makeRangeVar("autoplay", "clicks", -1),
							 RowExclusiveLock, false);
	rel = table_open(relid, NoLock);
	applies = table_allows_direct(rel);
	table_close(rel, NoLock);
	if (!applies)
		return NULL;

	d = palloc0(sizeof(ApDirect));
	d->capacity = capacity;
	d->estate = CreateExecutorState();
	if (!set_up(d, relid))
	{
		ap_direct_end(d);
		return NULL;
	}
	return d;
}

/*
 * ap_direct_end: close what the call opened.
 */
void
ap_direct_end(ApDirect *d)
{
	int			i;

	for (i = 0; i < d->nparts; i++)
		FreeBulkInsertState(d->parts[i].bistate);
	ExecResetTupleTable(d->estate->es_tupleTable, false);
	if (d->proute != NULL)
		ExecCleanupTupleRouting(d->mtstate, d->proute);
	ExecCloseResultRelations(d->estate);
	ExecCloseRangeTableRelations(d->estate);
	FreeExecutorState(d->estate);
	pfree(d);
}

/*
 * ap_direct_store_clicks: store rows[0..n-1] and set inserted[i] and, when
 * true, ids[i], as ap_store_clicks does.  Returns false, having stored
 * nothing, when a partition does not allow this path or a concurrent
 * delivery of the same click won a race; the caller then uses INSERT.
 */
bool
ap_direct_store_clicks(ApDirect *d, const ApClickRow *const *rows, int n,
					   int64 *ids, bool *inserted)
{
	Assert(n <= d->capacity);

	if (!route_batch(d, rows, n, ids, inserted))
		return false;
	if (!write_batch(d, n, inserted))
	{
		if (d->probe)
			return false;

		/* A click was stored already: leave out those the probes find */
		d->probe = true;
		if (!route_batch(d, rows, n, ids, inserted) ||
			!write_batch(d, n, inserted))
			return false;
	}
	remember_stored(d, rows);
	return true;
}

/*
 * table_allows_direct: can autoplay.clicks itself be written directly?
 */
static bool
table_allows_direct(Relation rel)
{
	return rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE &&
		rel->trigdesc == NULL &&
		check_enable_rls(RelationGetRelid(rel), InvalidOid, true) != RLS_ENABLED &&
		!OidIsValid(get_extension_oid("citus", true));
}

/*
 * set_up: prepare d->estate as COPY FROM prepares its own: a range table
 * entry that checks INSERT privilege, a result relation, partition
 * routing, and the defaults of the columns ingest does not fill.  Returns
 * false when the table's columns are not the ones ingest fills.
 */
static bool
set_up(ApDirect *d, Oid relid)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	Relation	rel;
	TupleDesc	desc;
	bool		filled[MaxHeapAttributeNumber + 1] = {false};
	int			col;
	AttrNumber	attnum;

	rte->rtekind = RTE_RELATION;
	rte->relid = relid;
	rte->relkind = RELKIND_PARTITIONED_TABLE;
	rte->rellockmode = RowExclusiveLock;
	rte->requiredPerms = ACL_INSERT;
	for (col = 0; col < AP_NUM_CLICK_COLUMNS; col++)
	{
		d->attnums[col] = get_attnum(relid, click_column_names[col]);
		if (d->attnums[col] == InvalidAttrNumber)
			return false;
		filled[d->attnums[col]] = true;
		rte->insertedCols = bms_add_member(rte->insertedCols,
										   d->attnums[col] - FirstLowInvalidHeapAttributeNumber);
	}
	d->id_attnum = get_attnum(relid, "id");
	if (d->id_attnum == InvalidAttrNumber || filled[d->id_attnum])
		return false;
	ExecCheckRTPerms(list_make1(rte), true);

	ExecInitRangeTable(d->estate, list_make1(rte));
	d->root = makeNode(ResultRelInfo);
	ExecInitResultRelation(d->estate, d->root, 1);
	CheckValidResultRel(d->root, CMD_INSERT);
	rel = d->root->ri_RelationDesc;
	desc = RelationGetDescr(rel);

	d->mtstate = makeNode(ModifyTableState);
	d->mtstate->ps.plan = NULL;
	d->mtstate->ps.state = d->estate;
	d->mtstate->operation = CMD_INSERT;
	d->mtstate->mt_nrels = 1;
	d->mtstate->resultRelInfo = d->root;
	d->mtstate->rootResultRelInfo = d->root;
	d->proute = ExecSetupPartitionTupleRouting(d->estate, rel);
	d->rootslot = table_slot_create(rel, &d->estate->es_tupleTable);

	/* Every other column takes its default, the identity among them */
	d->default_attnums = palloc(sizeof(AttrNumber) * desc->natts);
	d->default_exprs = palloc(sizeof(ExprState *) * desc->natts);
	for (attnum = 1; attnum <= desc->natts; attnum++)
	{
		Node	   *expr;
		Form_pg_attribute attr = TupleDescAttr(desc, attnum - 1);

		/* Generated columns are computed once the row is routed */
		if (filled[attnum] || attr->attisdropped || attr->attgenerated)
			continue;
		expr = build_column_default(rel, attnum);
		if (expr == NULL)
			continue;
		d->default_attnums[d->ndefaults] = attnum;
		d->default_exprs[d->ndefaults] = ExecPrepareExpr((Expr *) expr,
														 d->estate);
		d->ndefaults++;
	}

	d->maxparts = 4;
	d->parts = palloc(sizeof(DirectPartition) * d->maxparts);
	d->stored_size = 1024;
	d->stored = palloc0(sizeof(uint64) * d->stored_size);
	return true;
}

/*
 * route_batch: put each row that is new to the batch in a slot of its
 * partition, with its defaults, generated columns and constraints applied,
 * leaving out, when probing, the rows already stored.  Sets inserted[] to
 * false and ids[] for the rows kept.  Returns false when a partition does
 * not allow the direct path.
 */
static bool
route_batch(ApDirect *d, const ApClickRow *const *rows, int n, int64 *ids,
			bool *inserted)
{
	ApBatchIndex index;
	int			i;

	memset(inserted, 0, sizeof(bool) * n);
	for (i = 0; i < d->nparts; i++)
		d->parts[i].nslots = 0;
	ap_batch_index_build(&index, rows, n);

	for (i = 0; i < n; i++)
	{
		const ApClickRow *row = rows[i];
		ResultRelInfo *rri;
		DirectPartition *part;
		TupleTableSlot *slot;
		TupleConstr *constr;
		bool		resent;

		/* A later copy of an earlier row of the batch */
		if (ap_batch_find(&index, row->values[AP_COL_SESSION_KEY],
						  DatumGetTimestampTz(row->values[AP_COL_OCCURRED_AT]),
						  row->values[AP_COL_FINGERPRINT]) != i)
			continue;

		ResetPerTupleExprContext(d->estate);
		fill_root_slot(d, row);
		rri = ExecFindPartition(d->mtstate, d->root, d->proute, d->rootslot,
								d->estate);
		part = partition_of(d, rri);
		if (part == NULL)
			return false;
		slot = partition_slot(d, part);

		/*
		 * Probe when told to, and where a duplicate is likely.  A row that
		 * an earlier call stored means more of them may be; a resend of a
		 * row this call wrote says nothing about the others.
		 */
		resent = stored_may_hold(d, row->values[AP_COL_FINGERPRINT]);
		if ((d->probe || i == 0 || resent) && already_stored(d, rri, slot))
		{
			if (!resent)
				d->probe = true;
			continue;
		}

		slot = add_defaults(d, part, slot);
		constr = RelationGetDescr(rri->ri_RelationDesc)->constr;
		if (constr != NULL && constr->has_generated_stored)
			ExecComputeStoredGenerated(rri, d->estate, slot, CMD_INSERT);
		if (constr != NULL)
			ExecConstraints(rri, slot, d->estate);

		/* Keep the row: its values must outlive the per-row memory */
		ExecMaterializeSlot(slot);
		ids[i] = DatumGetInt64(d->rootslot->tts_values[d->id_attnum - 1]);
		part->rows[part->nslots++] = i;
	}
	return true;
}

/*
 * fill_root_slot: put row into the root slot, in the table's column
 * order, the other columns null until add_defaults.
 */
static void
fill_root_slot(ApDirect *d, const ApClickRow *row)
{
	TupleTableSlot *slot = d->rootslot;
	int			natts = slot->tts_tupleDescriptor->natts;
	int			col;

	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * natts);
	for (col = 0; col < AP_NUM_CLICK_COLUMNS; col++)
	{
		AttrNumber	attnum = d->attnums[col];

		slot->tts_values[attnum - 1] = row->values[col];
		slot->tts_isnull[attnum - 1] = row->isnull[col];
	}
	ExecStoreVirtualTuple(slot);
}

/*
 * add_defaults: give the row in the root slot and in slot, its copy for
 * part, the defaults of the columns ingest does not fill.  Done only for
 * rows that are kept, so that a duplicate takes no identity value.
 */
static TupleTableSlot *
add_defaults(ApDirect *d, DirectPartition *part, TupleTableSlot *slot)
{
	TupleTableSlot *root = d->rootslot;
	ExprContext *econtext = GetPerTupleExprContext(d->estate);
	int			i;

	for (i = 0; i < d->ndefaults; i++)
	{
		AttrNumber	attnum = d->default_attnums[i];

		root->tts_values[attnum - 1] =
			ExecEvalExpr(d->default_exprs[i], econtext,
						 &root->tts_isnull[attnum - 1]);
		if (part->rri->ri_RootToPartitionMap == NULL)
		{
			slot->tts_values[attnum - 1] = root->tts_values[attnum - 1];
			slot->tts_isnull[attnum - 1] = root->tts_isnull[attnum - 1];
		}
	}
	if (part->rri->ri_RootToPartitionMap != NULL)
		slot = partition_slot(d, part);
	return slot;
}

/*
 * partition_of: the call's entry for the partition rri, made on first
 * use.  NULL when that partition does not allow the direct path.
 */
static DirectPartition *
partition_of(ApDirect *d, ResultRelInfo *rri)
{
	DirectPartition *part;
	int			i;

	for (i = 0; i < d->nparts; i++)
		if (d->parts[i].rri == rri)
			return &d->parts[i];

	if (!partition_allows_direct(rri))
		return NULL;
	if (d->nparts == d->maxparts)
	{
		d->maxparts *= 2;
		d->parts = repalloc(d->parts, sizeof(DirectPartition) * d->maxparts);
	}
	part = &d->parts[d->nparts++];
	part->rri = rri;
	part->slots = palloc0(sizeof(TupleTableSlot *) * d->capacity);
	part->rows = palloc(sizeof(int) * d->capacity);
	part->nslots = 0;
	part->bistate = GetBulkInsertState();
	return part;
}

/*
 * partition_allows_direct: is rri an ordinary table without triggers,
 * whose only unique index is the key's?  Prepares that index for probing.
 */
static bool
partition_allows_direct(ResultRelInfo *rri)
{
	int			unique = 0;
	int			i;

	if (rri->ri_RelationDesc->rd_rel->relkind != RELKIND_RELATION ||
		rri->ri_TrigDesc != NULL || rri->ri_FdwRoutine != NULL)
		return false;
	for (i = 0; i < rri->ri_NumIndices; i++)
	{
		IndexInfo  *info = rri->ri_IndexRelationInfo[i];

		if (info->ii_ExclusionOps != NULL)
			return false;
		if (!info->ii_Unique)
			continue;
		unique++;
		if (info->ii_UniqueOps == NULL)
			BuildSpeculativeIndexInfo(rri->ri_IndexRelationDescs[i], info);
	}
	return unique == 1;
}

/*
 * partition_slot: the root slot's row in part's next free slot, converted
 * to the partition's column order when that differs.
 */
static TupleTableSlot *
partition_slot(ApDirect *d, DirectPartition *part)
{
	TupleTableSlot *slot = part->slots[part->nslots];
	TupleConversionMap *map = part->rri->ri_RootToPartitionMap;

	if (slot == NULL)
		slot = part->slots[part->nslots] =
			table_slot_create(part->rri->ri_RelationDesc,
							  &d->estate->es_tupleTable);
	if (map != NULL)
		return execute_attr_map_slot(map->attrMap, d->rootslot, slot);

	ExecClearTuple(slot);
	memcpy(slot->tts_values, d->rootslot->tts_values,
		   sizeof(Datum) * slot->tts_tupleDescriptor->natts);
	memcpy(slot->tts_isnull, d->rootslot->tts_isnull,
		   sizeof(bool) * slot->tts_tupleDescriptor->natts);
	return ExecStoreVirtualTuple(slot);
}

/*
 * already_stored: does the partition's unique index hold the key of the
 * row in slot, committed or being inserted by a transaction that then
 * commits?
 */
static bool
already_stored(ApDirect *d, ResultRelInfo *rri, TupleTableSlot *slot)
{
	ItemPointerData conflict;

	return !ExecCheckIndexConstraints(rri, slot, d->estate, &conflict, NIL);
}

/*
 * write_batch: write the routed rows in a subtransaction and mark them
 * inserted.  Returns false, having written nothing, when the unique index
 * refused one of them.
 */
static bool
write_batch(ApDirect *d, int n, bool *inserted)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool written = false;
	int			rows = 0;
	int			i;

	for (i = 0; i < d->nparts; i++)
		rows += d->parts[i].nslots;
	if (rows == 0)
		return true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		int			p;

		for (p = 0; p < d->nparts; p++)
			write_partition(d, &d->parts[p], inserted);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		written = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		forget_bulk_states(d);
		if (edata->sqlerrcode != ERRCODE_UNIQUE_VIOLATION)
			ReThrowError(edata);
		FreeErrorData(edata);
	}
	PG_END_TRY();

	if (!written)
		memset(inserted, 0, sizeof(bool) * n);
	return written;
}

/*
 * write_partition: write part's rows with one multi-insert, then their
 * index entries.
 */
static void
write_partition(ApDirect *d, DirectPartition *part, bool *inserted)
{
	int			i;

	if (part->nslots == 0)
		return;
	table_multi_insert(part->rri->ri_RelationDesc, part->slots, part->nslots,
					   GetCurrentCommandId(true), 0, part->bistate);

	/* A pin may not outlive the subtransaction; the ring stays */
	ReleaseBulkInsertStatePin(part->bistate);

	for (i = 0; i < part->nslots; i++)
	{
		List	   *recheck;

		ResetPerTupleExprContext(d->estate);
		recheck = ExecInsertIndexTuples(part->rri, part->slots[i], d->estate,
										false, false, NULL, NIL);
		list_free(recheck);
		inserted[part->rows[i]] = true;
	}
}

/*
 * forget_bulk_states: after a rolled back write, give each partition a new
 * bulk insert state.  The rollback released the buffer pin that a state
 * may still name, so the old ones must not be freed, only left to the
 * call's memory.
 */
static void
forget_bulk_states(ApDirect *d)
{
	int			i;

	for (i = 0; i < d->nparts; i++)
		d->parts[i].bistate = GetBulkInsertState();
}

/*
 * fingerprint_hash: ap_fingerprint_hash, never 0, which marks a free slot
 * of the stored table.
 */
static uint64
fingerprint_hash(Datum fingerprint)
{
	uint64		hash = ap_fingerprint_hash(fingerprint);

	return hash != 0 ? hash : 1;
}

/*
 * stored_may_hold: has this call written a click with this fingerprint's
 * hash?  True can be a coincidence of hashes; the probe then decides.
 */
static bool
stored_may_hold(ApDirect *d, Datum fingerprint)
{
	uint64		hash = fingerprint_hash(fingerprint);
	int			mask = d->stored_size - 1;
	int			slot;

	for (slot = (int) (hash & mask); d->stored[slot] != 0;
		 slot = (slot + 1) & mask)
		if (d->stored[slot] == hash)
			return true;
	return false;
}

/*
 * remember_stored: add the fingerprints of the rows just written, growing
 * the table to keep it at most half full.
 */
static void
remember_stored(ApDirect *d, const ApClickRow *const *rows)
{
	int			p;
	int			i;

	for (p = 0; p < d->nparts; p++)
	{
		DirectPartition *part = &d->parts[p];

		for (i = 0; i < part->nslots; i++)
		{
			if (2 * (d->stored_count + 1) > d->stored_size)
			{
				uint64	   *old = d->stored;
				int			j;

				d->stored = palloc0(sizeof(uint64) * d->stored_size * 2);
				for (j = 0; j < d->stored_size; j++)
					if (old[j] != 0)
						add_hash(d->stored, d->stored_size * 2, old[j]);
				d->stored_size *= 2;
				pfree(old);
			}
			if (add_hash(d->stored, d->stored_size,
						 fingerprint_hash(rows[part->rows[i]]->values[AP_COL_FINGERPRINT])))
				d->stored_count++;
		}
	}
}

/*
 * add_hash: put hash in the open-addressing table of size slots (a power
 * of two, not full).  Returns false when it was there already.
 */
static bool
add_hash(uint64 *table, int size, uint64 hash)
{
	int			mask = size - 1;
	int			slot;

	for (slot = (int) (hash & mask); table[slot] != 0;
		 slot = (slot + 1) & mask)
		if (table[slot] == hash)
			return false;
	table[slot] = hash;
	return true;
}
