/*
 * A hijacked Engine API connection: the HTTP request that starts an
 * exec, then the raw stream both ways on the same socket. libcurl
 * connects (CURLOPT_CONNECT_ONLY) and carries the bytes; the upgrade
 * is read here.
 *
 * Invariants:
 * 1. The request line, headers and body are the caller's (engine.c
 *    prints the path, the body is JSON it built): nothing is added
 *    here but fixed header words and the body's length.
 * 2. The answer's header is read within the deadline and HIJACK_HDR_MAX
 *    bytes; only 101 (or 200) starts a stream. Bytes that came after
 *    the header are the stream's first, handed out before any other.
 * 3. Every error is reported in h->error and leaves the connection for
 *    hijack_close alone to free.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "hijack.h"
#include "proto.h"

#define HIJACK_HDR_MAX	8192

static int __attribute__((format(printf, 2, 3)))
fail(struct hijack *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->error, sizeof(h->error), fmt, ap);
	va_end(ap);
	return -1;
}

/* c: a handle engine.c set up for the engine, connect-only. */
static int
connect_only(struct hijack *h, void *c, const char *where)
{
	curl_socket_t s;
	CURLcode rc;

	if ((h->easy = c) == NULL)
		return fail(h, "internal error (curl)");
	if ((rc = curl_easy_perform(h->easy)) != CURLE_OK)
		return fail(h, rc == CURLE_COULDNT_CONNECT ? "cannot reach "
		    "dockerd at %s" : "dockerd: %s", rc == CURLE_COULDNT_CONNECT
		    ? where : curl_easy_strerror(rc));
	if (curl_easy_getinfo(h->easy, CURLINFO_ACTIVESOCKET, &s) !=
	    CURLE_OK || s == CURL_SOCKET_BAD)
		return fail(h, "internal error (curl socket)");
	h->fd = (int)s;
	return 0;
}

/* Waits for fd to be ready for events until deadline; 0, or -1. */
static int
wait_fd(struct hijack *h, short events, long long deadline)
{
	struct pollfd p = { h->fd, events, 0 };
	long long left = deadline - now_ms();
	int n;

	if (left <= 0)
		return fail(h, "dockerd did not answer in time");
	n = poll(&p, 1, (int)left);
	if (n == -1 && errno == EINTR)
		return 0;
	if (n == -1)
		return fail(h, "poll: %s", strerror(errno));
	return 0;
}

static int
send_all(struct hijack *h, const char *buf, size_t len, long long deadline)
{
	size_t n;
	CURLcode rc;

	while (len > 0) {
		rc = curl_easy_send(h->easy, buf, len, &n);
		if (rc == CURLE_AGAIN) {
			if (wait_fd(h, POLLOUT, deadline) == -1)
				return -1;
			continue;
		}
		if (rc != CURLE_OK)
			return fail(h, "dockerd: %s", curl_easy_strerror(rc));
		buf += n;
		len -= n;
	}
	return 0;
}

/* dockerd's {"message": ...} after a refused upgrade, if it sent one. */
static void
refusal(struct hijack *h, long status, const char *hdr, size_t len)
{
	const char *body = strstr(hdr, "\r\n\r\n");
	json_t *j = NULL, *m;

	if (body != NULL)
		j = json_loadb(body + 4, len - (size_t)(body + 4 - hdr), 0,
		    NULL);
	m = json_object_get(j, "message");
	if (json_is_string(m))
		fail(h, "dockerd: %.200s", json_string_value(m));
	else
		fail(h, "dockerd: HTTP %ld", status);
	json_decref(j);
	h->status = status;
}

