/* pam_ctl: shared between the module's files; nothing here is exported. */
#ifndef PAM_CTL_H
#define PAM_CTL_H

#include <stddef.h>
#include <jansson.h>
#include <security/pam_modules.h>

#define CTL_SOCKET_DEFAULT	"/run/ctl/ctld.sock"
#define CTL_TIMEOUT_DEFAULT	10		/* seconds */
#define CTL_TIMEOUT_MAX		3600

/* Parsed once per call from the module arguments; lives on the stack. */
struct options {
	const char	*socket;	/* points into argv or a literal */
	int		 timeout_ms;
	int		 fail_closed;
	const char	*require_group;	/* NULL: no account check */
	int		 group_bad;	/* require_group= malformed: deny */
	int		 stop_on_logout;
	int		 debug;
	int		 broken;	/* an argument not understood: fail */
};

void	opts_parse(pam_handle_t *, int, const char **, struct options *);

/*
 * Runs one request ({"verb": verb, "user": user}) against the broker.
 * Returns 0 when the broker's done frame says exit 0, with *data set to
 * its "data" (a new reference, or NULL); otherwise -1 with the reason,
 * fit for syslog, in why.
 */
int	ctl_call(pam_handle_t *, const struct options *, const char *verb,
	    const char *user, json_t **data, char *why, size_t whylen);

/* Copies src for a log line: control bytes and non-ASCII become '?'. */
void	log_clean(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif
