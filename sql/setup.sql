--
-- setup: create the extension and a helper the other tests share
--
CREATE EXTENSION autoplay;

SELECT extname, extversion, nspname AS schema
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE extname = 'autoplay';

-- What the extension owns
SELECT pg_describe_object(classid, objid, objsubid) AS object
FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'autoplay')
ORDER BY 1;

-- first_result: flatten the first result of an ingest call and return the
-- row it stored, if any.  The row is read by a statement of its own, after
-- the call, so that it is visible.
CREATE FUNCTION first_result(result jsonb,
	OUT status text, OUT code text, OUT reason text, OUT detail text,
	OUT id bigint, OUT click autoplay.clicks)
LANGUAGE plpgsql AS $$
DECLARE
	r jsonb := result->'results'->0;
BEGIN
	status := r->>'status';
	code := r->>'code';
	reason := r->>'reason';
	detail := r->>'detail';
	id := (r->>'id')::bigint;
	SELECT * INTO click FROM autoplay.clicks c WHERE c.id = first_result.id;
END
$$;

-- ingest_one: ingest one payload; see first_result
CREATE FUNCTION ingest_one(payload jsonb,
	OUT status text, OUT code text, OUT reason text, OUT detail text,
	OUT id bigint, OUT click autoplay.clicks)
LANGUAGE sql AS $$
	SELECT * FROM first_result(autoplay_ingest(payload))
$$;
