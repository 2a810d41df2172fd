--
-- analytics: the analysts' views
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
SET IntervalStyle = 'iso_8601';
TRUNCATE autoplay.clicks, autoplay.rejects, autoplay.duplicate_log RESTART IDENTITY;

-- Two sessions; the user identifies midway through the first
SELECT autoplay_ingest('[
	{"session_id": "11%3A1", "timestamp": "2025-10-21T14:00:00.000Z",
	 "target_text": "Sign in", "page_url": "https://app.example.com/login"},
	{"session_id": "11%3A1", "timestamp": "2025-10-21T14:00:10.000Z",
	 "target_text": "Reports", "page_url": "https://app.example.com/home",
	 "user_id": "u1", "user_email": "jane@example.com"},
	{"session_id": "11%3A1", "timestamp": "2025-10-21T14:00:40.000Z",
	 "target_text": "Export CSV", "page_url": "https://app.example.com/reports/7",
	 "user_id": "u1", "user_email": "jane@example.com"},
	{"session_id": "11%3A1", "timestamp": "2025-10-21T14:01:00.000Z",
	 "element_name": "", "target_text": "", "page_url": "https://app.example.com/reports/8",
	 "session_replay_url": "https://app.fullstory.com/ui/ORG1/client-session/11%3A1?ts=1761055260000",
	 "user_id": "u1"},
	{"session_id": "22%3A2", "timestamp": "2025-10-22T09:00:00.000Z",
	 "target_text": "Export CSV", "page_url": "https://app.example.com/reports/9"},
	{"session_id": "22%3A2", "timestamp": "2025-10-22T09:00:05.000Z",
	 "target_text": "", "page_url": "https://app.example.com/reports/9"}]')->'accepted';

SELECT * FROM autoplay.sessions ORDER BY session_key;

SELECT session_key, click_index, occurred_at, label, page_canonical,
	   next_occurred_at, gap, next_page_canonical
FROM autoplay.click_sequence ORDER BY session_key, click_index;

-- A click delivered late takes its place: its neighbours' next and gap
-- change at read time
SELECT autoplay_ingest('{"session_id": "11%3A1", "timestamp": "2025-10-21T14:00:25.000Z",
	"target_text": "Open report", "page_url": "https://app.example.com/home"}')->'accepted';
SELECT click_index, occurred_at, label, next_occurred_at, gap
FROM autoplay.click_sequence WHERE session_key = '11:1' ORDER BY click_index;

SELECT * FROM autoplay.daily_pages ORDER BY day, page_canonical;
SELECT * FROM autoplay.daily_labels ORDER BY day, page_canonical, label NULLS LAST;
SELECT * FROM autoplay.unlabeled ORDER BY page_canonical;

-- Arrival: one retry and two rejects, in this hour
SELECT autoplay_ingest('[
	{"session_id": "22%3A2", "timestamp": "2025-10-22T09:00:00.000Z",
	 "target_text": "Export CSV", "page_url": "https://app.example.com/reports/9"},
	{"session_id": "nope", "timestamp": "2025-10-22T09:00:00.000Z"},
	{"session_id": "22%3A2", "timestamp": "yesterday"},
	{}]') - 'results';
SELECT hour > now() - interval '2 hours' AS recent, accepted, duplicates,
	   rejected, tests, rejects_by_code,
	   lag_p50 > interval '30 days' AS late, lag_p50 <= lag_p99 AS ordered
FROM autoplay.ingest_stats;
