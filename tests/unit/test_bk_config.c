/*
 * Unit tests for config_load (broker/config.c): the sample config, the
 * defaults, every refusal with its file name and line, and the checks
 * made on the file itself (regular, not a symlink, root-owned, written
 * only by its owner).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctld.h"
#include "engine.h"

static const char sample[] =
    "listen = { path = \"/run/ctl/ctld.sock\"; mode = 0666; };\n"
    "docker = { socket = \"/var/run/docker.sock\"; "
	"api_version = \"1.41\"; };\n"
    "pam = { service = \"ctl\"; };\n"
    "audit = { file = \"/var/log/ctl/audit.jsonl\"; syslog = true; };\n"
    "ownership = { owner_label = \"ctl.owner\"; "
	"group_label = \"ctl.group\";\n"
    "              owner_verbs = [\"ls\", \"status\", \"logs\", "
	"\"start\", \"stop\", \"restart\", \"stats\"]; };\n"
    "rules = (\n"
    "  { groups = [\"oncall\"]; containers = [\"*\"]; "
	"verbs = [\"ls\", \"status\", \"logs\"]; },\n"
    "  { users = [\"bob\"]; containers = [\"web-*\"]; "
	"verbs = [\"restart\"]; deny = true; }\n"
    ");\n";

#define REMOTE_VERBS	(VERB_BIT(VERB_LS) | VERB_BIT(VERB_STATUS) | \
	VERB_BIT(VERB_START) | VERB_BIT(VERB_STOP) | \
	VERB_BIT(VERB_RESTART) | VERB_BIT(VERB_LOGS) | VERB_BIT(VERB_STATS) | \
	VERB_BIT(VERB_INSPECT))

static char	dir[64];			/* mkdtemp template */
static char	path[PATH_MAX];
static char	err[512];

static int
rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_bk_config.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes dir/name with that exact mode; path names it afterwards. */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
	size_t len = strlen(text);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_int_not_equal(fd, -1);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
	return path;
}

static struct config *
load(const char *text)
{
	static int n;
	char name[32];

	snprintf(name, sizeof(name), "ctld%d.conf", n++);
	write_file(name, text, 0644);
	err[0] = '\0';
	return config_load(path, 0, err, sizeof(err));
}

static void
must_load(const char *text, struct config **cfp)
{
	*cfp = load(text);
	if (*cfp == NULL)
		fail_msg("refused: %s\n--- config:\n%s", err, text);
}

/* Refused with "PATH:LINE: ...want..." (line 0: "PATH: ..."). */
static void
must_fail(const char *text, int line, const char *want)
{
	struct config *cf;
	char prefix[PATH_MAX + 32];

	cf = load(text);
	if (cf != NULL) {
		config_free(cf);
		fail_msg("accepted:\n%s", text);
	}
	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", path);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"\n"
		    "--- config:\n%s", err, prefix, text);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

/* The file checks, on whatever path names. */
static void
must_refuse_file(const char *p, int check_owner, const char *want)
{
	struct config *cf;

	err[0] = '\0';
	cf = config_load(p, check_owner, err, sizeof(err));
	if (cf != NULL) {
		config_free(cf);
		fail_msg("%s accepted", p);
	}
	if (strncmp(err, p, strlen(p)) != 0 || strstr(err, want) == NULL)
		fail_msg("error \"%s\": want %s and \"%s\"", err, p, want);
}

/* Loading. */

static void
test_sample(void **state)
{
	struct config *cf;
	struct rule *r;

	must_load(sample, &cf);
	assert_string_equal(cf->path, path);
	assert_string_equal(cf->listen_path, "/run/ctl/ctld.sock");
	assert_int_equal(cf->listen_mode, 0666);
	assert_string_equal(cf->docker_socket, "/var/run/docker.sock");
	assert_string_equal(cf->api_version, "1.41");
	assert_string_equal(cf->pam_service, "ctl");
	assert_string_equal(cf->audit_file, "/var/log/ctl/audit.jsonl");
	assert_int_equal(cf->audit_syslog, 1);
	assert_string_equal(cf->owner_label, "ctl.owner");
	assert_string_equal(cf->group_label, "ctl.group");
	assert_int_equal(cf->owner_verbs, REMOTE_VERBS);
	assert_int_equal(cf->nrules, 2);

	r = &cf->rules[0];
	assert_null(r->users);
	assert_non_null(r->groups);
	assert_string_equal(r->groups[0], "oncall");
	assert_null(r->groups[1]);
	assert_string_equal(r->containers[0], "*");
	assert_null(r->containers[1]);
	assert_int_equal(r->verbs, VERB_BIT(VERB_LS) | VERB_BIT(VERB_STATUS) |
	    VERB_BIT(VERB_LOGS) | VERB_BIT(VERB_INSPECT));
	assert_int_equal(r->deny, 0);
	assert_int_equal(r->line, 8);

	r = &cf->rules[1];
	assert_non_null(r->users);
	assert_string_equal(r->users[0], "bob");
	assert_null(r->users[1]);
	assert_null(r->groups);
	assert_string_equal(r->containers[0], "web-*");
	assert_int_equal(r->verbs, VERB_BIT(VERB_RESTART));
	assert_int_equal(r->deny, 1);
	assert_int_equal(r->line, 9);
	config_free(cf);
}

