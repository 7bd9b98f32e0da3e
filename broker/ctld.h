/*
 * ctld: the ctl broker. The types every part shares, and the small
 * modules' calls; larger modules have a header of their own (engine.h,
 * actions.h, relay.h, stream.h, template.h, ...).
 */
#ifndef CTLD_H
#define CTLD_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "names.h"
#include "proto.h"
#include "verbs.h"
#include "failures.h"

struct engine;

#define CONFIG_DEFAULT	"/etc/ctl/ctld.conf"

struct rule {
	char		**users;	/* NULL-terminated; "*" matches all */
	char		**groups;	/* NULL-terminated */
	char		**containers;	/* NULL-terminated fnmatch patterns */
	char		**engines;	/* patterns; NULL: on every engine */
	unsigned	  verbs;	/* VERB_BIT mask */
	int		  deny;
	int		  line;
};

struct template {
	char		*name;		/* what `ctl create NAME` says */
	char		*container;	/* name pattern: %u is the user */
	char		*image;		/* must match images.trusted */
	char		*engine;	/* NULL: the first engine */
	char		**cmd;		/* NULL: the image's */
	char		**env;
	char		*workdir;
	char		*user;		/* "uid:gid"; default 65534:65534 */
	int		 run_as_root;
	int		 no_network;	/* network = false: none at all */
	long long	 memory;	/* bytes; 0: no limit */
	long long	 nano_cpus;	/* 0: no limit */
	long long	 pids;		/* always set: default 512 */
	char		*volume;	/* named volume pattern, %u; or NULL */
	char		*volume_path;
	char		*restart;	/* no, on-failure, unless-stopped, always */
	char		**caps;		/* added after dropping ALL */
	char		**users;	/* who may `ctl create` it */
	char		**groups;
	int		 max;		/* containers of it per user; 0: any */
	int		 line;
};

struct provision {
	char		*group;
	char		**templates;
	int		 start;
	int		 line;
};

struct config {
	char		*path;
	char		*listen_path;
	mode_t		 listen_mode;
	char		*docker_socket;
	int		 docker_socket_set;
	struct engine	*engines;		/* engconf.c; never empty */
	size_t		 nengines;
	char		*api_version;
	char		*pam_service;
	char		*audit_file;
	int		 audit_syslog;
	char		*audit_sessions;	/* exec -t recordings; NULL */
	int		 audit_sessions_input;
	int		 audit_sessions_max;	/* bytes per recording */
	char		*owner_label;
	char		*group_label;
	unsigned	 owner_verbs;
	struct rule	*rules;
	size_t		 nrules;
	int		 log_level;		/* syslog priority */
	int		 client_timeout;	/* seconds to wait for a frame */
	int		 max_clients;
	int		 max_per_user;
	int		 containers_per_user;	/* from templates; 0: any */
	int		 miss_quantum_ms;	/* "no such container" timing */
	int		 exec_per_user;		/* exec sessions at once */
	int		 swarm_max_replicas;	/* scale's ceiling */
	int		 exec_idle;		/* seconds silent; 0: never */
	int		 idle_timeout;		/* told to the shell */
	int		 warnings;		/* refusals before ctl logs out */
	unsigned	 reauth_verbs;		/* VERB_BIT mask */
	char		**exec_bind_allow;	/* resolved host paths; NULL */
	char		**exec_runtimes;	/* besides runc; NULL */
	int		 exec_allow_root;
	int		 exec_line;		/* of bind_allow, for errors */
	int		 reauth_timeout_ms;	/* ticket lifetime */
	int		 reauth_tries;
	int		 fail_delay_ms;		/* after a wrong password */
	int		 pam_timeout_ms;	/* for one PAM call */
	struct failure_limits	 failures;	/* across connections */
	char		*ticket_dir;
	char		**trusted;		/* image allowlist */
	struct template	*templates;
	size_t		 ntemplates;
	struct provision *provisions;
	size_t		 nprovisions;
};

struct identity {
	uid_t		 uid;
	gid_t		 gid;
	pid_t		 pid;
	char		*user;
	char		**groups;	/* NULL-terminated names */
};

struct decision {
	int		 allow;
	int		 visible;	/* the caller may use it at all */
	char		 reason[160];
	const char	*hint;		/* why not, for a caller who sees it */
};

/* The client process, from /proc. */
struct peer {
	pid_t			pid;
	pid_t			sid;		/* login session id, 0: none */
	unsigned long long	sid_start;	/* the leader's start time */
	char			tty[64];	/* "" when none */
	char			rhost[64];	/* "" when not over SSH */
};

