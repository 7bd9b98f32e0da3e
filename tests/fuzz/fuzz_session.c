/*
 * libFuzzer: a whole broker session (broker/session.c and everything a
 * request reaches) on a socketpair, the input being the client's bytes,
 * with the fake Engine API (tests/unit/fake_engine.c) behind. The same
 * input is also dockerd's answer to an inspect of "fz" and the log
 * stream of every container, so that what dockerd says is fuzzed too.
 * PAM runs a service of the harness's own (pam_permit); relays cannot
 * start (their directory does not exist), so nothing forks.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "ctld.h"
#include "execslots.h"
#include "../unit/fake_engine.h"

#define ID	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define NEWID	"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static struct config *cf;
static struct fake_engine *fe;
static char audit[128];
static char inspect_web[512], inspect_other[512];

struct client {
	const uint8_t	*data;
	size_t		 size;
	int		 fd;
};

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0)
		abort();
}

static void
init(void)
{
	static char dir[] = "/tmp/fuzz-session-XXXXXX";
	char path[256], pamdir[128], err[512], *text;

	if (mkdtemp(dir) == NULL)
		abort();
	setlogmask(LOG_MASK(LOG_EMERG));	/* keep the host's log clean */
	snprintf(pamdir, sizeof(pamdir), "%s/pam.d", dir);
	if (mkdir(pamdir, 0700) == -1)
		abort();
	snprintf(path, sizeof(path), "%s/fuzz", pamdir);
	write_file(path, "account required pam_permit.so\n"
	    "auth required pam_permit.so\n");
	auth_pam_confdir = strdup(pamdir);
	if (execslots_init() == -1)
		abort();
	fe = fe_start();
	snprintf(audit, sizeof(audit), "%s/audit.jsonl", dir);
	if (asprintf(&text,
	    "docker = { socket = \"%s\"; };\n"
	    "audit = { file = \"%s\"; syslog = false; };\n"
	    "listen = { path = \"/nonexistent-ctl-fuzz/ctld.sock\"; };\n"
	    "pam = { service = \"fuzz\"; };\n"
	    "limits = { client_timeout = 1; };\n"
	    "ownership = { owner_verbs = [\"ls\", \"status\", \"logs\", "
	    "\"start\", \"stop\", \"restart\", \"stats\", \"rm\", "
	    "\"exec\"]; };\n"
	    "rules = ( { users = [\"*\"]; containers = [\"fz*\"]; "
	    "verbs = [\"status\", \"logs\", \"stop\"]; } );\n"
	    "images = { trusted = [\"reg/\"]; };\n"
	    "templates = ( { name = \"dev\"; container = \"dev-%%u\"; "
	    "image = \"reg/dev:1\"; users = [\"*\"]; memory = \"64m\"; "
	    "volume = { name = \"h-%%u\"; path = \"/h\"; }; },\n"
	    "  { name = \"off\"; container = \"off-%%u\"; "
	    "image = \"reg/dev:1\"; users = [\"*\"]; network = false; } );\n"
	    "provision = ( { group = \"root\"; templates = [\"dev\"]; "
	    "start = true; } );\n", fe_socket(fe), audit) == -1)
		abort();
	snprintf(path, sizeof(path), "%s/ctld.conf", dir);
	write_file(path, text);
	free(text);
	if ((cf = config_load(path, 0, err, sizeof(err))) == NULL ||
	    auditlog_open(cf, err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_session: %s\n", err);
		abort();
	}
	/* contained (contain.c), so that exec reaches its stream */
	snprintf(inspect_web, sizeof(inspect_web), "{\"Id\":\"" ID "\","
	    "\"Name\":\"/web\",\"Config\":{\"Labels\":{\"ctl.owner\":"
	    "\"%s\"},\"Tty\":false,\"User\":\"1000\"},"
	    "\"HostConfig\":{\"SecurityOpt\":[\"no-new-privileges\"],"
	    "\"CgroupnsMode\":\"private\"},\"State\":{\"Running\":true}}",
	    getuid() == 0 ? "root" : "nobody");
	snprintf(inspect_other, sizeof(inspect_other), "{\"Id\":\"" ID "\","
	    "\"Name\":\"/other\",\"Config\":{\"Labels\":{}}}");
}

