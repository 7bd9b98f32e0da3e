/*
 * What the verb handlers share: the request's context, the answer they
 * set (outcome.c), and each handler file's verbs, for actions.c's table.
 */
#ifndef CTLD_HANDLERS_H
#define CTLD_HANDLERS_H

#include <jansson.h>

#include "ctld.h"
#include "engine.h"
#include "relayd.h"
#include "resolve.h"

struct outcome {
	int		 exit;		/* -1: nobody to answer */
	char		 msg[640];
	json_t		*data;
};

struct ctx {
	const struct config	*cf;
	const struct engine	*eng;
	const struct relay_env	*relays;
	const struct identity	*who;
	const struct peer	*peer;
	const struct request	*req;
	int			 fd;
	struct target		 t;	/* for verbs that name a container */
	struct outcome		 out;
	struct audit_rec	*audit;
};

typedef void (*handler)(struct ctx *);

/*
 * actions.c, for a handler that decides several names itself: one name
 * resolved and decided as a request naming it alone (0: allowed, x->t
 * set; else x->out says no), its "no such container" delayed as alone,
 * and re-authentication (0: passed).
 */
int	action_name(struct ctx *);
void	answer_in_step(const struct config *, const struct timespec *t0);
int	reauth_needed(struct ctx *);

/* outcome.c */
void	set_out(struct ctx *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	not_found(struct ctx *, const char *reason);
void	engine_failed(struct ctx *, const char *error);
json_t	*outcome_json(const struct outcome *);

/* control.c */
void	do_status(struct ctx *);
void	do_start(struct ctx *);
void	do_stop(struct ctx *);
void	do_restart(struct ctx *);

/* daemon.c */
void	daemon_started(void);	/* main process, at start */
void	do_daemon_status(struct ctx *);

/* stats.c */
void	do_stats(struct ctx *);

/* list.c: an entry for a visible container c, from e's list */
typedef json_t *(*list_entry)(struct ctx *, const struct engine *e,
    json_t *c, const char *name, const char *owner, const char *group);
json_t	*list_visible(struct ctx *, list_entry, int services,
	    json_t **down);
void	do_ls(struct ctx *);

/* can.c */
void	do_can(struct ctx *);

/* imagename.c: the image's name (labels first), NULL for only an ID */
json_t	*image_name(json_t *labels, json_t *image);

/* inspect.c; docker_time: dockerd's time in UTC, NULL for its zero time */
json_t	*docker_time(json_t *);
void	do_inspect(struct ctx *);

/* exec.c; exec_argv: the request's command as JSON, for its records */
json_t	*exec_argv(const struct request *);
void	do_exec(struct ctx *);
/* Whether the target is contained: 0, or -1 with x->out (no: a prefix). */
int	exec_contained(struct ctx *, const char *no);

/* logs.c */
void	do_logs(struct ctx *);

/* provision.c */
int	made_count(const struct config *, const char *user, int *all,
	    json_t **per, char *err, size_t errlen);
void	do_create(struct ctx *);
int	rm_precheck(struct ctx *);
void	do_rm(struct ctx *);
void	do_provision(struct ctx *);
void	do_unprovision(struct ctx *);

#endif
