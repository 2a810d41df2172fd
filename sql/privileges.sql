--
-- privileges: writers only ingest, readers only read
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;

-- The ingest functions run as their owner, with a pinned search_path
SELECT proname, prosecdef, proconfig, provolatile, proisstrict, proparallel
FROM pg_proc WHERE proname LIKE 'autoplay_ingest%' ORDER BY proname;

CREATE ROLE regress_autoplay_writer LOGIN IN ROLE autoplay_writer;
CREATE ROLE regress_autoplay_reader LOGIN IN ROLE autoplay_reader;
CREATE ROLE regress_autoplay_nobody LOGIN;

-- A writer ingests, and can see nothing
SET ROLE regress_autoplay_writer;
SELECT autoplay_ingest('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.073Z"}')->'accepted';
SELECT autoplay_ingest_raw(convert_to('{"session_id": "bad", "timestamp": "2025-10-21T14:17:34.073Z"}', 'UTF8'))->'rejected';
SELECT count(*) FROM autoplay.clicks;
SELECT count(*) FROM autoplay.rejects;
INSERT INTO autoplay.clicks (session_key, device_id, session_id, occurred_at,
	occurred_unix, fingerprint, received_at)
VALUES ('a:b', 'a', 'b', now(), 0, '\x00', now());
RESET ROLE;

-- A reader reads clicks and the reasons of rejects, but not their bodies
SET ROLE regress_autoplay_reader;
SELECT session_key, occurred_at FROM autoplay.clicks;
SELECT status, code, reason, detail FROM autoplay.rejects;
SELECT payload FROM autoplay.rejects;
SELECT raw_body FROM autoplay.rejects;
SELECT autoplay_ingest('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.073Z"}');
DELETE FROM autoplay.clicks;
RESET ROLE;

-- Anybody else can do neither
SET ROLE regress_autoplay_nobody;
SELECT autoplay_ingest('{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.073Z"}');
SELECT autoplay_ingest_raw('\x7b7d');
SELECT count(*) FROM autoplay.clicks;
RESET ROLE;

-- A writer cannot redirect the ingest functions with its own search_path
CREATE SCHEMA evil;
CREATE TABLE evil.clicks (LIKE autoplay.clicks);
GRANT ALL ON SCHEMA evil TO regress_autoplay_writer;
SET ROLE regress_autoplay_writer;
SET search_path = evil, public;
SELECT autoplay_ingest('{"session_id": "3%3A4", "timestamp": "2025-10-21T14:17:34.073Z"}')->'accepted';
RESET search_path;
RESET ROLE;
SELECT (SELECT count(*) FROM autoplay.clicks) AS stored,
	   (SELECT count(*) FROM evil.clicks) AS redirected;
DROP SCHEMA evil CASCADE;

DROP ROLE regress_autoplay_writer, regress_autoplay_reader, regress_autoplay_nobody;
