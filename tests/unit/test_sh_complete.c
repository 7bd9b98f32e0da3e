/* Unit tests for shell/complete.c: what Tab offers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "client.h"
#include "complete.h"

static struct comp c;

/* The candidates, in order, joined by spaces. */
static const char *
joined(void)
{
	static char buf[4096];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < c.n && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
		    i > 0 ? " " : "", c.w[i]);
	return buf;
}

static void
assert_containers(const char *ls, const char *prefix, const char *want)
{
	json_t *data = json_loads(ls, 0, NULL);

	assert_non_null(data);
	c.n = 0;
	complete_containers(data, prefix, &c);
	json_decref(data);
	if (strcmp(joined(), want) != 0)
		fail_msg("prefix \"%s\": offered \"%s\", want \"%s\"", prefix,
		    joined(), want);
}

#define TWO	"{\"containers\":[" \
	"{\"name\":\"api\",\"engine\":\"local\"}," \
	"{\"name\":\"web\",\"engine\":\"local\"}," \
	"{\"name\":\"web\",\"engine\":\"build02\"}," \
	"{\"name\":\"x\\u001by\",\"engine\":\"local\"}," \
	"{\"name\":\"db\",\"engine\":\"bad/engine\"}," \
	"{\"engine\":\"local\"}]}"

/* NAME where it is unique, ENGINE/NAME where it is not or was begun. */
static void
test_containers(void **state)
{
	assert_containers(TWO, "", "api local/web build02/web db");
	assert_containers(TWO, "w", "");
	assert_containers(TWO, "local/w", "local/web");
	assert_containers(TWO, "local/", "local/api local/web");
	assert_containers(TWO, "build02/", "build02/web");
	assert_containers(TWO, "a", "api");
	assert_containers("{\"containers\":[{\"name\":\"web\"},"
	    "{\"name\":\"api\"}]}", "", "web api");
	assert_containers("{\"containers\":[{\"name\":\"web\",\"engine\":"
	    "\"local\"}]}", "", "web");
	assert_containers("{\"containers\":{}}", "", "");
	assert_containers("{}", "", "");
}

#define SVC	"{\"containers\":[" \
	"{\"name\":\"web\",\"engine\":\"local\"}," \
	"{\"name\":\"web\",\"engine\":\"local\",\"kind\":\"service\"}," \
	"{\"name\":\"api\",\"engine\":\"local\",\"kind\":\"service\"}," \
	"{\"name\":\"api\",\"engine\":\"b2\"}," \
	"{\"name\":\"db\",\"kind\":\"service\"}]}"

/*
 * Services are offered as containers are; service:NAME or
 * container:NAME where both have that name on one engine or a ':' was
 * typed.
 */
static void
test_services(void **state)
{
	assert_containers(SVC, "", "container:web service:web local/api b2/api "
	    "db");
	assert_containers(SVC, "s", "service:web");
	assert_containers(SVC, "service:", "service:web service:db");
	assert_containers(SVC, "container:", "container:web");
	assert_containers(SVC, "local/", "local/container:web "
	    "local/service:web local/api");
	assert_containers(SVC, "local/service:", "local/service:web "
	    "local/service:api");
	assert_containers(SVC, "b2/container:", "b2/container:api");
	assert_containers(SVC, "d", "db");
}

static void
assert_complete(const char *line, int rc, const char *want)
{
	size_t prefix = 99;

	assert_int_equal(complete(line, strlen(line), &c, &prefix), rc);
	if (rc == 0 && strcmp(joined(), want) != 0)
		fail_msg("\"%s\": offered \"%s\", want \"%s\"", line, joined(),
		    want);
}

/* Verbs, options, and nothing for what the lexer would refuse. */
static void
test_words(void **state)
{
	assert_complete("sta", 0, "status start stats");
	assert_complete("ctl st", 0, "status start stop stats");
	assert_complete("logs --f", 0, "--follow");
	assert_complete("help ex", 0, "exec exit");
	assert_complete("can res", 0, "restart");
	assert_complete("status 'x", -1, "");
	assert_complete("nope x", -1, "");
	/* the word being completed: what follows the last space */
	{
		size_t prefix = 0;

		assert_int_equal(complete("stop -t 3 b2/we", 15, &c, &prefix),
		    0);
		assert_int_equal(prefix, 5);
	}
	/* no broker: no names, and no noise */
	assert_complete("status ", 0, "");
	assert_complete("logs -n ", 0, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_words),
	};

	client_set_socket("/nonexistent/ctl-test.sock");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