static void
test_defaults(void **state)
{
	struct config *cf;

	must_load("# nothing here\n", &cf);
	assert_string_equal(cf->listen_path, "/run/ctl/ctld.sock");
	assert_int_equal(cf->listen_mode, 0666);
	assert_string_equal(cf->docker_socket, "/var/run/docker.sock");
	assert_string_equal(cf->api_version, "1.41");
	assert_string_equal(cf->pam_service, "ctl");
	assert_string_equal(cf->audit_file, "/var/log/ctl/audit.jsonl");
	assert_int_equal(cf->audit_syslog, 1);
	assert_string_equal(cf->owner_label, "ctl.owner");
	assert_string_equal(cf->group_label, "ctl.group");
	assert_int_equal(cf->owner_verbs, 0);	/* default deny */
	assert_int_equal(cf->nrules, 0);
	assert_null(cf->rules);
	assert_int_equal(cf->client_timeout, 30);
	assert_int_equal(cf->max_clients, 512);
	assert_int_equal(cf->max_per_user, 64);
	assert_int_equal(cf->exec_per_user, 4);
	assert_int_equal(cf->exec_idle, 3600);
	assert_int_equal(cf->idle_timeout, 900);
	assert_int_equal(cf->reauth_verbs, 0);
	assert_int_equal(cf->reauth_timeout_ms, 300000);
	assert_int_equal(cf->reauth_tries, 3);
	assert_int_equal(cf->fail_delay_ms, 2000);
	assert_int_equal(cf->pam_timeout_ms, 60000);
	assert_string_equal(cf->ticket_dir, "/run/ctl/tickets");
	assert_null(cf->audit_sessions);	/* not recording */
	assert_int_equal(cf->audit_sessions_input, 0);
	assert_int_equal(cf->audit_sessions_max, 16777216);
	config_free(cf);

	/* A section present only in part keeps the other defaults. */
	must_load("listen = { mode = 0660; };\nrules = ();\n", &cf);
	assert_string_equal(cf->listen_path, "/run/ctl/ctld.sock");
	assert_int_equal(cf->listen_mode, 0660);
	assert_int_equal(cf->nrules, 0);
	config_free(cf);
}

static void
test_limits_and_shell(void **state)
{
	struct config *cf;

	must_load("limits = { client_timeout = 5; max_clients = 10;\n"
	    "  max_per_user = 2; };\nshell = { idle_timeout = 0; };\n"
	    "audit = { syslog = false; };\n", &cf);
	assert_int_equal(cf->client_timeout, 5);
	assert_int_equal(cf->max_clients, 10);
	assert_int_equal(cf->max_per_user, 2);
	assert_int_equal(cf->idle_timeout, 0);
	assert_int_equal(cf->audit_syslog, 0);
	config_free(cf);
	must_load("limits = { exec_per_user = 1; exec_idle = 0; };\n", &cf);
	assert_int_equal(cf->exec_per_user, 1);
	assert_int_equal(cf->exec_idle, 0);
	config_free(cf);
	must_load("limits = { exec_per_user = 1000; exec_idle = 604800; };\n",
	    &cf);
	assert_int_equal(cf->exec_per_user, 1000);
	assert_int_equal(cf->exec_idle, 604800);
	config_free(cf);

	must_fail("limits = {\n client_timeout = 0; };\n", 2,
	    "client_timeout: must be between 1 and 3600");
	must_fail("limits = { client_timeout = 3601; };\n", 1,
	    "client_timeout");
	must_fail("limits = { max_clients = 100001; };\n", 1, "max_clients");
	must_fail("limits = { max_per_user = -1; };\n", 1, "max_per_user");
	must_fail("shell = { idle_timeout = -1; };\n", 1, "idle_timeout");
	must_fail("shell = { idle_timeout = 604801; };\n", 1, "idle_timeout");
	must_fail("limits = {\n exec_per_user = 0; };\n", 2,
	    "exec_per_user: must be between 1 and 1000");
	must_fail("limits = { exec_per_user = 1001; };\n", 1, "exec_per_user");
	must_fail("limits = { exec_idle = -1; };\n", 1,
	    "exec_idle: must be between 0 and 604800");
	must_fail("limits = { exec_idle = 604801; };\n", 1, "exec_idle");
	must_fail("limits = { exec_idle = \"1h\"; };\n", 1,
	    "limits.exec_idle: must be an integer");
}

