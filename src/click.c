/*-------------------------------------------------------------------------
 *
 * click.c
 *	  Normalize one webhook element into a typed autoplay.clicks row.
 *
 * An element is read in one pass over its jsonb object: the nine keys of
 * the FullStory click recipe are picked out, every other key goes to the
 * row's "extra" object as sent.  The element is then either
 *
 *	- a connection test: no recipe key carries a usable value;
 *	- rejected: a problem with its SQLSTATE, message and detail;
 *	- a row: Datums in ApClickRow order, ready for the INSERT.
 *
 * Nothing here raises an error for bad input: problems are returned, so the
 * caller can record them and carry on with the next element.  Everything
 * is palloc'd in the current memory context, which the caller resets per
 * element.  The parsing rules themselves live in the plain-C parse_*.c
 * files; this file maps them to PostgreSQL types and messages.
 *
 * src/click.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "port/pg_bswap.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "autoplay.h"
#include "canonical_url.h"
#include "click.h"
#include "email_policy.h"
#include "parse_label.h"
#include "parse_session.h"
#include "parse_time.h"
#include "parse_url.h"
#include "sha256.h"
#include "url_rules.h"

/* The keys of the click recipe that have columns of their own */
typedef enum ApField
{
	AP_F_TARGET_TEXT,
	AP_F_ELEMENT_NAME,
	AP_F_PAGE_URL,
	AP_F_TIMESTAMP,
	AP_F_TIMESTAMP_UNIX,
	AP_F_REPLAY_URL,
	AP_F_USER_ID,
	AP_F_USER_EMAIL,
	AP_F_SESSION_ID,
	AP_NUM_FIELDS
} ApField;

/* The keys of the recipe fields, with their lengths, in ApField order */
#define AP_FIELD_KEY(name)	{name, sizeof(name) - 1}

static const struct
{
	const char *name;
	int			len;
}			field_keys[AP_NUM_FIELDS] = {
	AP_FIELD_KEY("target_text"),
	AP_FIELD_KEY("element_name"),
	AP_FIELD_KEY("page_url"),
	AP_FIELD_KEY("timestamp"),
	AP_FIELD_KEY("timestamp_unix"),
	AP_FIELD_KEY("session_replay_url"),
	AP_FIELD_KEY("user_id"),
	AP_FIELD_KEY("user_email"),
	AP_FIELD_KEY("session_id")
};

/*
 * One recipe field as read.  An absent key, JSON null and "" all leave
 * text NULL.  Numbers and booleans are read as their text.  Objects and
 * arrays set nested.
 */
typedef struct ApFieldValue
{
	const char *text;			/* not NUL-terminated; NULL when empty */
	int			len;
	bool		nested;			/* an object or an array */
	bool		unrendered;		/* a mapping expression left unevaluated */
} ApFieldValue;

/* Everything read from one element */
typedef struct ApElement
{
	ApFieldValue fields[AP_NUM_FIELDS];
	JsonbParseState *extra_state;	/* keys without a column, or NULL */
} ApElement;

/* The most notes one click can carry (see add_note callers) */
#define AP_MAX_NOTES	8

/* Normalization's running state for one click */
typedef struct ApNotes
{
	const char *items[AP_MAX_NOTES];
	int			count;
} ApNotes;

/* How much of a bad value a message quotes */
#define AP_QUOTE_MAX_BYTES	64

static void read_element(JsonbContainer *object, ApElement *el);
static ApField lookup_field(const char *key, int len);
static void read_field(const JsonbValue *v, ApFieldValue *out);
static bool looks_unrendered(const char *s, int len);
static bool is_connection_test(const ApElement *el);
static bool only_separators(const char *s, int len);
static bool reject(ApProblem *problem, int sqlstate, char *detail,
				   const char *fmt,...) pg_attribute_printf(4, 5);
static char *quote_value(const ApFieldValue *f);
static bool check_nesting(const ApElement *el, ApProblem *problem);
static bool resolve_session(const ApElement *el, ApSessionKey *key,
							ApProblem *problem);
static bool resolve_time(const ApElement *el, TimestampTz received_at,
						 int64 *unix_usec, ApNotes *notes,
						 ApProblem *problem);
