/*
 * Unit tests for policy_decide (broker/policy.c): default deny, labels
 * compared exactly, rules by user, group and container glob, and deny
 * rules that win whatever their order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctld.h"

#define PATH		"/etc/ctl/ctld.conf"
/* Every verb that reaches the broker: the local ones come last. */
#define ALL_VERBS	(VERB_BIT(VERB_HELP) - 1)
#define READ_VERBS	(VERB_BIT(VERB_LS) | VERB_BIT(VERB_STATUS) | \
	VERB_BIT(VERB_LOGS))

static char *alice_groups[] = { "alice", "dev", NULL };
static char *bob_groups[] = { "bob", "oncall", NULL };
static char *no_groups[] = { NULL };

static struct identity alice = { 1001, 1001, 1, "alice", alice_groups };
static struct identity bob = { 1002, 1002, 2, "bob", bob_groups };
static struct identity carol = { 1003, 1003, 3, "carol", no_groups };
static struct identity dave = { 1004, 1004, 4, "dave", NULL };

static char *l_alice[] = { "alice", NULL };
static char *l_bob[] = { "bob", NULL };
static char *l_star[] = { "*", NULL };
static char *l_oncall[] = { "oncall", NULL };
static char *l_web[] = { "web-*", NULL };

static struct config	cf;
static struct decision	d;
static const char	*on = "local";	/* the engine decided on */

static int
setup(void **state)
{
	memset(&cf, 0, sizeof(cf));
	cf.path = PATH;
	cf.owner_label = "ctl.owner";
	cf.group_label = "ctl.group";
	cf.owner_verbs = READ_VERBS | VERB_BIT(VERB_RESTART);
	on = "local";
	return 0;
}

static struct rule
mkrule(char **users, char **groups, char **containers, unsigned verbs,
    int deny, int line)
{
	struct rule r;

	memset(&r, 0, sizeof(r));
	r.users = users;
	r.groups = groups;
	r.containers = containers;
	r.verbs = verbs;
	r.deny = deny;
	r.line = line;
	return r;
}

static void
decide(const struct identity *id, enum verb_id verb, const char *name,
    const char *owner, const char *group)
{
	memset(&d, 0xa5, sizeof(d));
	policy_decide(&cf, id, verb, on, name, owner, group, &d);
}

