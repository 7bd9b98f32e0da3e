/* Signals that end the command in progress. */
#ifndef CTL_SIG_H
#define CTL_SIG_H

#define EXIT_SIGNAL(sig)	(128 + (sig))	/* 130 for SIGINT */

/* Installs the handlers; interactive also ignores job-control stops. */
void	sig_init(int interactive);

/* SIGTERM or SIGHUP if one came (they stay), else SIGINT, else 0. */
int	sig_caught(void);

/* Forgets a SIGINT, before reading the next command. */
void	sig_clear(void);

/* Whether a SIGTERM or SIGHUP came: the shell must end. */
int	sig_fatal(void);

/* The connection a signal shuts down so that a blocked read returns. */
void	sig_watch(int fd);

/*
 * Waits until fd is readable (1) or timeout_ms passed (0; -1 waits
 * forever). A signal of ours, even one caught just before, ends the wait:
 * -1 with EINTR.
 */
int	sig_wait(int fd, int timeout_ms);

#endif
