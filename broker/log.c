/* Daemon messages: stderr in the foreground (-d), syslog otherwise. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "ctld.h"

int log_stderr;

void
logmsg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (log_stderr) {
		fprintf(stderr, "ctld: ");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else
		vsyslog(LOG_DAEMON | prio, fmt, ap);
	va_end(ap);
}
