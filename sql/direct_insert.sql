--
-- direct_insert: large batches are written straight into the partitions,
-- as COPY writes, and store exactly what INSERT ... ON CONFLICT stores
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;
-- Start without partitions, whatever earlier tests left
DO $$ BEGIN PERFORM autoplay_drop_before('2100-01-01'); END $$;

-- n clicks of one session from click number first, a minute apart from
-- 2025-10-31 23:30 (so that they span two monthly partitions), with every
-- field the spec knows: URL parts, e-mail, unknown keys, a bad unix time
CREATE FUNCTION pg_temp.clicks(sess text, first int, n int) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT jsonb_agg(jsonb_build_object(
		'session_id', sess,
		'timestamp', to_char((timestamptz '2025-10-31 23:30:00+00'
							  + g * interval '1 minute') AT TIME ZONE 'UTC',
							 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
		'timestamp_unix', CASE WHEN g % 5 = 0 THEN to_jsonb('soon'::text) END,
		'target_text', 'Button ' || g,
		'element_name', CASE WHEN g % 3 = 0 THEN 'save-' || g END,
		'page_url', 'https://app.example.com/items/' || g || '?tab=' || g % 4
			|| '#top',
		'user_email', 'User' || g || '@Example.com',
		'custom_' || g % 2, g) ORDER BY g)
	FROM generate_series(first, first + n - 1) g
$$;

-- The columns that do not depend on when or by which path a row came
CREATE FUNCTION pg_temp.stored() RETURNS TABLE (session_key text,
	occurred_at timestamptz, occurred_unix bigint, target_text text,
	element_name text, label text, page_url text, page_host text,
	page_path text, page_query text, page_fragment text,
	page_canonical text, user_email text, extra jsonb, notes text[],
	fingerprint bytea, partition text)
LANGUAGE sql AS $$
	SELECT session_key, occurred_at, occurred_unix, target_text,
		   element_name, label, page_url, page_host, page_path, page_query,
		   page_fragment, page_canonical, user_email, extra, notes,
		   fingerprint, tableoid::regclass::text
	FROM autoplay.clicks
$$;

-- 60 clicks, the 5th to 9th sent twice more at the end: retries within
-- one body.  Rows written directly carry the xid of the subtransaction
-- the batch is written in, not the transaction's own.
BEGIN;
SELECT r->'accepted' AS accepted, r->'duplicates' AS duplicates,
	   (SELECT array_agg(ord) FROM jsonb_array_elements(r->'results')
			WITH ORDINALITY AS e(v, ord)
		WHERE v->>'status' = 'duplicate') AS duplicate_positions
FROM autoplay_ingest(pg_temp.clicks('1%3A2', 1, 60)
					 || pg_temp.clicks('1%3A2', 5, 5)) AS r;
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE xmin::text = pg_current_xact_id()::text)
		   AS written_by_insert
FROM autoplay.clicks;
COMMIT;
SELECT partition, count(*) FROM pg_temp.stored() GROUP BY 1 ORDER BY 1;
CREATE TEMP TABLE by_direct AS SELECT * FROM pg_temp.stored();

-- The same body through INSERT ... ON CONFLICT stores the same rows
TRUNCATE autoplay.clicks;
SET autoplay.direct_insert = off;
BEGIN;
SELECT autoplay_ingest(pg_temp.clicks('1%3A2', 1, 60)
					   || pg_temp.clicks('1%3A2', 5, 5))->'accepted';
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE xmin::text = pg_current_xact_id()::text)
		   AS written_by_insert
FROM autoplay.clicks;
COMMIT;
RESET autoplay.direct_insert;
SELECT (SELECT count(*) FROM (TABLE by_direct EXCEPT ALL
							  SELECT * FROM pg_temp.stored()) d) AS only_direct,
	   (SELECT count(*) FROM (SELECT * FROM pg_temp.stored() EXCEPT ALL
							  TABLE by_direct) i) AS only_insert;

-- Every id in the results is the id of the row stored for that element;
-- ids follow the order of the body
TRUNCATE autoplay.clicks RESTART IDENTITY;
CREATE TEMP TABLE results AS
SELECT ord, v FROM jsonb_array_elements(
		autoplay_ingest(pg_temp.clicks('1%3A2', 1, 60))->'results')
	WITH ORDINALITY AS e(v, ord);
SELECT count(*) AS results,
	   count(*) FILTER (WHERE c.target_text = 'Button ' || ord
						AND c.id = ord) AS matching_rows
FROM results LEFT JOIN autoplay.clicks c ON c.id = (v->>'id')::bigint;