static bool time_problem(ApTimeStatus status, const char *field,
						 const ApFieldValue *f, ApProblem *problem);
static text *session_key_text(const ApSessionKey *key);
static void fill_text(ApClickRow *row, ApClickColumn col,
					  const ApFieldValue *f);
static void fill_label(ApClickRow *row, const ApElement *el, ApNotes *notes);
static bool fill_page(ApClickRow *row, const ApFieldValue *url,
					  ApNotes *notes, ApUrl *parts);
static void fill_canonical(ApClickRow *row, const ApFieldValue *url,
						   const ApUrl *parts);
static void fill_fingerprint(ApClickRow *row, const ApElement *el,
							 int64 unix_usec, Jsonb *extra);
static char *put_counted(char *p, const char *s, int len);
static char *put_be64(char *p, uint64 v);
static void add_note(ApNotes *notes, const char *note);

/*
 * ap_normalize_click: read one element and decide what it is.
 *
 * element is any jsonb value (an object arrives as jbvBinary).  body_note,
 * when not NULL, is a note about the whole request body (for instance that
 * characters were replaced) copied onto the row.  On AP_CLICK_OK *row is
 * filled; otherwise *problem is.  Never raises an error for bad input.
 */
ApVerdict
ap_normalize_click(const JsonbValue *element, TimestampTz received_at,
				   const char *body_note, ApClickRow *row, ApProblem *problem)
{
	ApElement	el;
	ApSessionKey key;
	ApNotes		notes = {{0}, 0};
	ApUrl		url;
	int64		unix_usec;
	Jsonb	   *extra = NULL;

	memset(problem, 0, sizeof(*problem));
	if (element->type != jbvBinary ||
		!JsonContainerIsObject(element->val.binary.data))
	{
		reject(problem, ERRCODE_SQL_JSON_OBJECT_NOT_FOUND,
			   pstrdup("A click is a JSON object such as {\"session_id\": ..., \"timestamp\": ...}."),
			   "element is not a JSON object");
		return AP_CLICK_REJECTED;
	}

	/* One pass over the object */
	read_element(element->val.binary.data, &el);
	if (is_connection_test(&el))
	{
		problem->message = pstrdup("connection test: no click field has a value");
		return AP_CLICK_TEST;
	}

	/* Required fields and types; the first problem found is reported */
	if (!check_nesting(&el, problem) ||
		!resolve_session(&el, &key, problem) ||
		!resolve_time(&el, received_at, &unix_usec, &notes, problem))
		return AP_CLICK_REJECTED;

	/* The session and its time */
	memset(row->isnull, false, sizeof(row->isnull));
	row->values[AP_COL_SESSION_KEY] = PointerGetDatum(session_key_text(&key));
	row->values[AP_COL_DEVICE_ID] =
		PointerGetDatum(cstring_to_text_with_len(key.device_id,
												 key.device_id_len));
	row->values[AP_COL_SESSION_ID] =
		PointerGetDatum(cstring_to_text_with_len(key.session_id,
												 key.session_id_len));
	row->values[AP_COL_OCCURRED_AT] = TimestampTzGetDatum(unix_usec -
														  (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY);
	row->values[AP_COL_OCCURRED_UNIX] = Int64GetDatum(unix_usec /
													  AP_USECS_PER_SEC);
	row->values[AP_COL_RECEIVED_AT] = TimestampTzGetDatum(received_at);

	/* What was clicked, where, and by whom */
	fill_text(row, AP_COL_TARGET_TEXT, &el.fields[AP_F_TARGET_TEXT]);
	fill_text(row, AP_COL_ELEMENT_NAME, &el.fields[AP_F_ELEMENT_NAME]);
	fill_label(row, &el, &notes);
	fill_canonical(row, &el.fields[AP_F_PAGE_URL],
				   fill_page(row, &el.fields[AP_F_PAGE_URL], &notes, &url) ?
				   &url : NULL);
	fill_text(row, AP_COL_REPLAY_URL, &el.fields[AP_F_REPLAY_URL]);
	fill_text(row, AP_COL_USER_ID, &el.fields[AP_F_USER_ID]);
	row->isnull[AP_COL_USER_EMAIL] = true;
	if (el.fields[AP_F_USER_EMAIL].text != NULL)
	{
		text	   *email = ap_email_to_store(el.fields[AP_F_USER_EMAIL].text,
											  el.fields[AP_F_USER_EMAIL].len);

		row->isnull[AP_COL_USER_EMAIL] = (email == NULL);
		row->values[AP_COL_USER_EMAIL] = PointerGetDatum(email);
	}

	/* Keys without a column, kept as sent */
	row->isnull[AP_COL_EXTRA] = (el.extra_state == NULL);
	if (el.extra_state != NULL)
	{
		extra = JsonbValueToJsonb(pushJsonbValue(&el.extra_state,
												 WJB_END_OBJECT, NULL));
		row->values[AP_COL_EXTRA] = JsonbPGetDatum(extra);
	}

	/* Identity of the content, then what normalization changed or doubted */
	fill_fingerprint(row, &el, unix_usec, extra);
	if (body_note != NULL)
		add_note(&notes, body_note);
	row->isnull[AP_COL_NOTES] = (notes.count == 0);
	if (notes.count > 0)
	{
		Datum		items[AP_MAX_NOTES];
		int			i;

		for (i = 0; i < notes.count; i++)
			items[i] = PointerGetDatum(cstring_to_text(notes.items[i]));
		row->values[AP_COL_NOTES] =
			PointerGetDatum(construct_array(items, notes.count, TEXTOID,
											-1, false, TYPALIGN_INT));
	}
	return AP_CLICK_OK;
}

/*
 * read_element: one pass over a JSON object, filling el.  Recipe keys land
 * in el->fields; other keys are pushed, with their values as sent, onto
 * el->extra_state (left open: the caller ends the object).
 */
static void
read_element(JsonbContainer *object, ApElement *el)
{
	JsonbIterator *it = JsonbIteratorInit(object);
	JsonbIteratorToken tok;
	JsonbValue	key;
	JsonbValue	value;

	memset(el, 0, sizeof(*el));
	while ((tok = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		ApField		field;

		if (tok != WJB_KEY)
			continue;			/* the object's begin and end */
		tok = JsonbIteratorNext(&it, &value, true);
		Assert(tok == WJB_VALUE);

		field = lookup_field(key.val.string.val, key.val.string.len);
		if (field != AP_NUM_FIELDS)
		{
			read_field(&value, &el->fields[field]);
			continue;
		}
		if (el->extra_state == NULL)
			pushJsonbValue(&el->extra_state, WJB_BEGIN_OBJECT, NULL);
		pushJsonbValue(&el->extra_state, WJB_KEY, &key);
		pushJsonbValue(&el->extra_state, WJB_VALUE, &value);
	}
}

/*
 * lookup_field: the recipe field named key[0..len), or AP_NUM_FIELDS.
 * Field names are few and short: compare the length first.
 */
static ApField
lookup_field(const char *key, int len)
{
	int			i;

	for (i = 0; i < AP_NUM_FIELDS; i++)
		if (field_keys[i].len == len &&
			memcmp(field_keys[i].name, key, len) == 0)
			return (ApField) i;
	return AP_NUM_FIELDS;
}

/*
 * read_field: record one recipe value.  Strings are used in place (they
 * point into the jsonb); numbers become their exact decimal text.
 */
static void
read_field(const JsonbValue *v, ApFieldValue *out)
{
	memset(out, 0, sizeof(*out));
	switch (v->type)
	{
		case jbvNull:
			break;
		case jbvString:
			if (v->val.string.len > 0)
			{
				out->text = v->val.string.val;
				out->len = v->val.string.len;
				out->unrendered = looks_unrendered(out->text, out->len);
			}
			break;
		case jbvNumeric:
			out->text = DatumGetCString(DirectFunctionCall1(numeric_out,
															NumericGetDatum(v->val.numeric)));
			out->len = strlen(out->text);
			break;
		case jbvBool:
			out->text = v->val.boolean ? "true" : "false";
			out->len = strlen(out->text);
			break;
		default:
			/* an object or array: jbvBinary with skipNested */
			out->nested = true;
			if (JsonContainerIsArray(v->val.binary.data))
			{
				JsonbValue *first;

				first = getIthJsonbValueFromContainer(v->val.binary.data, 0);
				out->unrendered = first != NULL &&
					first->type == jbvString &&
					looks_unrendered(first->val.string.val,
									 first->val.string.len);
			}
			break;
	}
}

/*
 * looks_unrendered: is s[0..len) a piece of a Stream mapping that was sent
 * unevaluated?  That is a template ("{{...}}"), a bare event path
 * ("event.0.url"), or the name of a mapping operator as the first element
 * of an array (["var", "event.0.url"]).
 */
static bool
looks_unrendered(const char *s, int len)
{
	static const char *const operators[] = {"var", "concat",
	"toUnixTimestamp"};
	const char *brace;
	size_t		i;

	for (i = 0; i < lengthof(operators); i++)
		if (strlen(operators[i]) == (size_t) len &&
			memcmp(operators[i], s, len) == 0)
			return true;
	if (len >= 8 && memcmp(s, "event.", 6) == 0 &&
		s[6] >= '0' && s[6] <= '9')
		return true;
	for (brace = memchr(s, '{', len); brace != NULL && brace + 1 < s + len;
		 brace = memchr(brace + 1, '{', s + len - brace - 1))
		if (brace[1] == '{')
			return true;
	return false;
}

/*
 * is_connection_test: true when no recipe field carries a usable value:
 * a ping without click fields, or a mapping whose values are all empty or
 * unevaluated.  A session_id made only of separators is what the recipe
 * renders from two empty ids, so it counts as empty.
 */
static bool
is_connection_test(const ApElement *el)
{
	int			i;

	for (i = 0; i < AP_NUM_FIELDS; i++)
	{
		const ApFieldValue *f = &el->fields[i];

		if (f->unrendered || (f->text == NULL && !f->nested))
			continue;
		if (i == AP_F_SESSION_ID && only_separators(f->text, f->len))
			continue;
		return false;
	}
	return true;
}

/*
 * only_separators: is s[0..len) made only of session key separators (%3A,
 * %253A in any case, or ':')?
 */
static bool
only_separators(const char *s, int len)
{
	int			i = 0;

	while (i < len)
	{
		if (s[i] == ':')
			i += 1;
		else if (len - i >= 3 && pg_strncasecmp(s + i, "%3A", 3) == 0)
			i += 3;
		else if (len - i >= 5 && pg_strncasecmp(s + i, "%253A", 5) == 0)
			i += 5;
		else
			return false;
	}
	return true;
}

/*
 * reject: fill *problem from a format and return false, so that callers
 * can write "return reject(...)".  detail is a palloc'd sentence or NULL.
 */
static bool
reject(ApProblem *problem, int sqlstate, char *detail, const char *fmt,...)
{
	va_list		args;
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	problem->sqlstate = sqlstate;
	problem->message = buf.data;
	problem->detail = detail;
	return false;
}

/*
 * quote_value: a field's text for a message, cut to AP_QUOTE_MAX_BYTES at
 * a character boundary with "..." when longer.
 */
static char *
quote_value(const ApFieldValue *f)
{
	int			keep;

	if (f->len <= AP_QUOTE_MAX_BYTES)
		return pnstrdup(f->text, f->len);
	keep = pg_mbcliplen(f->text, f->len, AP_QUOTE_MAX_BYTES);
	return psprintf("%.*s...", keep, f->text);
}

/*
 * check_nesting: every recipe field must be a scalar.  An object or array
 * where text belongs means the Stream's mapping is broken.
 */
static bool
check_nesting(const ApElement *el, ApProblem *problem)
{
	int			i;

	for (i = 0; i < AP_NUM_FIELDS; i++)
		if (el->fields[i].nested)
			return reject(problem, ERRCODE_SQL_JSON_SCALAR_REQUIRED,
						  pstrdup("Each click field holds a string, a number or null."),
						  "field \"%s\" is not a scalar", field_keys[i].name);
	return true;
}

/*
 * resolve_session: decode session_id into *key.
 */
static bool
resolve_session(const ApElement *el, ApSessionKey *key, ApProblem *problem)
{
	const ApFieldValue *f = &el->fields[AP_F_SESSION_ID];
	const char *why = NULL;

	if (f->text == NULL)
		return reject(problem, ERRCODE_NULL_VALUE_NOT_ALLOWED,
					  pstrdup("Every click needs \"session_id\", written device%3Asession."),
					  "click has no session_id");

	switch (ap_parse_session_key(f->text, f->len, key))
	{
		case AP_SESSION_OK:
			return true;
		case AP_SESSION_BAD_ESCAPE:
			why = "It holds a percent escape other than an encoded colon.";
			break;
		case AP_SESSION_NO_SEPARATOR:
			why = "It has no separator (%3A or :) between the device id and the session id.";
			break;
		case AP_SESSION_EXTRA_SEPARATOR:
			why = "It has more than one separator.";
			break;
		case AP_SESSION_EMPTY_ID:
			why = "The device id or the session id is empty.";
			break;
		case AP_SESSION_BAD_CHARACTER:
			why = "Ids may hold only letters, digits, \"_\" and \"-\".";
			break;
		case AP_SESSION_ID_TOO_LONG:
			why = "An id is longer than 64 characters.";
			break;
	}
	return reject(problem, ERRCODE_INVALID_TEXT_REPRESENTATION, pstrdup(why),
				  "invalid session_id \"%s\"", quote_value(f));
}

/*
 * resolve_time: the click's instant, in unix microseconds.
 *
 * "timestamp" wins when present and must then be valid.  "timestamp_unix"
 * alone is used as seconds, or milliseconds from 1e11 on.  When both are
 * present and more than a second apart, the disagreement is noted.
 */
static bool
resolve_time(const ApElement *el, TimestampTz received_at, int64 *unix_usec,
			 ApNotes *notes, ApProblem *problem)
{
	const ApFieldValue *iso = &el->fields[AP_F_TIMESTAMP];
	const ApFieldValue *unixtime = &el->fields[AP_F_TIMESTAMP_UNIX];
	int64		received_usec = received_at +
		(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
	int64		unix_value;
	bool		was_millis;
	ApTimeStatus status;

	if (iso->text == NULL && unixtime->text == NULL)
		return reject(problem, ERRCODE_NULL_VALUE_NOT_ALLOWED,
					  pstrdup("A click needs \"timestamp\" (ISO 8601) or \"timestamp_unix\"."),
					  "click has no time");

	/* The ISO 8601 text, checked against the unix time when both exist */
	if (iso->text != NULL)
	{
		status = ap_parse_iso8601(iso->text, iso->len, unix_usec);
		if (status == AP_TIME_OK)
			status = ap_check_click_time(*unix_usec, received_usec);
		if (status != AP_TIME_OK)
			return time_problem(status, "timestamp", iso, problem);

		if (unixtime->text != NULL)
		{
			status = ap_parse_unix_time(unixtime->text, unixtime->len, &unix_value,
										&was_millis);
			if (status != AP_TIME_OK)
				add_note(notes, psprintf("timestamp_unix \"%s\" is not a unix time and was ignored",
										 quote_value(unixtime)));
			else if (unix_value - *unix_usec > AP_USECS_PER_SEC ||
					 *unix_usec - unix_value > AP_USECS_PER_SEC)
				add_note(notes, psprintf("timestamp_unix %s disagrees with timestamp by %.3f s",
										 quote_value(unixtime),
										 (double) (unix_value - *unix_usec) / AP_USECS_PER_SEC));
		}
		return true;
	}

	/* Only the unix time */
	status = ap_parse_unix_time(unixtime->text, unixtime->len, unix_usec, &was_millis);
	if (status == AP_TIME_OK)
		status = ap_check_click_time(*unix_usec, received_usec);
	if (status != AP_TIME_OK)
		return time_problem(status, "timestamp_unix", unixtime, problem);
	add_note(notes, was_millis ?
			 "time taken from timestamp_unix, read as milliseconds" :
			 "time taken from timestamp_unix");
	return true;
}

/*
 * time_problem: the rejection for a time that failed to parse or is out of
 * range.  Always returns false.
 */
static bool
time_problem(ApTimeStatus status, const char *field, const ApFieldValue *f,
			 ApProblem *problem)
{
	char	   *value = quote_value(f);
	bool		is_unix = strcmp(field, "timestamp_unix") == 0;

	switch (status)
	{
		case AP_TIME_OK:
			break;
		case AP_TIME_SYNTAX:
			if (is_unix)
				return reject(problem, ERRCODE_INVALID_TEXT_REPRESENTATION,
							  pstrdup("Unix time is written as decimal digits, such as 1761056254."),
							  "invalid timestamp_unix \"%s\"", value);
			return reject(problem, ERRCODE_INVALID_DATETIME_FORMAT,
						  pstrdup("Expected ISO 8601 with a zone, such as 2025-10-21T14:17:34.073Z."),
						  "invalid timestamp \"%s\"", value);
		case AP_TIME_NO_ZONE:
			return reject(problem, ERRCODE_INVALID_DATETIME_FORMAT,
						  pstrdup("Without Z or an offset such as +02:00 the instant is unknown."),
						  "timestamp \"%s\" has no time zone", value);
		case AP_TIME_SPECIAL_WORD:
			return reject(problem, ERRCODE_INVALID_DATETIME_FORMAT,
						  pstrdup("A click's time must be written out, not named."),
						  "timestamp \"%s\" is not a point in time", value);
		case AP_TIME_FIELD_RANGE:
			return reject(problem, ERRCODE_DATETIME_FIELD_OVERFLOW, NULL,
						  "%s \"%s\" is out of range", field, value);
		case AP_TIME_TOO_EARLY:
			return reject(problem, ERRCODE_DATETIME_FIELD_OVERFLOW,
						  pstrdup("Clicks before 2000-01-01 UTC are not accepted."),
						  "%s \"%s\" is too far in the past", field, value);
		case AP_TIME_TOO_LATE:
			return reject(problem, ERRCODE_DATETIME_FIELD_OVERFLOW,
						  pstrdup("Clicks more than a day after their arrival are not accepted."),
						  "%s \"%s\" is in the future", field, value);
	}
	elog(ERROR, "unexpected time status %d", (int) status);
	return false;				/* keep compiler quiet */
}

/*
 * session_key_text: the decoded key, "device_id:session_id", as text.
 */
static text *
session_key_text(const ApSessionKey *key)
{
	int			len = key->device_id_len + 1 + key->session_id_len;
	text	   *result = palloc(VARHDRSZ + len);
	char	   *p = VARDATA(result);

	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(p, key->device_id, key->device_id_len);
	p[key->device_id_len] = ':';
	memcpy(p + key->device_id_len + 1, key->session_id, key->session_id_len);
	return result;
}

/*
 * fill_text: a text column from a field, NULL when the field is empty.
 */
static void
fill_text(ApClickRow *row, ApClickColumn col, const ApFieldValue *f)
{
	row->isnull[col] = (f->text == NULL);
	if (f->text != NULL)
		row->values[col] = PointerGetDatum(cstring_to_text_with_len(f->text,
																	f->len));
}

/*
 * fill_label: what the user saw.  target_text folded, else element_name
 * folded, else NULL.
 */
static void
fill_label(ApClickRow *row, const ApElement *el, ApNotes *notes)
{
	const ApFieldValue *sources[2] = {&el->fields[AP_F_TARGET_TEXT],
	&el->fields[AP_F_ELEMENT_NAME]};
	size_t		i;

	row->isnull[AP_COL_LABEL] = true;
	for (i = 0; i < lengthof(sources); i++)
	{
		const ApFieldValue *f = sources[i];
		char	   *folded;
		size_t		len;
		bool		truncated;

		if (f->text == NULL)
			continue;
		folded = palloc(f->len + 1);
		len = ap_fold_label(f->text, f->len, folded,
							autoplay_max_label_length, &truncated);
		if (len == 0)
			continue;
		row->isnull[AP_COL_LABEL] = false;
		row->values[AP_COL_LABEL] =
			PointerGetDatum(cstring_to_text_with_len(folded, len));
		if (truncated)
			add_note(notes, psprintf("label cut to %d characters",
									 autoplay_max_label_length));
		return;
	}
}

/*
 * fill_page: page_url and its parts.  The host is lowercased and carries
 * its port unless that is the scheme's default, like location.host; a URL
 * with a host but no path has the path "/".  A URL that cannot be parsed
 * is kept, with its parts NULL and a note.  Returns whether the URL was
 * parsed, into *parts.
 */
static bool
fill_page(ApClickRow *row, const ApFieldValue *url, ApNotes *notes,
		  ApUrl *parts)
{
	bool		show_port;
	size_t		len;
	text	   *host;
	char	   *at;
	size_t		i;

	fill_text(row, AP_COL_PAGE_URL, url);
	row->isnull[AP_COL_PAGE_HOST] = true;
	row->isnull[AP_COL_PAGE_PATH] = true;
	row->isnull[AP_COL_PAGE_QUERY] = true;
	row->isnull[AP_COL_PAGE_FRAGMENT] = true;
	if (url->text == NULL)
		return false;
	if (!ap_parse_url(url->text, url->len, parts))
	{
		add_note(notes, "page_url is not an absolute URL; its parts are NULL");
		return false;
	}

	/* host[:port], lowercased */
	show_port = parts->port.start != NULL && !parts->port_is_default;
	len = parts->host.len + (show_port ? 1 + parts->port.len : 0);
	host = palloc(VARHDRSZ + len);
	SET_VARSIZE(host, VARHDRSZ + len);
	at = VARDATA(host);
	for (i = 0; i < parts->host.len; i++)
		*at++ = pg_ascii_tolower((unsigned char) parts->host.start[i]);
	if (show_port)
	{
		*at++ = ':';
		memcpy(at, parts->port.start, parts->port.len);
	}
	row->isnull[AP_COL_PAGE_HOST] = false;
	row->values[AP_COL_PAGE_HOST] = PointerGetDatum(host);

	/* path, query and fragment as written */
	row->isnull[AP_COL_PAGE_PATH] = false;
	row->values[AP_COL_PAGE_PATH] = PointerGetDatum(parts->path.start ?
													cstring_to_text_with_len(parts->path.start, parts->path.len) :
													cstring_to_text("/"));
	if (parts->query.start != NULL && parts->query.len > 0)
	{
		row->isnull[AP_COL_PAGE_QUERY] = false;
		row->values[AP_COL_PAGE_QUERY] =
			PointerGetDatum(cstring_to_text_with_len(parts->query.start,
													 parts->query.len));
	}
	if (parts->fragment.start != NULL && parts->fragment.len > 0)
	{
		row->isnull[AP_COL_PAGE_FRAGMENT] = false;
		row->values[AP_COL_PAGE_FRAGMENT] =
			PointerGetDatum(cstring_to_text_with_len(parts->fragment.start,
													 parts->fragment.len));
	}
	return true;
}

/*
 * fill_canonical: page_canonical, from the first matching user rule in
 * autoplay.url_rules, else the built-in canonical form of the URL parsed
 * into *parts; NULL when there is no URL, or no rule matches and parts is
 * NULL because it could not be parsed.  fill_page must have run.
 */
static void
fill_canonical(ApClickRow *row, const ApFieldValue *url, const ApUrl *parts)
{
	text	   *ruled;
	char	   *canonical;
	size_t		len;

	row->isnull[AP_COL_PAGE_CANONICAL] = true;
	if (url->text == NULL)
		return;

	ruled = ap_url_rules_apply(DatumGetTextPP(row->values[AP_COL_PAGE_URL]));
	if (ruled != NULL)
	{
		row->isnull[AP_COL_PAGE_CANONICAL] = false;
		row->values[AP_COL_PAGE_CANONICAL] = PointerGetDatum(ruled);
		return;
	}

	if (parts == NULL)
		return;
	canonical = palloc(AP_CANONICAL_URL_BOUND(url->len));
	ap_canonical_url_parts(parts, canonical, &len);
	row->isnull[AP_COL_PAGE_CANONICAL] = false;
	row->values[AP_COL_PAGE_CANONICAL] =
		PointerGetDatum(cstring_to_text_with_len(canonical, len));
}

/*
 * fill_fingerprint: the first AP_FINGERPRINT_LEN bytes of SHA-256 over the
 * click's content as sent.  A retried delivery has the same content and
 * so the same fingerprint; two different clicks in the same session and
 * millisecond differ in it.
 *
 * The bytes hashed are, in order: target_text, element_name, page_url,
 * session_replay_url, user_id and user_email, each as a 4-byte big-endian
 * length (-1 for NULL) and its UTF-8 bytes; the instant in unix
 * microseconds as 8 bytes big-endian; and the extra object as its jsonb
 * text, length-prefixed the same way.  The layout is written out so that
 * SQL can compute the same value (int4send, int8send, sha256).
 */
static void
fill_fingerprint(ApClickRow *row, const ApElement *el, int64 unix_usec,
				 Jsonb *extra)
{
	static const ApField content[] = {AP_F_TARGET_TEXT, AP_F_ELEMENT_NAME,
		AP_F_PAGE_URL, AP_F_REPLAY_URL, AP_F_USER_ID, AP_F_USER_EMAIL};
	char		local[2048];
	char	   *json = NULL;
	int			json_len = 0;
	size_t		size;
	char	   *buf;
	char	   *p;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	bytea	   *fingerprint;
	size_t		i;

	/* The serialization's size, to use the stack when it fits */
	size = lengthof(content) * sizeof(uint32) + sizeof(uint64) +
		sizeof(uint32);
	for (i = 0; i < lengthof(content); i++)
		if (el->fields[content[i]].text != NULL)
			size += el->fields[content[i]].len;
	if (extra != NULL)
	{
		json = JsonbToCString(NULL, &extra->root, VARSIZE(extra));
		json_len = strlen(json);
		size += json_len;
	}
	buf = size <= sizeof(local) ? local : palloc(size);

	/* The content, serialized */
	p = buf;
	for (i = 0; i < lengthof(content); i++)
	{
		const ApFieldValue *f = &el->fields[content[i]];

		p = put_counted(p, f->text, f->len);
	}
	p = put_be64(p, (uint64) unix_usec);
	p = put_counted(p, json, json_len);
	Assert(p == buf + size);

	/* Its digest */
	ap_sha256(buf, size, digest);
	if (buf != local)
		pfree(buf);

	fingerprint = palloc(VARHDRSZ + AP_FINGERPRINT_LEN);
	SET_VARSIZE(fingerprint, VARHDRSZ + AP_FINGERPRINT_LEN);
	memcpy(VARDATA(fingerprint), digest, AP_FINGERPRINT_LEN);
	row->isnull[AP_COL_FINGERPRINT] = false;
	row->values[AP_COL_FINGERPRINT] = PointerGetDatum(fingerprint);
}

/*
 * put_counted: write s[0..len) at p with a 4-byte big-endian length before
 * it; s NULL writes the length -1 alone.  Returns the end of what it wrote.
 */
static char *
put_counted(char *p, const char *s, int len)
{
	uint32		be = pg_hton32(s != NULL ? (uint32) len : UINT32_MAX);

	memcpy(p, &be, sizeof(be));
	p += sizeof(be);
	if (s != NULL)
	{
		memcpy(p, s, len);
		p += len;
	}
	return p;
}

/*
 * put_be64: write v at p as 8 bytes, big-endian.  Returns the end.
 */
static char *
put_be64(char *p, uint64 v)
{
	uint64		be = pg_hton64(v);

	memcpy(p, &be, sizeof(be));
	return p + sizeof(be);
}

/*
 * add_note: remember what normalization changed or doubted.  A note never
 * holds a newline (one in a quoted value becomes a space), so that notes
 * can travel newline-separated.
 */
static void
add_note(ApNotes *notes, const char *note)
{
	if (notes->count >= AP_MAX_NOTES)
		elog(ERROR, "too many notes for one click");
	if (strchr(note, '\n') != NULL)
	{
		char	   *copy = pstrdup(note);
		char	   *nl;

		while ((nl = strchr(copy, '\n')) != NULL)
			*nl = ' ';
		note = copy;
	}
	notes->items[notes->count++] = note;
}
