/*
 * The Engine API client: typed calls, over libcurl, on an engine handle.
 *
 * Invariants:
 * 1. Every Engine API path is printed here and nowhere else, from the
 *    handle's pinned API version (a service's: the engine's own, see
 *    7), fixed words, numbers, container names or IDs checked here
 *    again (name_valid, id_valid, swarm_id_valid), and image references
 *    from ctld.conf; a path with a byte outside a safe set is refused
 *    before curl sees it.
 * 2. Calls that act on a container (action, stats, remove, logs, follow)
 *    take its full 64-hex ID only, never a name or a prefix; calls that
 *    act on a service, its full Swarm ID.
 * 3. Only http over the handle's Unix socket, or https to its tcp://
 *    address with the server's certificate checked against the
 *    engine's own CA file alone (never the system's) and its host name,
 *    and ctld's client certificate: no redirects, no proxy from the
 *    environment, no other protocol.
 * 4. Answers are read up to a fixed size; a larger one is an error.
 * 5. A stream stops at once when the client leaves: the client's socket
 *    is polled with curl's, and the transfer is removed and cleaned up;
 *    so do the stats samples a round asks for side by side.
 * 6. start, stop and restart send no body; create sends the body its
 *    caller built (template.c), an exec's create the body exec.c built,
 *    a service's update dockerd's own spec with service.c's few
 *    changes, and nothing else sends one.
 * 7. A service is read and updated at the engine's own API version
 *    (asked once, /version): at an older one dockerd would drop the
 *    spec's newer fields (seccomp, AppArmor, no-new-privileges) from
 *    what it reads, and an update would then remove them. Not known:
 *    no update is sent.
 * 8. Connections are kept per engine by the session that made them
 *    and by no other process; a hijacked stream has its own.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "clientfd.h"
#include "engine.h"
#include "health.h"
#include "hijack.h"
#include "names.h"

#define BODY_MAX	(64u << 20)
#define PATH_MAX_LEN	1024

struct body {
	char	*buf;
	size_t	 len;
	int	 over;
};

struct streamctx {
	CURL		*easy;
	long		 status;
	struct body	 err;
	engine_sink	 sink;
	void		*ctx;
	int		 sink_failed;
};

struct engine_follow {
	CURL		*easy;
	CURLM		*multi;
	long		 status;	/* 200 until dockerd says otherwise */
	int		 ready;		/* dockerd said 200: the stream is on */
	engine_feed	 feed;
	void		*ctx;
	char		 errbuf[CURL_ERROR_SIZE];
};

static const char *const action_names[] = {
	[ENGINE_START] = "start",
	[ENGINE_STOP] = "stop",
	[ENGINE_RESTART] = "restart",
};

int
engine_init(struct engine *e, const char *socket, const char *version)
{
	memset(e, 0, sizeof(*e));
	if (socket[0] != '/' || strlen(socket) >= sizeof(e->socket) ||
	    strlen(version) >= sizeof(e->version))
		return -1;
	memcpy(e->name, "local", sizeof("local"));
	memcpy(e->socket, socket, strlen(socket) + 1);
	memcpy(e->version, version, strlen(version) + 1);
	e->timeout = ENGINE_TIMEOUT_DEFAULT;
	e->swarm = -1;
	return 0;
}

/* HOST is a DNS name or IPv4 address, or an IPv6 one in brackets. */
static int
host_valid(const char *h, size_t len)
{
	if (len == 0 || len > 253)
		return 0;
	if (h[0] == '[')
		return len > 2 && h[len - 1] == ']' &&
		    strspn(h + 1, "0123456789abcdefABCDEF:.") == len - 2;
	return h[0] != '-' && h[0] != '.' &&
	    strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-") == len;
}

/* "tcp://HOST:PORT", PORT 1..65535: the https URL curl is given. */
int
engine_init_tcp(struct engine *e, const char *name, const char *addr,
    const char *version, char *err, size_t errlen)
{
	const char *hp, *colon;
	unsigned long port;

	memset(e, 0, sizeof(*e));
	if (strncmp(addr, "tcp://", 6) != 0) {
		snprintf(err, errlen, "must be tcp://HOST:PORT");
		return -1;
	}
	hp = addr + 6;
	colon = strrchr(hp, ':');
	if (colon == NULL || !host_valid(hp, (size_t)(colon - hp))) {
		snprintf(err, errlen, "must be tcp://HOST:PORT (a host name, "
		    "an IPv4 address or [IPv6])");
		return -1;
	}
	if (uint_parse(colon + 1, 65535, &port) == -1 || port < 1) {
		snprintf(err, errlen, "must be tcp://HOST:PORT, PORT 1..65535");
		return -1;
	}
	if (strlen(name) >= sizeof(e->name) || strlen(addr) >= sizeof(e->addr) ||
	    strlen(version) >= sizeof(e->version)) {
		snprintf(err, errlen, "too long");
		return -1;
	}
	memcpy(e->name, name, strlen(name) + 1);
	memcpy(e->addr, addr, strlen(addr) + 1);
	snprintf(e->url, sizeof(e->url), "https://%s", hp);
	memcpy(e->version, version, strlen(version) + 1);
	e->timeout = ENGINE_TIMEOUT_DEFAULT;
	e->swarm = -1;
	return 0;
}

const char *
engine_where(const struct engine *e)
{
	return e->url[0] ? e->addr : e->socket;
}

int
engine_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == 0 ? 0 : -1;
}

void
engine_global_cleanup(void)
{
	curl_global_cleanup();
}

static int
path_safe(const char *path)
{
	return path[0] == '/' && strlen(path) < PATH_MAX_LEN &&
	    strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789/._-?=&%:@") == strlen(path);
}

/* "/vVERSION" then fmt: -1 when it does not fit. */
static int __attribute__((format(printf, 4, 0)))
vpath_print(char *path, size_t len, const char *version, const char *fmt,
    va_list ap)
{
	int n, m;

	n = snprintf(path, len, "/v%s", version);
	if (n < 0 || (size_t)n >= len)
		return -1;
	m = vsnprintf(path + n, len - (size_t)n, fmt, ap);
	return m < 0 || (size_t)m >= len - (size_t)n ? -1 : 0;
}

