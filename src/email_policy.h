/*-------------------------------------------------------------------------
 *
 * email_policy.h
 *	  Apply autoplay.email to a click's user_email.
 *
 * src/email_policy.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOPLAY_EMAIL_POLICY_H
#define AUTOPLAY_EMAIL_POLICY_H

extern text *ap_email_to_store(const char *email, int len);

#endif							/* AUTOPLAY_EMAIL_POLICY_H */
