/* autoplay--1.0.sql: FullStory click streams as typed, deduplicated rows */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION autoplay" to load this file. \quit

-- Clicks are UTF-8 text from browsers; other encodings would lose them
DO $$
BEGIN
	IF pg_catalog.getdatabaseencoding() <> 'UTF8' THEN
		RAISE EXCEPTION 'autoplay requires a database with UTF8 encoding'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Create the database with ENCODING ''UTF8''.';
	END IF;
END
$$;

-- The two roles are cluster-wide and outlive the extension
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles
				   WHERE rolname = 'autoplay_writer') THEN
		CREATE ROLE autoplay_writer NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles
				   WHERE rolname = 'autoplay_reader') THEN
		CREATE ROLE autoplay_reader NOLOGIN;
	END IF;
END
$$;

CREATE SCHEMA autoplay;
COMMENT ON SCHEMA autoplay IS 'FullStory clicks stored by the autoplay extension';

CREATE TABLE autoplay.clicks (
	id				bigint GENERATED ALWAYS AS IDENTITY,
	session_key		text NOT NULL,
	device_id		text NOT NULL,
	session_id		text NOT NULL,
	occurred_at		timestamptz NOT NULL,
	occurred_unix	bigint NOT NULL,
	target_text		text,
	element_name	text,
	label			text,
	page_url		text,
	page_host		text,
	page_path		text,
	page_query		text,
	page_fragment	text,
	page_canonical	text,
	replay_url		text,
	user_id			text,
	user_email		text,
	extra			jsonb,
	notes			text[],
	fingerprint		bytea NOT NULL,
	received_at		timestamptz NOT NULL,
	CONSTRAINT clicks_once PRIMARY KEY (session_key, occurred_at, fingerprint)
) PARTITION BY RANGE (occurred_at);

-- Arrival time follows insertion order: a BRIN index is nearly free
CREATE INDEX clicks_received_at ON autoplay.clicks USING brin (received_at);

COMMENT ON TABLE autoplay.clicks IS
	'One row per accepted click; a retried delivery is stored once; one partition per month of occurred_at';
COMMENT ON COLUMN autoplay.clicks.id IS 'Identity, in order of arrival';
COMMENT ON COLUMN autoplay.clicks.session_key IS
	'Decoded composite key device_id:session_id';
COMMENT ON COLUMN autoplay.clicks.device_id IS 'FullStory device id, as text';
COMMENT ON COLUMN autoplay.clicks.session_id IS 'FullStory session id, as text';
COMMENT ON COLUMN autoplay.clicks.occurred_at IS
	'When the click happened (from timestamp, else timestamp_unix)';
COMMENT ON COLUMN autoplay.clicks.occurred_unix IS
	'occurred_at as unix seconds, fraction dropped';
COMMENT ON COLUMN autoplay.clicks.target_text IS 'Element text, as sent';
COMMENT ON COLUMN autoplay.clicks.element_name IS
	'FullStory element name, as sent';
COMMENT ON COLUMN autoplay.clicks.label IS
	'What the user saw: target_text, else element_name, white space folded';
COMMENT ON COLUMN autoplay.clicks.page_url IS 'Page URL, as sent';
COMMENT ON COLUMN autoplay.clicks.page_host IS
	'Lowercased host, with its port unless the default';
COMMENT ON COLUMN autoplay.clicks.page_path IS 'URL path, "/" when empty';
COMMENT ON COLUMN autoplay.clicks.page_query IS 'URL query, without "?"';
COMMENT ON COLUMN autoplay.clicks.page_fragment IS 'URL fragment, without "#"';
COMMENT ON COLUMN autoplay.clicks.page_canonical IS
	'page_url with ids collapsed to :id, or as autoplay.url_rules say';
COMMENT ON COLUMN autoplay.clicks.replay_url IS
	'session_replay_url: the replay at this click';