/*
 * config.c. check_owner: the checks of a real deployment besides the
 * syntax (the file is root's; the PAM service file exists).
 */
struct config	*config_load(const char *path, int check_owner, char *err,
		    size_t errlen);
void		 config_free(struct config *);
/* The engine of that name, or NULL (engconf.c). */
const struct engine *config_engine(const struct config *, const char *name);
extern const char *conf_pam_dir;

/* policy.c */
void	policy_decide(const struct config *, const struct identity *,
	    enum verb_id, const char *engine, const char *name,
	    const char *owner, const char *group, struct decision *);
int	policy_engine_usable(const struct config *, const struct identity *,
	    const char *engine);
int	policy_names(const struct identity *, char *const *users,
	    char *const *groups);
int	policy_rules_grant(const struct config *, const struct identity *);
unsigned policy_usable(const struct config *, const struct identity *);
unsigned policy_allowed(const struct config *, const struct identity *,
	    const char *engine, const char *name, const char *owner,
	    const char *group);
void	policy_decide_create(const struct config *, const struct identity *,
	    const struct template *, const char *name, struct decision *);

/* identity.c */
int	identity_from_uid(uid_t, gid_t, pid_t, struct identity *, char *err,
	    size_t errlen);
void	identity_free(struct identity *);

/* peer.c */
int	peer_lookup(pid_t, uid_t, struct peer *);
int	peer_uid_is(int fd, uid_t);
int	peer_start_time(pid_t, unsigned long long *);

/* ticket.c: sudo-style re-authentication tickets */
int	ticket_valid(const struct config *, uid_t, const struct peer *);
int	ticket_write(const struct config *, uid_t, const struct peer *);
int	ticket_forget(const struct config *, uid_t, const struct peer *);

/* auth.c */
extern const char *auth_pam_confdir;
void	auth_preload(const struct config *);
int	auth_account(const struct config *, const struct identity *,
	    const struct peer *, int fd, char *err, size_t errlen);
/*
 * Around each pam_authenticate: before() may refuse the attempt (-1, the
 * reason in err); after() hears its outcome.
 */
struct auth_hooks {
	int	(*before)(void *ctx, int attempt, char *err, size_t errlen);
	void	(*after)(void *ctx, int attempt, enum try_result,
		    const char *why);
};
int	auth_verify(const struct config *, const struct identity *,
	    const struct peer *, int fd, const struct auth_hooks *, void *ctx,
	    char *err, size_t errlen);

/* audit.c */
struct audit_rec {
	const struct identity	*who;
	const char		*verb;
	const char		*of;		/* can's VERB */
	char			 name[129];
	const char		*engine;	/* the target's; NULL: none */
	char			 id[ID_LEN + 1];
	int			 allow;
	char			 reason[200];
	int			 exit;
	const char		*result;
	const char		*via;		/* "relay": a shared follow */
	const char		*kind;		/* "service": the target is one */
	json_t			*unreachable;	/* ls: [{engine, error}] that
						 * did not answer (caller frees) */
	json_t			*argv;		/* exec's command (action_run's) */
	int			 exit_code;	/* exec's, when has_exit_code */
	int			 has_exit_code;
	const char		*recording;	/* exec -t's session file */
	struct timespec		 start;
	int			 quiet;		/* not written: see reauth.c */
	int			 kept;		/* the keeper writes it: keeper.c */
	int			 error;		/* no decision: dockerd failed */
};
int	auditlog_open(const struct config *, char *err, size_t errlen);
void	auditlog_refresh(int always);
int	auditlog_write(const struct config *, const struct audit_rec *);
ssize_t	auditlog_render(const struct audit_rec *, char *, size_t);
int	auditlog_ready(char *why, size_t whylen);
int	auditlog_raw(const char *, size_t);

/* reauth.c */
int	reauth(const struct config *, const struct identity *,
	    const struct peer *, int fd, int can_prompt, struct audit_rec *,
	    char *msg, size_t msglen);

/* session.c */
void	session_run(const struct config *, int fd, uid_t, gid_t, pid_t);

/* listen.c */
int	listen_open(const struct config *, char *err, size_t errlen);
int	listen_activated(const struct config *, char *err, size_t errlen);

/* log.c */
extern int log_stderr;
extern int log_level;		/* syslog priority: the least that is logged */
#define LOG_RECENT	16	/* errors and warnings ctld status shows */
struct log_line {
	time_t	 when;
	int	 prio;
	pid_t	 pid;
	char	 text[240];
};
int	log_init_shared(void);
size_t	log_recent(struct log_line *, size_t max);
int	log_level_parse(const char *);
const char *log_level_name(int prio);
void	logmsg(int prio, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