static void
test_reauth(void **state)
{
	struct config *cf;

	must_load("reauth = { verbs = [\"stop\", \"rm\"]; timeout = 0;\n"
	    "  fail_delay_ms = 0; tries = 10; pam_timeout = 5;\n"
	    "  dir = \"/var/lib/ctl/t\"; };\n",
	    &cf);
	assert_int_equal(cf->reauth_verbs,
	    VERB_BIT(VERB_STOP) | VERB_BIT(VERB_RM));
	assert_int_equal(cf->reauth_timeout_ms, 0);
	assert_int_equal(cf->reauth_tries, 10);
	assert_int_equal(cf->fail_delay_ms, 0);
	assert_int_equal(cf->pam_timeout_ms, 5000);
	assert_string_equal(cf->ticket_dir, "/var/lib/ctl/t");
	config_free(cf);

	/* Decimal seconds, kept in milliseconds: sub-second ones for tests. */
	must_load("reauth = { timeout = 0.25; pam_timeout = 0.1; };\n", &cf);
	assert_int_equal(cf->reauth_timeout_ms, 250);
	assert_int_equal(cf->pam_timeout_ms, 100);
	config_free(cf);
	must_load("reauth = { timeout = 86400.0; pam_timeout = 2.0005; };\n",
	    &cf);
	assert_int_equal(cf->reauth_timeout_ms, 86400000);
	assert_int_equal(cf->pam_timeout_ms, 2001);
	config_free(cf);
	must_load("reauth = { timeout = 0.001; pam_timeout = 3600; };\n", &cf);
	assert_int_equal(cf->reauth_timeout_ms, 1);
	assert_int_equal(cf->pam_timeout_ms, 3600000);
	config_free(cf);

	must_fail("reauth = {\n  verbs = [\"stop\", \"sudo\"]; };\n", 2,
	    "unknown verb \"sudo\"");
	must_fail("reauth = { verbs = [\"help\"]; };\n", 1,
	    "unknown verb \"help\"");
	must_fail("reauth = {\n  dir = \"tickets\"; };\n", 2,
	    "dir: must be an absolute path");
	must_fail("reauth = { tries = 0; };\n", 1, "tries");
	must_fail("reauth = { tries = 11; };\n", 1, "tries");
	must_fail("reauth = { fail_delay_ms = 10001; };\n", 1, "fail_delay_ms");
	must_fail("reauth = { fail_delay_ms = -1; };\n", 1, "fail_delay_ms");
	must_fail("reauth = { timeout = 86401; };\n", 1, "timeout");
	must_fail("reauth = { timeout = -1; };\n", 1, "timeout");
	must_fail("reauth = { pam_timeout = 0.09; };\n", 1,
	    "pam_timeout: must be between 0.1 and 3600 seconds");
	must_fail("reauth = { pam_timeout = 3600.001; };\n", 1, "pam_timeout");
	must_fail("reauth = { timeout = 0.0009; };\n", 1,
	    "timeout: must be between 0 and 86400 seconds (0, or 0.001 at least)");
	must_fail("reauth = { timeout = -0.5; };\n", 1, "timeout");
	must_fail("reauth = { timeout = 1e300; };\n", 1, "timeout");
	must_fail("reauth = { timeout = 5000000000; };\n", 1, "timeout");
	must_fail("reauth = { timeout = \"5s\"; };\n", 1,
	    "reauth.timeout: must be a number of seconds (60, 0.5)");
	must_fail("reauth = { pam_timeout = true; };\n", 1,
	    "reauth.pam_timeout: must be a number of seconds");
	must_fail("reauth = { ttl = 5; };\n", 1, "unknown setting reauth.ttl");
}

static void
test_audit_sessions(void **state)
{
	struct config *cf;

	must_load("audit = { sessions = \"/var/log/ctl/sessions\";\n"
	    "  sessions_input = true; sessions_max = 65536; };\n", &cf);
	assert_string_equal(cf->audit_sessions, "/var/log/ctl/sessions");
	assert_int_equal(cf->audit_sessions_input, 1);
	assert_int_equal(cf->audit_sessions_max, 65536);
	assert_string_equal(cf->audit_file, "/var/log/ctl/audit.jsonl");
	config_free(cf);

	must_load("audit = { sessions_max = 1073741824; };\n", &cf);
	assert_null(cf->audit_sessions);
	assert_int_equal(cf->audit_sessions_max, 1073741824);
	config_free(cf);

	must_fail("audit = {\n  sessions = \"sessions\"; };\n", 2,
	    "sessions: must be an absolute path");
	must_fail("audit = { sessions = \"\"; };\n", 1,
	    "sessions: must be an absolute path");
	must_fail("audit = {\n  sessions_max = 65535; };\n", 2,
	    "sessions_max: must be between 65536 and 1073741824");
	must_fail("audit = { sessions_max = 1073741825; };\n", 1,
	    "sessions_max: must be between");
	must_fail("audit = { sessions_max = \"16M\"; };\n", 1,
	    "audit.sessions_max: must be an integer");
	must_fail("audit = { sessions_input = 1; };\n", 1,
	    "audit.sessions_input: must be true or false");
	must_fail("audit = { session = \"/var/log/s\"; };\n", 1,
	    "unknown setting audit.session");
}

static void
test_listen_mode(void **state)
{
	static const struct { const char *text; mode_t mode; } good[] = {
		{ "listen = { mode = 0660; };\n", 0660 },
		{ "listen = { mode = 0600; };\n", 0600 },
		{ "listen = { mode = 0777; };\n", 0777 },
		{ "listen = { mode = 0; };\n", 0 },
		{ "listen = { mode = 666; };\n", 0666 },
		{ "listen = { mode = 0x1B6; };\n", 0666 },
	};
	struct config *cf;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		must_load(good[i].text, &cf);
		assert_int_equal(cf->listen_mode, good[i].mode);
		config_free(cf);
	}
	must_fail("listen = {\n  mode = 999; };\n", 2,
	    "mode: must be a file mode");
	must_fail("listen = { mode = 0668; };\n", 1, "mode");
	must_fail("listen = { mode = 8; };\n", 1, "mode");
	must_fail("listen = { mode = 1777; };\n", 1, "mode");
	must_fail("listen = { mode = 01000; };\n", 1, "mode");
	must_fail("listen = { mode = -1; };\n", 1, "mode");
	must_fail("listen = { mode = 0x200; };\n", 1, "mode");
}

/* Refusals, each with the file name and its line. */

static void
test_syntax_error(void **state)
{
	must_fail("listen = { path = \"/x\"; };\n\n"
	    "docker = { socket = ; };\n", 3, "syntax error");
	must_fail("pam = { service = \"ctl\"; };\n"
	    "audit = { file = \"/x\" \n", 3, "syntax error");
	must_fail("pam = { service = \"ctl\" };;\n", 1, "syntax error");
}

