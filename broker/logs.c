/*
 * logs: a container's output to the client, from dockerd or, for a
 * follow that can share, from the container's relay (relay.h).
 *
 * Invariants:
 * 1. Bytes from dockerd reach the client exactly, split into stdout and
 *    stderr frames as dockerd's stream says (stream.c); a malformed or
 *    truncated stream is said to be so, never passed on as output.
 * 2. When the client leaves, the stream stops at once and nothing is
 *    answered (engine.c, clientfd.c).
 * 3. A follow that ended while the container still runs is reported as
 *    cut, not as a clean end; one that ended because it stopped carries
 *    the exit code dockerd's inspect gives (done.data.exit_code), never
 *    more of the container's state.
 * 4. While a relay holds the client, this process never writes to it
 *    (relay.c): it hands the follow to the keeper (keeper.c) and ends
 *    without answering or auditing, or it answers only after the relay
 *    gave the client back.
 * 5. A follower the relay cut for falling behind is told so when it can
 *    still be answered, and the cut is audited either way; a follow the
 *    relay refused for the uid's cuts reads dockerd, and its record says
 *    so.
 * 6. A follow a reload revoked (revoke.c) stops between whole frames:
 *    a direct one before its next wait, a relayed one once the relay
 *    gave the client back (relay_return); then it is answered and
 *    audited as revoked, and never read from dockerd again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "clientfd.h"
#include "followend.h"
#include "keeper.h"
#include "handlers.h"
#include "relay.h"
#include "revoke.h"
#include "stream.h"

/*
 * Log bytes become stdout/stderr frames, laid out back to back in one
 * buffer and written with one write(2) per batch: a stream that switches
 * between stdout and stderr every line would otherwise cost a system
 * call per line on both sides.
 */
#define SINK_BUF	(256u << 10)

struct logsink {
	int		 fd;
	struct ctx	*x;		/* a follow's: decided again on reload */
	int		 revoked;	/* ... and no longer allowed */
	int		 send_failed;	/* the client is gone */
	int		 bad;		/* dockerd's stream is malformed */
	uint8_t		 type;		/* of the open frame; 0: none */
	size_t		 hdr;		/* where the open frame's header is */
	size_t		 len;		/* bytes in buf */
	struct demux	 dm;
	char		 syserr[256];
	size_t		 syserrlen;
	unsigned char	 buf[SINK_BUF];
};

static void
sink_close_frame(struct logsink *s)
{
	if (s->type != 0)
		proto_put_header(s->buf + s->hdr, s->type,
		    (uint32_t)(s->len - s->hdr - PROTO_HDR_LEN));
	s->type = 0;
}

static int
sink_flush(struct logsink *s)
{
	sink_close_frame(s);
	if (s->len == 0)
		return 0;
	if (proto_send_framed(s->fd, s->buf, s->len) == -1) {
		s->send_failed = 1;
		return -1;
	}
	s->len = 0;
	return 0;
}

static int
sink_put(void *arg, int stream, const unsigned char *p, size_t len)
{
	struct logsink *s = arg;
	uint8_t type = stream == 2 ? FRAME_STDERR : FRAME_STDOUT;
	size_t n, room;

	if (stream == 3) {
		n = sizeof(s->syserr) - 1 - s->syserrlen;
		n = len < n ? len : n;
		memcpy(s->syserr + s->syserrlen, p, n);
		s->syserrlen += n;
		return 0;
	}
	while (len > 0) {
		if (s->type != 0 && (s->type != type ||
		    s->len - s->hdr - PROTO_HDR_LEN == PROTO_MAX_LEN))
			sink_close_frame(s);
		if (s->type == 0) {
			if (s->len + PROTO_HDR_LEN + 1 > sizeof(s->buf) &&
			    sink_flush(s) == -1)
				return -1;
			s->hdr = s->len;
			s->len += PROTO_HDR_LEN;
			s->type = type;
		}
		room = PROTO_MAX_LEN - (s->len - s->hdr - PROTO_HDR_LEN);
		if (room > sizeof(s->buf) - s->len)
			room = sizeof(s->buf) - s->len;
		n = len < room ? len : room;
		memcpy(s->buf + s->len, p, n);
		s->len += n;
		p += n;
		len -= n;
		if (s->len == sizeof(s->buf) && sink_flush(s) == -1)
			return -1;
	}
	return 0;
}

/*
 * Before each wait the batch goes out; then, between whole frames, a
 * reload may end the follow (revoke.c).
 */
static int
sink_pass(struct logsink *s)
{
	if (sink_flush(s) == -1)
		return -1;
	if (s->x != NULL && revoke_pending() && revoke_recheck(s->x)) {
		s->revoked = 1;
		return -1;
	}
	return 0;
}

