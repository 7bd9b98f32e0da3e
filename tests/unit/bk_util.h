/*
 * What the broker's unit tests share: a temp dir with a ctld.conf that
 * points at a fake Engine API (fake_engine.h), an audit file and a PAM
 * service of their own; a request run through action_run; the frames a
 * client received; the audit records written. Linked into every
 * tests/unit/test_bk_*.c; not a test itself.
 */
#ifndef BK_UTIL_H
#define BK_UTIL_H

#include <jansson.h>

#include "ctld.h"
#include "engine.h"
#include "fake_engine.h"
#include "relayd.h"

/* Containers the tests name. */
#define ID_WEB	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_OTHER "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_NEW	"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define IMG_ID	"sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"

struct bk {
	char			 dir[64];	/* the test's own, removed after */
	char			 conf[128];
	char			 audit[128];
	struct fake_engine	*fe;
	struct engine		 eng;
	struct relay_env	 relays;	/* uid: getuid(), not root */
	struct config		*cf;
	char			*keep[256];	/* the fake's strings, freed
						 * by bk_stop */
	size_t			 nkeep;
};

/*
 * A temp dir, a fake engine and a config: "docker", "audit", "listen"
 * and "pam" (service "ctltest" in dir/pam.d, pam_permit) are written by
 * bk_start, extra is appended (libconfig text, may be NULL).
 */
struct bk *bk_start(const char *extra);
void	 bk_stop(struct bk *);
/* s, freed by bk_stop: for fe_reply's strings. */
char	*bk_keep(struct bk *, char *s);
/* Writes dir/name (mode 0644); returns the path (static buffer). */
const char *bk_write(const char *dir, const char *name, const char *text);
/* The PAM service "ctltest" as this stack (one line per PAM type). */
void	 bk_pam(struct bk *, const char *stack);

/* A stopped container's State.ExitCode in bk_container's answers. */
#define BK_EXIT_CODE	3

/* inspect of NAME answered with this container (Name given apart). */
void	 bk_container(struct bk *, const char *name, const char *dockername,
	    const char *id, const char *owner, const char *group, int running,
	    int tty);

/* GET path answered 200 with these bytes (Content-Length), or, with
 * tick, these bytes then tick every tick_ms until fe_release. */
void	 bk_stream(struct bk *, const char *path, const void *bytes,
	    size_t len, const void *tick, size_t ticklen, int tick_ms);

/* A client's answer: the done frame, and stdout/stderr bytes. */
struct answer {
	json_t	*done;
	int	 exit;			/* done's "exit"; -1: no done */
	char	 error[512];		/* done's "error" */
	char	 out[65536];
	size_t	 outlen;
	char	 err[4096];
	size_t	 errlen;
	int	 frames;		/* all frames received */
	int	 welcome;
};
void	 answer_free(struct answer *);
/* Reads frames from fd until done or EOF. */
void	 bk_read(int fd, struct answer *);

/* done's "data" member key. */
json_t	*bk_data(const struct answer *, const char *key);
/* Decodes json as session.c would, runs action_run for who; answers
 * (what a held before is freed: it starts zeroed). */
int	 bk_run(struct bk *, const struct identity *, const char *json,
	    struct answer *);

/* Audit: how many lines, and line i (-1: the last) parsed. */
size_t	 bk_audit_count(struct bk *);
json_t	*bk_audit(struct bk *, long i);
/* Field key of the last audit line, "" if absent (static buffer). */
const char *bk_audit_str(struct bk *, const char *key);

/* Sends a frame of type with this text. */
void	 bk_send(int fd, int type, const char *text);

#endif
