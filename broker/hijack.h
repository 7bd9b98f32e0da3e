/* hijack.c: an Engine API connection taken over for a raw stream. */
#ifndef CTLD_HIJACK_H
#define CTLD_HIJACK_H

#include <sys/types.h>
#include <stddef.h>

#define HIJACK_AGAIN	(-2)	/* hijack_read: nothing to read now */

struct hijack {
	void		*easy;		/* CURL *, connect-only */
	int		 fd;		/* to poll; curl's, never closed here */
	long		 status;	/* dockerd's HTTP status */
	unsigned char	 pre[8192];	/* stream bytes read with the header */
	size_t		 prelen, preoff;
	int		 more;		/* the last read filled its buffer */
	char		 error[256];
};

/*
 * POSTs body to path over easy (a connect-only CURL * that engine.c set
 * up for the engine at where, and that is the hijack's from now on) and
 * reads the upgrade; 0, or -1 + error.
 */
int	hijack_open(struct hijack *, void *easy, const char *where,
	    const char *path, const char *body, long timeout_ms);
/* >0 bytes, 0 at the end of the stream, HIJACK_AGAIN, or -1 + error. */
ssize_t	hijack_read(struct hijack *, void *buf, size_t len);
/* Whether bytes may wait that poll would not show: read with the
 * header, or left in the TLS layer. */
int	hijack_pending(const struct hijack *);
/* Bytes taken (0: none now), or -1 + error. */
ssize_t	hijack_write(struct hijack *, const void *buf, size_t len);
int	hijack_close_write(struct hijack *);
void	hijack_close(struct hijack *);

#endif
