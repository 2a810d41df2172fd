/*
 * bench/compare.sql
 *	  Do autoplay and twin hold the same clicks, rejects and duplicate
 *	  counts, and did their calls answer alike?
 *
 * Run by bench/run.sh after both functions ingested the same bodies into
 * emptied tables, with the results of the calls in bench.check_results
 * (side 'c' or 'twin', seq, result).  Clicks are compared on every column
 * but id and received_at, rejects on every column but id, received_at and
 * raw_body, with EXCEPT ALL both ways; results element by element without
 * the ids, and their counts.  Prints up to :show rows of each difference, then one line
 *	compare: <n> clicks, <n> rejects, <n> results, <n> differences
 * and sets the psql variable differences.
 */

CREATE TEMP TABLE cmp_c_clicks AS
SELECT session_key, device_id, session_id, occurred_at, occurred_unix,
	   target_text, element_name, label, page_url, page_host, page_path,
	   page_query, page_fragment, page_canonical, replay_url, user_id,
	   user_email, extra, notes, fingerprint
FROM autoplay.clicks;

CREATE TEMP TABLE cmp_t_clicks AS
SELECT session_key, device_id, session_id, occurred_at, occurred_unix,
	   target_text, element_name, label, page_url, page_host, page_path,
	   page_query, page_fragment, page_canonical, replay_url, user_id,
	   user_email, extra, notes, fingerprint
FROM twin.clicks;

CREATE TEMP TABLE cmp_c_rejects AS
SELECT status, code, reason, detail, payload FROM autoplay.rejects;

CREATE TEMP TABLE cmp_t_rejects AS
SELECT status, code, reason, detail, payload FROM twin.rejects;

-- Each call's result, element by element with the ids left out, and its
-- counts.  A result is read once per call: an expression on it per
-- element would read the whole (toasted) result again for each.
CREATE TEMP TABLE cmp_results AS
SELECT r.side, r.seq, e.n, e.elem - 'id' AS elem
FROM (SELECT side, seq, result -> 'results' AS results
	  FROM bench.check_results) r,
	 jsonb_array_elements(r.results) WITH ORDINALITY AS e(elem, n);

CREATE TEMP TABLE cmp_counts AS
SELECT side, seq, result - 'results' AS counts FROM bench.check_results;

CREATE TEMP TABLE cmp_diff AS
SELECT 'click only in autoplay' AS what, to_jsonb(d) AS what_differs
FROM (TABLE cmp_c_clicks EXCEPT ALL TABLE cmp_t_clicks) d
UNION ALL
SELECT 'click only in twin', to_jsonb(d)
FROM (TABLE cmp_t_clicks EXCEPT ALL TABLE cmp_c_clicks) d
UNION ALL
SELECT 'reject only in autoplay', to_jsonb(d)
FROM (TABLE cmp_c_rejects EXCEPT ALL TABLE cmp_t_rejects) d
UNION ALL
SELECT 'reject only in twin', to_jsonb(d)
FROM (TABLE cmp_t_rejects EXCEPT ALL TABLE cmp_c_rejects) d
UNION ALL
SELECT 'result differs', jsonb_build_object('seq', coalesce(c.seq, t.seq),
	'element', coalesce(c.n, t.n), 'autoplay', c.elem, 'twin', t.elem)
FROM (SELECT * FROM cmp_results WHERE side = 'c') c
FULL JOIN (SELECT * FROM cmp_results WHERE side = 'twin') t
	USING (seq, n)
WHERE c.elem IS DISTINCT FROM t.elem
UNION ALL
SELECT 'counts differ', jsonb_build_object('seq', coalesce(c.seq, t.seq),
	'autoplay', c.counts, 'twin', t.counts)
FROM (SELECT * FROM cmp_counts WHERE side = 'c') c
FULL JOIN (SELECT * FROM cmp_counts WHERE side = 'twin') t USING (seq)
WHERE c.counts IS DISTINCT FROM t.counts
UNION ALL
SELECT 'duplicate_log differs', jsonb_build_object(
	'autoplay', (SELECT sum(duplicates) FROM autoplay.duplicate_log),
	'twin', (SELECT sum(duplicates) FROM twin.duplicate_log))
WHERE (SELECT sum(duplicates) FROM autoplay.duplicate_log)
	IS DISTINCT FROM (SELECT sum(duplicates) FROM twin.duplicate_log);

-- A few of each kind of difference, one JSON object per line
SELECT what, what_differs
FROM (SELECT *, row_number() OVER (PARTITION BY what) AS k FROM cmp_diff) d
WHERE k <= :show
ORDER BY what, k;

SELECT (SELECT count(*) FROM cmp_diff) AS differences \gset
SELECT format('compare: %s clicks, %s rejects, %s results, %s differences',
			  (SELECT count(*) FROM cmp_c_clicks),
			  (SELECT count(*) FROM cmp_c_rejects),
			  (SELECT count(*) FROM cmp_results WHERE side = 'c'),
			  :differences) AS summary \gset
\echo :summary

DROP TABLE cmp_c_clicks, cmp_t_clicks, cmp_c_rejects, cmp_t_rejects,
	cmp_results, cmp_counts, cmp_diff;
