/*
 * engine.c: the typed Engine API client. The one file that formats an
 * Engine API path and the one that uses libcurl; everything else in the
 * broker calls dockerd through these functions on an engine handle.
 */
#ifndef CTLD_ENGINE_H
#define CTLD_ENGINE_H

#include <poll.h>
#include <stddef.h>
#include <time.h>
#include <jansson.h>

#define ENGINE_TIMEOUT	30L	/* seconds, for one call */
#define ENGINE_TIMEOUT_DEFAULT	2	/* seconds ls and lookups wait */
#define ENGINE_TIMEOUT_MAX	60

/*
 * One dockerd: on a Unix socket, or at tcp://HOST:PORT over mutual TLS
 * (the server checked against ca and the host name, ctld known by cert
 * and key). ctld.conf names them (engconf.c); the main process asks each
 * whether it is a Swarm manager (engine_warm), and a session keeps its
 * connections to each between calls (engine_keep_connections).
 */
#define ENGINE_NAME_MAX	64
#define ENGINE_PATH_MAX	512

/* A TLS file's bytes, as ctld.conf's checks read them (engconf.c). */
struct engine_pem {
	char	*data;		/* NULL: not read (a test's config) */
	size_t	 len;
};
enum { ENGINE_CA, ENGINE_CERT, ENGINE_KEY, ENGINE_PEMS };

struct engine {
	char	 name[ENGINE_NAME_MAX + 1];
	char	 socket[108];	/* Unix: an absolute path; "" for tcp */
	char	 addr[300];	/* tcp: "tcp://HOST:PORT" as configured */
	char	 url[300];	/* tcp: "https://HOST:PORT" */
	char	 ca[ENGINE_PATH_MAX];
	char	 cert[ENGINE_PATH_MAX];
	char	 key[ENGINE_PATH_MAX];
	struct engine_pem pem[ENGINE_PEMS];	/* their bytes, when read */
	char	 version[8];	/* pinned API version, "1.41" */
	char	 own_version[8];	/* the engine's own, from /_ping; ""
				   not known: a service's spec is read and
				   sent at it, lest an older version's
				   defaults strip newer fields */
	long	 timeout;	/* seconds ls and resolution wait for it */
	int	 swarm;		/* a Swarm manager: 1, 0, or -1 not known
				   (engine_warm_all asks /swarm) */
	int	 line;		/* in ctld.conf; 0: the default one */
};

struct engine_reply {
	long	 status;	/* HTTP status, 0 if no answer */
	json_t	*body;		/* parsed JSON or NULL */
	char	 error[512];	/* what went wrong, for the user */
};

enum engine_action { ENGINE_START, ENGINE_STOP, ENGINE_RESTART };

/* What `logs` asks for: dockerd's own query parameters. */
struct engine_logopts {
	int		 follow;
	int		 timestamps;
	long		 tail;		/* -1: all */
	int		 has_since, has_until;
	struct timespec	 since, until;
};

/* How a stream that engine_logs ran to its sink ended. */
enum engine_stream {
	ENGINE_STREAM_ENDED,	/* dockerd ended it: reply's status says how */
	ENGINE_STREAM_FAILED,	/* no stream, or a transport error: error */
	ENGINE_STREAM_CUT,	/* the sink refused bytes, or the client left */
};

/* Called with the stream's bytes, and with buf NULL before each wait. */
typedef int (*engine_sink)(void *ctx, const unsigned char *buf, size_t len);

int	engine_init(struct engine *, const char *socket, const char *version);
int	engine_init_tcp(struct engine *, const char *name, const char *addr,
	    const char *version, char *err, size_t errlen);
/* Where it is, for messages: the socket or the tcp:// address. */
const char *engine_where(const struct engine *);
/* Whether each engine is a Swarm manager, and its API version, asked
 * once, side by side; warn hears those that did not answer. */
void	engine_warm_all(struct engine *, size_t n,
	    void (*warn)(const struct engine *, const char *));
/* From now on this process (a session) keeps its connections. */
void	engine_keep_connections(void);
/* Closes those kept, before a long wait; calls after it connect anew. */
void	engine_release_connections(void);
int	engine_global_init(void);
void	engine_global_cleanup(void);