static void
test_unknown_top_level(void **state)
{
	must_fail("pam = { service = \"ctl\"; };\n"
	    "listen_path = \"/x\";\n", 2, "unknown setting listen_path");
	must_fail("\n\n\nrule = ();\n", 4, "unknown setting rule");
}

static void
test_unknown_section_key(void **state)
{
	must_fail("listen = {\n  path = \"/x\";\n  backlog = 5;\n};\n", 3,
	    "unknown setting listen.backlog");
	must_fail("docker = { host = \"tcp://0.0.0.0:2375\"; };\n", 1,
	    "unknown setting docker.host");
	must_fail("ownership = {\n owner_label = \"a\";\n"
	    " admin_verbs = [\"ls\"];\n};\n", 3,
	    "unknown setting ownership.admin_verbs");
}

static void
test_wrong_type(void **state)
{
	must_fail("audit = {\n  syslog = \"yes\";\n};\n", 2,
	    "audit.syslog: must be true or false");
	must_fail("listen = { path = 3; };\n", 1,
	    "listen.path: must be a string");
	must_fail("listen = { mode = \"0666\"; };\n", 1,
	    "listen.mode: must be an integer");
	must_fail("limits = { max_clients = 10L; };\n", 1,
	    "limits.max_clients: must be an integer");
	must_fail("ownership = { owner_verbs = \"ls\"; };\n", 1,
	    "ownership.owner_verbs: must be an array");
	must_fail("\nlisten = \"/run/ctl/ctld.sock\";\n", 2,
	    "listen: must be a group");
	must_fail("rules = { users = [\"a\"]; };\n", 1,
	    "rules: must be a list");
	must_fail("ownership = { owner_verbs = [1, 2]; };\n", 1,
	    "verbs must be strings");
}

static void
test_unknown_verb_in_owner_verbs(void **state)
{
	must_fail("listen = { path = \"/x\"; mode = 0666; };\n"
	    "ownership = {\n  owner_verbs = [\"ls\",\n"
	    "     \"nope\"]; };\n", 4, "owner_verbs: unknown verb \"nope\"");
	must_fail("ownership = { owner_verbs = [\"help\"]; };\n", 1,
	    "unknown verb \"help\"");
	must_fail("ownership = { owner_verbs = [\"exit\"]; };\n", 1,
	    "unknown verb \"exit\"");
	must_fail("ownership = { owner_verbs = [\"quit\"]; };\n", 1,
	    "unknown verb \"quit\"");
	must_fail("ownership = { owner_verbs = [\"LS\"]; };\n", 1,
	    "unknown verb \"LS\"");
}

static void
test_unknown_verb_in_rule(void **state)
{
	must_fail("rules = (\n"
	    "  { groups = [\"oncall\"]; containers = [\"*\"];\n"
	    "    verbs = [\"ls\", \"status\", \"shell\"]; }\n);\n", 3,
	    "verbs: unknown verb \"shell\"");
	must_fail("rules = ( { users = [\"a\"]; containers = [\"*\"]; "
	    "verbs = [\"help\"]; } );\n", 1, "unknown verb \"help\"");
}

static void
test_rule_errors(void **state)
{
	must_fail("rules = (\n  {\n    containers = [\"x\"];\n"
	    "    verbs = [\"ls\"];\n  }\n);\n", 2,
	    "rule needs users or groups");
	must_fail("rules = (\n { users = [\"a\"]; verbs = [\"ls\"]; }\n);\n",
	    2, "rule needs containers");
	must_fail("rules = (\n"
	    " { users = [\"a\"]; containers = [\"x\"]; }\n);\n",
	    2, "rule needs verbs");
	must_fail("rules = (\n { users = [\"a\"]; containers = [\"x\"];\n"
	    "   verbs = []; }\n);\n", 3, "verbs: must be a non-empty array");
	must_fail("rules = (\n { users = []; containers = [\"x\"]; "
	    "verbs = [\"ls\"]; }\n);\n", 2, "users: must not be empty");
	must_fail("rules = (\n { users = [\"a\"]; containers = [\"x\"];\n"
	    "   verbs = [\"ls\"];\n   user = [\"b\"]; }\n);\n", 4,
	    "unknown setting in rule: user");
	must_fail("rules = (\n { users = [\"a\"]; containers = [\"x\"];\n"
	    "   verbs = [\"ls\"]; deny = 1; }\n);\n", 3,
	    "deny: must be true or false");
	must_fail("rules = (\n { users = [\"a?\"]; containers = [\"x\"]; "
	    "verbs = [\"ls\"]; }\n);\n", 2, "element 1 is not a valid name");
	must_fail("rules = (\n { groups = [\"ops\", \"[a]\"]; "
	    "containers = [\"x\"]; verbs = [\"ls\"]; }\n);\n", 2,
	    "element 2 is not a valid name");
	must_fail("rules = (\n { users = [\"a\"]; containers = [\"\"]; "
	    "verbs = [\"ls\"]; }\n);\n", 2, "not a valid pattern");
	must_fail("rules = (\n { users = \"a\"; containers = [\"x\"]; "
	    "verbs = [\"ls\"]; }\n);\n", 2, "users: must be an array");
	/* libconfig dates a scalar by its lookahead: keep it on one line. */
	must_fail("rules = (\n \"allow all\" );\n", 2,
	    "each rule must be a group");
	/* The second rule is the bad one: its own line. */
	must_fail("rules = (\n"
	    " { users = [\"a\"]; containers = [\"x\"]; verbs = [\"ls\"]; },\n"
	    " { containers = [\"x\"]; verbs = [\"ls\"]; }\n);\n", 3,
	    "rule needs users or groups");
}

