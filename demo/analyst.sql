-- demo/analyst.sql
--	  What an analyst sees after the demo's traffic: run by run-demo.sh
--	  with psql as a member of autoplay_reader.
--
-- psql variables set by run-demo.sh, from the generator's --stats file:
--	session		the decoded session key to show as a timeline
--	clicks		distinct clean clicks the generator made
--	acked		deliveries of those clicks answered 200 (first deliveries)
--	resent		byte-for-byte re-sent deliveries answered 200
--	said_duplicate	clicks the gateway's answers called "duplicate"
--
-- Pages are grouped by page_canonical, in which the extension collapsed
-- dynamic path segments (numbers, UUIDs, hex and other tokens) to ":id",
-- so that /reports/4312 and /reports/77 are one page.

\pset footer off
\pset null '-'

\echo
\echo '== Overview'
WITH sessions AS (
	SELECT session_key, bool_or(coalesce(user_id, '') <> '') AS identified
	FROM autoplay.clicks
	GROUP BY session_key
)
SELECT (SELECT count(*) FROM autoplay.clicks) AS clicks,
	   count(*) AS sessions,
	   count(*) FILTER (WHERE identified) AS identified,
	   count(*) FILTER (WHERE NOT identified) AS anonymous,
	   (SELECT count(DISTINCT user_id) FROM autoplay.clicks
		WHERE user_id <> '') AS users,
	   (SELECT to_char(min(occurred_at) AT TIME ZONE 'UTC', 'HH24:MI') ||
			   ' - ' ||
			   to_char(max(occurred_at) AT TIME ZONE 'UTC', 'HH24:MI UTC')
		FROM autoplay.clicks) AS "clicks between"
FROM sessions;

\echo '== Clicks per page (top 12)'
SELECT page_host AS host,
	   substring(page_canonical FROM '^[^:]+://[^/]+(/.*)$') AS page,
	   count(*) AS clicks,
	   count(DISTINCT session_key) AS sessions,
	   count(DISTINCT page_path) AS "distinct paths"
FROM autoplay.clicks
GROUP BY 1, 2
ORDER BY clicks DESC, page
LIMIT 12;

\echo '== Top labels (white space folded, cut at 40 characters)'
SELECT CASE
		   WHEN coalesce(label, '') = '' THEN '(no accessible name)'
		   WHEN length(label) > 40 THEN left(label, 39) || '…'
		   ELSE label
	   END AS label,
	   count(*) AS clicks,
	   count(DISTINCT session_key) AS sessions,
	   round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS "% of clicks"
FROM autoplay.clicks
GROUP BY 1
ORDER BY clicks DESC, label
LIMIT 15;

\echo '== Labels in other languages and scripts (a sample)'
SELECT label, count(*) AS clicks
FROM autoplay.clicks
WHERE label ~ '[^\x01-\x7f]' AND length(label) <= 40
GROUP BY label
ORDER BY clicks DESC, label
LIMIT 8;

\echo '== One session''s timeline (arrived: order in which the clicks came in)'
SELECT max(user_id) AS "user",
	   count(*) AS clicks,
	   max(replay_url) FILTER (WHERE occurred_at =
		   (SELECT min(occurred_at) FROM autoplay.clicks
			WHERE session_key = :'session')) AS "replay from the first click"
FROM autoplay.clicks
WHERE session_key = :'session';

WITH timeline AS (
	SELECT *, row_number() OVER (ORDER BY id) AS arrived
	FROM autoplay.clicks
	WHERE session_key = :'session'
)
SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'HH24:MI:SS.MS')
		   AS "time (UTC)",
	   round(extract(epoch FROM occurred_at - min(occurred_at) OVER ()), 1)
		   AS "seconds in",
	   arrived,
	   CASE WHEN arrived < max(arrived) OVER (ORDER BY occurred_at, id
			ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
			THEN 'after a later click' ELSE '' END AS delivered,
	   CASE WHEN length(page) > 48 THEN left(page, 47) || '…' ELSE page END
		   AS page,
	   coalesce(nullif(left(label, 32), ''), '(no accessible name)') AS label
FROM (SELECT *, page_path || coalesce('?' || page_query, '') AS page
	  FROM timeline) AS t
ORDER BY occurred_at, id;

\echo '== Duplicates absorbed (retried deliveries stored once)'
SELECT what, n
FROM (VALUES
		  (1, 'clean clicks generated', :clicks),
		  (2, 'first deliveries answered 200', :acked),
		  (3, 're-sent deliveries answered 200', :resent),
		  (4, 'rows in autoplay.clicks',
		   (SELECT count(*) FROM autoplay.clicks)),
		  (5, 'duplicates absorbed', :acked + :resent -
		   (SELECT count(*) FROM autoplay.clicks)),
		  (6, 'answers that said "duplicate"', :said_duplicate))
	AS t(i, what, n)
ORDER BY i;

\echo '== Rejects by reason (autoplay.rejects)'
SELECT status, coalesce(code, '') AS sqlstate, left(reason, 64) AS reason,
	   count(*) AS bodies
FROM autoplay.rejects
GROUP BY status, code, 3
ORDER BY status, bodies DESC, reason;
