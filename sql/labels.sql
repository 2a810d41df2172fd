--
-- labels: what the user saw, with white space folded
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
TRUNCATE autoplay.clicks, autoplay.rejects RESTART IDENTITY;

-- label_of: ingest a click with the given fields and return what is stored
CREATE FUNCTION label_of(fields jsonb,
	OUT label text, OUT target_text text, OUT element_name text,
	OUT notes text[])
LANGUAGE sql AS $$
	SELECT c.label, c.target_text, c.element_name, c.notes
	FROM ingest_one(jsonb_build_object('session_id', '1%3A2',
			'timestamp', '2025-10-21T14:17:34.073Z') || fields) AS i
		CROSS JOIN LATERAL (SELECT (i.click).*) AS c
$$;

SELECT * FROM label_of('{"target_text": "Export CSV", "element_name": "Export button"}');
SELECT * FROM label_of('{"target_text": "Starter plan\n  $12 / month\n\n  Choose"}');
SELECT * FROM label_of('{"target_text": "\t Save\r\nchanges \t"}');
-- no-break space, ideographic space, zero-width space, line separator
SELECT * FROM label_of(jsonb_build_object('target_text',
	U&'Pay\00A0now' || U&'\3000' || U&'\200B' || 'ok' || U&'\2028' || 'x'));
-- bidirectional overrides would make the label display as other text
SELECT * FROM label_of(jsonb_build_object('target_text',
	'Refund ' || U&'\202E' || '00.001$' || U&'\202C'));
-- text wins over name; an empty or blank text gives way to the name
SELECT * FROM label_of('{"target_text": "", "element_name": "Close dialog"}');
SELECT * FROM label_of('{"target_text": " \n\t ", "element_name": "  Close\ndialog "}');
SELECT * FROM label_of('{"target_text": null, "element_name": "Menu"}');
SELECT * FROM label_of('{"target_text": "", "element_name": ""}');
SELECT * FROM label_of('{"page_url": "https://example.com/"}');
-- other scripts and emoji are kept as they are
SELECT * FROM label_of(jsonb_build_object('target_text', U&'\+01F680 Launch'));
SELECT * FROM label_of(jsonb_build_object('target_text',
	U&'\062D\0641\0638  \0627\0644\062A\063A\064A\064A\0631\0627\062A'));
SELECT * FROM label_of(jsonb_build_object('target_text',
	U&'\4FDD\5B58\3059\308B' || E'\n' || U&'\0053\0070\0065\0069\0063\0068\0065\0072\006E \00FC\0062\0065\0072'));

-- A long container text is cut at autoplay.max_label_length characters
SELECT length(label), right(label, 12), length(target_text), notes
FROM label_of(jsonb_build_object('target_text', repeat('word ', 400)));
SET autoplay.max_label_length = 20;
SELECT label, length(label), notes
FROM label_of(jsonb_build_object('target_text', repeat(U&'\00E9t\00E9 ', 10)));
RESET autoplay.max_label_length;
SET autoplay.max_label_length = 5;