/*
 * inspect comes with status wherever verbs are listed (grants, deny
 * rules, reauth), and naming it alone is refused, not ignored: a deny
 * of inspect that denied nothing would weaken the file.
 */
static void
test_inspect_comes_with_status(void **state)
{
	struct config *cf;

	must_load("ownership = { owner_verbs = [\"ls\", \"status\"]; };\n"
	    "reauth = { verbs = [\"status\"]; };\n"
	    "rules = (\n { users = [\"a\"]; containers = [\"x\"];"
	    " verbs = [\"status\"]; deny = true; }\n);\n", &cf);
	assert_true(cf->owner_verbs & VERB_BIT(VERB_INSPECT));
	assert_true(cf->reauth_verbs & VERB_BIT(VERB_INSPECT));
	assert_true(cf->rules[0].verbs & VERB_BIT(VERB_INSPECT));
	config_free(cf);
	must_load("ownership = { owner_verbs = [\"ls\", \"logs\"]; };\n",
	    &cf);
	assert_false(cf->owner_verbs & VERB_BIT(VERB_INSPECT));
	config_free(cf);
	must_fail("rules = (\n { users = [\"a\"]; containers = [\"x\"];\n"
	    "   verbs = [\"inspect\"]; deny = true; }\n);\n", 3,
	    "verbs: \"inspect\" comes with \"status\": name that");
	must_fail("\nownership = { owner_verbs = [\"inspect\"]; };\n", 2,
	    "owner_verbs: \"inspect\" comes with \"status\"");
}

/* A template with one setting of the test's: VALUE on line 2. */
static void
template_fails(const char *setting, const char *want)
{
	char text[512];

	snprintf(text, sizeof(text), "templates = ( { name = \"dev\"; "
	    "container = \"dev-%%u\"; image = \"x/y:1\";\n  %s; "
	    "groups = [\"g\"]; } );\nimages = { trusted = [\"x/\"]; };\n",
	    setting);
	must_fail(text, 2, want);
}

/* Found by fuzz_config: a saturated strtoll shifted past LLONG_MAX. */
static void
test_template_numbers_and_units(void **state)
{
	template_fails("memory = \"5555555555555555555555555555564m\"",
	    "memory: bytes");
	template_fails("memory = \"9223372036854775807k\"", "memory: bytes");
	template_fails("memory = \"8796093022208k\"", "memory: bytes");
	template_fails("memory = \"1025g\"", "memory: bytes");
	template_fails("memory = 9223372036854775807L", "memory: bytes");
	template_fails("memory = \"3m\"", "memory: bytes");
	template_fails("memory = \"-64m\"", "memory: bytes");
	template_fails("user = \"1000:99999999999999999999999\"", "user");
	template_fails("user = \"1000:4294967295\"", "user");
	template_fails("user = \"99999999999999999999999\"", "user");
	template_fails("cpus = 1e999", "cpus");
	template_fails("pids = 99999999999L", "pids");
}

static void
test_template_network(void **state)
{
	struct config *cf;

	template_fails("network = \"none\"", "network: must be true or false");
	template_fails("network = 0", "network: must be true or false");
	must_load("templates = ( { name = \"a\"; container = \"a-%u\"; "
	    "image = \"x/y:1\"; network = false; groups = [\"g\"]; },\n"
	    "  { name = \"b\"; container = \"b-%u\"; image = \"x/y:1\"; "
	    "network = true; groups = [\"g\"]; },\n"
	    "  { name = \"c\"; container = \"c-%u\"; image = \"x/y:1\"; "
	    "groups = [\"g\"]; } );\nimages = { trusted = [\"x/\"]; };\n",
	    &cf);
	assert_int_equal(cf->templates[0].no_network, 1);
	assert_int_equal(cf->templates[1].no_network, 0);
	assert_int_equal(cf->templates[2].no_network, 0);
	config_free(cf);
}

/*
 * libconfig would read an @include'd file with none of ctld's checks
 * (a file anyone may write, rules attributed to the main file's line).
 */
static void
test_include_refused(void **state)
{
	char text[512];
	const char *inc;

	inc = write_file("inc.conf", "rules = ( { users = [\"x\"]; "
	    "containers = [\"*\"]; verbs = [\"ls\"]; } );\n", 0666);
	snprintf(text, sizeof(text), "pam = { service = \"ctl\"; };\n"
	    "@include \"%s\"\n", inc);
	must_fail(text, 2, "@include is not allowed");
	snprintf(text, sizeof(text), "\n\n \t@include \"%s\"\n", inc);
	must_fail(text, 3, "@include is not allowed");
	/* inside a string it would be a string: refused all the same */
	must_fail("shell = { banner = \"a\n@include \\\"x\\\"\"; };\n", 2,
	    "@include is not allowed");
	must_fail("pam = { service = \"ctl\"; };\n# @include \"/x\"\n"
	    "bogus = 1;\n", 3, "unknown setting bogus");
}