/*
 * Each call fills the reply and returns 0 when dockerd answered (any
 * status: the caller decides), or -1 with reply.error when it did not
 * or the answer was malformed. Calls that act on a container take its
 * full ID (id_valid) and refuse anything else; engine_inspect also
 * takes a name, which its caller must check against the answer's Name.
 */
int	engine_inspect(const struct engine *, const char *ref, long timeout,
	    struct engine_reply *);
int	engine_list(const struct engine *, const char *label,
	    const char *value, struct engine_reply *);
int	engine_action(const struct engine *, const char *id,
	    enum engine_action, long t, long timeout, struct engine_reply *);
/* Side by side on several engines, each within its own timeout. */
int	engine_inspect_each(const struct engine *const *engines, size_t n,
	    const char *ref, struct engine_reply *replies);
int	engine_list_each(const struct engine *const *engines,
	    const char *const *labels, const char *const *values,
	    const int *services, size_t n, int client_fd,
	    struct engine_reply *replies);
int	engine_stats(const struct engine *, const char *id,
	    struct engine_reply *);
int	engine_stats_many(const struct engine *const *engines,
	    const char *const *ids, size_t n, int client_fd,
	    struct engine_reply *replies);
int	engine_create(const struct engine *, const char *name, json_t *body,
	    struct engine_reply *);
int	engine_remove(const struct engine *, const char *id, int force,
	    struct engine_reply *);
int	engine_image(const struct engine *, const char *ref,
	    struct engine_reply *);
int	engine_volume(const struct engine *, const char *name,
	    struct engine_reply *);
void	engine_reply_free(struct engine_reply *);

/*
 * Swarm (a manager's; ls lists services through engine_list_each): one
 * service by name or full ID, its update (the body is dockerd's own Spec
 * with ctld's few changes, at the version read), its tasks, the nodes.
 */
int	engine_service(const struct engine *, const char *ref,
	    struct engine_reply *);
int	engine_service_each(const struct engine *const *engines, size_t n,
	    const char *ref, struct engine_reply *replies);
int	engine_service_update(const struct engine *, const char *id,
	    unsigned long long version, json_t *spec, struct engine_reply *);
int	engine_tasks(const struct engine *, const char *service_id,
	    struct engine_reply *);
int	engine_nodes(const struct engine *, struct engine_reply *);
/* A service's log stream (details=1: each line names its task), as
 * engine_logs runs a container's. */
enum engine_stream engine_service_logs(const struct engine *, const char *id,
	    const struct engine_logopts *, int client_fd, int pace_ms,
	    engine_sink, void *ctx, struct engine_reply *);

/* exec: create (body from exec.c), start as a hijacked stream, resize. */
struct hijack;
int	engine_exec_create(const struct engine *, const char *id,
	    json_t *body, struct engine_reply *);
int	engine_exec_start(const struct engine *, const char *exec_id,
	    int tty, struct hijack *);
int	engine_exec_resize(const struct engine *, const char *exec_id,
	    long rows, long cols, struct engine_reply *);
int	engine_exec_inspect(const struct engine *, const char *exec_id,
	    struct engine_reply *);

/* A container's log stream to sink, until it ends or client_fd leaves. */
enum engine_stream engine_logs(const struct engine *, const char *id,
	    const struct engine_logopts *, int client_fd, int pace_ms,
	    engine_sink, void *ctx, struct engine_reply *);

/*
 * A follow that its caller drives (the relay): it never blocks on its
 * own, waits together with the caller's descriptors, and can make
 * dockerd wait. The feed is given only a 200 answer's bytes.
 */
enum engine_take {
	ENGINE_TAKE_ALL,	/* every byte taken */
	ENGINE_TAKE_PAUSE,	/* none: offer them again after resume */
	ENGINE_TAKE_STOP,	/* none: end the stream */
};
typedef enum engine_take (*engine_feed)(void *ctx, const unsigned char *,
    size_t);
struct engine_follow;

struct engine_follow *engine_follow(const struct engine *, const char *id,
	    int timestamps, engine_feed, void *ctx);
int	engine_follow_step(struct engine_follow *);
int	engine_follow_wait(struct engine_follow *, struct pollfd *, size_t,
	    int ms);
void	engine_follow_resume(struct engine_follow *);
long	engine_follow_status(const struct engine_follow *);
int	engine_follow_ready(const struct engine_follow *);
const char *engine_follow_error(struct engine_follow *);
void	engine_follow_free(struct engine_follow *);

#endif
