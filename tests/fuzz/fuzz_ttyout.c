/*
 * libFuzzer: terminal filtering. Oracles: the output holds no ESC other
 * than SGR, no C0 but tab/LF/CR, no raw or UTF-8-encoded C1, and feeding
 * byte by byte gives the same output as whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ttyout.h"

static void
check(const unsigned char *o, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (o[i] == 0x1b) {
			if (i + 1 >= n || o[i + 1] != '[')
				abort();
			for (j = i + 2; j < n && ((o[j] >= '0' && o[j] <= '9') ||
			    o[j] == ';'); j++)
				;
			if (j >= n || o[j] != 'm')
				abort();
			i = j;
			continue;
		}
		if ((o[i] < 0x20 && o[i] != '\t' && o[i] != '\n' &&
		    o[i] != '\r') || o[i] == 0x7f)
			abort();
		if (o[i] == 0xc2 && i + 1 < n && o[i + 1] >= 0x80 &&
		    o[i + 1] <= 0x9f)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char whole[70000 + TTYOUT_SLACK], split[70000 * 2];
	unsigned char one[1 + TTYOUT_SLACK];
	struct ttyout t;
	size_t n, m = 0, i, k;

	if (size > 70000)
		return 0;
	ttyout_init(&t);
	n = ttyout_filter(&t, data, size, whole);
	check(whole, n);
	ttyout_init(&t);
	for (i = 0; i < size; i++) {
		k = ttyout_filter(&t, data + i, 1, one);
		memcpy(split + m, one, k);
		m += k;
	}
	if (m != n || memcmp(whole, split, n) != 0)
		abort();
	return 0;
}