/* At the handle's pinned version. */
static int __attribute__((format(printf, 4, 5)))
path_print(char *path, size_t len, const struct engine *e, const char *fmt,
    ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vpath_print(path, len, e->version, fmt, ap);
	va_end(ap);
	return rc;
}

/* At the engine's own version (invariant 7): -1 when not known. */
static int __attribute__((format(printf, 4, 5)))
own_path_print(char *path, size_t len, const struct engine *e,
    const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (e->own_version[0] == '\0')
		return -1;
	va_start(ap, fmt);
	rc = vpath_print(path, len, e->own_version, fmt, ap);
	va_end(ap);
	return rc;
}

static int
refuse(struct engine_reply *r, const char *what)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->error, sizeof(r->error), "internal error (%s)", what);
	return -1;
}

static size_t
body_write(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = size * n;
	char *nb;

	if (b->len + len > BODY_MAX) {
		b->over = 1;
		return 0;
	}
	if ((nb = realloc(b->buf, b->len + len + 1)) == NULL)
		return 0;
	b->buf = nb;
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return len;
}

/* The file's bytes as ctld.conf's checks read them, else its path. */
static int
pem_option(CURL *c, const struct engine_pem *pem, CURLoption blob,
    CURLoption file, const char *path)
{
	struct curl_blob b;

	if (pem->data == NULL)
		return curl_easy_setopt(c, file, path) == CURLE_OK ? 0 : -1;
	b.data = pem->data;
	b.len = pem->len;
	b.flags = CURL_BLOB_NOCOPY;
	return curl_easy_setopt(c, blob, &b) == CURLE_OK ? 0 : -1;
}

/* https to a tcp engine: its CA alone, its host name, ctld's cert. */
static int
tls_options(const struct engine *e, CURL *c)
{
	/* CAINFO and CAPATH cleared first: never the system's CAs */
	return curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") !=
	    CURLE_OK || curl_easy_setopt(c, CURLOPT_CAINFO, NULL) !=
	    CURLE_OK || curl_easy_setopt(c, CURLOPT_CAPATH, NULL) !=
	    CURLE_OK || pem_option(c, &e->pem[ENGINE_CA],
	    CURLOPT_CAINFO_BLOB, CURLOPT_CAINFO, e->ca) == -1 ||
	    pem_option(c, &e->pem[ENGINE_CERT], CURLOPT_SSLCERT_BLOB,
	    CURLOPT_SSLCERT, e->cert) == -1 || pem_option(c,
	    &e->pem[ENGINE_KEY], CURLOPT_SSLKEY_BLOB, CURLOPT_SSLKEY,
	    e->key) == -1 || curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) !=
	    CURLE_OK || curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) !=
	    CURLE_OK || curl_easy_setopt(c, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ? -1 : 0;
}

static int
unix_options(const struct engine *e, CURL *c)
{
	return curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, e->socket) !=
	    CURLE_OK || curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http") !=
	    CURLE_OK ? -1 : 0;
}

/* "1.41": digits, a dot, digits, as a path may hold it. */
static int
api_version_ok(const char *v)
{
	size_t n;

	if (v == NULL || (n = strspn(v, "0123456789")) == 0 || v[n] != '.' ||
	    strspn(v + n + 1, "0123456789") == 0 ||
	    v[n + 1 + strspn(v + n + 1, "0123456789")] != '\0')
		return 0;
	return strlen(v) < sizeof(((struct engine *)0)->own_version);
}

/*
 * A session asks one engine several things (a name's lookup, then the
 * verb; ls's label queries; exec's calls), and over TLS each new
 * connection costs a handshake and, in a freshly forked process, a new
 * SSL_CTX: a session keeps its connections, per engine, between calls.
 * Never across processes: a fork (a relay) leaves them to the parent
 * and keeps none of its own, and the main process keeps none.
 */
#define KEPT_ENGINES	64

static int	 keep;		/* this process keeps connections */
static pid_t	 keep_pid;
static struct {
	const struct engine	*e;
	CURLSH			*sh;
} kept[KEPT_ENGINES];

void
engine_keep_connections(void)
{
	keep = 1;
	keep_pid = getpid();
}

/*
 * Before a long wait (a follow lent to its relay): the connections
 * kept are closed, so that a thousand waiting sessions hold none open
 * to dockerd. Calls after it connect anew.
 */
void
engine_release_connections(void)
{
	size_t i;

	if (!keep || keep_pid != getpid())
		return;
	for (i = 0; i < KEPT_ENGINES && kept[i].e != NULL; i++) {
		curl_share_cleanup(kept[i].sh);
		kept[i].e = NULL;
		kept[i].sh = NULL;
	}
}

static CURLSH *
kept_share(const struct engine *e)
{
	CURLSH *sh;
	size_t i;

	if (!keep || keep_pid != getpid()) {
		keep = 0;	/* a child: the table is the parent's */
		return NULL;
	}
	for (i = 0; i < KEPT_ENGINES && kept[i].e != NULL; i++)
		if (kept[i].e == e)
			return kept[i].sh;
	if (i == KEPT_ENGINES || (sh = curl_share_init()) == NULL)
		return NULL;
	if (curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) !=
	    CURLSHE_OK || curl_share_setopt(sh, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
		curl_share_cleanup(sh);
		return NULL;
	}
	kept[i].e = e;
	kept[i].sh = sh;
	return sh;
}

/* A handle for path on the engine; own: a connection of its own (a
 * hijack's, which is never given back). */
static CURL *
easy_for(const struct engine *e, const char *path, char *errbuf, int own)
{
	char url[PATH_MAX_LEN + 320];
	CURLSH *sh = own ? NULL : kept_share(e);
	CURL *c;

	if (!path_safe(path))
		return NULL;
	snprintf(url, sizeof(url), "%s%s", e->url[0] ? e->url :
	    "http://localhost", path);
	if ((c = curl_easy_init()) == NULL)
		return NULL;
	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    (e->url[0] ? tls_options(e, c) : unix_options(e, c)) == -1 ||
	    (sh != NULL && curl_easy_setopt(c, CURLOPT_SHARE, sh) !=
	    CURLE_OK) ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROXY, "") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK) {
		curl_easy_cleanup(c);
		return NULL;
	}
	errbuf[0] = '\0';
	return c;
}

static CURL *
easy(const struct engine *e, const char *path, char *errbuf)
{
	return easy_for(e, path, errbuf, 0);
}

