/*-------------------------------------------------------------------------
 *
 * parse_label.h
 *	  What the user saw on a clicked element: white space folded.
 *
 * FullStory's target_text carries the element's text as laid out, with
 * newlines, tabs, runs of spaces and no-break spaces.  A label folds each
 * run of white space into one ASCII space and trims both ends.  Input is
 * UTF-8; bytes that are not valid UTF-8 are copied through unchanged and
 * count as one character each.  Plain C, no server dependencies.
 *
 * src/parse_label.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOPLAY_PARSE_LABEL_H
#define AUTOPLAY_PARSE_LABEL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * ap_fold_label: write the folded form of in[0..len) to out, which must
 * hold at least len bytes, and return its length in bytes (0 when the text
 * is only white space).  White space is Unicode's White_Space set (ASCII
 * \t \n \v \f \r and space, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000).  The zero-width U+200B and U+FEFF
 * take no room on screen and are dropped without making a space, and so
 * are the bidirectional embeddings, overrides and isolates (U+202A-U+202E,
 * U+2066-U+2069), which could make a label display as other text.
 * When max_chars > 0 and the folded text is longer than max_chars
 * characters, it is cut after max_chars characters (never inside a UTF-8
 * sequence), trailing white space is dropped again, and *truncated is set
 * true; otherwise *truncated is set false.  out is not NUL-terminated.
 */
extern size_t ap_fold_label(const char *in, size_t len, char *out,
							size_t max_chars, bool *truncated);

#endif							/* AUTOPLAY_PARSE_LABEL_H */
