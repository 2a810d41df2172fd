--
-- partitions: one partition per month of occurred_at, created on demand
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;
SELECT count(*) FROM autoplay_drop_before('infinity');

-- partitions: the partitions of autoplay.clicks and their bounds
CREATE FUNCTION partitions() RETURNS TABLE (name text, bounds text)
LANGUAGE sql AS $$
	SELECT c.relname::text, pg_get_expr(c.relpartbound, c.oid)
	FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
	WHERE i.inhparent = 'autoplay.clicks'::regclass
	ORDER BY 1
$$;

-- Clicks of three months, one of them years late, in one call
SELECT autoplay_ingest('[
	{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.073Z"},
	{"session_id": "1%3A2", "timestamp": "2025-11-01T00:00:00Z"},
	{"session_id": "1%3A2", "timestamp": "2025-10-31T23:59:59.999999Z"},
	{"session_id": "1%3A2", "timestamp": "2001-02-03T04:05:06Z"}]')->'accepted';
SELECT * FROM partitions();
SELECT tableoid::regclass AS partition, occurred_at
FROM autoplay.clicks ORDER BY occurred_at;

-- No default partition exists for anything to fall into
SELECT count(*) FROM pg_partitioned_table p
WHERE p.partrelid = 'autoplay.clicks'::regclass AND p.partdefid <> 0;

-- Each partition carries the primary key, so session lookups are index scans
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT * FROM autoplay.clicks WHERE session_key = '1:2' ORDER BY occurred_at;
RESET enable_seqscan;

-- Dropping whole months before a cutoff; the month that holds it stays
SELECT * FROM autoplay_drop_before('2025-11-15');
SELECT * FROM partitions();
SELECT count(*) FROM autoplay.clicks;

-- A late click for a dropped month gets its partition back
SELECT autoplay_ingest('{"session_id": "1%3A2", "timestamp": "2025-10-02T00:00:00Z"}')->'accepted';
SELECT * FROM partitions();

-- Rejects before the cutoff go too
SELECT autoplay_ingest('{"session_id": "bad", "timestamp": "2025-10-02T00:00:00Z"}')->'rejected';
SELECT count(*) FROM autoplay_drop_before(now() + interval '1 second');
SELECT (SELECT count(*) FROM autoplay.rejects) AS rejects,
	   (SELECT count(*) FROM partitions()) AS partitions;

-- When another tool manages partitions, a missing one is an error
SET autoplay.create_partitions = off;
SELECT autoplay_ingest('{"session_id": "1%3A2", "timestamp": "2025-10-02T00:00:00Z"}');
RESET autoplay.create_partitions;

-- Only the owner may drop data
CREATE ROLE regress_autoplay_partitions IN ROLE autoplay_writer, autoplay_reader;
SET ROLE regress_autoplay_partitions;
SELECT * FROM autoplay_drop_before('2030-01-01');
RESET ROLE;
DROP ROLE regress_autoplay_partitions;

-- A new month's partition takes the CHECK constraints and generated
-- columns the table was given after it was made
ALTER TABLE autoplay.clicks ADD CONSTRAINT no_secret_labels
	CHECK (label IS DISTINCT FROM 'secret');
ALTER TABLE autoplay.clicks ADD COLUMN day date
	GENERATED ALWAYS AS ((occurred_at AT TIME ZONE 'UTC')::date) STORED;
SELECT autoplay_ingest('{"session_id": "1%3A2", "timestamp": "2025-07-04T12:00:00Z", "target_text": "Open"}')->'accepted';
SELECT day FROM autoplay.clicks WHERE occurred_at < '2025-08-01';
\set VERBOSITY terse
SELECT autoplay_ingest('{"session_id": "1%3A2", "timestamp": "2025-06-04T12:00:00Z", "target_text": "secret"}');
\set VERBOSITY default
ALTER TABLE autoplay.clicks DROP CONSTRAINT no_secret_labels;
ALTER TABLE autoplay.clicks DROP COLUMN day;
