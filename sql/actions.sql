--
-- actions: a session's clicks as the Autoplay SDK's actions, and as text
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;

SELECT autoplay_ingest('[
	{"session_id": "3350978756809951428%3A8226444501427639735",
	 "timestamp": "2025-10-21T14:17:34.073Z", "target_text": "Export CSV",
	 "page_url": "https://app.example.com/reports/77?range=7d"},
	{"session_id": "3350978756809951428%3A8226444501427639735",
	 "timestamp": "2025-10-21T14:17:40.500Z", "target_text": "",
	 "element_name": "Close dialog",
	 "page_url": "https://app.example.com/reports/77",
	 "user_id": "user-462718483", "user_email": "jane@example.com"},
	{"session_id": "3350978756809951428%3A8226444501427639735",
	 "timestamp": "2025-10-21T14:18:02.001Z", "target_text": "",
	 "page_url": "https://app.example.com/settings"},
	{"session_id": "1%3A1", "timestamp": "2025-10-21T14:17:35Z",
	 "target_text": "Elsewhere"}]')->'accepted';

SET autoplay.product_id = 'prod-42';
SELECT jsonb_pretty(autoplay_session_actions('3350978756809951428:8226444501427639735')
	- 'forwarded_at');

-- forwarded_at is now, in unix seconds with milliseconds
SELECT abs((autoplay_session_actions('1:1')->>'forwarded_at')::numeric
		   - extract(epoch FROM now())) < 0.001 AS forwarded_now;

-- Only the latest max_actions, still oldest first, indexed from 0
SELECT a->>'index' AS index, a->>'title' AS title, a->'timestamp_start' AS start,
	   a->'timestamp_end' AS end
FROM jsonb_array_elements(autoplay_session_actions(
	'3350978756809951428:8226444501427639735', max_actions => 2)->'actions') AS a;

-- Only clicks since a time
SELECT autoplay_session_actions('3350978756809951428:8226444501427639735',
	since => '2025-10-21 14:18:00+00')->'count' AS count;

-- An unknown session: no actions
RESET autoplay.product_id;
SELECT autoplay_session_actions('9:9') - 'forwarded_at';

-- The last n clicks as lines for a prompt
SELECT autoplay_session_context('3350978756809951428:8226444501427639735', 10);
SELECT autoplay_session_context('3350978756809951428:8226444501427639735', 1);
SELECT autoplay_session_context('9:9', 5) IS NULL AS nothing;

-- A reader may call them; a writer may not
CREATE ROLE regress_autoplay_assistant IN ROLE autoplay_reader;
CREATE ROLE regress_autoplay_ingester IN ROLE autoplay_writer;
SET ROLE regress_autoplay_assistant;
SELECT autoplay_session_actions('1:1')->'count';
SELECT session_key, clicks FROM autoplay.sessions ORDER BY 1;
RESET ROLE;
SET ROLE regress_autoplay_ingester;
SELECT autoplay_session_actions('1:1');
SELECT autoplay_session_context('1:1', 1);
SELECT * FROM autoplay.sessions;
RESET ROLE;
DROP ROLE regress_autoplay_assistant, regress_autoplay_ingester;

-- The key may be given as FullStory sends it
SELECT autoplay_session_actions('3350978756809951428%3A8226444501427639735')->'count' AS count,
	   autoplay_session_actions('3350978756809951428%3A8226444501427639735')->>'session_id' AS session_id,
	   autoplay_session_context('3350978756809951428%253A8226444501427639735', 1) AS last;
