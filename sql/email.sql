--
-- email: autoplay.email keeps, hashes or drops user_email
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;

-- email_of: ingest a click from the given address; return what is stored
CREATE FUNCTION email_of(address text, n int) RETURNS text
LANGUAGE sql AS $$
	SELECT c.user_email
	FROM ingest_one(jsonb_build_object('session_id', '1%3A2',
			'timestamp', '2025-10-21T14:17:34.073Z', 'target_text', n,
			'user_email', address)) AS i
		CROSS JOIN LATERAL (SELECT (i.click).*) AS c
$$;

-- The settings exist once the library is loaded (any autoplay call loads it)
LOAD 'autoplay';
SHOW autoplay.email;
SELECT email_of('Jane@Example.com', 1);

-- hash: HMAC-SHA-256 of the trimmed, lowercased address, hex
SET autoplay.email = 'hash';
SET autoplay.email_key = 'k3y';
SELECT email_of('jane@example.com', 2) AS hashed,
	   email_of(' Jane@Example.COM ', 3) AS same_user,
	   email_of('john@example.com', 4) AS other_user;

-- The same, computed from the definition of HMAC with sha256()
WITH k AS (SELECT rpad(convert_to('k3y', 'UTF8')::text, 2 + 128, '0')::bytea AS key)
SELECT encode(sha256(
		decode(string_agg(lpad(to_hex(get_byte(key, i) # 92), 2, '0'), '' ORDER BY i), 'hex') ||
		sha256(decode(string_agg(lpad(to_hex(get_byte(key, i) # 54), 2, '0'), '' ORDER BY i), 'hex') ||
			   convert_to('jane@example.com', 'UTF8'))), 'hex') AS expected
FROM k, generate_series(0, 63) AS i;

-- Another key, another value
SET autoplay.email_key = 'other';
SELECT email_of('jane@example.com', 5);

-- hash without a key is a configuration error, raised rather than stored
SET autoplay.email_key = '';
SELECT email_of('jane@example.com', 6);

-- drop
SET autoplay.email = 'drop';
SELECT email_of('jane@example.com', 7) IS NULL AS dropped;
SET autoplay.email = 'nope';
RESET autoplay.email;
RESET autoplay.email_key;

-- Only superusers choose the policy or read the key
CREATE ROLE regress_autoplay_email;
SET ROLE regress_autoplay_email;
SET autoplay.email = 'keep';
SET autoplay.email_key = 'x';
SHOW autoplay.email_key;
RESET ROLE;
DROP ROLE regress_autoplay_email;