static void
test_relative_paths(void **state)
{
	char text[512], longpath[128];
	struct config *cf;

	must_fail("listen = {\n  path = \"ctld.sock\"; };\n", 2,
	    "path: must be an absolute path");
	must_fail("docker = { socket = \"var/run/docker.sock\"; };\n", 1,
	    "socket: must be an absolute path");
	must_fail("audit = { file = \"./audit.jsonl\"; };\n", 1,
	    "file: must be an absolute path");
	must_fail("listen = { path = \"\"; };\n", 1, "absolute path");

	/* sun_path holds 108 bytes with the NUL. */
	memset(longpath, 'x', sizeof(longpath));
	longpath[0] = '/';
	longpath[107] = '\0';
	snprintf(text, sizeof(text), "listen = { path = \"%s\"; };\n",
	    longpath);
	must_load(text, &cf);
	assert_string_equal(cf->listen_path, longpath);
	config_free(cf);
	longpath[107] = 'x';
	longpath[108] = '\0';
	snprintf(text, sizeof(text), "listen = { path = \"%s\"; };\n",
	    longpath);
	must_fail(text, 1, "under 108 bytes");
}

#define ENGINES \
	"engines = (\n" \
	" { name = \"local\"; socket = \"/var/run/docker.sock\"; },\n" \
	" { name = \"build02\"; url = \"tcp://build02.example:2376\";" \
	"   timeout = 5; tls = { ca = \"/etc/ctl/ca.pem\";" \
	"   cert = \"/etc/ctl/c.pem\"; key = \"/etc/ctl/k.pem\"; }; }\n" \
	");\n"

/* Without engines, docker.socket is the one engine, "local". */
static void
test_engines_default(void **state)
{
	struct config *cf;

	must_load("docker = { socket = \"/run/d.sock\"; };\n", &cf);
	assert_int_equal(cf->nengines, 1);
	assert_string_equal(cf->engines[0].name, "local");
	assert_string_equal(cf->engines[0].socket, "/run/d.sock");
	assert_string_equal(cf->engines[0].version, "1.41");
	assert_int_equal(cf->engines[0].timeout, 2);
	assert_int_equal(cf->swarm_max_replicas, 10);
	config_free(cf);
}

static void
test_engines_list(void **state)
{
	struct config *cf;

	must_load(ENGINES "docker = { api_version = \"1.40\"; };\n"
	    "templates = ( { name = \"t\"; container = \"%u-t\"; "
	    "image = \"x:1\"; engine = \"build02\"; } );\n"
	    "images = { trusted = [\"x:1\"]; };\n"
	    "swarm = { max_replicas = 4; };\n", &cf);
	assert_int_equal(cf->nengines, 2);
	assert_string_equal(cf->engines[1].name, "build02");
	assert_string_equal(cf->engines[1].socket, "");
	assert_string_equal(cf->engines[1].url, "https://build02.example:2376");
	assert_string_equal(cf->engines[1].addr, "tcp://build02.example:2376");
	assert_string_equal(cf->engines[1].key, "/etc/ctl/k.pem");
	assert_string_equal(cf->engines[1].version, "1.40");
	assert_int_equal(cf->engines[1].timeout, 5);
	assert_ptr_equal(config_engine(cf, "build02"), &cf->engines[1]);
	assert_null(config_engine(cf, "build0"));
	assert_string_equal(cf->templates[0].engine, "build02");
	assert_int_equal(cf->swarm_max_replicas, 4);
	config_free(cf);
}

static void
test_engines_refused(void **state)
{
	/* invariant 1: an Engine API at tcp:// without TLS is root for all */
	must_fail("engines = ( { name = \"b\";\n url = \"tcp://b:2375\"; } );\n",
	    1, "without tls is refused");
	must_fail("engines = ( { name = \"b\"; socket = \"/s\";\n"
	    " url = \"tcp://b:1\"; } );\n", 1, "needs socket or url, not both");
	must_fail("engines = ( { name = \"b\"; } );\n", 1,
	    "needs socket or url");
	must_fail("engines = ( { name = \"a/b\"; socket = \"/s\"; } );\n", 1,
	    "engine needs a name");
	must_fail("engines = ( { name = \"a\"; socket = \"/s\"; },\n"
	    " { name = \"a\"; socket = \"/t\"; } );\n", 2, "named twice");
	must_fail("engines = ( { name = \"a\"; socket = \"s\"; } );\n", 1,
	    "absolute path");
	must_fail("engines = ( { name = \"a\"; socket = \"/s\"; tls = { "
	    "ca = \"/a\"; cert = \"/b\"; key = \"/c\"; }; } );\n", 1,
	    "tls is for url engines");
	must_fail("engines = ( { name = \"a\"; url = \"tcp://h\"; tls = { "
	    "ca = \"/a\"; cert = \"/b\"; key = \"/c\"; }; } );\n", 1,
	    "tcp://HOST:PORT");
	must_fail("engines = ( { name = \"a\"; url = \"http://h:1\"; tls = { "
	    "ca = \"/a\"; cert = \"/b\"; key = \"/c\"; }; } );\n", 1,
	    "tcp://HOST:PORT");
	must_fail("engines = ( { name = \"a\"; url = \"tcp://h:70000\"; "
	    "tls = { ca = \"/a\"; cert = \"/b\"; key = \"/c\"; }; } );\n", 1,
	    "PORT 1..65535");
	must_fail("engines = ( { name = \"a\"; url = \"tcp://h:1\"; "
	    "tls = { ca = \"/a\"; cert = \"/b\"; }; } );\n", 1,
	    "needs ca, cert and key");
	must_fail("engines = ( { name = \"a\"; socket = \"/s\"; timeout = 0; } "
	    ");\n", 1, "timeout");
	must_fail("engines = ();\n", 1, "non-empty list");
	/* invariant 4: two sockets that would disagree */
	must_fail(ENGINES "docker = { socket = \"/s\"; };\n", 0,
	    "docker.socket and engines");
	/* invariant 3: a typo is an error, never a rule that denies nothing */
	must_fail(ENGINES "rules = ( { users = [\"a\"]; containers = [\"*\"]; "
	    "verbs = [\"ls\"]; deny = true;\n engines = [\"bulid*\"]; } );\n",
	    5, "matches no engine");
	must_fail(ENGINES "templates = ( { name = \"t\"; container = "
	    "\"%u-t\";\n image = \"x:1\"; engine = \"nope\"; } );\n"
	    "images = { trusted = [\"x:1\"]; };\n", 5, "no engine nope");
	must_fail("swarm = { max_replicas = -1; };\n", 1, "max_replicas");
}