/*
 * engine_logs's sink. Bytes are only gathered here; a NULL buffer is
 * the stream's word that it is about to wait.
 */
static int
sink_raw(void *arg, const unsigned char *p, size_t len)
{
	struct logsink *s = arg;

	if (p == NULL)
		return sink_pass(s);
	return sink_put(s, 1, p, len);
}

static int
sink_mux(void *arg, const unsigned char *p, size_t len)
{
	struct logsink *s = arg;

	if (p == NULL)
		return sink_pass(s);
	if (demux_feed(&s->dm, p, len, sink_put, s) == -1) {
		s->bad = !s->send_failed;
		return -1;
	}
	return 0;
}

static void
logs_opts(const struct request *r, struct engine_logopts *o)
{
	o->follow = r->follow;
	o->timestamps = r->timestamps;
	o->tail = r->tail;
	o->has_since = r->has_since;
	o->since = r->since;
	o->has_until = r->has_until;
	o->until = r->until;
}

/*
 * A follow of new lines, or of fewer than a relay keeps, can share one
 * dockerd stream with the container's other followers (relay.c).
 */
static int
relay_fits(const struct ctx *x)
{
	const struct request *r = x->req;

	return r->follow && !x->t.tty && !r->has_since && !r->has_until &&
	    r->tail >= 0 && r->tail <= RELAY_RING_LINES;
}

void
do_logs(struct ctx *x)
{
	struct engine_reply r;
	struct engine_logopts o;
	struct logsink *s;
	struct relay_env env;
	enum engine_stream es;
	enum relayed rc;
	char why[256];
	int rfd, slow = 0, revoked = 0;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		set_out(x, EXIT_FAIL, "out of memory");
		return;
	}
	s->fd = x->fd;
	s->x = x->req->follow ? x : NULL;
	demux_init(&s->dm);
	logs_opts(x->req, &o);
	env = *x->relays;
	env.eng = x->eng;	/* the relay reads the target's engine */
	if (relay_fits(x) && (rfd = relay_attach(&env, x->t.id,
	    x->req->timestamps, x->req->tail, x->who->uid, x->fd,
	    &slow)) != -1) {
		if (keeper_adopt(x, rfd) == 0) {	/* this process ends */
			close(rfd);
			x->out.exit = -1;
			x->audit->kept = 1;
			free(s);
			return;
		}
		engine_release_connections();	/* the wait may be long */
		while ((rc = relay_wait(rfd, x->fd, why, sizeof(why),
		    revoke_waitmask())) == RELAYED_WOKEN)
			if (!revoked && revoke_pending() && revoke_recheck(x)) {
				revoked = 1;
				(void)relay_return(rfd);
			}
		close(rfd);
		if (rc != RELAYED_UNSERVED || revoked) {
			follow_relayed(x, rc, why, revoked);
			free(s);
			return;
		}
	}
	if (slow) {	/* this uid's followers were cut too often */
		x->audit->via = "dockerd: cut too often";
		logmsg(LOG_NOTICE, "uid %u: followers of %s cut too often for "
		    "falling behind; this one reads dockerd", (unsigned)
		    x->who->uid, x->t.id);
	}
	es = engine_logs(x->eng, x->t.id, &o, x->fd, x->req->follow ?
	    FOLLOW_PACE_MS : 0, x->t.tty ? sink_raw : sink_mux, s, &r);
	if (s->revoked)
		revoke_set_out(x);
	else if (es == ENGINE_STREAM_CUT && s->bad) {
		set_out(x, EXIT_FAIL, "error from daemon in stream: malformed "
		    "frame header");
		x->audit->result = "stream error";
	} else if (es == ENGINE_STREAM_CUT) {
		x->out.exit = -1;	/* nobody to answer */
		x->audit->result = "client left";
	} else if (es == ENGINE_STREAM_FAILED || r.status != 200) {
		if (r.status == 0 && r.error[0] == '\0')
			snprintf(r.error, sizeof(r.error),
			    "malformed log stream from dockerd");
		engine_failed(x, r.error);
	} else if (!x->t.tty && (!demux_done(&s->dm) || s->syserrlen > 0)) {
		set_out(x, EXIT_FAIL, "error from daemon in stream: %s",
		    s->syserrlen ? s->syserr : "truncated stream");
		x->audit->result = "stream error";
	} else if (x->req->follow && follow_cut(x))
		x->audit->result = "stream ended";
	else
		x->audit->result = "ok";
	engine_reply_free(&r);
	free(s);
}