COMMENT ON COLUMN autoplay.clicks.user_id IS 'Customer''s user id, as sent';
COMMENT ON COLUMN autoplay.clicks.user_email IS
	'User e-mail, kept, hashed or dropped per autoplay.email';
COMMENT ON COLUMN autoplay.clicks.extra IS
	'Payload keys without a column of their own, as sent';
COMMENT ON COLUMN autoplay.clicks.notes IS
	'What normalization changed or doubted';
COMMENT ON COLUMN autoplay.clicks.fingerprint IS
	'First 16 bytes of SHA-256 over the click''s content';
COMMENT ON COLUMN autoplay.clicks.received_at IS
	'Start of the transaction that stored the click';

CREATE TABLE autoplay.rejects (
	id				bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	received_at		timestamptz NOT NULL,
	status			text NOT NULL CHECK (status IN ('rejected', 'test')),
	code			text CHECK ((code IS NULL) = (status = 'test')),
	reason			text NOT NULL,
	detail			text,
	payload			jsonb,
	raw_body		bytea,
	CHECK (payload IS NOT NULL OR raw_body IS NOT NULL)
);

COMMENT ON TABLE autoplay.rejects IS
	'Elements and bodies not stored as clicks, with the reason';
COMMENT ON COLUMN autoplay.rejects.status IS
	'rejected, or test for a connection test';
COMMENT ON COLUMN autoplay.rejects.code IS 'SQLSTATE of the rejection';
COMMENT ON COLUMN autoplay.rejects.reason IS 'Why, in one lowercase line';
COMMENT ON COLUMN autoplay.rejects.detail IS 'More about why, or NULL';
COMMENT ON COLUMN autoplay.rejects.payload IS
	'The element as sent, when the body was JSON';
COMMENT ON COLUMN autoplay.rejects.raw_body IS
	'The exact request bytes, when the body was not JSON';

CREATE TABLE autoplay.url_rules (
	id				bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	priority		integer NOT NULL DEFAULT 100,
	pattern			text NOT NULL
		CHECK (pg_catalog.regexp_like('', pattern) IS NOT NULL),
	replacement		text NOT NULL,
	comment			text
);

COMMENT ON TABLE autoplay.url_rules IS
	'Overrides of the canonical page URL, tried in (priority, id) order';
COMMENT ON COLUMN autoplay.url_rules.pattern IS
	'POSIX regular expression matched against page_url';
COMMENT ON COLUMN autoplay.url_rules.replacement IS
	'page_canonical is regexp_replace(page_url, pattern, replacement)';

CREATE FUNCTION autoplay.url_rules_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'autoplay_url_rules_changed'
LANGUAGE C;

COMMENT ON FUNCTION autoplay.url_rules_changed() IS
	'Tell every backend that its copy of autoplay.url_rules is stale';

CREATE TRIGGER url_rules_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON autoplay.url_rules
	FOR EACH STATEMENT EXECUTE FUNCTION autoplay.url_rules_changed();

-- Duplicates leave no row of their own: count them per call
CREATE TABLE autoplay.duplicate_log (
	received_at		timestamptz NOT NULL,
	duplicates		integer NOT NULL
);

CREATE INDEX duplicate_log_received_at
	ON autoplay.duplicate_log USING brin (received_at);

COMMENT ON TABLE autoplay.duplicate_log IS
	'Retried deliveries absorbed, one row per call that had any';

