/*
 * libFuzzer: the shell's tokenizer and argument parser. Oracle: whatever
 * the shell accepts for the broker, the broker's decoder accepts too, no
 * word holds a control or non-ASCII byte, and every refusal says what it
 * was (enum refusal).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "lex.h"
#include "verbs.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct request req;
	struct words w;
	struct cmd c;
	char err[256], why[160];
	const unsigned char *p;
	json_t *msg;
	int i;

	if (lex_line((const char *)data, size, &w, err, sizeof(err)) == -1) {
		if (w.refused == REFUSAL_NONE)
			abort();
		return 0;
	}
	if (w.argc == 0)
		return 0;
	for (i = 0; i < w.argc; i++)	/* quotes may hold ';', never controls */
		for (p = (const unsigned char *)w.argv[i]; *p != '\0'; p++)
			if (*p < 0x20 || *p >= 0x7f)
				abort();
	memset(&c, 0, sizeof(c));
	if (args_parse(w.argc, w.argv, &c, err, sizeof(err)) == -1) {
		if (c.refused == REFUSAL_NONE)
			abort();
		return 0;
	}
	if (!(c.verb->flags & VF_LOCAL)) {
		if ((msg = args_request(&c)) == NULL)
			abort();
		/* the shell checked times against its clock: so must this */
		if (request_decode(msg, time(NULL), &req, why,
		    sizeof(why)) == -1)
			abort();
		json_decref(msg);
	}
	args_free(&c);
	return 0;
}