typedef int (*path_fn)(const struct engine *e, size_t i, const void *arg,
    char *path, size_t len);

/* What /_ping's headers say: the engine's API version. */
struct ping {
	char	api[sizeof(((struct engine *)0)->own_version)];
};

static int get_each_with(const struct engine *const *, size_t, path_fn,
    const void *, long, int, struct engine_reply *, struct ping *);
static int get_each(const struct engine *const *, size_t, path_fn,
    const void *, long, int, struct engine_reply *);

static int
fixed_path(const struct engine *e, size_t i, const void *arg, char *path,
    size_t len)
{
	return path_print(path, len, e, "%s", (const char *)arg);
}

/*
 * One engine's /_ping and /swarm answers, taken: 0, or -1 with err.
 * /swarm answers a manager only; anyone else hears 503.
 */
static int
warm_one(struct engine *e, const struct engine_reply *r,
    const struct ping *pg, const struct engine_reply *sw, char *err,
    size_t errlen)
{
	e->swarm = sw->status == 200 ? 1 : sw->status == 503 ? 0 : -1;
	e->own_version[0] = '\0';
	if (r->status != 200) {
		snprintf(err, errlen, "%s", r->error[0] ? r->error :
		    "no answer to /_ping");
		return -1;
	}
	if (e->swarm == -1) {
		snprintf(err, errlen, "%s", sw->error[0] ? sw->error :
		    "no answer to /swarm");
		return -1;
	}
	if (!api_version_ok(pg->api)) {
		snprintf(err, errlen, "no API version in /_ping's headers");
		return -1;
	}
	snprintf(e->own_version, sizeof(e->own_version), "%s", pg->api);
	return 0;
}

/*
 * What the main process asks every engine at start and on reload, all
 * side by side: whether it is a Swarm manager (services are looked for
 * there only: /swarm answers a manager alone) and its own API version
 * (the headers of a HEAD /_ping). /info and /version would say as much,
 * but make dockerd run runc and docker-init to report their versions.
 * warn hears each engine that did not answer.
 */
