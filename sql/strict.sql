--
-- strict: autoplay.strict raises the rejection instead of recording it
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;
SET autoplay.strict = on;

-- try: run an ingest and show the error it raised, with its SQLSTATE
CREATE FUNCTION try(body jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	msg text;
	det text;
BEGIN
	RETURN autoplay_ingest(body)->'results'->0->>'status';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ': ' || msg || coalesce(' / ' || nullif(det, ''), '');
END
$$;

SELECT try('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.073"}');
SELECT try('{"session_id": "12", "timestamp": "2025-10-21T14:17:34.073Z"}');
SELECT try('{"timestamp": "2025-10-21T14:17:34.073Z", "target_text": "x"}');
SELECT try('{"session_id": "1%3A2", "timestamp": "1999-01-01T00:00:00Z"}');
SELECT try('[{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.073Z"}, 7]');
SELECT try('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.073Z"}');
SELECT try('{}');

-- The whole call failed: the array's good click was not kept, no rejects
SELECT count(*) AS clicks FROM autoplay.clicks;
SELECT status, count(*) FROM autoplay.rejects GROUP BY status;

-- The raw entry point raises too, for a body that is not JSON
SELECT autoplay_ingest_raw('\x7b'::bytea);

-- An error in strict mode aborts the caller's transaction
BEGIN;
SELECT autoplay_ingest('{"session_id": "x", "timestamp": "2025-10-21T14:17:34.073Z"}');
SELECT 1;
ROLLBACK;
RESET autoplay.strict;
