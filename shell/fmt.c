/*
 * Formatting of what the broker sends, for a human.
 *
 * Invariants:
 * 1. Every string that leaves here is printable ASCII: bytes below 0x20,
 *    0x7f and above it become '?', so the broker's strings (names,
 *    states, images, errors) cannot drive the terminal.
 * 2. Output is always NUL-terminated and truncated to the buffer.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "names.h"

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
fmt_key(char *dst, size_t size, const json_t *row, const char *key)
{
	fmt_json(dst, size, json_object_get(row, key));
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

void
fmt_ago(char *dst, size_t size, time_t t, time_t now)
{
	static const struct {
		long		 below;	/* seconds */
		long		 unit;
		const char	*name;
	} steps[] = {
		{ 120, 1, "seconds" },
		{ 2 * 3600, 60, "minutes" },
		{ 2 * 86400, 3600, "hours" },
		{ 0, 86400, "days" },
	};
	long d = (long)(now - t);
	size_t i;

	if (d < 0) {
		snprintf(dst, size, "in the future");
		return;
	}
	if (d < 2) {
		snprintf(dst, size, "just now");
		return;
	}
	for (i = 0; steps[i].below != 0 && d >= steps[i].below; i++)
		;
	snprintf(dst, size, "%ld %s ago", d / steps[i].unit, steps[i].name);
}

void
fmt_replicas(char *dst, size_t size, const json_t *row)
{
	char running[32], desired[32];

	fmt_json(running, sizeof(running), json_object_get(row, "running"));
	fmt_json(desired, sizeof(desired), json_object_get(row, "desired"));
	snprintf(dst, size, "%s/%s", running, desired);
}

void
fmt_since(char *dst, size_t size, const json_t *state, const json_t *when,
    time_t now)
{
	struct timespec ts;
	const char *s = json_string_value(when);
	size_t n;

	fmt_json(dst, size, state);
	dst[0] = (char)toupper((unsigned char)dst[0]);
	n = strlen(dst);
	if (s == NULL || time_parse(s, 0, &ts) == -1 || n + 1 >= size)
		return;
	dst[n++] = ' ';
	fmt_ago(dst + n, size - n, ts.tv_sec, now);
}