void
engine_warm_all(struct engine *es, size_t n,
    void (*warn)(const struct engine *, const char *))
{
	const struct engine **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
	struct engine_reply *r = calloc(n ? n : 1, sizeof(*r));
	struct engine_reply *sw = calloc(n ? n : 1, sizeof(*sw));
	struct ping *pg = calloc(n ? n : 1, sizeof(*pg));
	char err[512];
	size_t i;

	if (ptrs == NULL || r == NULL || sw == NULL || pg == NULL) {
		for (i = 0; i < n; i++)
			warn(&es[i], "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++)
		ptrs[i] = &es[i];
	(void)get_each_with(ptrs, n, fixed_path, "/_ping", 0, -1, r, pg);
	(void)get_each(ptrs, n, fixed_path, "/swarm", 0, -1, sw);
	for (i = 0; i < n; i++) {
		if (warm_one(&es[i], &r[i], &pg[i], &sw[i], err,
		    sizeof(err)) == -1)
			warn(&es[i], err);
		engine_reply_free(&r[i]);
		engine_reply_free(&sw[i]);
	}
done:
	free(ptrs);
	free(r);
	free(sw);
	free(pg);
}

/* dockerd's {"message": "..."} or a generic text. */
static void
reply_error(struct engine_reply *r, const char *what)
{
	json_t *m = r->body ? json_object_get(r->body, "message") : NULL;

	if (json_is_string(m))
		snprintf(r->error, sizeof(r->error), "dockerd: %s",
		    json_string_value(m));
	else
		snprintf(r->error, sizeof(r->error), "dockerd: %s", what);
}

/* curl's words for a TLS failure, and what an admin should look at. */
static const struct {
	CURLcode	 rc;
	const char	*what;
} tls_failures[] = {
	{ CURLE_PEER_FAILED_VERIFICATION, "its certificate does not verify "
	    "against tls.ca for this host name" },
	{ CURLE_SSL_CACERT_BADFILE, "tls.ca cannot be read" },
	{ CURLE_SSL_CERTPROBLEM, "tls.cert or tls.key cannot be used" },
	{ CURLE_SSL_CONNECT_ERROR, "the TLS handshake failed (a client "
	    "certificate it refused, or another CA?)" },
	{ CURLE_RECV_ERROR, "it closed the connection (a client certificate "
	    "it refused?)" },
	{ CURLE_SEND_ERROR, "it closed the connection (a client certificate "
	    "it refused?)" },
	{ CURLE_GOT_NOTHING, "it closed the connection (a client certificate "
	    "it refused?)" },
};

static void
transport_error(const struct engine *e, struct engine_reply *r,
    CURLcode rc, const char *errbuf)
{
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
	size_t i;

	r->status = 0;
	if (rc == CURLE_COULDNT_CONNECT && e->url[0] == '\0') {
		snprintf(r->error, sizeof(r->error),
		    "cannot reach dockerd at %s", e->socket);
		return;
	}
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
	    rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(r->error, sizeof(r->error), "cannot reach engine %s "
		    "at %s: %s", e->name, e->addr, why);
		return;
	}
	for (i = 0; e->url[0] && i < sizeof(tls_failures) /
	    sizeof(tls_failures[0]); i++)
		if (tls_failures[i].rc == rc) {
			snprintf(r->error, sizeof(r->error), "engine %s at %s: "
			    "%s (%s)", e->name, e->addr, tls_failures[i].what,
			    why);
			return;
		}
	snprintf(r->error, sizeof(r->error), "dockerd: %s", why);
}

/* The reply of a finished transfer; cleans up c and b. 0 or -1. */
static int
answered(const struct engine *e, CURL *c, CURLcode rc, const char *errbuf,
    struct body *b, struct engine_reply *r)
{
	if (rc != CURLE_OK) {
		transport_error(e, r, rc, errbuf);
		if (!b->over)
			health_seen(e->name, 0, r->error);
		if (b->over)
			snprintf(r->error, sizeof(r->error),
			    "dockerd: answer larger than %u bytes", BODY_MAX);
		curl_easy_cleanup(c);
		free(b->buf);
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	health_seen(e->name, 1, NULL);
	if (b->len > 0)
		r->body = json_loadb(b->buf, b->len, 0, NULL);
	free(b->buf);
	if (r->status >= 400) {
		reply_error(r, "request failed");
		return 0;
	}
	if (b->len > 0 && r->body == NULL) {
		snprintf(r->error, sizeof(r->error),
		    "dockerd: malformed answer (HTTP %ld)", r->status);
		r->status = 0;
		return -1;
	}
	return 0;
}

static int
call(const struct engine *e, const char *method, const char *path,
    json_t *json, long timeout, struct engine_reply *r)
{
	char errbuf[CURL_ERROR_SIZE];
	struct body b = { NULL, 0, 0 };
	struct curl_slist *hdrs = NULL;
	char *payload = NULL;
	CURLcode rc;
	CURL *c;

	memset(r, 0, sizeof(*r));
	if ((c = easy(e, path, errbuf)) == NULL) {
		snprintf(r->error, sizeof(r->error), "internal error (curl)");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	if (json != NULL && ((payload = json_dumps(json, JSON_COMPACT)) ==
	    NULL || (hdrs = curl_slist_append(NULL,
	    "Content-Type: application/json")) == NULL)) {
		snprintf(r->error, sizeof(r->error), "out of memory");
		free(payload);
		curl_easy_cleanup(c);
		return -1;
	}
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload ? payload : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
		    payload ? (long)strlen(payload) : 0L);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	} else if (strcmp(method, "DELETE") == 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
	rc = curl_easy_perform(c);
	curl_slist_free_all(hdrs);
	free(payload);
	return answered(e, c, rc, errbuf, &b, r);
}

void
engine_reply_free(struct engine_reply *r)
{
	json_decref(r->body);
	r->body = NULL;
}

/* GET /containers/REF/json: REF is a name or a full ID. */
int
engine_inspect(const struct engine *e, const char *ref, long timeout,
    struct engine_reply *r)
{
	char path[PATH_MAX_LEN];

	if (!name_valid(ref) || path_print(path, sizeof(path), e,
	    "/containers/%s/json", ref) == -1)
		return refuse(r, "container name");
	return call(e, "GET", path, NULL, timeout, r);
}

int
engine_volume(const struct engine *e, const char *name,
    struct engine_reply *r)
{
	char path[PATH_MAX_LEN];

	if (!name_valid(name) || path_print(path, sizeof(path), e,
	    "/volumes/%s", name) == -1)
		return refuse(r, "volume name");
	return call(e, "GET", path, NULL, ENGINE_TIMEOUT, r);
}

/* RFC 3986 percent-encoding of everything but the unreserved bytes. */
static int
url_encode(const char *s, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	unsigned char ch;

	for (; (ch = (unsigned char)*s) != '\0'; s++) {
		if (o + 4 > len)
			return -1;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL)
			out[o++] = (char)ch;
		else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

/* WHAT (/containers/json?all=1 or /services?status=true), with
 * filters={"label":["KEY[=VALUE]"]}. */
static int
filtered_path(const struct engine *e, const char *what, const char *key,
    const char *value, char *path, size_t len)
{
	char enc[PATH_MAX_LEN];
	json_t *f;
	char *js;
	int rc = -1;

	if (key == NULL)
		return path_print(path, len, e, "%s", what);
	f = value != NULL ? json_pack("{s:[s++]}", "label", key, "=", value) :
	    json_pack("{s:[s]}", "label", key);
	if (f == NULL || (js = json_dumps(f, JSON_COMPACT)) == NULL) {
		json_decref(f);
		return -1;
	}
	if (url_encode(js, enc, sizeof(enc)) == 0)
		rc = path_print(path, len, e, "%s&filters=%s", what, enc);
	free(js);
	json_decref(f);
	return rc;
}

static int
list_path(const struct engine *e, const char *key, const char *value,
    char *path, size_t len)
{
	return filtered_path(e, "/containers/json?all=1", key, value, path,
	    len);
}

static int
services_path(const struct engine *e, const char *key, const char *value,
    char *path, size_t len)
{
	return filtered_path(e, "/services?status=true", key, value, path,
	    len);
}

/*
 * Every container, or only those with the label (label=value when value
 * is not NULL): dockerd filters before it serializes.
 */
int
engine_list(const struct engine *e, const char *label, const char *value,
    struct engine_reply *r)
{
	char path[PATH_MAX_LEN];

	if (list_path(e, label, value, path, sizeof(path)) == -1)
		return refuse(r, "listing");
	return call(e, "GET", path, NULL, ENGINE_TIMEOUT, r);
}

/* POST /containers/ID/{start,stop,restart}, ?t=T when t >= 0; no body. */
int
engine_action(const struct engine *e, const char *id, enum engine_action a,
    long t, long timeout, struct engine_reply *r)
{
	char path[PATH_MAX_LEN], q[32] = "";

	if (t >= 0)
		snprintf(q, sizeof(q), "?t=%ld", t);
	if (!id_valid(id) || path_print(path, sizeof(path), e,
	    "/containers/%s/%s%s", id, action_names[a], q) == -1)
		return refuse(r, "container ID");
	return call(e, "POST", path, NULL, timeout, r);
}

int
engine_stats(const struct engine *e, const char *id, struct engine_reply *r)
{
	const char *ids[1] = { id };
	const struct engine *es[1] = { e };

	if (engine_stats_many(es, ids, 1, -1, r) == -1)
		return -1;
	return r->status == 0 ? -1 : 0;
}

/* One transfer of engine_stats_many. */
struct sample {
	CURL		*easy;
	struct body	 b;
	CURLcode	 rc;
	int		 done;
	char		 errbuf[CURL_ERROR_SIZE];
};

/* dst gets the value of header name if the line p (len bytes) is it; a
 * value that does not fit is left out. */
static void
header_take(const char *p, size_t len, const char *name, char *dst,
    size_t dstlen)
{
	size_t nl = strlen(name);

	if (len <= nl || strncasecmp(p, name, nl) != 0 || p[nl] != ':')
		return;
	p += nl + 1;
	len -= nl + 1;
	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	while (len > 0 && strchr(" \t\r\n", p[len - 1]) != NULL)
		len--;
	if (len >= dstlen)
		return;
	memcpy(dst, p, len);
	dst[len] = '\0';
}

static size_t
ping_header(char *p, size_t size, size_t n, void *arg)
{
	struct ping *pg = arg;

	header_take(p, size * n, "API-Version", pg->api, sizeof(pg->api));
	return size * n;
}

static int
sample_add(const struct engine *e, CURLM *m, const char *path, long timeout,
    struct sample *s, struct engine_reply *r, struct ping *pg)
{
	if ((s->easy = easy(e, path, s->errbuf)) == NULL ||
	    (pg != NULL && (curl_easy_setopt(s->easy, CURLOPT_NOBODY,
	    1L) != CURLE_OK || curl_easy_setopt(s->easy,
	    CURLOPT_HEADERFUNCTION, ping_header) != CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_HEADERDATA, pg) != CURLE_OK)) ||
	    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION,
	    body_write) != CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, &s->b) != CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s) != CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_TIMEOUT, timeout) != CURLE_OK ||
	    curl_multi_add_handle(m, s->easy) != CURLM_OK) {
		curl_easy_cleanup(s->easy);
		s->easy = NULL;
		return refuse(r, "curl");
	}
	return 0;
}

