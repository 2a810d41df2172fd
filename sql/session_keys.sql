--
-- session_keys: decoding FullStory's device%3Asession key
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;

-- Every spelling of the separator means the same key
SELECT v.sent, i.status, c.session_key, c.device_id, c.session_id
FROM (VALUES
	('"3350978756809951428%3A8226444501427639735"'::jsonb),
	('"3350978756809951428%3a8226444501427639735"'),
	('"3350978756809951428%253A8226444501427639735"'),
	('"3350978756809951428%253a8226444501427639735"'),
	('"3350978756809951428:8226444501427639735"'),
	('"18446744073709551000%3A9300000000000000001"'),
	('"abc_DEF-1%3Axyz-9_Q"'),
	(to_jsonb(repeat('d', 64) || '%3A' || repeat('s', 64)))) AS v(sent),
	LATERAL ingest_one(jsonb_build_object('session_id', v.sent,
		'timestamp', '2025-10-21T14:17:34.073Z', 'target_text', v.sent::text)) AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c
ORDER BY i.id;

-- Five spellings, one key
SELECT count(*) AS clicks, count(DISTINCT session_key) AS keys
FROM autoplay.clicks WHERE device_id = '3350978756809951428';

-- Keys that are refused, and why
SELECT v.sent, i.status, i.code, i.reason, i.detail
FROM (VALUES
	('"123"'::jsonb),
	('12345'),
	('"1%3A2%3A3"'),
	('"1:2%3A3"'),
	('"%3A2"'),
	('"1%3A"'),
	('"1%2F2"'),
	('"1%3"'),
	('"1 %3A2"'),
	('"ü%3A2"'),
	('"1.5%3A2"'),
	(to_jsonb(repeat('d', 65) || '%3A2')),
	(to_jsonb('1%3A' || repeat('s', 65)))) AS v(sent),
	LATERAL ingest_one(jsonb_build_object('session_id', v.sent,
		'timestamp', '2025-10-21T14:17:34.073Z')) AS i;

-- Missing, null and empty are all "no session"
SELECT i.status, i.code, i.reason, i.detail
FROM (VALUES
	('{"timestamp": "2025-10-21T14:17:34.073Z", "target_text": "a"}'::jsonb),
	('{"timestamp": "2025-10-21T14:17:34.073Z", "session_id": null, "target_text": "a"}'),
	('{"timestamp": "2025-10-21T14:17:34.073Z", "session_id": "", "target_text": "a"}')) AS v(p),
	LATERAL ingest_one(v.p) AS i;