-- Clicks stored by earlier calls are duplicates; the rest are stored
SELECT r->'accepted' AS accepted, r->'duplicates' AS duplicates
FROM autoplay_ingest(pg_temp.clicks('1%3A2', 41, 40)) AS r;
SELECT count(*), count(DISTINCT target_text) FROM autoplay.clicks;

-- The same when the batch's first click is new: the write is refused and
-- done again without the clicks stored before
TRUNCATE autoplay.clicks;
SELECT autoplay_ingest(pg_temp.clicks('1%3A2', 50, 6))->'accepted';
SELECT r->'accepted' AS accepted, r->'duplicates' AS duplicates
FROM autoplay_ingest(pg_temp.clicks('1%3A2', 1, 60)) AS r;
SELECT count(*), count(DISTINCT target_text) FROM autoplay.clicks;

-- A batch smaller than 32 clicks goes through INSERT
BEGIN;
SELECT autoplay_ingest(pg_temp.clicks('3%3A4', 1, 31))->'accepted';
SELECT count(*) FILTER (WHERE xmin::text = pg_current_xact_id()::text)
	AS written_by_insert
FROM autoplay.clicks WHERE session_key = '3:4';
COMMIT;

-- A trigger on the table: every batch goes through INSERT, so that the
-- trigger fires for every row
CREATE TABLE direct_seen (id bigint);
CREATE FUNCTION direct_seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.direct_seen VALUES (NEW.id);
	RETURN NULL;
END
$$;
CREATE TRIGGER direct_seen AFTER INSERT ON autoplay.clicks
	FOR EACH ROW EXECUTE FUNCTION direct_seen();
SELECT autoplay_ingest(pg_temp.clicks('5%3A6', 1, 50))->'accepted';
SELECT count(*) AS trigger_fired FROM direct_seen;
DROP TRIGGER direct_seen ON autoplay.clicks;

-- The same for a trigger on one partition only
CREATE TRIGGER direct_seen AFTER INSERT ON autoplay.clicks_y2025m11
	FOR EACH ROW EXECUTE FUNCTION direct_seen();
TRUNCATE direct_seen;
BEGIN;
SELECT autoplay_ingest(pg_temp.clicks('7%3A8', 1, 50))->'accepted';
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE xmin::text = pg_current_xact_id()::text)
		   AS written_by_insert
FROM autoplay.clicks WHERE session_key = '7:8';
COMMIT;
SELECT count(*) AS trigger_fired FROM direct_seen;
DROP TRIGGER direct_seen ON autoplay.clicks_y2025m11;
DROP FUNCTION direct_seen();
DROP TABLE direct_seen;

-- A stored generated column is computed, a CHECK constraint enforced;
-- partitions made for new months take both from the table
TRUNCATE autoplay.clicks;
ALTER TABLE autoplay.clicks ADD COLUMN day date
	GENERATED ALWAYS AS ((occurred_at AT TIME ZONE 'UTC')::date) STORED;
SELECT autoplay_drop_before('2025-11-15');
SELECT autoplay_ingest(pg_temp.clicks('1%3A2', 1, 60))->'accepted';
SELECT day, count(*) FROM autoplay.clicks GROUP BY day ORDER BY day;
TRUNCATE autoplay.clicks;
ALTER TABLE autoplay.clicks ADD CONSTRAINT short_text
	CHECK (length(target_text) < 9);
SELECT autoplay_drop_before('2025-11-15');
\set VERBOSITY terse
SELECT autoplay_ingest(pg_temp.clicks('9%3A9', 1, 60))->'accepted';
\set VERBOSITY default
SELECT count(*) FROM autoplay.clicks WHERE session_key = '9:9';
ALTER TABLE autoplay.clicks DROP CONSTRAINT short_text;

-- After a column is dropped, a new partition's columns are numbered
-- differently from the table's; rows are converted on the way in
ALTER TABLE autoplay.clicks DROP COLUMN day;
TRUNCATE autoplay.clicks;
SELECT autoplay_drop_before('2026-01-01');
SELECT autoplay_ingest(pg_temp.clicks('1%3A2', 1, 60))->'accepted';
SELECT (SELECT relnatts FROM pg_class
		WHERE oid = 'autoplay.clicks'::regclass) >
	   (SELECT relnatts FROM pg_class
		WHERE oid = 'autoplay.clicks_y2025m10'::regclass) AS numbered_apart;
SELECT count(*) AS only_direct
FROM (TABLE by_direct EXCEPT ALL SELECT * FROM pg_temp.stored()) d;
SELECT count(*) AS only_new
FROM (SELECT * FROM pg_temp.stored() EXCEPT ALL TABLE by_direct) d;