/* Runs the transfers until all are done; -1 if the client left first. */
static int
samples_run(CURLM *m, int client_fd)
{
	struct curl_waitfd w = { client_fd, CURL_WAIT_POLLIN, 0 };
	struct sample *s;
	CURLMsg *msg;
	int running = 1, left;

	while (running) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		while ((msg = curl_multi_info_read(m, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE &&
			    curl_easy_getinfo(msg->easy_handle,
			    CURLINFO_PRIVATE, (char **)&s) == CURLE_OK) {
				s->rc = msg->data.result;
				s->done = 1;
			}
		if (!running)
			break;
		w.revents = 0;
		if (curl_multi_poll(m, &w, client_fd >= 0 ? 1 : 0, 1000,
		    NULL) != CURLM_OK)
			break;
		if (client_fd >= 0 && client_left(client_fd, w.revents))
			return -1;
	}
	return 0;
}

/*
 * n GETs side by side, paths[i] (NULL: refused, replies[i] says so) to
 * engines[i], each within timeouts[i] seconds; replies[i] is each's, as
 * call fills one. With pings they are HEADs, and pings[i] is what its
 * headers said. -1 when client_fd (if >= 0) left first: then no reply
 * holds anything.
 */
static int
get_many(const struct engine *const *engines, char *const *paths,
    const long *timeouts, size_t n, int client_fd,
    struct engine_reply *replies, struct ping *pings)
{
	struct sample *s;
	CURLM *m;
	size_t i;
	int gone;

	if ((s = calloc(n ? n : 1, sizeof(*s))) == NULL ||
	    (m = curl_multi_init()) == NULL) {
		free(s);
		for (i = 0; i < n; i++)
			refuse(&replies[i], "curl");
		return 0;
	}
	for (i = 0; i < n; i++)
		if (paths[i] != NULL)
			(void)sample_add(engines[i], m, paths[i], timeouts[i],
			    &s[i], &replies[i], pings ? &pings[i] : NULL);
	gone = samples_run(m, client_fd);
	for (i = 0; i < n; i++) {
		if (s[i].easy == NULL)
			continue;	/* refused before curl: reply says so */
		curl_multi_remove_handle(m, s[i].easy);
		if (gone || !s[i].done) {
			curl_easy_cleanup(s[i].easy);
			free(s[i].b.buf);
			snprintf(replies[i].error, sizeof(replies[i].error),
			    "dockerd: no answer");
		} else
			(void)answered(engines[i], s[i].easy, s[i].rc,
			    s[i].errbuf, &s[i].b, &replies[i]);
	}
	curl_multi_cleanup(m);
	free(s);
	return gone ? -1 : 0;
}

/* path_fn: prints transfer i's path for engine e; 0, or -1: refused. */

/*
 * n GETs side by side, engines[i] asked for the path fn prints, within
 * timeout seconds (0: the engine's own); replies[i] is each's. With pings
 * they are HEADs, and pings[i] is what its headers said.
 */
static int
get_each_with(const struct engine *const *engines, size_t n, path_fn fn,
    const void *arg, long timeout, int client_fd,
    struct engine_reply *replies, struct ping *pings)
{
	long *timeouts = calloc(n ? n : 1, sizeof(*timeouts));
	char **paths = calloc(n ? n : 1, sizeof(*paths));
	char *buf = calloc(n ? n : 1, PATH_MAX_LEN);
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++)
		memset(&replies[i], 0, sizeof(replies[i]));
	for (i = 0; i < n; i++) {
		if (timeouts == NULL || paths == NULL || buf == NULL) {
			refuse(&replies[i], "out of memory");
			continue;
		}
		timeouts[i] = timeout > 0 ? timeout : engines[i]->timeout;
		if (fn(engines[i], i, arg, buf + i * PATH_MAX_LEN,
		    PATH_MAX_LEN) == 0)
			paths[i] = buf + i * PATH_MAX_LEN;
		else
			refuse(&replies[i], "path");
	}
	if (timeouts != NULL && paths != NULL && buf != NULL)
		rc = get_many(engines, paths, timeouts, n, client_fd, replies,
		    pings);
	free(timeouts);
	free(paths);
	free(buf);
	return rc;
}

static int
get_each(const struct engine *const *engines, size_t n, path_fn fn,
    const void *arg, long timeout, int client_fd,
    struct engine_reply *replies)
{
	return get_each_with(engines, n, fn, arg, timeout, client_fd, replies,
	    NULL);
}

static int
stats_path(const struct engine *e, size_t i, const void *arg, char *path,
    size_t len)
{
	const char *id = ((const char *const *)arg)[i];

	return id_valid(id) ? path_print(path, len, e,
	    "/containers/%s/stats?stream=false", id) : -1;
}

/*
 * One sample (stream=false: dockerd adds precpu_stats, a second before)
 * of each of n containers, asked side by side; replies[i] is ids[i]'s.
 */
int
engine_stats_many(const struct engine *const *es, const char *const *ids,
    size_t n, int client_fd, struct engine_reply *replies)
{
	return get_each(es, n, stats_path, ids, ENGINE_TIMEOUT, client_fd,
	    replies);
}

static int
inspect_path(const struct engine *e, size_t i, const void *arg, char *path,
    size_t len)
{
	return name_valid(arg) ? path_print(path, len, e,
	    "/containers/%s/json", (const char *)arg) : -1;
}