-- pg_dump keeps the data of extension tables only when told.  The
-- partitions of autoplay.clicks are created at ingest, outside the
-- extension, and are dumped as ordinary tables.
SELECT pg_catalog.pg_extension_config_dump('autoplay.clicks_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('autoplay.url_rules', '');
SELECT pg_catalog.pg_extension_config_dump('autoplay.url_rules_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('autoplay.duplicate_log', '');
SELECT pg_catalog.pg_extension_config_dump('autoplay.rejects', '');
SELECT pg_catalog.pg_extension_config_dump('autoplay.rejects_id_seq', '');

CREATE FUNCTION autoplay_ingest(jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'autoplay_ingest'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION autoplay_ingest(jsonb) IS
	'Store a FullStory click, or an array of them; returns a result per element';

CREATE FUNCTION autoplay_ingest_raw(bytea)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'autoplay_ingest_raw'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION autoplay_ingest_raw(bytea) IS
	'Store the clicks of an exact request body, repairing what jsonb refuses';

CREATE FUNCTION autoplay_canonical_url(text)
RETURNS text
AS 'MODULE_PATHNAME', 'autoplay_canonical_url'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION autoplay_canonical_url(text) IS
	'Lowercased scheme and host, default port, query and fragment dropped, ids in the path as :id';

CREATE FUNCTION autoplay_drop_before(cutoff timestamptz)
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	part regclass;
	name text;
BEGIN
	-- Whole partitions whose upper bound is at or before the cutoff
	FOR part IN
		SELECT i.inhrelid::regclass
		FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'autoplay.clicks'::regclass
		  AND (regexp_match(pg_get_expr(c.relpartbound, c.oid),
							'TO \(''([^'']+)''\)'))[1]::timestamptz <= cutoff
		ORDER BY c.relname
	LOOP
		name := part::text;
		EXECUTE format('ALTER TABLE autoplay.clicks DETACH PARTITION %s', name);
		EXECUTE format('DROP TABLE %s', name);
		RETURN NEXT name;
	END LOOP;

	-- The logs follow the same retention, by arrival
	DELETE FROM autoplay.rejects WHERE received_at < cutoff;
	DELETE FROM autoplay.duplicate_log WHERE received_at < cutoff;
END
$$;

COMMENT ON FUNCTION autoplay_drop_before(timestamptz) IS
	'Drop the monthly partitions of clicks wholly before cutoff, and older rejects; returns the partitions dropped';

REVOKE ALL ON FUNCTION autoplay_drop_before(timestamptz) FROM PUBLIC;

-- Analysts' views

CREATE VIEW autoplay.sessions AS
SELECT session_key,
	   min(device_id) AS device_id,
	   (array_agg(user_id ORDER BY occurred_at DESC, id DESC)
		FILTER (WHERE user_id IS NOT NULL))[1] AS user_id,
	   (array_agg(user_email ORDER BY occurred_at DESC, id DESC)
		FILTER (WHERE user_email IS NOT NULL))[1] AS user_email,
	   min(occurred_at) AS first_click_at,
	   max(occurred_at) AS last_click_at,
	   count(*) AS clicks,
	   count(DISTINCT page_canonical) AS pages,
	   max(occurred_at) - min(occurred_at) AS duration
FROM autoplay.clicks
GROUP BY session_key;

COMMENT ON VIEW autoplay.sessions IS
	'One row per session: its user (latest known), first and last click, clicks, distinct pages';

CREATE VIEW autoplay.click_sequence AS
SELECT id, session_key, occurred_at, label, page_canonical, page_url,
	   user_id, replay_url,
	   row_number() OVER w - 1 AS click_index,
	   lead(occurred_at) OVER w AS next_occurred_at,
	   lead(occurred_at) OVER w - occurred_at AS gap,
	   lead(page_canonical) OVER w AS next_page_canonical
FROM autoplay.clicks
WINDOW w AS (PARTITION BY session_key ORDER BY occurred_at, id);

COMMENT ON VIEW autoplay.click_sequence IS
	'Each click with its index in the session (from 0), the next click''s time and page, and the gap to it; computed at read time';

CREATE VIEW autoplay.daily_pages AS
SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day,
	   page_canonical,
	   count(*) AS clicks,
	   count(DISTINCT session_key) AS sessions,
	   count(DISTINCT user_id) AS users
FROM autoplay.clicks
GROUP BY 1, 2;

COMMENT ON VIEW autoplay.daily_pages IS
	'Clicks, sessions and identified users per UTC day and canonical page';

CREATE VIEW autoplay.daily_labels AS
SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day,
	   page_canonical,
	   label,
	   count(*) AS clicks,
	   count(DISTINCT session_key) AS sessions,
	   count(DISTINCT user_id) AS users
FROM autoplay.clicks
GROUP BY 1, 2, 3;

COMMENT ON VIEW autoplay.daily_labels IS
	'Clicks, sessions and identified users per UTC day, canonical page and label';

CREATE VIEW autoplay.unlabeled AS
SELECT page_canonical,
	   count(*) AS clicks,
	   count(DISTINCT session_key) AS sessions,
	   min(occurred_at) AS first_seen,
	   max(occurred_at) AS last_seen,
	   (array_agg(replay_url ORDER BY occurred_at DESC, id DESC)
		FILTER (WHERE replay_url IS NOT NULL))[1] AS latest_replay_url
FROM autoplay.clicks
WHERE label IS NULL
GROUP BY page_canonical;

COMMENT ON VIEW autoplay.unlabeled IS
	'Clicks on elements with neither text nor name, by page: accessibility gaps';

CREATE VIEW autoplay.ingest_stats AS
WITH accepted AS (
	SELECT date_trunc('hour', received_at) AS hour,
		   count(*) AS accepted,
		   percentile_cont(0.5) WITHIN GROUP (ORDER BY received_at - occurred_at) AS lag_p50,
		   percentile_cont(0.9) WITHIN GROUP (ORDER BY received_at - occurred_at) AS lag_p90,
		   percentile_cont(0.99) WITHIN GROUP (ORDER BY received_at - occurred_at) AS lag_p99,
		   max(received_at - occurred_at) AS lag_max
	FROM autoplay.clicks
	GROUP BY 1
), duplicates AS (
	SELECT date_trunc('hour', received_at) AS hour,
		   sum(duplicates) AS duplicates
	FROM autoplay.duplicate_log
	GROUP BY 1
), refused AS (
	SELECT hour,
		   sum(n) FILTER (WHERE status = 'rejected') AS rejected,
		   sum(n) FILTER (WHERE status = 'test') AS tests,
		   jsonb_object_agg(code, n) FILTER (WHERE code IS NOT NULL) AS rejects_by_code
	FROM (SELECT date_trunc('hour', received_at) AS hour, status, code,
				 count(*) AS n
		  FROM autoplay.rejects
		  GROUP BY 1, 2, 3) AS r
	GROUP BY hour
)
SELECT hour,
	   coalesce(accepted, 0) AS accepted,
	   coalesce(duplicates, 0) AS duplicates,
	   coalesce(rejected, 0) AS rejected,
	   coalesce(tests, 0) AS tests,
	   coalesce(rejects_by_code, '{}') AS rejects_by_code,
	   lag_p50, lag_p90, lag_p99, lag_max
FROM accepted
FULL JOIN duplicates USING (hour)
FULL JOIN refused USING (hour);

COMMENT ON VIEW autoplay.ingest_stats IS
	'Per hour of arrival: clicks accepted, duplicates absorbed, rejects by SQLSTATE, and arrival lag percentiles';

-- Assistants' functions

CREATE FUNCTION autoplay_session_actions(session_key text,
										 since timestamptz DEFAULT NULL,
										 max_actions integer DEFAULT 50)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH k AS (
		-- FullStory's encoded form (device%3Asession) is the same key
		SELECT regexp_replace(autoplay_session_actions.session_key,
							  '%(25)?3[Aa]', ':', 'g') AS key
	), recent AS (
		SELECT c.*
		FROM autoplay.clicks c
		WHERE c.session_key = (SELECT key FROM k)
		  AND (since IS NULL OR c.occurred_at >= since)
		ORDER BY c.occurred_at DESC, c.id DESC
		LIMIT greatest(max_actions, 0)
	), ordered AS (
		SELECT r.*,
			   row_number() OVER w - 1 AS idx,
			   lead(r.occurred_at) OVER w AS next_at
		FROM recent r
		WINDOW w AS (ORDER BY r.occurred_at, r.id)
	), who AS (
		SELECT s.user_id, s.user_email
		FROM autoplay.sessions s
		WHERE s.session_key = (SELECT key FROM k)
	)
	SELECT jsonb_build_object(
		'type', 'actions',
		'product_id', nullif(current_setting('autoplay.product_id', true), ''),
		'session_id', (SELECT key FROM k),
		'user_id', (SELECT user_id FROM who),
		'email', (SELECT user_email FROM who),
		'count', count(o.id),
		'forwarded_at', round(extract(epoch FROM now()), 3),
		'actions', coalesce(jsonb_agg(jsonb_build_object(
			'index', o.idx,
			'type', 'click',
			'title', 'Click ' || coalesce(o.label, 'unlabeled element'),
			'description', format('Clicked %s on %s.',
								  coalesce('"' || o.label || '"',
										   'an element without text or name'),
								  coalesce(o.page_host || o.page_path,
										   o.page_url, 'an unknown page')),
			'timestamp_start', round(extract(epoch FROM o.occurred_at), 3),
			'timestamp_end', round(extract(epoch FROM coalesce(o.next_at,
															   o.occurred_at)), 3),
			'raw_url', o.page_url,
			'canonical_url', o.page_canonical,
			'session_id', o.session_key,
			'user_id', (SELECT user_id FROM who),
			'email', (SELECT user_email FROM who))
			ORDER BY o.idx) FILTER (WHERE o.id IS NOT NULL), '[]'))
	FROM ordered o
$$;

COMMENT ON FUNCTION autoplay_session_actions(text, timestamptz, integer) IS
	'A session''s latest clicks in the Autoplay SDK''s "actions" format; the key decoded or as FullStory sends it';

CREATE FUNCTION autoplay_session_context(session_key text, n integer)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH recent AS (
		SELECT c.occurred_at, c.id, c.label, c.page_host, c.page_path,
			   c.page_url
		FROM autoplay.clicks c
		WHERE c.session_key = regexp_replace(autoplay_session_context.session_key,
											 '%(25)?3[Aa]', ':', 'g')
		ORDER BY c.occurred_at DESC, c.id DESC
		LIMIT greatest(n, 0)
	)
	SELECT string_agg(
		to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')
		|| ' UTC  clicked '
		|| coalesce('"' || label || '"', 'an element without text or name')
		|| ' on ' || coalesce(page_host || page_path, page_url, 'an unknown page'),
		E'\n' ORDER BY occurred_at, id)
	FROM recent
$$;

COMMENT ON FUNCTION autoplay_session_context(text, integer) IS
	'A session''s last n clicks, one line each, oldest first, for a prompt';

-- Writers may only call the ingest functions; readers may only read
REVOKE ALL ON FUNCTION autoplay_ingest(jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION autoplay_ingest_raw(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION autoplay_ingest(jsonb) TO autoplay_writer;
GRANT EXECUTE ON FUNCTION autoplay_ingest_raw(bytea) TO autoplay_writer;

GRANT USAGE ON SCHEMA autoplay TO autoplay_reader;
GRANT SELECT ON autoplay.clicks, autoplay.sessions, autoplay.click_sequence,
	autoplay.daily_pages, autoplay.daily_labels, autoplay.unlabeled,
	autoplay.ingest_stats, autoplay.url_rules TO autoplay_reader;
REVOKE ALL ON FUNCTION autoplay_session_actions(text, timestamptz, integer)
	FROM PUBLIC;
REVOKE ALL ON FUNCTION autoplay_session_context(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION autoplay_session_actions(text, timestamptz, integer)
	TO autoplay_reader;
GRANT EXECUTE ON FUNCTION autoplay_session_context(text, integer)
	TO autoplay_reader;
GRANT SELECT (id, received_at, status, code, reason, detail)
	ON autoplay.rejects TO autoplay_reader;
