/*
 * What a verb handler answers and records: the exit code and message
 * for the client, and the audit record's decision and reason.
 *
 * Invariants:
 * 1. not_found says, word for word and with the same exit code, what a
 *    missing container gets; the audit record keeps the real reason.
 */
#include <stdarg.h>
#include <stdio.h>

#include "handlers.h"

void
set_out(struct ctx *x, int code, const char *fmt, ...)
{
	va_list ap;

	x->out.exit = code;
	va_start(ap, fmt);
	vsnprintf(x->out.msg, sizeof(x->out.msg), fmt, ap);
	va_end(ap);
}

void
not_found(struct ctx *x, const char *reason)
{
	set_out(x, EXIT_NOTFOUND, "no such container: %s", x->req->name);
	x->audit->allow = 0;
	snprintf(x->audit->reason, sizeof(x->audit->reason), "%s", reason);
}

/*
 * dockerd failed: a transport or server error the user should see. No
 * policy said no: before a decision the record says "error", after one
 * it stays "allow" with this result.
 */
void
engine_failed(struct ctx *x, const char *error)
{
	set_out(x, EXIT_FAIL, "%s", error);
	x->audit->result = "docker error";
	if (!x->audit->allow)
		x->audit->error = 1;
}

/* The done frame's message: exit, the error if any, and the data. */
json_t *
outcome_json(const struct outcome *o)
{
	json_t *j;

	if ((j = json_pack("{s:i}", "exit", o->exit)) == NULL)
		return NULL;
	if (o->exit != 0)
		json_object_set_new(j, "error", json_string(o->msg));
	if (o->data != NULL)
		json_object_set(j, "data", o->data);
	return j;
}