/* The same name inspected on each of n engines, side by side. */
int
engine_inspect_each(const struct engine *const *engines, size_t n,
    const char *ref, struct engine_reply *replies)
{
	return get_each(engines, n, inspect_path, ref, 0, -1, replies);
}

static int
service_each_path(const struct engine *e, size_t i, const void *arg,
    char *path, size_t len)
{
	const char *ref = arg;

	if (!name_valid(ref))
		return -1;
	return own_path_print(path, len, e, "/services/%s", ref) == 0 ? 0 :
	    path_print(path, len, e, "/services/%s", ref);
}

/* The same service name on each of n engines, side by side. */
int
engine_service_each(const struct engine *const *engines, size_t n,
    const char *ref, struct engine_reply *replies)
{
	return get_each(engines, n, service_each_path, ref, 0, -1, replies);
}

struct list_args {
	const char *const	*labels, *const *values;
	const int		*services;
};

static int
list_each_path(const struct engine *e, size_t i, const void *arg,
    char *path, size_t len)
{
	const struct list_args *la = arg;

	return (la->services[i] ? services_path : list_path)(e, la->labels[i],
	    la->values[i], path, len);
}

/*
 * n listings side by side: engines[i] asked for containers (services[i]
 * 0) or services with labels[i] and values[i] as engine_list and
 * engine_services are, each within its engine's timeout.
 */
int
engine_list_each(const struct engine *const *engines,
    const char *const *labels, const char *const *values,
    const int *services, size_t n, int client_fd,
    struct engine_reply *replies)
{
	struct list_args la = { labels, values, services };

	return get_each(engines, n, list_each_path, &la, 0, client_fd,
	    replies);
}

/* GET /services/REF: REF a name (its Spec.Name checked by the caller)
 * or a full ID. */
/*
 * A lookup a stream waits on (a service's tasks and nodes, asked from
 * inside its logs' write callback): the engine's own timeout, not the
 * 30 s of an action, so that a hung manager stalls the stream briefly.
 * A service's own lookup takes the same.
 */
static long
lookup_timeout(const struct engine *e)
{
	return e->timeout > 0 ? e->timeout : ENGINE_TIMEOUT;
}

int
engine_service(const struct engine *e, const char *ref,
    struct engine_reply *r)
{
	char path[PATH_MAX_LEN];

	if (!name_valid(ref) && !swarm_id_valid(ref))
		return refuse(r, "service name");
	if (own_path_print(path, sizeof(path), e, "/services/%s", ref) ==
	    -1 && path_print(path, sizeof(path), e, "/services/%s", ref) == -1)
		return refuse(r, "service name");
	return call(e, "GET", path, NULL, lookup_timeout(e), r);
}

int
engine_service_update(const struct engine *e, const char *id,
    unsigned long long version, json_t *spec, struct engine_reply *r)
{
	char path[PATH_MAX_LEN];

	if (!swarm_id_valid(id))
		return refuse(r, "service ID");
	if (own_path_print(path, sizeof(path), e,
	    "/services/%s/update?version=%llu", id, version) == -1) {
		memset(r, 0, sizeof(*r));
		snprintf(r->error, sizeof(r->error), "engine %s: its API "
		    "version is not known (it did not answer when ctld started "
		    "or last reloaded): no service is changed", e->name);
		return -1;
	}
	return call(e, "POST", path, spec, ENGINE_TIMEOUT, r);
}

/* The service's tasks: filters={"service":[ID]}. */
int
engine_tasks(const struct engine *e, const char *service_id,
    struct engine_reply *r)
{
	char path[PATH_MAX_LEN];

	if (!swarm_id_valid(service_id) || path_print(path, sizeof(path), e,
	    "/tasks?filters=%%7B%%22service%%22%%3A%%5B%%22%s%%22%%5D%%7D",
	    service_id) == -1)
		return refuse(r, "service ID");
	return call(e, "GET", path, NULL, lookup_timeout(e), r);
}

int
engine_nodes(const struct engine *e, struct engine_reply *r)
{
	char path[PATH_MAX_LEN];

	if (path_print(path, sizeof(path), e, "/nodes") == -1)
		return refuse(r, "path");
	return call(e, "GET", path, NULL, lookup_timeout(e), r);
}

int
engine_create(const struct engine *e, const char *name, json_t *body,
    struct engine_reply *r)
{
	char path[PATH_MAX_LEN];

	if (!name_valid(name) || path_print(path, sizeof(path), e,
	    "/containers/create?name=%s", name) == -1)
		return refuse(r, "container name");
	return call(e, "POST", path, body, ENGINE_TIMEOUT, r);
}

/* DELETE /containers/ID: never its volumes. */
int
engine_remove(const struct engine *e, const char *id, int force,
    struct engine_reply *r)
{
	char path[PATH_MAX_LEN];

	if (!id_valid(id) || path_print(path, sizeof(path), e,
	    "/containers/%s%s", id, force ? "?force=1" : "") == -1)
		return refuse(r, "container ID");
	return call(e, "DELETE", path, NULL, ENGINE_TIMEOUT, r);
}

/* GET /images/REF/json: REF as images.trusted allowed it. */
int
engine_image(const struct engine *e, const char *ref, struct engine_reply *r)
{
	char path[PATH_MAX_LEN];

	if (path_print(path, sizeof(path), e, "/images/%s/json", ref) == -1)
		return refuse(r, "image name");
	return call(e, "GET", path, NULL, ENGINE_TIMEOUT, r);
}

/* The query of a log stream; a service's also asks for details=1. */
static void
logs_query(const struct engine_logopts *o, int details, char *q, size_t len)
{
	size_t n;

	n = (size_t)snprintf(q, len, "stdout=1&stderr=1%s%s%s",
	    o->follow ? "&follow=1" : "", o->timestamps ? "&timestamps=1" : "",
	    details ? "&details=1" : "");
	if (o->tail >= 0)
		n += (size_t)snprintf(q + n, len - n, "&tail=%ld", o->tail);
	if (o->has_since)
		n += (size_t)snprintf(q + n, len - n, "&since=%lld.%09ld",
		    (long long)o->since.tv_sec, o->since.tv_nsec);
	if (o->has_until)
		snprintf(q + n, len - n, "&until=%lld.%09ld",
		    (long long)o->until.tv_sec, o->until.tv_nsec);
}

