--
-- hostile: bodies of extreme size, width, depth and magnitude
--
-- raw_body.sql has the bodies that are not JSON (empty, cut short, nested
-- 10,000 deep, a number numeric cannot hold) and batches.sql a backfill of
-- 100,000 good clicks; here are the extremes that are still JSON, at their
-- limits, through autoplay_ingest_raw as the gateway calls it.
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;

-- hostile_raw: ingest a body given as text by autoplay_ingest_raw; see
-- first_result in setup.sql
CREATE FUNCTION hostile_raw(body text,
	OUT status text, OUT code text, OUT reason text, OUT detail text,
	OUT id bigint, OUT click autoplay.clicks)
LANGUAGE sql AS $$
	SELECT * FROM first_result(autoplay_ingest_raw(convert_to(body, 'UTF8')))
$$;

-- hostile_click: the text of a click in session 1:2 at second s of
-- 2025-10-21 14:17 UTC, with more members (JSON text, without braces)
CREATE FUNCTION hostile_click(s int, members text) RETURNS text
LANGUAGE sql AS $$
	SELECT format('{"session_id": "1%%3A2", '
				  '"timestamp": "2025-10-21T14:17:%s.000Z", %s}',
				  to_char(s, 'FM00'), members)
$$;

-- A label of a mebibyte, in one-byte and in two-byte characters:
-- target_text is kept whole, the label is cut at 256 characters
SELECT v.what, i.status, length(c.target_text) AS text_chars,
	   octet_length(c.target_text) AS text_bytes,
	   length(c.label) AS label_chars, octet_length(c.label) AS label_bytes,
	   c.notes
FROM (VALUES
	(1, 'ASCII', repeat('x', 1024 * 1024)),
	(2, 'two-byte', repeat(U&'\00E9', 512 * 1024)),
	(3, 'white space', repeat(E' \n\t', 349525) || 'end')
	) AS v(s, what, label),
	LATERAL hostile_raw(hostile_click(v.s,
		'"target_text": ' || to_json(v.label))) AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c
ORDER BY i.id;

-- An object with 10,000 more keys: every one kept in extra
SELECT i.status,
	   (SELECT count(*) FROM jsonb_object_keys(c.extra)) AS extra_keys,
	   c.extra->>'k1' AS first, c.extra->>'k10000' AS last
FROM hostile_raw(hostile_click(4,
	(SELECT string_agg(format('"k%s": %s', g, g), ', ')
	 FROM generate_series(1, 10000) g))) AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c;

-- The same key 10,000 times: the last one counts, as in jsonb
SELECT i.status, c.target_text, c.extra
FROM hostile_raw(hostile_click(5,
	(SELECT string_agg(format('"target_text": "v%s"', g), ', ')
	 FROM generate_series(1, 10000) g))) AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c;

-- Nesting: a body may be 64 deep, not 65, counting the click object
SELECT v.what, i.status, i.code, i.detail, (i.click).extra IS NOT NULL AS kept
FROM (VALUES
	('64 arrays', repeat('[', 64) || repeat(']', 64)),
	('65 arrays', repeat('[', 65) || repeat(']', 65)),
	('a click 64 deep',
	 hostile_click(6, '"x": ' || repeat('[', 63) || repeat(']', 63))),
	('a click 65 deep',
	 hostile_click(7, '"x": ' || repeat('[', 64) || repeat(']', 64))),
	('objects 65 deep', repeat('{"a": ', 65) || '1' || repeat('}', 65))
	) AS v(what, body),
	LATERAL hostile_raw(v.body) AS i;

-- jsonb itself has no such limit: autoplay_ingest keeps deep extra keys,
-- and refuses a deep value where text belongs
SELECT i.status, i.code, jsonb_typeof((i.click).extra->'x') AS x
FROM ingest_one(hostile_click(8,
	'"x": ' || repeat('[', 1000) || repeat(']', 1000))::jsonb) AS i;
SELECT status, code, reason
FROM ingest_one(hostile_click(9,
	'"target_text": ' || repeat('[', 1000) || repeat(']', 1000))::jsonb);

-- Numbers like 1e400: kept exactly, as text where text belongs, but never
-- a time
SELECT v.what, i.status, i.code, i.reason,
	   length(c.target_text) AS text_chars, length(c.label) AS label_chars,
	   length(c.extra->>'n') AS n_chars
FROM (VALUES
	('in extra', hostile_click(10, '"n": 1e400')),
	('negative, and tiny', hostile_click(11, '"n": -1e400, "m": 1e-400')),
	('as target_text', hostile_click(12, '"target_text": 1e400')),
	('as timestamp_unix', '{"session_id": "1%3A2", "timestamp_unix": 1e400}'),
	('as a negative timestamp_unix',
	 '{"session_id": "1%3A2", "timestamp_unix": -1e400}')
	) AS v(what, body),
	LATERAL hostile_raw(v.body) AS i
	LEFT JOIN LATERAL (SELECT (i.click).*) AS c ON true;

-- An array of 100,000 elements, one in a thousand bad: every good one kept
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;
SELECT r->'accepted' AS accepted, r->'rejected' AS rejected,
	   jsonb_array_length(r->'results') AS results
FROM (SELECT autoplay_ingest_raw(convert_to('[' || string_agg(
		CASE WHEN g % 1000 = 0 THEN g::text
			 ELSE format('{"session_id": "%s%%3A7", "timestamp_unix": %s}',
						 g % 500, 1761000000 + g) END,
		', ' ORDER BY g) || ']', 'UTF8'))
	  FROM generate_series(1, 100000) g) AS x(r);
SELECT (SELECT count(*) FROM autoplay.clicks) AS clicks,
	   (SELECT count(*) FROM autoplay.rejects) AS rejects,
	   (SELECT string_agg(DISTINCT code, ',') FROM autoplay.rejects) AS codes;

DROP FUNCTION hostile_raw(text);
DROP FUNCTION hostile_click(int, text);
