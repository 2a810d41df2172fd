--
-- canonical_urls: ids collapsed to :id, and user rules that override it
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;

SELECT url, autoplay_canonical_url(url)
FROM (VALUES
	('https://app.example.com/reports'),
	('https://app.example.com/projects/48213/settings?tab=members#invite'),
	('HTTPS://App.Example.COM:443/Projects/7/'),
	('http://localhost:3000/orders/1001/items/2'),
	('https://app.example.com/o/3f2b8c1e-9d4a-4b6f-8e2d-1a2b3c4d5e6f/edit'),
	('https://app.example.com/c/5f8d0a3b2c1e4f6a7b8c9d0e'),
	('https://app.example.com/checkout/cs_live_a1B2c3D4e5F6g7H8'),
	('https://app.example.com/api/v2/users'),
	('https://app.example.com/settings/billing-and-plans'),
	('https://app.example.com/blog/2025-10-product-update'),
	('https://app.example.com'),
	('not a url'),
	('')) AS v(url);

SELECT autoplay_canonical_url(NULL);

-- The form is stored on each click at ingest
SELECT c.page_url, c.page_canonical
FROM ingest_one('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.073Z",
	"page_url": "https://app.example.com/projects/48213/settings?tab=members"}') AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c;

-- A rule overrides it: the first match in (priority, id) order wins
INSERT INTO autoplay.url_rules (priority, pattern, replacement, comment) VALUES
	(10, '^https://app\.example\.com/reports/([a-z]+)/.*$',
	 'https://app.example.com/reports/\1', 'report names are pages'),
	(20, '^https://app\.example\.com/reports/.*$',
	 'https://app.example.com/reports/(other)', 'never reached for names');
SELECT v.url, c.page_canonical
FROM (VALUES
	('https://app.example.com/reports/revenue/2025?x=1'),
	('https://app.example.com/reports/42/'),
	('https://app.example.com/teams/42')) AS v(url),
	LATERAL ingest_one(jsonb_build_object('session_id', '1%3A3',
		'timestamp', '2025-10-21T14:17:34.073Z', 'page_url', v.url)) AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c;

-- Changed rules take effect at the next call
UPDATE autoplay.url_rules SET replacement = 'report:\1' WHERE priority = 10;
SELECT c.page_canonical
FROM ingest_one('{"session_id": "1%3A4", "timestamp": "2025-10-21T14:17:34.073Z",
	"page_url": "https://app.example.com/reports/churn/q3"}') AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c;
TRUNCATE autoplay.url_rules;
SELECT c.page_canonical
FROM ingest_one('{"session_id": "1%3A5", "timestamp": "2025-10-21T14:17:34.073Z",
	"page_url": "https://app.example.com/reports/churn/q3"}') AS i
	CROSS JOIN LATERAL (SELECT (i.click).*) AS c;

-- A rule must be a valid regular expression
INSERT INTO autoplay.url_rules (pattern, replacement) VALUES ('(unclosed', 'x');

-- The function is immutable and parallel safe; rules do not apply to it
SELECT provolatile, proparallel, proisstrict FROM pg_proc
WHERE proname = 'autoplay_canonical_url';
