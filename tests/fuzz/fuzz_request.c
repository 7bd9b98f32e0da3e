/* libFuzzer: the broker's request decoder and time parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "verbs.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct request req;
	struct timespec ts;
	char why[160], s[80];
	json_t *j;
	size_t i;

	if (size < sizeof(s)) {
		memcpy(s, data, size);
		s[size] = '\0';
		(void)time_parse(s, 1700000000, &ts);
		(void)name_valid(s);
		(void)engine_valid(s);
	}
	j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (j == NULL)
		return 0;
	if (json_is_object(j) &&
	    request_decode(j, 1700000000, &req, why, sizeof(why)) == 0) {
		/* what the broker acts on is validated (verbs.c invariant 3) */
		if ((req.verb->flags & VF_LOCAL) ||
		    (req.name[0] != '\0' && !name_valid(req.name)) ||
		    (req.template[0] != '\0' && !name_valid(req.template)) ||
		    (req.user[0] != '\0' && !user_valid(req.user)) ||
		    (req.engine[0] != '\0' && (!engine_valid(req.engine) ||
		    req.name[0] == '\0')) ||
		    req.tail < -1 || req.time < -1)
			abort();
		for (i = 0; i < req.nnames; i++)
			if (!name_valid(req.names[i]) ||
			    (req.names_engine[i][0] != '\0' &&
			    !engine_valid(req.names_engine[i])))
				abort();
	}
	json_decref(j);
	return 0;
}