static void
reason_has(const char *want)
{
	if (strstr(d.reason, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", d.reason, want);
}

/* Exactly the verbs in mask are allowed; visible is as given. */
static void
expect_verbs(const struct identity *id, const char *name, const char *owner,
    const char *group, unsigned mask, int visible)
{
	int v;

	for (v = VERB_LS; v < VERB_HELP; v++) {
		decide(id, (enum verb_id)v, name, owner, group);
		if (d.allow != !!(mask & VERB_BIT(v)))
			fail_msg("%s on %s, verb %s: allow %d (%s)", id->user,
			    name, verb_by_id((enum verb_id)v)->name, d.allow,
			    d.reason);
		if (d.visible != visible)
			fail_msg("%s on %s, verb %s: visible %d", id->user,
			    name, verb_by_id((enum verb_id)v)->name,
			    d.visible);
		if (d.reason[0] == '\0')
			fail_msg("no reason");
	}
}

/* Labels. */

static void
test_owner_label_grants_owner_verbs_only(void **state)
{
	expect_verbs(&alice, "app", "alice", NULL, cf.owner_verbs, 1);
	decide(&alice, VERB_LS, "app", "alice", NULL);
	assert_int_equal(d.allow, 1);
	assert_string_equal(d.reason, "owner (ctl.owner=alice)");
	decide(&alice, VERB_STOP, "app", "alice", NULL);
	assert_int_equal(d.allow, 0);
	assert_int_equal(d.visible, 1);
	assert_string_equal(d.reason, "no rule or label grants stop");
}

static void
test_other_users_container(void **state)
{
	expect_verbs(&bob, "app", "alice", NULL, 0, 0);
	expect_verbs(&carol, "app", "alice", NULL, 0, 0);
	decide(&bob, VERB_LS, "app", "alice", NULL);
	assert_int_equal(d.allow, 0);
	assert_int_equal(d.visible, 0);
	assert_string_equal(d.reason, "no rule or label grants ls");
}

static void
test_group_label_grants_members_only(void **state)
{
	expect_verbs(&alice, "app", NULL, "dev", cf.owner_verbs, 1);
	decide(&alice, VERB_LOGS, "app", NULL, "dev");
	assert_string_equal(d.reason, "group member (ctl.group=dev)");
	expect_verbs(&bob, "app", NULL, "dev", 0, 0);
	expect_verbs(&carol, "app", NULL, "dev", 0, 0);
	expect_verbs(&dave, "app", NULL, "dev", 0, 0);
	/* A user's own name is a label for ctl.owner, not ctl.group. */
	expect_verbs(&carol, "app", NULL, "carol", 0, 0);
}

static void
test_no_labels_deny(void **state)
{
	expect_verbs(&alice, "app", NULL, NULL, 0, 0);
	expect_verbs(&dave, "app", NULL, NULL, 0, 0);
	decide(&alice, VERB_STATUS, "app", NULL, NULL);
	assert_string_equal(d.reason, "no rule or label grants status");
}

static void
test_labels_compared_exactly(void **state)
{
	static const char *const owners[] = { "*", "ali*", "alic", "alicex",
	    "ALICE", "alice ", " alice", "" };
	size_t i;

	for (i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
		expect_verbs(&alice, "app", owners[i], NULL, 0, 0);
		expect_verbs(&alice, "app", NULL, owners[i], 0, 0);
	}
	expect_verbs(&alice, "app", NULL, "de*", 0, 0);
	expect_verbs(&alice, "app", NULL, "DEV", 0, 0);
}

static void
test_absent_label_never_matches(void **state)
{
	static char *empty_user_groups[] = { "", NULL };
	struct identity nobody = { 65534, 65534, 5, "", empty_user_groups };

	/* NULL labels, even for an odd identity whose names are empty. */
	expect_verbs(&nobody, "app", NULL, NULL, 0, 0);
	expect_verbs(&carol, "app", NULL, NULL, 0, 0);
	expect_verbs(&dave, "app", NULL, NULL, 0, 0);
}

static void
test_empty_owner_verbs(void **state)
{
	cf.owner_verbs = 0;
	expect_verbs(&alice, "app", "alice", NULL, 0, 0);
	expect_verbs(&alice, "app", NULL, "dev", 0, 0);
	expect_verbs(&alice, "app", "alice", "dev", 0, 0);
}

/* Rules. */

static void
test_rule_by_group_glob(void **state)
{
	struct rule rules[1];

	rules[0] = mkrule(NULL, l_oncall, l_web, READ_VERBS, 0, 7);
	cf.rules = rules;
	cf.nrules = 1;
	expect_verbs(&bob, "web-1", NULL, NULL, READ_VERBS, 1);
	expect_verbs(&bob, "web-", NULL, NULL, READ_VERBS, 1);
	decide(&bob, VERB_LOGS, "web-1", NULL, NULL);
	assert_string_equal(d.reason, "allowed by rule at " PATH ":7");
	expect_verbs(&bob, "db-1", NULL, NULL, 0, 0);
	expect_verbs(&bob, "web", NULL, NULL, 0, 0);
	expect_verbs(&bob, "xweb-1", NULL, NULL, 0, 0);
	expect_verbs(&bob, "Web-1", NULL, NULL, 0, 0);
	/* Not in the group: nothing. */
	expect_verbs(&alice, "web-1", NULL, NULL, 0, 0);
	expect_verbs(&carol, "web-1", NULL, NULL, 0, 0);
	expect_verbs(&dave, "web-1", NULL, NULL, 0, 0);
}

static void
test_rule_by_user(void **state)
{
	struct rule rules[1];

	rules[0] = mkrule(l_alice, NULL, l_star, VERB_BIT(VERB_STATS), 0, 3);
	cf.rules = rules;
	cf.nrules = 1;
	expect_verbs(&alice, "anything", NULL, NULL, VERB_BIT(VERB_STATS), 1);
	decide(&alice, VERB_STATS, "db", NULL, NULL);
	assert_string_equal(d.reason, "allowed by rule at " PATH ":3");
	expect_verbs(&bob, "anything", NULL, NULL, 0, 0);
	/* A user named like a group is no member of it. */
	rules[0] = mkrule(l_oncall, NULL, l_star, VERB_BIT(VERB_STATS), 0, 3);
	expect_verbs(&bob, "anything", NULL, NULL, 0, 0);
}

static void
test_rule_star_users(void **state)
{
	struct rule rules[1];

	rules[0] = mkrule(l_star, NULL, l_web, VERB_BIT(VERB_LS), 0, 4);
	cf.rules = rules;
	cf.nrules = 1;
	expect_verbs(&alice, "web-1", NULL, NULL, VERB_BIT(VERB_LS), 1);
	expect_verbs(&carol, "web-1", NULL, NULL, VERB_BIT(VERB_LS), 1);
	expect_verbs(&dave, "web-1", NULL, NULL, VERB_BIT(VERB_LS), 1);
	expect_verbs(&dave, "db", NULL, NULL, 0, 0);
}

static void
test_rules_add_to_labels(void **state)
{
	struct rule rules[1];

	rules[0] = mkrule(l_alice, NULL, l_star, VERB_BIT(VERB_STOP), 0, 5);
	cf.rules = rules;
	cf.nrules = 1;
	expect_verbs(&alice, "app", "alice", NULL,
	    cf.owner_verbs | VERB_BIT(VERB_STOP), 1);
	expect_verbs(&alice, "app", "bob", NULL, VERB_BIT(VERB_STOP), 1);
}

/* Engines. */

static char *l_build[] = { "build*", NULL };

/* A grant rule with engines reaches those alone, and limits the labels. */
static void
test_rule_engines_limit_the_caller(void **state)
{
	struct rule rules[1];

	rules[0] = mkrule(l_alice, NULL, l_star, VERB_BIT(VERB_STOP), 0, 8);
	rules[0].engines = l_build;
	cf.rules = rules;
	cf.nrules = 1;
	on = "build02";
	assert_true(policy_engine_usable(&cf, &alice, "build02"));
	expect_verbs(&alice, "app", "alice", NULL,
	    cf.owner_verbs | VERB_BIT(VERB_STOP), 1);
	on = "local";
	assert_false(policy_engine_usable(&cf, &alice, "local"));
	expect_verbs(&alice, "app", "alice", NULL, 0, 0);
	decide(&alice, VERB_STATUS, "app", "alice", NULL);
	reason_has("engine local is not among the caller's");
	/* bob is named by no rule with engines: every engine is his */
	assert_true(policy_engine_usable(&cf, &bob, "local"));
	expect_verbs(&bob, "app", "bob", NULL, cf.owner_verbs, 1);
}

/* A rule without engines reaches every engine, beside one with. */
static void
test_rule_without_engines_reaches_all(void **state)
{
	struct rule rules[2];

	rules[0] = mkrule(l_alice, NULL, l_web, VERB_BIT(VERB_LS), 0, 8);
	rules[0].engines = l_build;
	rules[1] = mkrule(l_alice, NULL, l_web, VERB_BIT(VERB_STATUS), 0, 9);
	cf.rules = rules;
	cf.nrules = 2;
	on = "local";
	assert_true(policy_engine_usable(&cf, &alice, "local"));
	expect_verbs(&alice, "web-1", NULL, NULL, VERB_BIT(VERB_STATUS), 1);
	on = "build01";
	expect_verbs(&alice, "web-1", NULL, NULL, VERB_BIT(VERB_STATUS) |
	    VERB_BIT(VERB_LS), 1);
}

/* A deny rule with engines denies there only. */
static void
test_deny_rule_engines(void **state)
{
	struct rule rules[1];

	rules[0] = mkrule(l_alice, NULL, l_star, VERB_BIT(VERB_RESTART), 1, 4);
	rules[0].engines = l_build;
	cf.rules = rules;
	cf.nrules = 1;
	on = "build9";
	expect_verbs(&alice, "app", "alice", NULL, READ_VERBS, 1);
	on = "local";
	expect_verbs(&alice, "app", "alice", NULL, cf.owner_verbs, 1);
}

/* Deny rules. */

static void
test_deny_overrides_owner_label(void **state)
{
	struct rule rules[1];

	rules[0] = mkrule(l_alice, NULL, l_web, VERB_BIT(VERB_RESTART), 1, 9);
	cf.rules = rules;
	cf.nrules = 1;
	decide(&alice, VERB_RESTART, "web-1", "alice", NULL);
	assert_int_equal(d.allow, 0);
	assert_int_equal(d.visible, 1);
	assert_string_equal(d.reason, "denied by rule at " PATH ":9");
	decide(&alice, VERB_RESTART, "web-1", NULL, "dev");
	assert_int_equal(d.allow, 0);
	reason_has(PATH ":9");
	/* Other verbs and other containers are untouched. */
	expect_verbs(&alice, "web-1", "alice", NULL,
	    cf.owner_verbs & ~VERB_BIT(VERB_RESTART), 1);
	expect_verbs(&alice, "db-1", "alice", NULL, cf.owner_verbs, 1);
	/* Someone else's deny rule does not touch alice. */
	rules[0] = mkrule(l_bob, NULL, l_web, VERB_BIT(VERB_RESTART), 1, 9);
	expect_verbs(&alice, "web-1", "alice", NULL, cf.owner_verbs, 1);
}

static void
test_deny_wins_in_any_order(void **state)
{
	struct rule rules[3];
	unsigned stop = VERB_BIT(VERB_STOP);

	/* Deny first. */
	rules[0] = mkrule(NULL, l_oncall, l_web, stop, 1, 10);
	rules[1] = mkrule(l_bob, NULL, l_star, stop | VERB_BIT(VERB_LS), 0,
	    11);
	cf.rules = rules;
	cf.nrules = 2;
	decide(&bob, VERB_STOP, "web-1", "bob", NULL);
	assert_int_equal(d.allow, 0);
	assert_string_equal(d.reason, "denied by rule at " PATH ":10");
	expect_verbs(&bob, "web-1", NULL, NULL, VERB_BIT(VERB_LS), 1);
	expect_verbs(&bob, "db-1", NULL, NULL, stop | VERB_BIT(VERB_LS), 1);

	/* Deny last, after two grants. */
	rules[0] = mkrule(l_bob, NULL, l_star, stop | VERB_BIT(VERB_LS), 0,
	    10);
	rules[1] = mkrule(l_star, NULL, l_star, stop, 0, 11);
	rules[2] = mkrule(NULL, l_oncall, l_web, stop, 1, 12);
	cf.nrules = 3;
	decide(&bob, VERB_STOP, "web-1", NULL, NULL);
	assert_int_equal(d.allow, 0);
	assert_string_equal(d.reason, "denied by rule at " PATH ":12");
	decide(&bob, VERB_STOP, "web-1", "bob", NULL);
	assert_int_equal(d.allow, 0);
	expect_verbs(&bob, "web-1", NULL, NULL, VERB_BIT(VERB_LS), 1);
	expect_verbs(&bob, "db-1", NULL, NULL, stop | VERB_BIT(VERB_LS), 1);
	/* alice is not in oncall: rule 11 gives her stop everywhere. */
	expect_verbs(&alice, "web-1", NULL, NULL, stop, 1);
}

static void
test_deny_visibility(void **state)
{
	struct rule rules[2];

	/* Denying one verb of several leaves the container visible. */
	rules[0] = mkrule(l_bob, NULL, l_star, VERB_BIT(VERB_LOGS), 1, 20);
	cf.rules = rules;
	cf.nrules = 1;
	expect_verbs(&bob, "app", "bob", NULL,
	    cf.owner_verbs & ~VERB_BIT(VERB_LOGS), 1);
	decide(&bob, VERB_LOGS, "app", "bob", NULL);
	assert_int_equal(d.visible, 1);
	assert_int_equal(d.allow, 0);

	/* Denying every granted verb hides it. */
	rules[0] = mkrule(l_bob, NULL, l_star, ALL_VERBS, 1, 20);
	expect_verbs(&bob, "app", "bob", NULL, 0, 0);
	rules[0] = mkrule(l_star, NULL, l_star, cf.owner_verbs, 1, 20);
	expect_verbs(&bob, "app", "bob", NULL, 0, 0);
	expect_verbs(&alice, "app", NULL, "dev", 0, 0);

	/* Same with grants from a rule rather than a label. */
	rules[0] = mkrule(NULL, l_oncall, l_star, READ_VERBS, 0, 21);
	rules[1] = mkrule(l_star, NULL, l_web, READ_VERBS, 1, 22);
	cf.nrules = 2;
	expect_verbs(&bob, "web-1", NULL, NULL, 0, 0);
	expect_verbs(&bob, "db-1", NULL, NULL, READ_VERBS, 1);
}

static void
test_star_in_groups(void **state)
{
	struct rule rules[1];

	rules[0] = mkrule(NULL, l_star, l_star, VERB_BIT(VERB_LS), 0, 30);
	cf.rules = rules;
	cf.nrules = 1;
	expect_verbs(&alice, "x", NULL, NULL, VERB_BIT(VERB_LS), 1);
	/* Without any group there is nothing for "*" to match. */
	expect_verbs(&carol, "x", NULL, NULL, 0, 0);
	expect_verbs(&dave, "x", NULL, NULL, 0, 0);
}

/*
 * ls asks dockerd for labelled containers only when policy_rules_grant
 * says no rule grants the caller anything: then no unlabelled container
 * may be visible, or the listing would miss it.
 */
static void
check_rules_grant(const struct identity *id, int want)
{
	static const char *names[] = { "x", "web-1", "db-1", "alice" };
	size_t i;

	assert_int_equal(policy_rules_grant(&cf, id), want);
	for (i = 0; !want && i < sizeof(names) / sizeof(names[0]); i++) {
		decide(id, VERB_LS, names[i], NULL, NULL);
		assert_false(d.visible);
		decide(id, VERB_LS, names[i], "someone", "nogroup");
		assert_false(d.visible);
	}
}

static void
test_rules_grant(void **state)
{
	struct rule rules[3];

	cf.rules = rules;
	check_rules_grant(&alice, 0);
	rules[0] = mkrule(l_bob, NULL, l_star, VERB_BIT(VERB_RESTART), 1, 40);
	cf.nrules = 1;
	check_rules_grant(&bob, 0);
	rules[1] = mkrule(NULL, l_oncall, l_web, VERB_BIT(VERB_LOGS), 0, 41);
	cf.nrules = 2;
	check_rules_grant(&bob, 1);
	check_rules_grant(&alice, 0);
	check_rules_grant(&carol, 0);
	check_rules_grant(&dave, 0);
	rules[2] = mkrule(l_star, NULL, l_web, VERB_BIT(VERB_STATUS), 0, 42);
	cf.nrules = 3;
	check_rules_grant(&carol, 1);
	check_rules_grant(&dave, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_owner_label_grants_owner_verbs_only,
		    setup),
		cmocka_unit_test_setup(test_other_users_container, setup),
		cmocka_unit_test_setup(test_group_label_grants_members_only,
		    setup),
		cmocka_unit_test_setup(test_no_labels_deny, setup),
		cmocka_unit_test_setup(test_labels_compared_exactly, setup),
		cmocka_unit_test_setup(test_absent_label_never_matches, setup),
		cmocka_unit_test_setup(test_empty_owner_verbs, setup),
		cmocka_unit_test_setup(test_rule_by_group_glob, setup),
		cmocka_unit_test_setup(test_rule_by_user, setup),
		cmocka_unit_test_setup(test_rule_star_users, setup),
		cmocka_unit_test_setup(test_rules_add_to_labels, setup),
		cmocka_unit_test_setup(test_deny_overrides_owner_label, setup),
		cmocka_unit_test_setup(test_deny_wins_in_any_order, setup),
		cmocka_unit_test_setup(test_deny_visibility, setup),
		cmocka_unit_test_setup(test_star_in_groups, setup),
		cmocka_unit_test_setup(test_rules_grant, setup),
		cmocka_unit_test_setup(test_rule_engines_limit_the_caller,
		    setup),
		cmocka_unit_test_setup(test_rule_without_engines_reaches_all,
		    setup),
		cmocka_unit_test_setup(test_deny_rule_engines, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