static int
logs_path(const struct engine *e, const char *id,
    const struct engine_logopts *o, char *path, size_t len)
{
	char q[256];

	if (!id_valid(id))
		return -1;
	logs_query(o, 0, q, sizeof(q));
	return path_print(path, len, e, "/containers/%s/logs?%s", id, q);
}

/* A service's: until is not dockerd's to take there. */
static int
service_logs_path(const struct engine *e, const char *id,
    const struct engine_logopts *o, char *path, size_t len)
{
	struct engine_logopts so = *o;
	char q[256];

	if (!swarm_id_valid(id))
		return -1;
	so.has_until = 0;
	logs_query(&so, 1, q, sizeof(q));
	return path_print(path, len, e, "/services/%s/logs?%s", id, q);
}

static size_t
stream_write(char *p, size_t size, size_t n, void *arg)
{
	struct streamctx *s = arg;
	size_t len = size * n;

	if (s->status == 0)
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->status);
	if (s->status != 200)
		return body_write(p, size, n, &s->err);
	if (s->sink(s->ctx, (unsigned char *)p, len) == -1) {
		s->sink_failed = 1;
		return 0;
	}
	return len;
}

static enum engine_stream
stream_finish(const struct engine *e, struct streamctx *s, CURLcode rc,
    const char *errbuf, struct engine_reply *r)
{
	if (s->status == 0)	/* an empty answer never reached stream_write */
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->status);
	r->status = s->status;
	if (s->sink_failed) {
		snprintf(r->error, sizeof(r->error), "client gone");
		return ENGINE_STREAM_CUT;
	}
	if (s->status != 200 && s->status != 0) {
		if (s->err.len > 0)
			r->body = json_loadb(s->err.buf, s->err.len, 0, NULL);
		reply_error(r, "request failed");
		return ENGINE_STREAM_ENDED;
	}
	if (rc != CURLE_OK) {
		transport_error(e, r, rc, errbuf);
		health_seen(e->name, 0, r->error);
		return ENGINE_STREAM_FAILED;
	}
	return ENGINE_STREAM_ENDED;
}

/*
 * The stream goes to sink as it comes; before each wait the sink hears
 * (buf NULL) that it should send what it gathered. A followed stream
 * waits pace_ms after each pass so that lines go out together.
 */
static enum engine_stream
run_stream(const struct engine *e, const char *path, int client_fd,
    int pace_ms, engine_sink sink, void *ctx, struct engine_reply *r);

enum engine_stream
engine_logs(const struct engine *e, const char *id,
    const struct engine_logopts *o, int client_fd, int pace_ms,
    engine_sink sink, void *ctx, struct engine_reply *r)
{
	char path[PATH_MAX_LEN];

	memset(r, 0, sizeof(*r));
	if (logs_path(e, id, o, path, sizeof(path)) == -1) {
		snprintf(r->error, sizeof(r->error), "internal error (path)");
		return ENGINE_STREAM_FAILED;
	}
	return run_stream(e, path, client_fd, pace_ms, sink, ctx, r);
}

enum engine_stream
engine_service_logs(const struct engine *e, const char *id,
    const struct engine_logopts *o, int client_fd, int pace_ms,
    engine_sink sink, void *ctx, struct engine_reply *r)
{
	char path[PATH_MAX_LEN];

	memset(r, 0, sizeof(*r));
	if (service_logs_path(e, id, o, path, sizeof(path)) == -1) {
		snprintf(r->error, sizeof(r->error), "internal error (path)");
		return ENGINE_STREAM_FAILED;
	}
	return run_stream(e, path, client_fd, pace_ms, sink, ctx, r);
}