static void
test_api_version(void **state)
{
	static const char *const good[] = { "1.41", "1.4", "1.24", "1.99" };
	static const char *const bad[] = { "2.0", "1.41; rm", "1.41/../..",
	    "1.", "1", "1.4x", "", "1.411", "v1.41", "1.-1", "1.4 ",
	    " 1.41", "1.4\n" };
	struct config *cf;
	char text[128];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text),
		    "docker = { api_version = \"%s\"; };\n", good[i]);
		must_load(text, &cf);
		assert_string_equal(cf->api_version, good[i]);
		config_free(cf);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
		    "docker = {\n api_version = \"%s\"; };\n", bad[i]);
		must_fail(text, 2, "api_version: must look like \"1.41\"");
	}
}

static void
test_names_and_labels(void **state)
{
	struct config *cf;

	must_load("pam = { service = \"ctl-2.svc\"; };\n"
	    "ownership = { owner_label = \"com.example/owner\"; "
	    "group_label = \"team_1\"; };\n", &cf);
	assert_string_equal(cf->pam_service, "ctl-2.svc");
	assert_string_equal(cf->owner_label, "com.example/owner");
	assert_string_equal(cf->group_label, "team_1");
	config_free(cf);

	must_fail("pam = { service = \"../../tmp/evil\"; };\n", 1,
	    "service: must be a PAM service name");
	must_fail("pam = { service = \"a b\"; };\n", 1, "service");
	must_fail("pam = { service = \"\"; };\n", 1, "service");
	must_fail("ownership = { owner_label = \"ctl owner\"; };\n", 1,
	    "owner_label: not a valid label key");
	must_fail("ownership = { group_label = \"\"; };\n", 1,
	    "group_label: not a valid label key");
	must_fail("ownership = { group_label = \"a=b\"; };\n", 1,
	    "group_label");
}

/* The file itself. */

static void
test_file_mode(void **state)
{
	static const mode_t bad[] = { 0666, 0620, 0602, 0660, 0646, 0622 };
	static const mode_t good[] = { 0644, 0640, 0600, 0400, 0444 };
	struct config *cf;
	char name[32];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "bad%zu.conf", i);
		write_file(name, sample, bad[i]);
		must_refuse_file(path, 0, "writable by group or others");
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(name, sizeof(name), "good%zu.conf", i);
		write_file(name, sample, good[i]);
		cf = config_load(path, 0, err, sizeof(err));
		if (cf == NULL)
			fail_msg("mode %04o refused: %s", good[i], err);
		config_free(cf);
	}
}

static void
test_symlink(void **state)
{
	char target[PATH_MAX], link[PATH_MAX];

	write_file("real.conf", sample, 0644);
	snprintf(target, sizeof(target), "%s", path);
	snprintf(link, sizeof(link), "%s/link.conf", dir);
	assert_int_equal(symlink(target, link), 0);
	must_refuse_file(link, 0, "open");
	must_refuse_file(link, 1, "open");
}

static void
test_directory(void **state)
{
	char sub[PATH_MAX];

	snprintf(sub, sizeof(sub), "%s/conf.d", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	must_refuse_file(sub, 0, "not a regular file");
}

static void
test_missing(void **state)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/absent.conf", dir);
	must_refuse_file(p, 0, "No such file");
}

static void
test_check_owner(void **state)
{
	char owned[PATH_MAX], pam[PATH_MAX];
	struct config *cf;

	if (geteuid() != 0)
		skip();
	conf_pam_dir = dir;
	write_file("ctl", "", 0644);	/* the PAM service of the sample */
	snprintf(owned, sizeof(owned), "%s", write_file("owned.conf", sample,
	    0644));
	assert_int_equal(chown(owned, 0, 0), 0);
	cf = config_load(owned, 1, err, sizeof(err));
	if (cf == NULL)
		fail_msg("root-owned file refused: %s", err);
	config_free(cf);

	/* a PAM service without a file would be libpam's "other" */
	write_file("typo.conf", "\npam = {\n service = \"ctll\"; };\n", 0644);
	assert_null(config_load(path, 1, err, sizeof(err)));
	if (strstr(err, ":3: pam.service: no PAM service file") == NULL ||
	    strstr(err, "/ctll ") == NULL)
		fail_msg("%s", err);
	write_file("nopam.conf", "shell = { warnings = 3; };\n", 0644);
	assert_non_null(cf = config_load(path, 1, err, sizeof(err)));
	config_free(cf);
	snprintf(pam, sizeof(pam), "%s/ctl", dir);
	assert_int_equal(unlink(pam), 0);
	assert_null(config_load(path, 1, err, sizeof(err)));	/* "ctl" */
	if (strstr(err, "nopam.conf: pam.service: no PAM service") == NULL)
		fail_msg("%s", err);
	conf_pam_dir = "/nonexistent-pam.d";	/* libpam reads pam.conf */
	assert_non_null(cf = config_load(path, 1, err, sizeof(err)));
	config_free(cf);
	conf_pam_dir = "/etc/pam.d";
	snprintf(path, sizeof(path), "%s", owned);

	assert_int_equal(chown(path, 1, 0), 0);
	must_refuse_file(path, 1, "not owned by root (uid 1)");
	/* check_owner = 0 is for tests like these, and only skips this. */
	cf = config_load(path, 0, err, sizeof(err));
	assert_non_null(cf);
	config_free(cf);
	assert_int_equal(chmod(path, 0664), 0);
	must_refuse_file(path, 0, "writable by group or others");
}

