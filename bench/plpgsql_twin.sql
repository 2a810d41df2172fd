/*
 * bench/plpgsql_twin.sql
 *	  twin.ingest(jsonb): autoplay_ingest written in PL/pgSQL, the way a
 *	  competent PostgreSQL user would write it without a C extension.
 *
 * It is the yardstick of bench/run.sh, so it must store exactly what the
 * extension stores: the same rows (every column but id and received_at),
 * the same rejects with the same SQLSTATEs, reasons and details, the same
 * duplicates, and a result of the same shape.  The rules are those of
 * src/click.c and src/parse_*.c; the regression files in sql/ show each
 * with exact values.  run.sh compares both on the benchmark data before
 * it times anything and stops at the first difference.
 *
 * How it is written: one pass over the elements in a PL/pgSQL loop; per
 * element, simple expressions built from regexes and built-in functions
 * (PL/pgSQL evaluates those without the executor), small SQL helpers that
 * the planner inlines, and one INSERT ... ON CONFLICT DO NOTHING RETURNING
 * id, whose plan PL/pgSQL caches.  No exception block: a bad element is
 * recognised, never caught, so no element costs a subtransaction.  Results
 * are appended to a jsonb[] variable, which PL/pgSQL extends in place.
 *
 * What a user finds on measuring, and this file already does: regexes
 * only test (with ~, which runs without capture groups), and fields are cut
 * with substr and split_part, because regexp_match's capture groups cost
 * tens of microseconds per call in PostgreSQL's regex engine (the ISO 8601
 * pattern alone took 165 us); bounded repeats such as {1,64} are slow even
 * in a test, so lengths are checked apart; and a SQL helper is inlined only
 * when its volatility matches its body (see twin.counted).
 *
 * What it does not do: autoplay.url_rules (the benchmark has none),
 * autoplay.email = hash or drop (it keeps addresses, the default), and
 * autoplay_ingest_raw's repair of bytes that jsonb refuses.  Labels are cut
 * at 256 characters, the default of autoplay.max_label_length.
 *
 * Run as a superuser in a database with UTF8 encoding.  It drops and
 * recreates the schema twin.
 */

DROP SCHEMA IF EXISTS twin CASCADE;
CREATE SCHEMA twin;

-- Tables: the same columns, keys, partitioning and indexes as autoplay's

-- LIKE copies the columns, identity, primary key and BRIN index, so the
-- shape is autoplay.clicks's by construction
CREATE TABLE twin.clicks (LIKE autoplay.clicks INCLUDING ALL)
	PARTITION BY RANGE (occurred_at);

CREATE TABLE twin.rejects (LIKE autoplay.rejects INCLUDING ALL);
CREATE TABLE twin.duplicate_log (LIKE autoplay.duplicate_log INCLUDING ALL);

-- Helpers.  The SQL ones are single expressions, not strict, without SET:
-- the planner inlines them into the caller's expressions.