static enum engine_stream
run_stream(const struct engine *e, const char *path, int client_fd,
    int pace_ms, engine_sink sink, void *ctx, struct engine_reply *r)
{
	char errbuf[CURL_ERROR_SIZE];
	struct streamctx s;
	struct curl_waitfd wfd;
	enum engine_stream ret;
	CURLMsg *msg;
	CURLM *m;
	CURLcode rc = CURLE_OK;
	int running = 1, left;

	memset(r, 0, sizeof(*r));
	memset(&s, 0, sizeof(s));
	s.sink = sink;
	s.ctx = ctx;
	if ((s.easy = easy(e, path, errbuf)) == NULL ||
	    (m = curl_multi_init()) == NULL) {
		curl_easy_cleanup(s.easy);
		snprintf(r->error, sizeof(r->error), "internal error (curl)");
		return ENGINE_STREAM_FAILED;
	}
	curl_easy_setopt(s.easy, CURLOPT_WRITEFUNCTION, stream_write);
	curl_easy_setopt(s.easy, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(s.easy, CURLOPT_BUFFERSIZE, 131072L);
	curl_multi_add_handle(m, s.easy);
	while (running) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (sink(ctx, NULL, 0) == -1) {	/* before any wait: flush */
			s.sink_failed = 1;
			break;
		}
		if (!running)
			break;
		if (client_pace(client_fd, pace_ms) == -1) {
			s.sink_failed = 1;
			break;
		}
		wfd.fd = client_fd;
		wfd.events = CURL_WAIT_POLLIN;
		wfd.revents = 0;
		if (curl_multi_poll(m, &wfd, 1, 1000, NULL) != CURLM_OK)
			break;
		if (client_left(client_fd, wfd.revents)) {
			s.sink_failed = 1;
			break;
		}
	}
	while ((msg = curl_multi_info_read(m, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			rc = msg->data.result;
	curl_multi_remove_handle(m, s.easy);
	ret = stream_finish(e, &s, rc, errbuf, r);
	curl_easy_cleanup(s.easy);
	curl_multi_cleanup(m);
	free(s.err.buf);
	return ret;
}

static size_t
follow_write(char *p, size_t size, size_t n, void *arg)
{
	struct engine_follow *f = arg;

	if (f->status != 200)
		return size * n;	/* an error body: dropped */
	switch (f->feed(f->ctx, (unsigned char *)p, size * n)) {
	case ENGINE_TAKE_ALL:
		return size * n;
	case ENGINE_TAKE_PAUSE:
		return CURL_WRITEFUNC_PAUSE;	/* offered again on resume */
	case ENGINE_TAKE_STOP:
		break;
	}
	return 0;
}

static size_t
follow_header(char *p, size_t size, size_t n, void *arg)
{
	struct engine_follow *f = arg;
	long code;

	if (size * n > 9 && strncmp(p, "HTTP/1.", 7) == 0 &&
	    sscanf(p + 9, "%ld", &code) == 1)
		f->status = code;
	else if (size * n == 2 && p[0] == '\r' && f->status == 200)
		f->ready = 1;	/* the headers' end: the stream is on */
	return size * n;
}

/* New lines only (tail=0), with or without timestamps, to feed. */
struct engine_follow *
engine_follow(const struct engine *e, const char *id, int timestamps,
    engine_feed feed, void *ctx)
{
	struct engine_logopts o = { .follow = 1, .timestamps = timestamps,
	    .tail = 0 };
	struct engine_follow *f;
	char path[PATH_MAX_LEN];

	if (logs_path(e, id, &o, path, sizeof(path)) == -1 ||
	    (f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->status = 200;
	f->feed = feed;
	f->ctx = ctx;
	if ((f->easy = easy(e, path, f->errbuf)) == NULL ||
	    (f->multi = curl_multi_init()) == NULL) {
		curl_easy_cleanup(f->easy);
		free(f);
		return NULL;
	}
	curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, follow_write);
	curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(f->easy, CURLOPT_HEADERFUNCTION, follow_header);
	curl_easy_setopt(f->easy, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(f->easy, CURLOPT_BUFFERSIZE, 131072L);
	curl_multi_add_handle(f->multi, f->easy);
	return f;
}

/*
 * Moves the transfer on without waiting. False once it is over, ended
 * or failed: engine_follow_status and engine_follow_error say which.
 */
int
engine_follow_step(struct engine_follow *f)
{
	int running;

	return curl_multi_perform(f->multi, &running) == CURLM_OK &&
	    running;
}

/*
 * Waits up to ms for dockerd or any of the caller's descriptors (POLLIN
 * and POLLOUT only); their revents are set as poll(2) would. 0 or -1.
 */
int
engine_follow_wait(struct engine_follow *f, struct pollfd *pf, size_t n,
    int ms)
{
	struct curl_waitfd *w;
	size_t i;
	int rc = -1;

	if ((w = calloc(n + 1, sizeof(*w))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		w[i].fd = pf[i].fd;
		w[i].events = (short)(((pf[i].events & POLLIN) ?
		    CURL_WAIT_POLLIN : 0) | ((pf[i].events & POLLOUT) ?
		    CURL_WAIT_POLLOUT : 0));
	}
	if (curl_multi_poll(f->multi, w, (unsigned)n, ms, NULL) == CURLM_OK) {
		for (i = 0; i < n; i++)
			pf[i].revents = (short)(((w[i].revents &
			    CURL_WAIT_POLLIN) ? POLLIN : 0) | ((w[i].revents &
			    CURL_WAIT_POLLOUT) ? POLLOUT : 0));
		rc = 0;
	}
	free(w);
	return rc;
}

void
engine_follow_resume(struct engine_follow *f)
{
	(void)curl_easy_pause(f->easy, CURLPAUSE_CONT);
}

/* dockerd's HTTP status: 200 until it has said another. */
long
engine_follow_status(const struct engine_follow *f)
{
	return f->status;
}

int
engine_follow_ready(const struct engine_follow *f)
{
	return f->ready;
}

/* Why the transfer failed, once it is over; NULL when it did not. */
const char *
engine_follow_error(struct engine_follow *f)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(f->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->data.result != CURLE_OK)
			return f->errbuf[0] ? f->errbuf :
			    curl_easy_strerror(msg->data.result);
	return NULL;
}

void
engine_follow_free(struct engine_follow *f)
{
	if (f == NULL)
		return;
	curl_multi_remove_handle(f->multi, f->easy);
	curl_easy_cleanup(f->easy);
	curl_multi_cleanup(f->multi);
	free(f);
}

/* POST /containers/ID/exec with the body exec.c built. */
int
engine_exec_create(const struct engine *e, const char *id, json_t *body,
    struct engine_reply *r)
{
	char path[PATH_MAX_LEN];

	if (!id_valid(id) || path_print(path, sizeof(path), e,
	    "/containers/%s/exec", id) == -1)
		return refuse(r, "container ID");
	return call(e, "POST", path, body, ENGINE_TIMEOUT, r);
}

int
engine_exec_inspect(const struct engine *e, const char *exec_id,
    struct engine_reply *r)
{
	char path[PATH_MAX_LEN];

	if (!id_valid(exec_id) || path_print(path, sizeof(path), e,
	    "/exec/%s/json", exec_id) == -1)
		return refuse(r, "exec ID");
	return call(e, "GET", path, NULL, ENGINE_TIMEOUT, r);
}

int
engine_exec_resize(const struct engine *e, const char *exec_id, long rows,
    long cols, struct engine_reply *r)
{
	char path[PATH_MAX_LEN];

	if (!id_valid(exec_id) || rows < 1 || rows > 65535 || cols < 1 ||
	    cols > 65535 || path_print(path, sizeof(path), e,
	    "/exec/%s/resize?h=%ld&w=%ld", exec_id, rows, cols) == -1)
		return refuse(r, "exec ID");
	return call(e, "POST", path, NULL, ENGINE_TIMEOUT, r);
}

/* POST /exec/ID/start, upgraded to the exec's raw stream. */
int
engine_exec_start(const struct engine *e, const char *exec_id, int tty,
    struct hijack *h)
{
	char path[PATH_MAX_LEN], errbuf[CURL_ERROR_SIZE];
	CURL *c = NULL;

	if (!id_valid(exec_id) || path_print(path, sizeof(path), e,
	    "/exec/%s/start", exec_id) == -1 || !path_safe(path) ||
	    (c = easy_for(e, "/", errbuf, 1)) == NULL ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L) != CURLE_OK) {
		if (c != NULL)
			curl_easy_cleanup(c);
		memset(h, 0, sizeof(*h));
		h->fd = -1;
		snprintf(h->error, sizeof(h->error), "internal error (exec ID)");
		return -1;
	}
	return hijack_open(h, c, engine_where(e), path, tty ?
	    "{\"Detach\":false,\"Tty\":true}" :
	    "{\"Detach\":false,\"Tty\":false}", ENGINE_TIMEOUT * 1000);
}