/* The child stuck in config_load: leave with a status saying so. */
static void
on_alarm(int sig)
{
	_exit(3);
}

/*
 * A FIFO at the config path must be refused, not block open(2) forever
 * (O_NONBLOCK). Run in a child with an alarm so the suite cannot hang.
 */
static void
test_fifo_refused_without_blocking(void **state)
{
	char fifo[PATH_MAX];
	struct config *cf;
	pid_t pid;
	int status;

	snprintf(fifo, sizeof(fifo), "%s/fifo.conf", dir);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	pid = fork();
	assert_int_not_equal(pid, -1);
	if (pid == 0) {
		signal(SIGALRM, on_alarm);
		alarm(2);
		cf = config_load(fifo, 0, err, sizeof(err));
		_exit(cf == NULL && strstr(err, "not a regular file") != NULL ?
		    0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 3)
		fail_msg("config_load blocked opening a FIFO");
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* exec: bind_allow kept resolved; every path that reaches the host refused. */
static void
test_exec(void **state)
{
	struct config *cf;
	char text[PATH_MAX * 2 + 128], sub[PATH_MAX];

	must_load("exec = { bind_allow = [\"/usr/share/../share\"]; "
	    "allow_root = true; runtimes = [\"runsc\"]; };\n", &cf);
	assert_string_equal(cf->exec_bind_allow[0], "/usr/share");
	assert_null(cf->exec_bind_allow[1]);
	assert_int_equal(cf->exec_allow_root, 1);
	assert_string_equal(cf->exec_runtimes[0], "runsc");
	config_free(cf);
	must_load("exec = { };\n", &cf);
	assert_null(cf->exec_bind_allow);
	assert_int_equal(cf->exec_allow_root, 0);
	config_free(cf);

	must_fail("exec = { bind_allow = [\"/\"]; };\n", 1, "reaches the host");
	must_fail("\nexec = { bind_allow = [\"/proc/self\"]; };\n", 2,
	    "lies in /proc");
	must_fail("exec = { bind_allow = [\"/sys\"]; };\n", 1, "/sys");
	must_fail("exec = { bind_allow = [\"/dev/../dev/shm\"]; };\n", 1,
	    "/dev");
	must_fail("exec = { bind_allow = [\"usr\"]; };\n", 1,
	    "not an existing absolute path");
	must_fail("exec = { bind_allow = [\"/no/such/dir\"]; };\n", 1,
	    "not an existing absolute path");
	must_fail("exec = { allow_root = 1; };\n", 1, "not true or false");
	must_fail("exec = { bind = [\"/usr\"]; };\n", 1, "unknown setting bind");
	must_fail("exec = { runtimes = [\"../x\"]; };\n", 1,
	    "not a runtime name");
	must_fail("exec = 1;\n", 1, "must be a group");
	/* a directory that holds dockerd's socket, however deep, given before
	 * or after docker.socket */
	snprintf(sub, sizeof(sub), "%s/run", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/run/docker", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(text, sizeof(text), "exec = { bind_allow = [\"%s\"]; };\n"
	    "docker = { socket = \"%s/docker.sock\"; };\n", dir, sub);
	must_fail(text, 1, "holds");
	snprintf(text, sizeof(text), "docker = { socket = \"%s/docker.sock\"; };"
	    "\nexec = { bind_allow = [\"%s/run/../run\"]; };\n", sub, dir);
	must_fail(text, 2, "a container with it bound commands dockerd");
	/* beside it is fine */
	snprintf(text, sizeof(text), "docker = { socket = \"%s/docker.sock\"; };"
	    "\nexec = { bind_allow = [\"/usr/share\"]; };\n", sub);
	must_load(text, &cf);
	config_free(cf);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_sample),
		T(test_defaults),
		T(test_limits_and_shell),
		T(test_reauth),
		T(test_audit_sessions),
		T(test_listen_mode),
		T(test_syntax_error),
		T(test_unknown_top_level),
		T(test_unknown_section_key),
		T(test_wrong_type),
		T(test_unknown_verb_in_owner_verbs),
		T(test_unknown_verb_in_rule),
		T(test_rule_errors),
		T(test_inspect_comes_with_status),
		T(test_template_numbers_and_units),
		T(test_template_network),
		T(test_include_refused),
		T(test_relative_paths),
		T(test_api_version),
		T(test_engines_default),
		T(test_engines_list),
		T(test_engines_refused),
		T(test_names_and_labels),
		T(test_file_mode),
		T(test_symlink),
		T(test_directory),
		T(test_missing),
		T(test_check_owner),
		T(test_fifo_refused_without_blocking),
		T(test_exec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
