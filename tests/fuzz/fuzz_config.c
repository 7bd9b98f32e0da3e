/* libFuzzer: the configuration loader (broker/config.c, tmplconf.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctld.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[] = "/tmp/fuzz-ctld-XXXXXX";
	static int fd = -1;
	struct config *cf;
	char err[512];

	if (fd == -1 && (fd = mkstemp(path)) == -1)
		abort();
	if (ftruncate(fd, 0) == -1 || pwrite(fd, data, size, 0) !=
	    (ssize_t)size)
		abort();
	if ((cf = config_load(path, 0, err, sizeof(err))) != NULL) {
		if (cf->listen_path == NULL || cf->listen_path[0] != '/' ||
		    cf->listen_mode > 0777)
			abort();
		config_free(cf);
	}
	return 0;
}