CREATE FUNCTION twin.ascii_lower(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT translate(s, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
					 'abcdefghijklmnopqrstuvwxyz')
$$;

COMMENT ON FUNCTION twin.ascii_lower(text) IS
	'ASCII letters lowercased, every other character kept, as the C code does';

CREATE FUNCTION twin.looks_unrendered(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT s IN ('var', 'concat', 'toUnixTimestamp')
		OR s ~ '^event\.[0-9].'
		OR strpos(s, '{{') > 0
$$;

COMMENT ON FUNCTION twin.looks_unrendered(text) IS
	'A piece of a Stream mapping sent unevaluated: an operator, event.N..., {{...}}';

-- is_usable: does a recipe field carry a value that makes the element
-- more than a connection test?  v is NULL when the key is absent.
CREATE FUNCTION twin.is_usable(v jsonb, is_session boolean) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE jsonb_typeof(v)
		WHEN 'string' THEN
			v #>> '{}' <> ''
			AND NOT twin.looks_unrendered(v #>> '{}')
			AND NOT (is_session AND (v #>> '{}') ~ '^(:|%3[Aa]|%253[Aa])+$')
		WHEN 'array' THEN
			NOT coalesce(jsonb_typeof(v -> 0) = 'string'
						 AND twin.looks_unrendered(v ->> 0), false)
		WHEN 'number' THEN true
		WHEN 'boolean' THEN true
		WHEN 'object' THEN true
		ELSE false
	END
$$;

COMMENT ON FUNCTION twin.is_usable(jsonb, boolean) IS
	'True when a recipe field has a usable value (not empty, null or unevaluated)';

-- fold_label: white space runs to one space, trimmed; zero-width dropped
CREATE FUNCTION twin.fold_label(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT btrim(regexp_replace(
		regexp_replace(t, '[\u200B\uFEFF\u202A-\u202E\u2066-\u2069]', '', 'g'),
		'[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+',
		' ', 'g'), ' ')
$$;

COMMENT ON FUNCTION twin.fold_label(text) IS
	'Unicode white space runs folded to one space and trimmed; U+200B, U+FEFF and bidirectional overrides dropped';

-- canonical_path: each dynamic segment of a path as :id, no trailing
-- slash but for the root.  Dynamic: all digits, a UUID, 12 or more hex
-- digits with a digit, or a token: 16 or more of [A-Za-z0-9_-] of which
-- one part between '-' and '_' mixes letters and digits at four
-- characters or more (so that a slug like 2025-10-product-update stays).
-- One regexp_replace; the lookaheads look within the segment only.
CREATE FUNCTION twin.canonical_path(path text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT coalesce(nullif(rtrim(regexp_replace(coalesce(nullif(path, ''), '/'),
		'/(?:[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}'
		'|[0-9]+'
		'|(?=[A-Fa-f]*[0-9])[0-9A-Fa-f]{12,}'
		'|(?=(?:[A-Za-z0-9]*[-_])*(?=[A-Za-z0-9]*[0-9])(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{4})[A-Za-z0-9_-]{16,}'
		')(?=/|$)', '/:id', 'g'), '/'), ''), '/')
$$;

COMMENT ON FUNCTION twin.canonical_path(text) IS
	'The path of a canonical URL: ids collapsed to :id, trailing slashes dropped';

-- counted: the fingerprint's length-prefixed field (sql/duplicates.sql).
-- STABLE like convert_to: declared IMMUTABLE it would not be inlined, and
-- every INSERT would parse its body again, seven times.
CREATE FUNCTION twin.counted(t text) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT coalesce(int4send(octet_length(t)) || convert_to(t, 'UTF8'),
					'\xffffffff'::bytea)
$$;

COMMENT ON FUNCTION twin.counted(text) IS
	'4-byte big-endian length (-1 for NULL) and the UTF-8 bytes';

-- quote_value: a value for a message, cut to 64 bytes at a character
-- boundary with "..." when longer
CREATE FUNCTION twin.quote_value(t text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	n integer := 64;
BEGIN
	IF octet_length(t) <= 64 THEN
		RETURN t;
	END IF;
	WHILE octet_length(left(t, n)) > 64 LOOP
		n := n - 1;
	END LOOP;
	RETURN left(t, n) || '...';
END
$$;

COMMENT ON FUNCTION twin.quote_value(text) IS
	'A value for a message: at most 64 bytes, then "..."';

-- session_problem: why a session_id that is not a plain key is refused,
-- as the detail sentence; NULL when it is a good key after all
CREATE FUNCTION twin.session_problem(s text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	sep constant text := ':|%3[Aa]|%253[Aa]';
	rest text := regexp_replace(s, sep, '', 'g');
	n integer := regexp_count(s, sep);
	ids text[];
BEGIN
	-- In the C parser's order of priority
	IF strpos(rest, '%') > 0 THEN
		RETURN 'It holds a percent escape other than an encoded colon.';
	ELSIF rest !~ '^[A-Za-z0-9_-]*$' THEN
		RETURN 'Ids may hold only letters, digits, "_" and "-".';
	ELSIF n = 0 THEN
		RETURN 'It has no separator (%3A or :) between the device id and the session id.';
	ELSIF n > 1 THEN
		RETURN 'It has more than one separator.';
	END IF;
	ids := regexp_match(s, '^([A-Za-z0-9_-]*)(?::|%3[Aa]|%253[Aa])([A-Za-z0-9_-]*)$');
	IF ids[1] = '' OR ids[2] = '' THEN
		RETURN 'The device id or the session id is empty.';
	ELSIF length(ids[1]) > 64 OR length(ids[2]) > 64 THEN
		RETURN 'An id is longer than 64 characters.';
	END IF;
	RETURN NULL;
END
$$;

COMMENT ON FUNCTION twin.session_problem(text) IS
	'Why a session_id is not device%3Asession, or NULL when it is';

-- ensure_partition: the monthly partition of twin.clicks that starts at
-- month (UTC), created and attached when missing
CREATE FUNCTION twin.ensure_partition(month timestamp) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	name text := 'clicks_y' || to_char(month, 'YYYY') || 'm' || to_char(month, 'MM');
	lo text := to_char(month, 'YYYY-MM-DD') || ' 00:00:00+00';
	hi text := to_char(month + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00';
BEGIN
	IF to_regclass('twin.' || name) IS NOT NULL THEN
		RETURN;
	END IF;

	-- Creators take turns; look again once it is ours
	PERFORM pg_advisory_xact_lock(8391537155362775663);
	IF to_regclass('twin.' || name) IS NOT NULL THEN
		RETURN;
	END IF;
	EXECUTE format('CREATE TABLE twin.%I (LIKE twin.clicks)', name);
	EXECUTE format('ALTER TABLE twin.%I ADD CONSTRAINT %I CHECK (occurred_at >= %L AND occurred_at < %L)',
				   name, name || '_month', lo, hi);
	EXECUTE format('ALTER TABLE twin.clicks ATTACH PARTITION twin.%I FOR VALUES FROM (%L) TO (%L)',
				   name, lo, hi);
END
$$;

COMMENT ON FUNCTION twin.ensure_partition(timestamp) IS
	'Create and attach the partition of twin.clicks for a month when missing';

-- The ingest function

CREATE FUNCTION twin.ingest(jsonb) RETURNS jsonb
LANGUAGE plpgsql STRICT VOLATILE PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	body		jsonb := $1;
	received	timestamptz := now();
	received_us	bigint := (extract(epoch FROM now()) * 1000000)::bigint;
	strict_mode	boolean := coalesce(current_setting('autoplay.strict', true), 'off')
							IN ('on', 'true', '1', 'yes');
	results		jsonb[] := '{}';
	n_accepted	bigint := 0;
	n_dups		bigint := 0;
	n_rejected	bigint := 0;
	n_tests		bigint := 0;
	known_month	timestamp;
	el			jsonb;
	kind		text := jsonb_typeof(body);
	-- One element's fields, as text; NULL when absent, null or ""
	t_text		text;
	t_name		text;
	t_url		text;
	t_ts		text;
	t_unix		text;
	t_replay	text;
	t_user		text;
	t_email		text;
	t_sid		text;
	extra		jsonb;
	nested		text;
	-- What normalization makes of it
	device		text;
	session		text;
	yr			integer;
	mon			integer;
	dy			integer;
	zone		text;
	frac		text;
	rest		text;
	scheme		text;
	host		text;
	port		text;
	cut			integer;
	url_ok		boolean;
	status		text;
	field		text;
	bad_value	text;
	usec		bigint;
	unix_us		bigint;
	whole		numeric;
	mag			numeric;
	millis		boolean;
	label		text;
	page_host	text;
	page_path	text;
	page_query	text;
	page_frag	text;
	canonical	text;
	notes		text[];
	occurred	timestamptz;
	new_id		bigint;
	-- A refused element
	code		text;
	reason		text;
	detail		text;
BEGIN
	-- A body is a click, an array of them, or something to refuse
	IF kind = 'array' AND jsonb_array_length(body) = 0 THEN
		IF strict_mode THEN
			RAISE EXCEPTION 'array holds no clicks'
				USING ERRCODE = '2203C',
					  DETAIL = 'A body is a click object or a non-empty array of them.';
		END IF;
		INSERT INTO twin.rejects (received_at, status, code, reason, detail, payload)
		VALUES (received, 'rejected', '2203C', 'array holds no clicks',
				'A body is a click object or a non-empty array of them.', body);
		RETURN jsonb_build_object('results', jsonb_build_array(jsonb_build_object(
			'status', 'rejected', 'code', '2203C',
			'reason', 'array holds no clicks',
			'detail', 'A body is a click object or a non-empty array of them.')),
			'accepted', 0, 'duplicates', 0, 'rejected', 1, 'tests', 0);
	END IF;

	FOR el IN
		SELECT jsonb_array_elements(CASE WHEN kind = 'array' THEN body
										 ELSE jsonb_build_array(body) END)
	LOOP
		code := NULL;
		reason := NULL;
		detail := NULL;

		-- Not an object: refused
		IF jsonb_typeof(el) <> 'object' THEN
			code := '2203C';
			reason := 'element is not a JSON object';
			detail := 'A click is a JSON object such as {"session_id": ..., "timestamp": ...}.';

		-- No recipe key has a usable value: a connection test
		ELSIF NOT (twin.is_usable(el -> 'session_id', true)
				   OR twin.is_usable(el -> 'timestamp', false)
				   OR twin.is_usable(el -> 'target_text', false)
				   OR twin.is_usable(el -> 'element_name', false)
				   OR twin.is_usable(el -> 'page_url', false)
				   OR twin.is_usable(el -> 'timestamp_unix', false)
				   OR twin.is_usable(el -> 'session_replay_url', false)
				   OR twin.is_usable(el -> 'user_id', false)
				   OR twin.is_usable(el -> 'user_email', false)) THEN
			reason := 'connection test: no click field has a value';

		ELSE
			-- Every recipe field must be a scalar, checked in recipe order
			nested := CASE
				WHEN jsonb_typeof(el -> 'target_text') IN ('object', 'array') THEN 'target_text'
				WHEN jsonb_typeof(el -> 'element_name') IN ('object', 'array') THEN 'element_name'
				WHEN jsonb_typeof(el -> 'page_url') IN ('object', 'array') THEN 'page_url'
				WHEN jsonb_typeof(el -> 'timestamp') IN ('object', 'array') THEN 'timestamp'
				WHEN jsonb_typeof(el -> 'timestamp_unix') IN ('object', 'array') THEN 'timestamp_unix'
				WHEN jsonb_typeof(el -> 'session_replay_url') IN ('object', 'array') THEN 'session_replay_url'
				WHEN jsonb_typeof(el -> 'user_id') IN ('object', 'array') THEN 'user_id'
				WHEN jsonb_typeof(el -> 'user_email') IN ('object', 'array') THEN 'user_email'
				WHEN jsonb_typeof(el -> 'session_id') IN ('object', 'array') THEN 'session_id'
			END;
			IF nested IS NOT NULL THEN
				code := '2203F';
				reason := format('field "%s" is not a scalar', nested);
				detail := 'Each click field holds a string, a number or null.';
			END IF;
		END IF;

		-- The fields as text: numbers and booleans as their exact text
		IF reason IS NULL THEN
			t_text := nullif(el ->> 'target_text', '');
			t_name := nullif(el ->> 'element_name', '');
			t_url := nullif(el ->> 'page_url', '');
			t_ts := nullif(el ->> 'timestamp', '');
			t_unix := nullif(el ->> 'timestamp_unix', '');
			t_replay := nullif(el ->> 'session_replay_url', '');
			t_user := nullif(el ->> 'user_id', '');
			t_email := nullif(el ->> 'user_email', '');
			t_sid := nullif(el ->> 'session_id', '');
			notes := NULL;

			-- The session key: two ids and one separator
			device := NULL;
			IF t_sid ~ '^[A-Za-z0-9_-]+(:|%3[Aa]|%253[Aa])[A-Za-z0-9_-]+$' THEN
				session := regexp_replace(t_sid, '%253[Aa]|%3[Aa]', ':');
				device := split_part(session, ':', 1);
				session := split_part(session, ':', 2);
				IF length(device) > 64 OR length(session) > 64 THEN
					device := NULL;
				END IF;
			END IF;
			IF t_sid IS NULL THEN
				code := '22004';
				reason := 'click has no session_id';
				detail := 'Every click needs "session_id", written device%3Asession.';
			ELSIF device IS NULL THEN
				code := '22P02';
				reason := format('invalid session_id "%s"', twin.quote_value(t_sid));
				detail := twin.session_problem(t_sid);
			ELSIF t_ts IS NULL AND t_unix IS NULL THEN
				code := '22004';
				reason := 'click has no time';
				detail := 'A click needs "timestamp" (ISO 8601) or "timestamp_unix".';
			END IF;
		END IF;

		-- The time: "timestamp" wins when present and must then be valid
		IF reason IS NULL AND t_ts IS NOT NULL THEN
			field := 'timestamp';
			bad_value := t_ts;
			IF t_ts !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:?[0-9]{2})?$' THEN
				status := CASE WHEN twin.ascii_lower(btrim(t_ts, E' \t\n\v\f\r'))
					IN ('now', 'today', 'tomorrow', 'yesterday', 'infinity',
						'+infinity', '-infinity', 'epoch', 'allballs')
					THEN 'special' ELSE 'syntax' END;
			ELSE
				-- The fields are at fixed places; after the seconds come an
				-- optional fraction and an optional zone
				yr := substr(t_ts, 1, 4)::int;
				mon := substr(t_ts, 6, 2)::int;
				dy := substr(t_ts, 9, 2)::int;
				rest := substr(t_ts, 20);
				zone := CASE WHEN left(rest, 1) = '.'
					THEN ltrim(substr(rest, 2), '0123456789') ELSE rest END;
				frac := CASE WHEN left(rest, 1) = '.'
					THEN substr(rest, 2, length(rest) - 1 - length(zone)) END;
				IF mon NOT BETWEEN 1 AND 12 OR dy < 1
					OR dy > (CASE
						WHEN mon = 2 AND (yr % 4 = 0 AND yr % 100 <> 0 OR yr % 400 = 0) THEN 29
						WHEN mon = 2 THEN 28
						WHEN mon IN (4, 6, 9, 11) THEN 30
						ELSE 31 END)
					OR substr(t_ts, 12, 2)::int > 23 OR substr(t_ts, 15, 2)::int > 59
					OR substr(t_ts, 18, 2)::int > 59
					OR (length(zone) > 1 AND (substr(zone, 2, 2)::int > 23
											  OR right(zone, 2)::int > 59)) THEN
					status := 'range';
				ELSIF zone = '' THEN
					status := 'no_zone';
				ELSIF yr < 1000 THEN
					status := 'early';		-- make_date has no year 0
				ELSE
					-- Local seconds, shifted to UTC, plus the fraction cut to
					-- microseconds
					usec := ((make_date(yr, mon, dy) - date '1970-01-01')::bigint * 86400
							 + substr(t_ts, 12, 2)::int * 3600
							 + substr(t_ts, 15, 2)::int * 60
							 + substr(t_ts, 18, 2)::int
							 - CASE WHEN length(zone) = 1 THEN 0
								 ELSE (CASE left(zone, 1) WHEN '-' THEN -1 ELSE 1 END)
									 * (substr(zone, 2, 2)::int * 3600 + right(zone, 2)::int * 60)
								 END)
						* 1000000 + coalesce(rpad(left(frac, 6), 6, '0')::int, 0);
					status := CASE
						WHEN usec < 946684800000000 THEN 'early'
						WHEN usec > received_us + 86400000000 THEN 'late'
						ELSE 'ok' END;
				END IF;
			END IF;
		END IF;

		-- "timestamp_unix": seconds, or milliseconds from 1e11; read when
		-- it is the time, and to compare when both are present
		IF reason IS NULL AND t_unix IS NOT NULL THEN
			unix_us := NULL;
			IF t_unix ~ '^-?[0-9]+(\.[0-9]+)?$' THEN
				whole := split_part(ltrim(t_unix, '-'), '.', 1)::numeric;
				frac := split_part(t_unix, '.', 2);
				millis := left(t_unix, 1) <> '-' AND whole >= 100000000000;
				IF whole <= (CASE WHEN millis THEN 9223372036854775 ELSE 9223372036854 END) THEN
					mag := CASE WHEN millis
						THEN whole * 1000 + rpad(left(frac, 3), 3, '0')::int
						ELSE whole * 1000000 + rpad(left(frac, 6), 6, '0')::int END;
					IF mag <= 9223372036854775807 THEN
						unix_us := CASE WHEN left(t_unix, 1) = '-' THEN -mag ELSE mag END;
					END IF;
				END IF;
			END IF;

			IF t_ts IS NOT NULL THEN
				IF status = 'ok' AND unix_us IS NULL THEN
					notes := ARRAY[format('timestamp_unix "%s" is not a unix time and was ignored',
										  twin.quote_value(t_unix))];
				ELSIF status = 'ok' AND abs(unix_us - usec) > 1000000 THEN
					-- to_char formats a float8 with printf's %.3f, as C does
					notes := ARRAY[format('timestamp_unix %s disagrees with timestamp by %s s',
										  twin.quote_value(t_unix),
										  to_char((unix_us - usec)::float8 / 1000000,
												  'FM9999999999999990.000'))];
				END IF;
			ELSE
				field := 'timestamp_unix';
				bad_value := t_unix;
				usec := unix_us;
				status := CASE
					WHEN t_unix !~ '^-?[0-9]+(\.[0-9]+)?$' THEN 'syntax'
					WHEN unix_us IS NULL THEN 'range'
					WHEN unix_us < 946684800000000 THEN 'early'
					WHEN unix_us > received_us + 86400000000 THEN 'late'
					ELSE 'ok' END;
				IF status = 'ok' THEN
					notes := ARRAY[CASE WHEN millis
						THEN 'time taken from timestamp_unix, read as milliseconds'
						ELSE 'time taken from timestamp_unix' END];
				END IF;
			END IF;
		END IF;

		-- A time that cannot be stored
		IF reason IS NULL AND status <> 'ok' THEN
			bad_value := twin.quote_value(bad_value);
			CASE status
				WHEN 'syntax' THEN
					IF field = 'timestamp_unix' THEN
						code := '22P02';
						reason := format('invalid timestamp_unix "%s"', bad_value);
						detail := 'Unix time is written as decimal digits, such as 1761056254.';
					ELSE
						code := '22007';
						reason := format('invalid timestamp "%s"', bad_value);
						detail := 'Expected ISO 8601 with a zone, such as 2025-10-21T14:17:34.073Z.';
					END IF;
				WHEN 'no_zone' THEN
					code := '22007';
					reason := format('timestamp "%s" has no time zone', bad_value);
					detail := 'Without Z or an offset such as +02:00 the instant is unknown.';
				WHEN 'special' THEN
					code := '22007';
					reason := format('timestamp "%s" is not a point in time', bad_value);
					detail := 'A click''s time must be written out, not named.';
				WHEN 'range' THEN
					code := '22008';
					reason := format('%s "%s" is out of range', field, bad_value);
				WHEN 'early' THEN
					code := '22008';
					reason := format('%s "%s" is too far in the past', field, bad_value);
					detail := 'Clicks before 2000-01-01 UTC are not accepted.';
				WHEN 'late' THEN
					code := '22008';
					reason := format('%s "%s" is in the future', field, bad_value);
					detail := 'Clicks more than a day after their arrival are not accepted.';
			END CASE;
		END IF;

		-- Refused or a test: kept in twin.rejects with the element as sent
		IF reason IS NOT NULL THEN
			IF code IS NULL THEN
				INSERT INTO twin.rejects (received_at, status, reason, payload)
				VALUES (received, 'test', reason, el);
				n_tests := n_tests + 1;
				results := array_append(results, jsonb_build_object(
					'status', 'test', 'reason', reason));
			ELSE
				IF strict_mode AND detail IS NULL THEN
					RAISE EXCEPTION USING MESSAGE = reason, ERRCODE = code;
				ELSIF strict_mode THEN
					RAISE EXCEPTION USING MESSAGE = reason, ERRCODE = code,
						DETAIL = detail;
				END IF;
				INSERT INTO twin.rejects (received_at, status, code, reason, detail, payload)
				VALUES (received, 'rejected', code, reason, detail, el);
				n_rejected := n_rejected + 1;
				results := array_append(results, jsonb_strip_nulls(jsonb_build_object(
					'status', 'rejected', 'code', code, 'reason', reason,
					'detail', detail)));
			END IF;
			CONTINUE;
		END IF;

		-- The label: target_text folded, else element_name folded
		label := nullif(twin.fold_label(t_text), '');
		IF label IS NULL THEN
			label := nullif(twin.fold_label(t_name), '');
		END IF;
		IF length(label) > 256 THEN
			label := rtrim(left(label, 256), ' ');
			notes := array_append(notes, 'label cut to 256 characters');
		END IF;

		-- The page: scheme://[userinfo@]host[:port][path][?query][#fragment]
		page_host := NULL;
		page_path := NULL;
		page_query := NULL;
		page_frag := NULL;
		canonical := NULL;
		IF t_url IS NOT NULL THEN
			-- One test of the whole shape, then cuts at known places
			url_ok := t_url !~ '[\x01-\x20\x7F\\]'
				AND t_url ~ '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*@)?(\[[0-9A-Fa-f:.]+\]|[^:\[\]@/?#]+)(:[0-9]{0,5})?([/?#]|$)';
			IF url_ok THEN
				scheme := twin.ascii_lower(split_part(t_url, '://', 1));
				rest := substr(t_url, length(scheme) + 4);
				host := substring(rest from '^[^/?#]*');	-- the authority
				rest := substr(rest, length(host) + 1);	-- path, query, fragment
				host := substring(host from '[^@]*$');		-- no userinfo
				IF left(host, 1) = '[' THEN
					port := substr(host, strpos(host, ']') + 2);
					host := left(host, strpos(host, ']'));
				ELSE
					port := substr(host, strpos(host || ':', ':') + 1);
					host := split_part(host, ':', 1);
				END IF;
				url_ok := port = '' OR port::int <= 65535;
			END IF;

			IF NOT url_ok THEN
				notes := array_append(notes, 'page_url is not an absolute URL; its parts are NULL');
			ELSE
				page_host := twin.ascii_lower(host)
					|| CASE
						WHEN port = '' THEN ''
						WHEN scheme IN ('http', 'ws') AND port::int = 80 THEN ''
						WHEN scheme IN ('https', 'wss') AND port::int = 443 THEN ''
						ELSE ':' || port END;
				cut := strpos(rest, '#');
				IF cut > 0 THEN
					page_frag := nullif(substr(rest, cut + 1), '');
					rest := left(rest, cut - 1);
				END IF;
				cut := strpos(rest, '?');
				IF cut > 0 THEN
					page_query := nullif(substr(rest, cut + 1), '');
					rest := left(rest, cut - 1);
				END IF;
				page_path := coalesce(nullif(rest, ''), '/');
				canonical := scheme || '://' || page_host || twin.canonical_path(rest);
			END IF;
		END IF;

		-- Keys without a column, as sent
		extra := nullif(el - ARRAY['target_text', 'element_name', 'page_url',
								   'timestamp', 'timestamp_unix',
								   'session_replay_url', 'user_id',
								   'user_email', 'session_id'], '{}');

		-- Its month's partition, then the row; a duplicate returns nothing
		occurred := timestamptz 'epoch' + (usec / 1000000) * interval '1 second'
			+ (usec % 1000000) * interval '1 microsecond';
		IF known_month IS DISTINCT FROM date_trunc('month', occurred AT TIME ZONE 'UTC') THEN
			known_month := date_trunc('month', occurred AT TIME ZONE 'UTC');
			PERFORM twin.ensure_partition(known_month);
		END IF;

		INSERT INTO twin.clicks (session_key, device_id, session_id,
			occurred_at, occurred_unix, target_text, element_name, label,
			page_url, page_host, page_path, page_query, page_fragment,
			page_canonical, replay_url, user_id, user_email, extra, notes,
			fingerprint, received_at)
		VALUES (device || ':' || session, device, session,
			occurred, usec / 1000000, t_text, t_name, label,
			t_url, page_host, page_path, page_query, page_frag,
			canonical, t_replay, t_user, t_email, extra, notes,
			substring(sha256(twin.counted(t_text) || twin.counted(t_name)
							 || twin.counted(t_url) || twin.counted(t_replay)
							 || twin.counted(t_user) || twin.counted(t_email)
							 || int8send(usec)
							 || twin.counted(extra::text)) FOR 16),
			received)
		ON CONFLICT (session_key, occurred_at, fingerprint) DO NOTHING
		RETURNING id INTO new_id;

		IF FOUND THEN
			n_accepted := n_accepted + 1;
			PERFORM pg_notify('twin_clicks', device || ':' || session);
			results := array_append(results, jsonb_build_object(
				'status', 'accepted', 'id', new_id));
		ELSE
			n_dups := n_dups + 1;
			results := array_append(results, '{"status": "duplicate"}'::jsonb);
		END IF;
	END LOOP;

	IF n_dups > 0 THEN
		INSERT INTO twin.duplicate_log (received_at, duplicates)
		VALUES (received, least(n_dups, 2147483647));
	END IF;
	RETURN jsonb_build_object('results', to_jsonb(results),
							  'accepted', n_accepted, 'duplicates', n_dups,
							  'rejected', n_rejected, 'tests', n_tests);
END
$$;

COMMENT ON FUNCTION twin.ingest(jsonb) IS
	'autoplay_ingest in PL/pgSQL: the same rows, rejects and result, for benchmarks';
