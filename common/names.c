/*
 * Validation of every word a user may send.
 *
 * Invariants:
 * 1. A name is [A-Za-z0-9][A-Za-z0-9_.-]* and at most NAME_MAX_LEN bytes:
 *    it cannot hold '/', '%', '?', '#', '&', space, or a leading '-'. An
 *    engine's name has the same form in at most ENGINE_MAX_LEN bytes, so
 *    the one '/' of ENGINE/NAME is never part of either.
 * 2. Numbers are decimal digits only: no sign, space, base prefix or
 *    overflow.
 * 3. A time value is parsed completely into seconds and nanoseconds; the
 *    broker sends dockerd only the numbers it printed itself.
 * 4. A container ID is exactly ID_LEN lower-case hex digits: the full ID,
 *    never a prefix dockerd would also accept. A Swarm object's ID
 *    (service, task, node) is exactly SWARM_ID_LEN of [a-z0-9].
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

/* [A-Za-z0-9][A-Za-z0-9_.-]* in at most max bytes. */
static int
word_valid(const char *s, size_t max)
{
	size_t i;

	if (s == NULL || !isalnum((unsigned char)s[0]))
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max)
			return 0;
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '.' && s[i] != '-')
			return 0;
		if ((unsigned char)s[i] > 0x7f)
			return 0;
	}
	return 1;
}

int
name_valid(const char *s)
{
	return word_valid(s, NAME_MAX_LEN);
}

int
engine_valid(const char *s)
{
	return word_valid(s, ENGINE_MAX_LEN);
}

int
id_valid(const char *s)
{
	return s != NULL && strlen(s) == ID_LEN &&
	    strspn(s, "0123456789abcdef") == ID_LEN;
}

int
swarm_id_valid(const char *s)
{
	return s != NULL && strlen(s) == SWARM_ID_LEN &&
	    strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz") == SWARM_ID_LEN;
}

/* A portable login name, as useradd accepts by default. */
int
user_valid(const char *s)
{
	size_t i;

	if (s == NULL || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		if (i >= 32)
			return 0;
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && !(s[i] == '$' && s[i + 1] == '\0'))
			return 0;
	}
	return 1;
}

int
uint_parse(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (s == NULL || s[0] == '\0')
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > ULONG_MAX / 10 || (v == ULONG_MAX / 10 &&
		    (unsigned long)(s[i] - '0') > ULONG_MAX % 10))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int
tail_parse(const char *s, unsigned long max, long *out)
{
	unsigned long v;

	if (s != NULL && strcmp(s, "all") == 0) {
		*out = -1;
		return 0;
	}
	if (max > LONG_MAX || uint_parse(s, max, &v) == -1)
		return -1;
	*out = (long)v;
	return 0;
}

/* Reads exactly n digits. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

/* Go's time.ParseDuration, ASCII units only. Returns 0 and nanoseconds. */
static int
duration_parse(const char *s, long double *ns)
{
	static const struct { const char *unit; long double ns; } units[] = {
		{ "ns", 1.0L }, { "us", 1e3L }, { "ms", 1e6L },
		{ "s", 1e9L }, { "m", 60e9L }, { "h", 3600e9L },
	};
	long double total = 0, v, frac;
	int neg = 0, any, i;
	size_t ulen;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		v = 0;
		any = 0;
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (*s++ - '0');
			any = 1;
			if (v > 1e20L)
				return -1;
		}
		if (*s == '.') {
			s++;
			frac = 0.1L;
			while (*s >= '0' && *s <= '9') {
				v += (*s++ - '0') * frac;
				frac /= 10;
				any = 1;
			}
		}
		if (!any)
			return -1;
		for (i = (int)(sizeof(units) / sizeof(units[0])) - 1; i >= 0;
		    i--) {
			ulen = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, ulen) == 0 &&
			    !(ulen == 1 && (s[1] == 's')))
				break;
		}
		if (i < 0)
			return -1;
		total += v * units[i].ns;
		s += strlen(units[i].unit);
	}
	if (total > 1e19L)
		return -1;
	*ns = neg ? -total : total;
	return 0;
}

static int
unix_parse(const char *s, struct timespec *out)
{
	long long sec = 0;
	long nsec = 0;
	int n = 0, d;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		if (++n > 15)
			return -1;
		sec = sec * 10 + (*s++ - '0');
	}
	if (*s == '.') {
		s++;
		for (n = 0; *s >= '0' && *s <= '9'; n++, s++) {
			if (n >= 9)
				return -1;
			nsec = nsec * 10 + (*s - '0');
		}
		if (n == 0)
			return -1;
		for (d = n; d < 9; d++)
			nsec *= 10;
	}
	if (*s != '\0')
		return -1;
	out->tv_sec = (time_t)sec;
	out->tv_nsec = nsec;
	return 0;
}

/* YYYY-MM-DD[THH[:MM[:SS[.frac]]]][Z|+HH:MM|-HH:MM], as Docker's CLI. */
static int
date_parse(const char *s, struct timespec *out)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, zh, zm, zone = 0, zsign = 1;
	long nsec = 0;
	int n;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
	    *s++ != '-' || digits(&s, 2, &d))
		return -1;
	if (*s == 'T') {
		s++;
		if (digits(&s, 2, &h))
			return -1;
		if (*s == ':') {
			s++;
			if (digits(&s, 2, &mi))
				return -1;
			if (*s == ':') {
				s++;
				if (digits(&s, 2, &sec))
					return -1;
				if (*s == '.') {
					s++;
					for (n = 0; *s >= '0' && *s <= '9';
					    n++, s++) {
						if (n >= 9)
							return -1;
						nsec = nsec * 10 + (*s - '0');
					}
					if (n == 0)
						return -1;
					for (; n < 9; n++)
						nsec *= 10;
				}
			}
		}
	}
	if (*s == 'Z' || *s == 'z') {
		zone = 1;
		zh = zm = 0;
		s++;
	} else if (*s == '+' || *s == '-') {
		zone = 1;
		zsign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &zh) || *s++ != ':' || digits(&s, 2, &zm) ||
		    zh > 23 || zm > 59)
			return -1;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 59)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (zone) {
		t = timegm(&tm);
		t -= zsign * (zh * 3600 + zm * 60);
	} else {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	if (tm.tm_mday != d)	/* normalised: no such day, e.g. 02-31 */
		return -1;
	if (t < 0)		/* before 1970, as a duration may not be */
		return -1;
	out->tv_sec = t;
	out->tv_nsec = nsec;
	return 0;
}

int
time_parse(const char *s, time_t now, struct timespec *out)
{
	long double ns;
	long long whole;

	if (s == NULL || *s == '\0' || strlen(s) > 64)
		return -1;
	if (strcmp(s, "0") != 0 && duration_parse(s, &ns) == 0) {
		/* Docker's CLI floors now-d to whole seconds */
		whole = (long long)(ns / 1e9L);
		if ((long double)whole * 1e9L < ns)
			whole++;
		out->tv_sec = now - (time_t)whole;
		out->tv_nsec = 0;
		return out->tv_sec < 0 ? -1 : 0;
	}
	if (strchr(s, '-') != NULL && s[0] != '-')
		return date_parse(s, out);
	return unix_parse(s, out);
}
