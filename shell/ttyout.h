/* Container output to a terminal, with terminal attacks taken out. */
#ifndef CTL_TTYOUT_H
#define CTL_TTYOUT_H

#include <stddef.h>

#define TTYOUT_SEQ_MAX	64	/* bytes of a CSI sequence kept at most */
#define TTYOUT_STR_MAX	4096	/* bytes of an unterminated string dropped */
#define TTYOUT_SLACK	(TTYOUT_SEQ_MAX + 2)	/* out may exceed in by this */

struct ttyout {
	int		state;
	int		cont;		/* UTF-8 continuation bytes expected */
	int		c2;		/* a 0xc2 lead held back */
	size_t		n;		/* bytes in seq, or dropped so far */
	unsigned char	seq[TTYOUT_SEQ_MAX];
};

void	ttyout_init(struct ttyout *);

/*
 * Filters len bytes into out, which must hold len + TTYOUT_SLACK bytes;
 * returns how many bytes out holds. State carries over, so a sequence
 * may be split anywhere between calls.
 */
size_t	ttyout_filter(struct ttyout *, const unsigned char *in, size_t len,
	    unsigned char *out);

#endif
