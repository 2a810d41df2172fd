--
-- fields: absent, null and "" are NULL; numbers are their exact text;
-- keys without a column are kept in extra
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;

-- Every optional text column, absent
SELECT i.status, c.target_text, c.element_name, c.label, c.page_url, c.replay_url,
	   c.user_id, c.user_email, c.extra, c.notes
FROM ingest_one('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.073Z"}') AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c;

-- ... null, and ""
SELECT i.status, c.target_text, c.element_name, c.label, c.page_url, c.replay_url,
	   c.user_id, c.user_email, c.extra
FROM ingest_one('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.074Z",
	"target_text": null, "element_name": null, "page_url": null,
	"session_replay_url": null, "user_id": null, "user_email": null}') AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c;
SELECT i.status, c.target_text, c.element_name, c.label, c.page_url, c.replay_url,
	   c.user_id, c.user_email, c.extra
FROM ingest_one('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.075Z",
	"target_text": "", "element_name": "", "page_url": "",
	"session_replay_url": "", "user_id": "", "user_email": ""}') AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c;

-- Numbers and booleans where text belongs are stored as their text
SELECT c.user_id, c.target_text, c.element_name, c.user_email
FROM ingest_one('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.076Z",
	"user_id": 7731, "target_text": 1.50, "element_name": true,
	"user_email": 18446744073709551616}') AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c;

-- Objects and arrays where text belongs are refused
SELECT status, code, reason, detail, id FROM ingest_one('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.077Z",
	"target_text": {"text": "Save"}}');
SELECT status, code, reason, detail, id FROM ingest_one('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.077Z",
	"user_id": ["a", "b"]}');
SELECT status, code, reason, detail, id FROM ingest_one('{"session_id": ["1", "2"], "timestamp": "2025-10-21T14:17:34.077Z"}');

-- Keys without a column land in extra as sent, nulls and nesting included
SELECT c.extra, c.replay_url
FROM ingest_one('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.078Z",
	"session_replay_url": "https://app.fullstory.com/ui/ORG1/client-session/1%3A2?ts=1761056254078",
	"page_name": "Billing", "country": "Portugal", "referer_url": null,
	"ua_browser": "", "screen": {"w": 1440, "h": 900}, "tags": [1, "two"]}') AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c;

-- Key names are matched exactly: case differs, so it is an extra key
SELECT c.target_text, c.extra
FROM ingest_one('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.079Z",
	"Target_Text": "Save"}') AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c;
