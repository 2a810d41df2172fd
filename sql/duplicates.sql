--
-- duplicates: a retried delivery is stored once
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;

-- The same click sent 30 times, each in a call of its own: one row
\set export '{"target_text": "Export CSV", "element_name": "Export button", "page_url": "https://app.example.com/reports", "timestamp": "2025-10-21T14:17:34.073Z", "timestamp_unix": 1761056254, "session_replay_url": "https://app.fullstory.com/ui/ORG1/client-session/3350978756809951428%3A8226444501427639735?ts=1761056254073", "user_id": "user-462718483", "user_email": "jane@example.com", "session_id": "3350978756809951428%3A8226444501427639735"}'
SELECT r.status, count(*)
FROM (SELECT (ingest_one(:'export')).status FROM generate_series(1, 30)) AS r
GROUP BY r.status ORDER BY r.status;
SELECT count(*) FROM autoplay.clicks;

-- Key order, white space and the spelling of the separator do not matter
SELECT status, code, reason, detail, id FROM ingest_one('{"session_id": "3350978756809951428:8226444501427639735",
	"user_email": "jane@example.com", "user_id": "user-462718483",
	"session_replay_url": "https://app.fullstory.com/ui/ORG1/client-session/3350978756809951428%3A8226444501427639735?ts=1761056254073",
	"timestamp_unix": 1761056254, "timestamp": "2025-10-21T14:17:34.073Z",
	"page_url": "https://app.example.com/reports",
	"element_name": "Export button", "target_text": "Export CSV"}');

-- The same instant written in another zone is the same click
SELECT status, code, reason, detail, id FROM ingest_one('{"target_text": "Export CSV", "element_name": "Export button",
	"page_url": "https://app.example.com/reports",
	"timestamp": "2025-10-21T16:17:34.073+02:00", "timestamp_unix": 1761056254,
	"session_replay_url": "https://app.fullstory.com/ui/ORG1/client-session/3350978756809951428%3A8226444501427639735?ts=1761056254073",
	"user_id": "user-462718483", "user_email": "jane@example.com",
	"session_id": "3350978756809951428%3A8226444501427639735"}');

-- Two different clicks in the same millisecond stay two rows
SELECT i.status
FROM (VALUES ('Save'), ('Cancel'), ('Save')) AS v(t),
	LATERAL ingest_one(jsonb_build_object('session_id', '7%3A8',
		'timestamp', '2025-10-21T14:17:34.073Z', 'target_text', v.t)) AS i;
SELECT target_text FROM autoplay.clicks WHERE session_key = '7:8' ORDER BY id;

-- Any difference in content makes another click: an extra key, a user
SELECT i.status
FROM (VALUES ('{}'::jsonb), ('{"country": "PT"}'), ('{"country": "PT"}'),
			 ('{"user_id": "u1"}')) AS v(more),
	LATERAL ingest_one('{"session_id": "9%3A9", "timestamp": "2025-10-21T14:17:34.073Z",
		"target_text": "Go"}'::jsonb || v.more) AS i;

-- Within one array, a repeated element is a duplicate too
SELECT autoplay_ingest('[
	{"session_id": "5%3A5", "timestamp": "2025-10-21T14:17:34.073Z"},
	{"session_id": "5%3A5", "timestamp": "2025-10-21T14:17:34.073Z"}]');

-- Rolled back clicks leave no trace, so the retry is accepted
BEGIN;
SELECT status FROM ingest_one('{"session_id": "6%3A6", "timestamp": "2025-10-21T14:17:34.073Z"}');
ROLLBACK;
SELECT status FROM ingest_one('{"session_id": "6%3A6", "timestamp": "2025-10-21T14:17:34.073Z"}');

-- A click whose content passes 2 kB is hashed the same way
SELECT status FROM ingest_one(jsonb_build_object(
	'session_id', '7%3A7', 'timestamp', '2025-10-21T14:17:35.000Z',
	'target_text', repeat('long ', 600), 'plan', repeat('x', 500)));

-- The fingerprint is SHA-256 over the documented layout, computable in SQL
CREATE FUNCTION counted(t text) RETURNS bytea LANGUAGE sql STABLE AS $$
	SELECT coalesce(int4send(octet_length(t)) || convert_to(t, 'UTF8'),
					'\xffffffff'::bytea)
$$;
SELECT count(*) AS clicks,
	   count(*) FILTER (WHERE fingerprint = substring(sha256(
			counted(target_text) || counted(element_name) ||
			counted(page_url) || counted(replay_url) || counted(user_id) ||
			counted(user_email) ||
			int8send((extract(epoch FROM occurred_at) * 1000000)::bigint) ||
			counted(extra::text)) FOR 16)) AS matching
FROM autoplay.clicks;
