/* libFuzzer: the frame decoder and JSON control messages (common/proto.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct frame f;
	const char *why;
	json_t *j;
	int sv[2], rc;

	if (size > 100000 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return 0;
	if (size > 0 && write(sv[0], data, size) != (ssize_t)size)
		abort();
	close(sv[0]);
	while ((rc = proto_recv(sv[1], &f, 100, &why)) == 1) {
		if (f.len > PROTO_MAX_LEN || f.type == 0 ||
		    f.type > FRAME_TYPE_MAX)
			abort();	/* invariant 1 of proto.c */
		if ((j = proto_json(&f, &why)) != NULL) {
			if (!json_is_object(j))
				abort();
			json_decref(j);
		}
	}
	close(sv[1]);
	return 0;
}
