/*-------------------------------------------------------------------------
 *
 * click.h
 *	  Turn one webhook element into a typed autoplay.clicks row, or say why
 *	  it cannot be one.
 *
 * src/click.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOPLAY_CLICK_H
#define AUTOPLAY_CLICK_H

#include "utils/jsonb.h"
#include "utils/timestamp.h"

/* The columns of autoplay.clicks that ingest fills, in the INSERT's order */
typedef enum ApClickColumn
{
	AP_COL_SESSION_KEY,
	AP_COL_DEVICE_ID,
	AP_COL_SESSION_ID,
	AP_COL_OCCURRED_AT,
	AP_COL_OCCURRED_UNIX,
	AP_COL_TARGET_TEXT,
	AP_COL_ELEMENT_NAME,
	AP_COL_LABEL,
	AP_COL_PAGE_URL,
	AP_COL_PAGE_HOST,
	AP_COL_PAGE_PATH,
	AP_COL_PAGE_QUERY,
	AP_COL_PAGE_FRAGMENT,
	AP_COL_PAGE_CANONICAL,
	AP_COL_REPLAY_URL,
	AP_COL_USER_ID,
	AP_COL_USER_EMAIL,
	AP_COL_EXTRA,
	AP_COL_NOTES,
	AP_COL_FINGERPRINT,
	AP_COL_RECEIVED_AT,
	AP_NUM_CLICK_COLUMNS
} ApClickColumn;

/* Bytes of SHA-256 kept as a click's content fingerprint */
#define AP_FINGERPRINT_LEN	16

/* A row ready for the INSERT: values and nulls, in ApClickColumn order */
typedef struct ApClickRow
{
	Datum		values[AP_NUM_CLICK_COLUMNS];
	bool		isnull[AP_NUM_CLICK_COLUMNS];
} ApClickRow;

typedef enum ApVerdict
{
	AP_CLICK_OK,				/* *row is filled */
	AP_CLICK_REJECTED,			/* *problem says why */
	AP_CLICK_TEST				/* a connection test; *problem says why */
} ApVerdict;

/* Why an element is not stored as a click */
typedef struct ApProblem
{
	int			sqlstate;		/* 0 for a connection test */
	char	   *message;		/* lowercase, no final period */
	char	   *detail;			/* a full sentence, or NULL */
} ApProblem;

extern ApVerdict ap_normalize_click(const JsonbValue *element,
									TimestampTz received_at,
									const char *body_note,
									ApClickRow *row, ApProblem *problem);

#endif							/* AUTOPLAY_CLICK_H */
