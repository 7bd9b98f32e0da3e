/* The client side of the ctl protocol: one connection per command. */
#ifndef CTL_CLIENT_H
#define CTL_CLIENT_H

#include <jansson.h>

#include "names.h"
#include "verbs.h"

#define CTL_SOCKET_PATH		"/run/ctl/ctld.sock"
#define IDLE_TIMEOUT_DEFAULT	900		/* when welcome has none */
#define WARNINGS_DEFAULT	5		/* refused commands per session */

#define CLIENT_QUIET	0x01	/* completion: print nothing, no prompts */
#define CLIENT_RAW	0x02	/* output to a terminal is not filtered */
#define CLIENT_NOPROMPT	0x04	/* tell the broker no prompt can be answered */
#define CLIENT_PARTIAL	0x08	/* a failing done's data is kept too, and
				   its error waits for client_say_error() */

struct welcome {
	char	user[64];		/* made safe for the terminal */
	char	host[256];
	long	idle_timeout;		/* seconds; 0: none */
	int	warnings;		/* refused commands allowed; 0: any */
	unsigned usable;		/* VERB_BIT: verbs usable on something */
	int	has_usable;		/* the broker said which (else: all) */
};

/* The engines a welcome lists, in its order. */
struct engines {
	size_t	n;
	char	name[ENGINES_MAX][ENGINE_MAX_LEN + 1];
};

/* The last welcome's engines; n is 0 when it listed none (one engine). */
const struct engines *client_engines(void);

/* Says on stderr the error a CLIENT_PARTIAL request held back, if any. */
void	client_say_error(void);

/* The broker's socket (copied); NULL or "" keeps CTL_SOCKET_PATH. */
void	client_set_socket(const char *path);

/*
 * Who shows the sample frames (stats rounds) of the next requests, until
 * set again (NULL: such a frame ends the command as malformed). fn
 * returns 0, or -1 if the sample is malformed.
 */
typedef int (*client_sample)(void *arg, json_t *sample);
void	client_on_sample(client_sample fn, void *arg);

/* Password prompts are answered from stdin, not /dev/tty (sudo -S). */
void	client_answer_from_stdin(void);

/* How many prompts were answered with a password so far. */
unsigned	client_prompted(void);

/*
 * Connects and says hello only. Returns an exit code (5: unreachable);
 * with CLIENT_QUIET, prints nothing.
 */
int	client_hello(struct welcome *w, int flags);

/*
 * Sends one request and relays the broker's output and prompts until
 * its done frame. Returns the exit code: done's, 5 if the broker cannot
 * be reached, 128 + signal if interrupted. On 0, *data (if data is not
 * NULL) holds done.data or NULL; the caller releases it. With
 * CLIENT_PARTIAL a failing done's data is kept as well (ls: the rows of
 * the engines that answered).
 */
int	client_run(json_t *req, int flags, json_t **data);

#endif
