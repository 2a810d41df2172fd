--
-- times: which click times are accepted, and what is stored
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;

-- "timestamp" alone: every accepted ISO 8601 form
SELECT v.ts, i.status, c.occurred_at, c.occurred_unix, c.notes
FROM (VALUES
	('2025-10-21T14:17:34.073Z'),
	('2025-10-21 14:17:34.074Z'),
	('2025-10-21t14:17:34.075z'),
	('2025-10-21T16:17:34.076+02:00'),
	('2025-10-21T16:17:34.077+0200'),
	('2025-10-21T08:47:34.078-05:30'),
	('2025-10-21T14:17:34Z'),
	('2025-10-21T14:17:35.1Z'),
	('2025-10-21T14:17:36.123456789Z'),
	('2024-02-29T23:59:59.999999Z'),
	('2000-01-01T00:00:00Z')) AS v(ts),
	LATERAL ingest_one(jsonb_build_object('session_id', '1%3A2',
		'target_text', v.ts, 'timestamp', v.ts)) AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c
ORDER BY i.id;

-- "timestamp" that is rejected: no zone, special words, nonsense, range
SELECT v.ts, i.status, i.code, i.reason, i.detail
FROM (VALUES
	('2025-10-21T14:17:34.073'),
	('2025-10-21T14:17:34.073+02'),
	('now'),
	('infinity'),
	('epoch'),
	('today'),
	('yesterday noon'),
	('21/10/2025 14:17'),
	('2025-10-21T14:17:34.0731234567Z'),
	('2025-10-21T14:17:34.Z'),
	('2025-13-01T00:00:00Z'),
	('2023-02-29T00:00:00Z'),
	('2025-10-21T24:00:00Z'),
	('2025-10-21T14:17:60Z'),
	('1999-12-31T23:59:59.999Z'),
	(repeat('9', 100))) AS v(ts),
	LATERAL ingest_one(jsonb_build_object('session_id', '1%3A2',
		'timestamp', v.ts)) AS i;

-- A number where ISO 8601 text belongs
SELECT status, code, reason, detail, id FROM ingest_one('{"session_id": "1%3A2", "timestamp": 1761056254}');

-- More than a day ahead of arrival is refused; 23 hours is not
SELECT i.status, i.code, i.reason LIKE '%is in the future' AS future
FROM (VALUES (interval '2 days'), (interval '23 hours')) AS v(ahead),
	LATERAL ingest_one(jsonb_build_object('session_id', '1%3A3',
		'timestamp', to_char((now() + v.ahead) AT TIME ZONE 'UTC',
							 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))) AS i;

-- "timestamp_unix" alone: seconds, milliseconds from 1e11, strings
SELECT v.unix, i.status, i.code, i.reason, c.occurred_at, c.occurred_unix,
	   c.notes
FROM (VALUES
	('1761056254'::jsonb),
	('"1761056255"'),
	('1761056256073'),
	('"1761056257073"'),
	('1761056258.5'),
	('99999999999'),
	('100000000000'),
	('"1.7e9"'),
	('"abc"'),
	('" 1761056254"'),
	('true'),
	('-1761056254'),
	('123456789012345678901234567890')) AS v(unix),
	LATERAL ingest_one(jsonb_build_object('session_id', '1%3A4',
		'timestamp_unix', v.unix)) AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c
ORDER BY v.unix::text;

-- Both present: "timestamp" wins; disagreement past a second is noted
SELECT v.unix, i.status, c.occurred_at, c.notes
FROM (VALUES
	('1761056254'::jsonb),
	('1761056255'),
	('1761056256'),
	('1761056000'),
	('1761056254073'),
	('"soon"'),
	('""')) AS v(unix),
	LATERAL ingest_one(jsonb_build_object('session_id', '1%3A5',
		'timestamp', '2025-10-21T14:17:34.073Z', 'timestamp_unix', v.unix,
		'target_text', v.unix::text)) AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c
ORDER BY i.id;

-- An empty "timestamp" gives way to "timestamp_unix"
SELECT c.occurred_at, c.notes
FROM ingest_one('{"session_id": "1%3A6", "timestamp": "",
				  "timestamp_unix": 1761056254}') AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c;

-- No time at all
SELECT status, code, reason, detail, id FROM ingest_one('{"session_id": "1%3A2", "target_text": "Save"}');
SELECT status, code, reason, detail, id FROM ingest_one('{"session_id": "1%3A2", "timestamp": null,
						   "timestamp_unix": ""}');
