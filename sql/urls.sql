--
-- urls: page_url kept as sent, with its parts
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;

SELECT v.url, c.page_host, c.page_path, c.page_query, c.page_fragment,
	   c.page_url = v.url AS kept, c.notes
FROM (VALUES
	('https://app.example.com/reports'),
	('https://app.example.com/projects/48213/settings?tab=members#invite'),
	('https://App.Example.COM:443/A/B?x=1&y=%20#Frag'),
	('http://app.example.com:80/'),
	('https://app.example.com:8443/x'),
	('http://localhost:3000/dashboard'),
	('https://example.com'),
	('https://example.com?q=1'),
	('https://example.com#top'),
	('https://example.com/p?#'),
	('https://user:secret@example.com/p'),
	('http://[::1]:8080/p'),
	('https://example.com/caf' || U&'\00E9' || '/men' || U&'\00FC'),
	('chrome-extension://abcdef/popup.html'),
	('not a url'),
	('/relative/path'),
	('example.com/no-scheme'),
	('https://'),
	('https://exa mple.com/'),
	('https://example.com:99999/'),
	('https://[::1/p'),
	('mailto:jane@example.com')) AS v(url),
	LATERAL ingest_one(jsonb_build_object('session_id', '1%3A2',
		'timestamp', '2025-10-21T14:17:34.073Z', 'page_url', v.url)) AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c
ORDER BY c.id;

-- No page_url: no parts and no note
SELECT i.status, c.page_url, c.page_host, c.page_path, c.notes
FROM ingest_one('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.073Z",
				  "page_url": ""}') AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c;
