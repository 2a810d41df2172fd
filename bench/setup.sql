/*
 * bench/setup.sql
 *	  The benchmark's own tables: payloads, the arrays built from them,
 *	  call results for the comparison, and the COPY target.
 *
 * Run by bench/run.sh as a superuser, after CREATE EXTENSION autoplay and
 * bench/plpgsql_twin.sql.
 */

DROP SCHEMA IF EXISTS bench CASCADE;
DROP SCHEMA IF EXISTS bench_copy CASCADE;
CREATE SCHEMA bench;

-- Bodies as loaded (one line each, in file order), then as jsonb: the
-- benchmark's payloads, and the edge cases of bench/twin_cases.py
CREATE TABLE bench.raw_payloads (
	id				integer GENERATED ALWAYS AS IDENTITY,
	body			text NOT NULL
);

CREATE TABLE bench.payloads (
	id				integer PRIMARY KEY,
	body			jsonb NOT NULL
);

CREATE TABLE bench.raw_cases (
	id				integer GENERATED ALWAYS AS IDENTITY,
	body			text NOT NULL
);

CREATE TABLE bench.cases (
	id				integer PRIMARY KEY,
	body			jsonb NOT NULL
);

-- Whole bodies for one call; stored uncompressed, so that reading one
-- costs a copy rather than a decompression
CREATE TABLE bench.arrays (
	name			text PRIMARY KEY,
	elements		integer NOT NULL,
	body			jsonb NOT NULL
);
ALTER TABLE bench.arrays ALTER COLUMN body SET STORAGE EXTERNAL;

-- What each call answered, for bench/compare.sql
CREATE TABLE bench.check_results (
	side			text NOT NULL,
	seq				integer NOT NULL,
	result			jsonb NOT NULL
);
ALTER TABLE bench.check_results ALTER COLUMN result SET STORAGE EXTERNAL;

-- The COPY target: autoplay.clicks's DDL, partitions made by run.sh
CREATE SCHEMA bench_copy;
-- LIKE copies the columns, identity, primary key and BRIN index, so the
-- shape is autoplay.clicks's by construction
CREATE TABLE bench_copy.clicks (LIKE autoplay.clicks INCLUDING ALL)
	PARTITION BY RANGE (occurred_at);

-- bench.reset: empty one side's tables.  For autoplay and twin the
-- partitions are dropped too, unless keep_partitions, so that the check
-- passes create their own, as a first ingest does.  Timed passes keep
-- them on every side: COPY cannot create partitions, and a month's
-- partition is made once, not per load.
CREATE FUNCTION bench.reset(side text, keep_partitions boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	part regclass;
BEGIN
	IF side = 'bench_copy' THEN
		TRUNCATE bench_copy.clicks RESTART IDENTITY;
		RETURN;
	END IF;
	FOR part IN
		SELECT inhrelid::regclass FROM pg_inherits
		WHERE inhparent = format('%I.clicks', side)::regclass
			AND NOT keep_partitions
	LOOP
		EXECUTE format('DROP TABLE %s', part);
	END LOOP;
	EXECUTE format('TRUNCATE %1$I.clicks, %1$I.rejects, %1$I.duplicate_log RESTART IDENTITY',
				   side);
END
$$;

-- bench.copy_partitions: give bench_copy.clicks the partitions that
-- autoplay.clicks has now, with the same bounds
CREATE FUNCTION bench.copy_partitions() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	p record;
	n integer := 0;
BEGIN
	FOR p IN
		SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bounds
		FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'autoplay.clicks'::regclass
	LOOP
		EXECUTE format('CREATE TABLE bench_copy.%I PARTITION OF bench_copy.clicks %s',
					   p.relname, p.bounds);
		n := n + 1;
	END LOOP;
	RETURN n;
END
$$;

-- bench.ingest_cases: ingest each edge case in its own call, in order,
-- with autoplay_ingest (side 'c') or twin.ingest (side 'twin'), keeping
-- the results for bench/compare.sql
CREATE FUNCTION bench.ingest_cases(side text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	c record;
BEGIN
	FOR c IN SELECT id, body FROM bench.cases ORDER BY id LOOP
		INSERT INTO bench.check_results
		VALUES (side, c.id, CASE side WHEN 'c' THEN autoplay_ingest(c.body)
									  ELSE twin.ingest(c.body) END);
	END LOOP;
END
$$;
