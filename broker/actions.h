/* What the verb handlers share (actions.c, provision.c). */
#ifndef CTLD_ACTIONS_H
#define CTLD_ACTIONS_H

#include <jansson.h>

#include "ctld.h"
#include "engine.h"

struct outcome {
	int		 exit;
	char		 msg[320];
	json_t		*data;
};

struct target {
	char		 id[ID_LEN + 1];
	const char	*owner;
	const char	*group;
	int		 tty;
	json_t		*inspect;
};

struct ctx {
	const struct config	*cf;
	const struct engine	*eng;
	const struct identity	*who;
	const struct peer	*peer;
	const struct request	*req;
	int			 fd;
	struct target		 t;
	struct outcome		 out;
	struct audit_rec	*audit;
};

typedef void (*handler)(struct ctx *);

void	set_out(struct ctx *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	not_found(struct ctx *, const char *reason);
void	engine_failed(struct ctx *, const struct engine_reply *);
const char *label(json_t *labels, const char *key);
int	lookup_miss(const struct engine_reply *);
int	resolve(struct ctx *);
int	authorize(struct ctx *);

/* actions.c: a request, from resolution to the answer (session.c) */
int	action_run(const struct config *, const struct engine *,
	    const struct identity *, const struct peer *,
	    const struct request *, int fd, struct audit_rec *);

/* explain.c: ctld --explain (main.c) */
int	explain(const struct config *, const struct engine *, const char *user,
	    const char *verb, const char *name);

/* provision.c */
void	do_create(struct ctx *);
void	do_rm(struct ctx *);
void	do_provision(struct ctx *);
void	do_unprovision(struct ctx *);

#endif
