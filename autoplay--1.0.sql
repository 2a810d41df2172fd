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
	replay_url		text,
	user_id			text,
	user_email		text,
	extra			jsonb,
	notes			text[],
	fingerprint		bytea NOT NULL,
	received_at		timestamptz NOT NULL,
	CONSTRAINT clicks_once PRIMARY KEY (session_key, occurred_at, fingerprint)
);

COMMENT ON TABLE autoplay.clicks IS
	'One row per accepted click; a retried delivery is stored once';
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

-- pg_dump keeps the data of extension tables only when told
SELECT pg_catalog.pg_extension_config_dump('autoplay.clicks', '');
SELECT pg_catalog.pg_extension_config_dump('autoplay.clicks_id_seq', '');
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

-- Writers may only call the ingest functions; readers may only read
REVOKE ALL ON FUNCTION autoplay_ingest(jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION autoplay_ingest_raw(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION autoplay_ingest(jsonb) TO autoplay_writer;
GRANT EXECUTE ON FUNCTION autoplay_ingest_raw(bytea) TO autoplay_writer;

GRANT USAGE ON SCHEMA autoplay TO autoplay_reader;
GRANT SELECT ON autoplay.clicks TO autoplay_reader;
GRANT SELECT (id, received_at, status, code, reason, detail)
	ON autoplay.rejects TO autoplay_reader;