/* Every call the session can make, answered; some from the input. */
static void
replies(const uint8_t *data, size_t size, char *stream, size_t *streamlen)
{
	static char body[70000], upgraded[70000 + 128];
	struct fe_reply r = { .method = "GET" }, x = { .method = "POST" };
	int n;

	fe_reset(fe);
	memcpy(body, data, size);
	body[size] = '\0';
	fe_json(fe, "GET", "/v1.41/containers/web/json", 200, inspect_web);
	fe_json(fe, "GET", "/v1.41/containers/other/json", 200, inspect_other);
	fe_json(fe, "GET", "/v1.41/containers/fz*/json", 200, body);
	fe_json(fe, "GET", "/v1.41/containers/" ID "/json", 200, inspect_web);
	n = snprintf(stream, 256, "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/vnd.docker.multiplexed-stream\r\nContent-Length: "
	    "%zu\r\nConnection: close\r\n\r\n", size);
	memcpy(stream + n, data, size);
	*streamlen = (size_t)n + size;
	r.path = "/v1.41/containers/*/logs";
	r.raw = stream;
	r.rawlen = *streamlen;
	fe_add(fe, &r);
	fe_json(fe, "GET", "/v1.41/containers/*/stats", 200,
	    "{\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":3},"
	    "\"system_cpu_usage\":9,\"online_cpus\":1},"
	    "\"memory_stats\":{\"usage\":5,\"limit\":9}}");
	fe_json(fe, "GET", "/v1.41/containers/json", 200, "[{\"Id\":\"" ID
	    "\",\"Names\":[\"/web\"],\"Labels\":{\"ctl.owner\":\"root\"}},"
	    "{\"Id\":\"" NEWID "\",\"Names\":[\"/fz1\"],\"Labels\":{}}]");
	fe_json(fe, "GET", "/v1.41/images/*", 200,
	    "{\"Id\":\"sha256:" NEWID "\"}");
	fe_json(fe, "POST", "/v1.41/containers/create", 201,
	    "{\"Id\":\"" NEWID "\"}");
	fe_json(fe, "POST", "/v1.41/containers/*/start", 204, NULL);
	fe_json(fe, "POST", "/v1.41/containers/*/stop", 304, NULL);
	fe_json(fe, "POST", "/v1.41/containers/*/restart", 500,
	    "{\"message\":\"no\"}");
	fe_json(fe, "DELETE", "/v1.41/containers/*", 204, NULL);
	/* exec: its stream, after the upgrade, is the input too */
	fe_json(fe, "POST", "/v1.41/containers/*/exec", 201,
	    "{\"Id\":\"" NEWID "\"}");
	n = snprintf(upgraded, 128, "HTTP/1.1 101 UPGRADED\r\nConnection: "
	    "Upgrade\r\nUpgrade: tcp\r\n\r\n");
	memcpy(upgraded + n, data, size);
	x.path = "/v1.41/exec/*/start";
	x.raw = upgraded;
	x.rawlen = (size_t)n + size;
	fe_add(fe, &x);
	fe_json(fe, "POST", "/v1.41/exec/*/resize", 201, NULL);
	fe_json(fe, "GET", "/v1.41/exec/*/json", 200,
	    "{\"Running\":false,\"ExitCode\":3}");
}

/* Whether data holds n whole frames (then the session needs no EOF). */
static int
frames(const uint8_t *data, size_t size, int n)
{
	size_t off = 0, len;

	while (n > 0 && size - off >= 5) {
		len = (size_t)data[off + 1] << 24 | (size_t)data[off + 2] << 16 |
		    (size_t)data[off + 3] << 8 | data[off + 4];
		if (len > size - off - 5)
			return 0;
		off += 5 + len;
		n--;
	}
	return n == 0;
}

/*
 * The client: writes the input and reads the answers. With hello and a
 * request whole, it keeps its side open, as ctl does, so that a stream
 * is not cut by its leaving; else it closes it at once. One thread for
 * every input: a thread per input would cost more than most sessions.
 */
static void
client(struct client *c)
{
	static unsigned char buf[65536];
	size_t off = 0;
	ssize_t n;
	int open = frames(c->data, c->size, 2);

	while (off < c->size && (n = send(c->fd, c->data + off,
	    c->size - off, MSG_NOSIGNAL)) > 0)
		off += (size_t)n;
	if (!open)
		shutdown(c->fd, SHUT_WR);
	while (read(c->fd, buf, sizeof(buf)) > 0)
		;
	shutdown(c->fd, SHUT_WR);
}

static struct client *job;
static sem_t job_ready, job_done;

static void *
client_loop(void *arg)
{
	for (;;) {
		while (sem_wait(&job_ready) == -1)
			;
		client(job);
		sem_post(&job_done);
	}
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char stream[70000 + 256];
	static int inited, runs;
	struct client c = { data, size, -1 };
	size_t streamlen;
	pthread_t t;
	int sv[2];

	if (size > 65536)
		return 0;
	if (!inited++) {
		init();
		if (sem_init(&job_ready, 0, 0) == -1 ||
		    sem_init(&job_done, 0, 0) == -1 ||
		    pthread_create(&t, NULL, client_loop, NULL) != 0)
			abort();
	}
	replies(data, size, stream, &streamlen);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	c.fd = sv[1];
	job = &c;
	sem_post(&job_ready);
	session_run(cf, sv[0], getuid(), getgid(), getpid());
	close(sv[0]);
	while (sem_wait(&job_done) == -1)
		;
	close(sv[1]);
	if (++runs % 1024 == 0 && truncate(audit, 0) == -1)
		abort();
	return 0;
}
