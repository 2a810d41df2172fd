/*-------------------------------------------------------------------------
 *
 * url_rules.h
 *	  User rules that override the canonical form of page URLs.
 *
 * src/url_rules.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOPLAY_URL_RULES_H
#define AUTOPLAY_URL_RULES_H

extern void ap_url_rules_load(void);
extern text *ap_url_rules_apply(text *url);

#endif							/* AUTOPLAY_URL_RULES_H */
