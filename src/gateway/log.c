/*-------------------------------------------------------------------------
 *
 * log.c
 *	  Write one message line to standard error.
 *
 * Each message is formatted into a local buffer and written with a single
 * write(2), which keeps concurrent lines whole.  Messages longer than the
 * buffer are cut.
 *
 * src/gateway/log.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define GW_LOG_LINE_MAX 2048

/*
 * gw_log: print "autoplay-gateway: <message>\n" to standard error.  The
 * format must not end in a newline; one is added.
 */
void
gw_log(const char *fmt,...)
{
	char		line[GW_LOG_LINE_MAX];
	int			len;
	va_list		ap;

	/* The prefix, then the message, cut to fit with room for "\n" */
	len = snprintf(line, sizeof(line) - 1, "%s: ", GW_PROGNAME);
	va_start(ap, fmt);
	vsnprintf(line + len, sizeof(line) - 1 - len, fmt, ap);
	va_end(ap);

	/* One write per line keeps threads' lines apart */
	len = strlen(line);
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) < 0)
		return;					/* nowhere left to complain */
}

/*
 * gw_one_line: copy src to dst (of size bytes, always NUL-terminated) as
 * one line: each run of blanks, tabs and newlines becomes one space, and
 * leading and trailing white space is dropped.  libpq's messages end in a
 * newline and may hold an indented second line; a log line must not.  src
 * may be NULL.
 */
void
gw_one_line(char *dst, size_t size, const char *src)
{
	size_t		n = 0;

	if (size == 0)
		return;

	/* Copy, folding each run of white space into one space */
	for (; src != NULL && *src != '\0' && n + 1 < size; src++)
	{
		if (*src == ' ' || *src == '\t' || *src == '\n' || *src == '\r')
		{
			if (n > 0 && dst[n - 1] != ' ')
				dst[n++] = ' ';
			continue;
		}
		dst[n++] = *src;
	}

	/* No trailing blank */
	if (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}
