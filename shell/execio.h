/* execio.c: stdin, window size and raw mode of an exec session. */
#ifndef CTL_EXECIO_H
#define CTL_EXECIO_H

#include <signal.h>
#include <stddef.h>
#include <termios.h>
#include <jansson.h>

#include "proto.h"

#define EXECIO_IN_MAX	16384		/* stdin bytes per frame */

struct execio {
	int		 interactive, tty;
	int		 started;
	int		 raw;		/* the terminal is in raw mode */
	struct termios	 saved;
	int		 winch_set;
	struct sigaction saved_winch;
	int		 in_eof;	/* stdin ended; its empty frame queued */
	unsigned char	 out[PROTO_HDR_LEN + EXECIO_IN_MAX + 64];
	size_t		 outlen, outoff;	/* a frame not yet sent whole */
};

/* Why an exec request cannot run here (-it without a terminal), or NULL. */
const char *execio_check(json_t *req);

/* An exec -t request gets the terminal's size ("rows", "cols"). */
int	execio_request(json_t *req);

void	execio_init(struct execio *, json_t *req);
/* At started: raw mode for -it on a terminal, SIGWINCH watched. */
int	execio_start(struct execio *);
/*
 * Sends stdin and window changes until a frame from the broker can be
 * read (at once when buffered says one waits). 0, or -1: the session
 * is lost (a signal, or the connection).
 */
int	execio_pump(struct execio *, int sock, int buffered);
void	execio_end(struct execio *);

#endif
