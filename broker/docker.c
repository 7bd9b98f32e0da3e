/*
 * The Engine API client: libcurl over dockerd's Unix socket.
 *
 * Invariants:
 * 1. Every path is built by the caller from validated parts and starts
 *    with the pinned API version; this file adds only the fixed scheme
 *    and host, and refuses a path with bytes outside a safe set.
 * 2. Only http over the configured Unix socket: no redirects, no proxy
 *    from the environment, no other protocol.
 * 3. Answers are read up to a fixed size; a larger one is an error.
 * 4. A stream stops at once when the client leaves: the client's socket
 *    is polled with curl's, and the transfer is removed and cleaned up.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ctld.h"

#define BODY_MAX	(64u << 20)

struct body {
	char	*buf;
	size_t	 len;
	int	 over;
};

struct streamctx {
	CURL		*easy;
	long		 status;
	struct body	 err;
	docker_sink	 sink;
	void		*ctx;
	int		 sink_failed;
};

static int
path_safe(const char *path)
{
	return path[0] == '/' && strlen(path) < 1024 &&
	    strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789/._-?=&%:@") == strlen(path);
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

CURL *
docker_easy(const struct config *cf, const char *path, char *errbuf)
{
	char url[1100];
	CURL *c;

	if (!path_safe(path))
		return NULL;
	snprintf(url, sizeof(url), "http://localhost%s", path);
	if ((c = curl_easy_init()) == NULL)
		return NULL;
	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH,
	    cf->docker_socket) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http") != CURLE_OK ||
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

/* dockerd's {"message": "..."} or a generic text. */
static void
reply_error(struct docker_reply *r, const char *what)
{
	json_t *m = r->body ? json_object_get(r->body, "message") : NULL;

	if (json_is_string(m))
		snprintf(r->error, sizeof(r->error), "dockerd: %s",
		    json_string_value(m));
	else
		snprintf(r->error, sizeof(r->error), "dockerd: %s", what);
}

static void
transport_error(const struct config *cf, struct docker_reply *r,
    CURLcode rc, const char *errbuf)
{
	r->status = 0;
	if (rc == CURLE_COULDNT_CONNECT)
		snprintf(r->error, sizeof(r->error),
		    "cannot reach dockerd at %s", cf->docker_socket);
	else
		snprintf(r->error, sizeof(r->error), "dockerd: %s",
		    errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

int
docker_call(const struct config *cf, const char *method, const char *path,
    json_t *json, long timeout, struct docker_reply *r)
{
	char errbuf[CURL_ERROR_SIZE];
	struct body b = { NULL, 0, 0 };
	struct curl_slist *hdrs = NULL;
	char *payload = NULL;
	CURLcode rc;
	CURL *c;

	memset(r, 0, sizeof(*r));
	if ((c = docker_easy(cf, path, errbuf)) == NULL) {
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
	if (rc != CURLE_OK) {
		transport_error(cf, r, rc, errbuf);
		if (b.over)
			snprintf(r->error, sizeof(r->error),
			    "dockerd: answer larger than %u bytes", BODY_MAX);
		curl_easy_cleanup(c);
		free(b.buf);
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	if (b.len > 0)
		r->body = json_loadb(b.buf, b.len, 0, NULL);
	free(b.buf);
	if (r->status >= 400) {
		reply_error(r, "request failed");
		return 0;
	}
	if (b.len > 0 && r->body == NULL) {
		snprintf(r->error, sizeof(r->error),
		    "dockerd: malformed answer (HTTP %ld)", r->status);
		r->status = 0;
		return -1;
	}
	return 0;
}

void
docker_reply_free(struct docker_reply *r)
{
	json_decref(r->body);
	r->body = NULL;
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

/* The client may only close while we stream: any byte or EOF ends it. */
int
client_left(int fd, short revents)
{
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	shutdown(fd, SHUT_RD);
	return 1;
}

static int
stream_finish(const struct config *cf, struct streamctx *s, CURLcode rc,
    const char *errbuf, struct docker_reply *r)
{
	if (s->status == 0)	/* an empty answer never reached stream_write */
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->status);
	r->status = s->status;
	if (s->sink_failed) {
		snprintf(r->error, sizeof(r->error), "client gone");
		return -2;
	}
	if (s->status != 200 && s->status != 0) {
		if (s->err.len > 0)
			r->body = json_loadb(s->err.buf, s->err.len, 0, NULL);
		reply_error(r, "request failed");
		return 0;
	}
	if (rc != CURLE_OK) {
		transport_error(cf, r, rc, errbuf);
		return -1;
	}
	return 0;
}

/*
 * A followed stream trickles: a line at a time would wake this process,
 * and the client, once per line. Waiting pace_ms after each pass lets
 * lines gather (dockerd's socket buffers them) and go out together; the
 * first line after a quiet spell still goes out at once. Only the client
 * leaving ends the wait early.
 */
int
stream_pace(int client_fd, int ms)
{
	struct pollfd p = { .fd = client_fd, .events = POLLIN };

	if (ms <= 0)
		return 0;
	if (poll(&p, 1, ms) == -1)
		return errno == EINTR ? 0 : -1;
	return client_left(client_fd, p.revents) ? -1 : 0;
}

int
docker_stream(const struct config *cf, const char *path, int client_fd,
    int pace_ms, docker_sink sink, void *ctx, struct docker_reply *r)
{
	char errbuf[CURL_ERROR_SIZE];
	struct streamctx s;
	struct curl_waitfd wfd;
	CURLMsg *msg;
	CURLM *m;
	CURLcode rc = CURLE_OK;
	int running = 1, left, ret;

	memset(r, 0, sizeof(*r));
	memset(&s, 0, sizeof(s));
	s.sink = sink;
	s.ctx = ctx;
	if ((s.easy = docker_easy(cf, path, errbuf)) == NULL ||
	    (m = curl_multi_init()) == NULL) {
		curl_easy_cleanup(s.easy);
		snprintf(r->error, sizeof(r->error), "internal error (curl)");
		return -1;
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
		if (stream_pace(client_fd, pace_ms) == -1) {
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
	ret = stream_finish(cf, &s, rc, errbuf, r);
	curl_easy_cleanup(s.easy);
	curl_multi_cleanup(m);
	free(s.err.buf);
	return ret;
}
