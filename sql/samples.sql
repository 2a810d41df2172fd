--
-- samples: the example bodies in samples/, as FullStory sends them
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;

\set anonymous_icon `cat samples/click-anonymous-icon.json`
\set extra_keys `cat samples/click-extra-keys.json`
\set identified `cat samples/click-identified.json`
\set multiline `cat samples/click-multiline-text.json`

SELECT autoplay_ingest(:'anonymous_icon');
SELECT autoplay_ingest(:'extra_keys');
SELECT autoplay_ingest(:'identified');
SELECT autoplay_ingest_raw(convert_to(:'multiline', 'UTF8'));

\x on
SELECT id, session_key, device_id, session_id, occurred_at, occurred_unix,
	   target_text, element_name, label, page_url, page_host, page_path,
	   page_query, page_fragment, page_canonical, replay_url, user_id, user_email, extra,
	   notes, length(fingerprint) AS fingerprint_bytes,
	   received_at BETWEEN now() - interval '1 minute' AND now() AS received_now
FROM autoplay.clicks ORDER BY id;
\x off

-- Sent again, as FullStory retries: all duplicates
SELECT autoplay_ingest(jsonb_build_array(:'anonymous_icon'::jsonb,
	:'extra_keys'::jsonb, :'identified'::jsonb, :'multiline'::jsonb));
SELECT count(*) FROM autoplay.clicks;
