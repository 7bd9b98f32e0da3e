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

void
fmt_bytes(char *dst, size_t size, double bytes)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	size_t i = 0;

	if (bytes < 0)
		bytes = 0;
	while (bytes >= 1024 && i < sizeof(units) / sizeof(units[0]) - 1) {
		bytes /= 1024;
		i++;
	}
	snprintf(dst, size, "%.4g%s", bytes, units[i]);
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
