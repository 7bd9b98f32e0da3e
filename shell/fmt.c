/*
 * Formatting of what the broker sends, for a human.
 *
 * Invariants:
 * 1. Every string that leaves here is printable ASCII: bytes below 0x20,
 *    0x7f and above it become '?', so the broker's strings (names,
 *    states, images, errors) cannot drive the terminal.
 * 2. Output is always NUL-terminated and truncated to the buffer.
 */
#include <stdio.h>
#include <string.h>

#include "fmt.h"

void
fmt_safe(char *dst, size_t size, const char *src)
{
	unsigned char c;
	size_t i;

	if (size == 0)
		return;
	for (i = 0; src[i] != '\0' && i + 1 < size; i++) {
		c = (unsigned char)src[i];
		dst[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	dst[i] = '\0';
}

/* v in the largest unit of base it reaches, with digits significant. */
static void
scaled(char *dst, size_t size, double v, double base,
    const char *const units[7], int digits)
{
	size_t i = 0;

	if (v < 0)
		v = 0;
	while (v >= base && i < 6) {
		v /= base;
		i++;
	}
	snprintf(dst, size, "%.*g%s", digits, v, units[i]);
}

void
fmt_bytes(char *dst, size_t size, double bytes)
{
	static const char *const units[7] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};

	scaled(dst, size, bytes, 1024, units, 4);
}

void
fmt_size(char *dst, size_t size, double bytes)
{
	static const char *const units[7] = {
		"B", "kB", "MB", "GB", "TB", "PB", "EB"
	};

	scaled(dst, size, bytes, 1000, units, 3);
}

void
fmt_json(char *dst, size_t size, const json_t *v)
{
	switch (v != NULL ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		fmt_safe(dst, size, json_string_length(v) > 0 ?
		    json_string_value(v) : "-");
		break;
	case JSON_INTEGER:
		snprintf(dst, size, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(dst, size, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(dst, size, "yes");
		break;
	case JSON_FALSE:
		snprintf(dst, size, "no");
		break;
	default:
		snprintf(dst, size, "-");
		break;
	}
}

void
fmt_target(char *dst, size_t size, const json_t *row, int qualify)
{
	const json_t *engine = json_object_get(row, "engine");
	size_t n;

	if (!qualify || !json_is_string(engine) ||
	    json_string_length(engine) == 0) {
		fmt_json(dst, size, json_object_get(row, "name"));
		return;
	}
	fmt_json(dst, size, engine);
	n = strlen(dst);
	if (n + 1 < size) {
		dst[n++] = '/';
		fmt_json(dst + n, size - n, json_object_get(row, "name"));
	}
}