/* Reads the answer's header; the bytes after it stay in h->pre. */
static int
read_header(struct hijack *h, long long deadline)
{
	char buf[HIJACK_HDR_MAX + 1], *end;
	size_t len = 0, n;
	long status;
	CURLcode rc;

	for (;;) {
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		if (len == HIJACK_HDR_MAX)
			return fail(h, "dockerd: answer header too long");
		rc = curl_easy_recv(h->easy, buf + len, HIJACK_HDR_MAX - len,
		    &n);
		if (rc == CURLE_AGAIN) {
			if (wait_fd(h, POLLIN, deadline) == -1)
				return -1;
			continue;
		}
		if (rc != CURLE_OK || n == 0)
			return fail(h, "dockerd closed the connection");
		len += n;
	}
	if (sscanf(buf, "HTTP/1.%*1[01] %3ld", &status) != 1)
		return fail(h, "dockerd: malformed answer");
	if (status != 101 && status != 200) {
		/* the body may still be on its way: a moment for it */
		if (wait_fd(h, POLLIN, now_ms() + 200) == 0 &&
		    curl_easy_recv(h->easy, buf + len, HIJACK_HDR_MAX - len,
		    &n) == CURLE_OK)
			len += n;
		buf[len] = '\0';
		refusal(h, status, buf, len);
		return -1;
	}
	h->status = status;
	end += 4;
	h->prelen = len - (size_t)(end - buf);
	memcpy(h->pre, end, h->prelen);
	return 0;
}

int
hijack_open(struct hijack *h, void *easy, const char *where, const char *path,
    const char *body, long timeout_ms)
{
	char hdr[1024];
	long long deadline = now_ms() + timeout_ms;
	int n;

	memset(h, 0, sizeof(*h));
	h->fd = -1;
	n = snprintf(hdr, sizeof(hdr), "POST %s HTTP/1.1\r\n"
	    "Host: docker\r\nUser-Agent: ctld\r\n"
	    "Content-Type: application/json\r\n"
	    "Connection: Upgrade\r\nUpgrade: tcp\r\n"
	    "Content-Length: %zu\r\n\r\n", path, strlen(body));
	if (n < 0 || (size_t)n >= sizeof(hdr)) {
		curl_easy_cleanup(easy);
		return fail(h, "internal error (path)");
	}
	if (connect_only(h, easy, where) == -1 ||
	    send_all(h, hdr, (size_t)n, deadline) == -1 ||
	    send_all(h, body, strlen(body), deadline) == -1)
		return -1;
	return read_header(h, deadline);
}

ssize_t
hijack_read(struct hijack *h, void *buf, size_t len)
{
	size_t n;
	CURLcode rc;

	if (h->preoff < h->prelen) {
		n = h->prelen - h->preoff;
		if (n > len)
			n = len;
		memcpy(buf, h->pre + h->preoff, n);
		h->preoff += n;
		return (ssize_t)n;
	}
	h->more = 0;
	rc = curl_easy_recv(h->easy, buf, len, &n);
	if (rc == CURLE_AGAIN)
		return HIJACK_AGAIN;
	if (rc != CURLE_OK) {
		fail(h, "dockerd: %s", curl_easy_strerror(rc));
		return -1;
	}
	/* TLS may hold the rest of a record that poll cannot see */
	h->more = n == len;
	return (ssize_t)n;
}

int
hijack_pending(const struct hijack *h)
{
	return h->preoff < h->prelen || h->more;
}

ssize_t
hijack_write(struct hijack *h, const void *buf, size_t len)
{
	size_t n;
	CURLcode rc;

	rc = curl_easy_send(h->easy, buf, len, &n);
	if (rc == CURLE_AGAIN)
		return 0;
	if (rc != CURLE_OK) {
		fail(h, "dockerd: %s", curl_easy_strerror(rc));
		return -1;
	}
	return (ssize_t)n;
}

/* The command's stdin ends; its output still comes. */
int
hijack_close_write(struct hijack *h)
{
	if (shutdown(h->fd, SHUT_WR) == -1)
		return fail(h, "shutdown: %s", strerror(errno));
	return 0;
}

void
hijack_close(struct hijack *h)
{
	if (h->easy != NULL)
		curl_easy_cleanup(h->easy);
	h->easy = NULL;
	h->fd = -1;
}
