--
-- raw_body: autoplay_ingest_raw(bytea) reads the exact request bytes
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;

-- raw_one: ingest raw bytes; see first_result in setup.sql
CREATE FUNCTION raw_one(body bytea,
	OUT status text, OUT code text, OUT reason text, OUT detail text,
	OUT id bigint, OUT click autoplay.clicks)
LANGUAGE sql AS $$
	SELECT * FROM first_result(autoplay_ingest_raw(body))
$$;

-- A well-formed body, and a retry of it
SELECT status, id FROM raw_one(convert_to('{"session_id": "1%3A2",
	"timestamp": "2025-10-21T14:17:34.073Z", "target_text": "Save"}', 'UTF8'));
SELECT status, id FROM raw_one(convert_to('{"session_id": "1%3A2",
	"timestamp": "2025-10-21T14:17:34.073Z", "target_text": "Save"}', 'UTF8'));

-- Characters jsonb refuses are replaced, and the click is kept with a note
SELECT v.what, i.status, c.target_text, c.label, c.notes
FROM (VALUES
	('invalid UTF-8', convert_to('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:35.000Z", "target_text": "S', 'UTF8')
	 || '\xff'::bytea || convert_to('ve"}', 'UTF8')),
	('escaped NUL', convert_to('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:36.000Z", "target_text": "Sa\u0000ve"}', 'UTF8')),
	('lone surrogate', convert_to('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:37.000Z", "target_text": "Sa\ud800ve"}', 'UTF8')),
	('paired surrogates', convert_to('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:38.000Z", "target_text": "\ud83d\ude80 Go"}', 'UTF8')),
	('raw tab', convert_to(E'{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:39.000Z", "target_text": "Sa\tve"}', 'UTF8')),
	('byte order mark', '\xefbbbf'::bytea || convert_to('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:40.000Z", "target_text": "BOM"}', 'UTF8'))
	) AS v(what, body),
	LATERAL raw_one(v.body) AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c
ORDER BY i.id;

-- Bodies that are not JSON are kept byte for byte, with the reason
SELECT v.what, i.status, i.code, i.reason, i.detail
FROM (VALUES
	('empty', ''::bytea),
	('white space', convert_to(E' \n ', 'UTF8')),
	('cut short', convert_to('{"session_id": "1%3A2", "timestamp": "2025-', 'UTF8')),
	('form encoded', convert_to('session_id=1%3A2&timestamp=now', 'UTF8')),
	('two values', convert_to('{} {}', 'UTF8')),
	('invalid UTF-8 outside strings', '\x7bff7d'::bytea),
	('nested 10,000 deep', convert_to(repeat('[', 10000) || repeat(']', 10000), 'UTF8')),
	('number out of range', convert_to('{"session_id": "1%3A2", "n": 1e1000000}', 'UTF8'))
	) AS v(what, body),
	LATERAL raw_one(v.body) AS i;

SELECT r.code, r.reason, r.payload, length(r.raw_body) AS bytes,
	   r.raw_body = '\x7bff7d'::bytea AS exact
FROM autoplay.rejects r ORDER BY r.id;

-- JSON that is not a click object
SELECT status, code, reason FROM raw_one(convert_to('null', 'UTF8'));
SELECT status, code, reason FROM raw_one(convert_to('"hello"', 'UTF8'));
SELECT status, code, reason FROM raw_one(convert_to('[]', 'UTF8'));

-- Numbers like 1e400 are ordinary JSON and are kept
SELECT i.status, length(c.extra->>'big') AS digits
FROM raw_one(convert_to('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:41.000Z", "big": 1e400}', 'UTF8')) AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c;

-- An array body with a bad element: the good ones are kept
SELECT autoplay_ingest_raw(convert_to('[{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:42.000Z"},
	{"session_id": "nope", "timestamp": "2025-10-21T14:17:42.000Z"}]', 'UTF8'));
