--
-- batches: arrays of clicks, and bodies that are not clicks
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;

-- A mixed array: each element gets its own result, in order
SELECT jsonb_pretty(autoplay_ingest('[
	{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.073Z", "target_text": "A"},
	{"session_id": "1%3A2", "timestamp": "not a time", "target_text": "B"},
	{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.073Z", "target_text": "A"},
	{},
	42,
	[{"session_id": "1%3A2"}],
	{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.074Z", "target_text": "C"}
]'));

SELECT id, target_text FROM autoplay.clicks ORDER BY id;

SELECT id, status, code, reason, payload FROM autoplay.rejects ORDER BY id;

-- The result is well-formed jsonb, keys in jsonb's order: the same value
-- as its text read back, and its keys found by lookup
SELECT r = r::text::jsonb AS canonical, r->'tests' AS tests,
	   r->'results'->1->>'code' AS code,
	   r->'results'->0 ? 'status' AS has_status
FROM autoplay_ingest('[
	{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.073Z", "target_text": "A"},
	{"session_id": "1%3A2", "timestamp": "not a time"},
	{},
	{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:39.073Z"}
]') AS r;

-- Bodies that hold no click at all
SELECT autoplay_ingest('[]');
SELECT autoplay_ingest('"hello"');
SELECT autoplay_ingest('null');
SELECT autoplay_ingest(NULL);

-- A backfill of 100,000 clicks in one call, every one stored
SELECT r->'accepted' AS accepted, r->'duplicates' AS duplicates,
	   r->'rejected' AS rejected, jsonb_array_length(r->'results') AS results
FROM (SELECT autoplay_ingest(jsonb_agg(jsonb_build_object(
		'session_id', (g % 500) || '%3A' || (g % 7),
		'timestamp', to_char((timestamptz '2025-10-21 00:00:00+00'
							  + g * interval '1 second') AT TIME ZONE 'UTC',
							 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
		'target_text', 'Button ' || (g % 40),
		'page_url', 'https://app.example.com/items/' || g)))
	  FROM generate_series(1, 100000) g) AS x(r);
SELECT count(*), count(DISTINCT session_key), min(occurred_at), max(occurred_at)
FROM autoplay.clicks WHERE page_host = 'app.example.com';

-- Notes survive the batch path as they do the single one; a newline in a
-- quoted value becomes a space
SELECT autoplay_ingest('[
	{"session_id": "8%3A8", "timestamp_unix": 1761056254, "page_url": "no url"},
	{"session_id": "8%3A8", "timestamp": "2025-10-21T14:17:35Z",
	 "timestamp_unix": "one\ntwo"},
	{"session_id": "8%3A8", "timestamp": "2025-10-21T14:17:36Z"}]')->'accepted';
SELECT occurred_at, notes FROM autoplay.clicks WHERE session_key = '8:8'
ORDER BY occurred_at;
