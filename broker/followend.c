/*
 * How a follow ends: the exit code of a container that stopped, or why
 * the output stopped otherwise, and what a relayed follow's end says.
 *
 * Invariants:
 * 1. A follow that ended while the container still runs is reported as
 *    cut, never as a clean end; one that ended because it stopped
 *    carries the exit code dockerd's inspect gives, never more of the
 *    container's state.
 * 2. A revoked follow is answered as revoked whatever else happened.
 */
#include <stdio.h>

#include <jansson.h>

#include "followend.h"
#include "revoke.h"

/*
 * A followed stream ends by itself when the container stops: the answer
 * then says how it exited. If it ended while the container still runs,
 * or dockerd is gone, the user must hear that the output stopped for
 * another reason.
 */
int
follow_cut(struct ctx *x)
{
	struct engine_reply r;
	json_t *state, *code;
	int running;

	if (engine_inspect(x->eng, x->t.id, 5, &r) == -1 ||
	    r.status != 200) {
		set_out(x, EXIT_FAIL, "the log stream ended: dockerd went away");
		engine_reply_free(&r);
		return 1;
	}
	state = json_object_get(r.body, "State");
	running = json_is_true(json_object_get(state, "Running"));
	code = json_object_get(state, "ExitCode");
	if (running)
		set_out(x, EXIT_FAIL, "the log stream ended while %s still "
		    "runs (dockerd restarted?)", x->req->name);
	else if (json_is_integer(code))
		x->out.data = json_pack("{s:I}", "exit_code",
		    json_integer_value(code));
	engine_reply_free(&r);
	return running;
}

/* The answer after a relay wrote the lines (relay_wait's outcome). */
void
follow_relayed(struct ctx *x, enum relayed rc, const char *why, int revoked)
{
	x->audit->via = "relay";
	if (revoked) {
		revoke_set_out(x);
		if (rc == RELAYED_LEFT || rc == RELAYED_LOST ||
		    rc == RELAYED_CUT_LOST)
			x->out.exit = -1;	/* nobody to answer */
	} else if (rc == RELAYED_CUT || rc == RELAYED_CUT_LOST) {
		if (rc == RELAYED_CUT)
			set_out(x, EXIT_FAIL, "%s", why);
		else
			x->out.exit = -1;	/* mid-frame: nothing more */
		x->audit->result = "cut: fell behind";
	} else if (rc == RELAYED_LEFT || rc == RELAYED_LOST) {
		x->out.exit = -1;	/* nobody to answer */
		x->audit->result = rc == RELAYED_LEFT ? "client left" :
		    "relay failed";
	} else if (rc == RELAYED_FAILED) {
		set_out(x, EXIT_FAIL, "%s", why);
		x->audit->result = "stream error";
	} else if (follow_cut(x))
		x->audit->result = "stream ended";
	else
		x->audit->result = "ok";
}

