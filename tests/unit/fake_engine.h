/*
 * A fake Docker Engine API for the broker's unit tests: HTTP/1.1 over a
 * Unix socket of its own, served by threads of the test process, each
 * request answered from a table of canned replies and logged, so that
 * the real engine client, resolver and verbs run without root or dockerd.
 */
#ifndef FAKE_ENGINE_H
#define FAKE_ENGINE_H

#include <stddef.h>

struct fe_reply {
	const char	*method;	/* "GET", "POST", ...; NULL: any */
	const char	*path;		/* fnmatch(3) pattern, query excluded */
	int		 status;	/* HTTP status */
	const char	*body;		/* NULL: empty */
	const char	*ctype;		/* NULL: application/json */
	const void	*raw;		/* if set: these bytes, then close */
	size_t		 rawlen;
	int		 delay_ms;	/* before answering */
	int		 times;		/* answers this many, then skipped;
					   0: forever */
	const void	*tick;		/* with raw: then these bytes every
					   tick_ms until fe_release */
	size_t		 ticklen;
	int		 tick_ms;
};

struct fake_engine;

struct fake_engine *fe_start(void);
void	 fe_stop(struct fake_engine *);
const char *fe_socket(const struct fake_engine *);

/* Appends a reply; earlier ones match first. */
void	 fe_add(struct fake_engine *, const struct fe_reply *);
void	 fe_json(struct fake_engine *, const char *method, const char *path,
	    int status, const char *body);
/* Ends every ticking answer (their connections close). */
void	 fe_release(struct fake_engine *);
/* Forgets every reply and the request log; ticking answers end. */
void	 fe_reset(struct fake_engine *);

/* Requests received so far: "METHOD /path?query", and their bodies. */
size_t	 fe_count(struct fake_engine *);
const char *fe_request(struct fake_engine *, size_t);
const char *fe_body(struct fake_engine *, size_t);
/* How many requests began with prefix ("POST /v1.41/containers/"). */
size_t	 fe_count_prefix(struct fake_engine *, const char *prefix);

/* A dockerd multiplexed-stream frame (stream 1 stdout, 2 stderr). */
size_t	 fe_frame(unsigned char *dst, int stream, const char *data);

#endif
