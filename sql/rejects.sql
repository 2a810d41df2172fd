--
-- rejects: everything not stored as a click is kept with its reason
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;

-- Connection tests: a ping, an empty mapping, unevaluated expressions
SELECT v.p, i.status, i.code, i.reason
FROM (VALUES
	('{}'::jsonb),
	('{"ping": true}'),
	('{"target_text": "", "element_name": null, "page_url": "",
	   "timestamp": null, "timestamp_unix": null, "session_id": "%3A",
	   "user_id": "", "user_email": ""}'),
	('{"page_url": ["var", "event.0.url"], "session_id": "%3A",
	   "timestamp": "{{event.0.event_time}}"}'),
	('{"target_text": "event.0.target_text", "session_id": "%253A"}')) AS v(p),
	LATERAL ingest_one(v.p) AS i;

-- A click that is invalid is rejected, not taken for a test
SELECT status, code, reason
FROM ingest_one('{"target_text": "Save", "session_id": "%3A"}');

-- Each is in autoplay.rejects, with the element as sent
SELECT id, status, code, reason, detail, payload, raw_body
FROM autoplay.rejects ORDER BY id;

-- A rejection does not abort the caller's transaction
BEGIN;
SELECT status, code FROM ingest_one('{"session_id": "1%3A2", "timestamp": "bad"}');
SELECT status FROM ingest_one('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.073Z"}');
COMMIT;
SELECT (SELECT count(*) FROM autoplay.clicks) AS clicks,
	   (SELECT count(*) FROM autoplay.rejects WHERE reason LIKE 'invalid timestamp%') AS rejects;

-- A reject is not deduplicated: each delivery of bad input is kept
SELECT (ingest_one('{"session_id": "1%3A2", "timestamp": "bad"}')).status
FROM generate_series(1, 3);
SELECT count(*) FROM autoplay.rejects WHERE reason LIKE 'invalid timestamp%';

-- Rejects that a query may return can be told apart by code
SELECT code, status, count(*) FROM autoplay.rejects GROUP BY 1, 2 ORDER BY 1, 2;
