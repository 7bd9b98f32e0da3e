/*
 * ctl: the restricted login shell for developer accounts.
 *
 * Invariants:
 * 1. fds 0, 1 and 2 are open (on /dev/null if need be) before anything
 *    else, so that no message can land in a file opened later.
 * 2. ctl runs no other program, reads no configuration file and holds
 *    no privilege: its inputs are argv, the terminal, and the only two
 *    environment variables it reads, CTL_SOCKET and SSH_ORIGINAL_COMMAND.
 * 3. The environment is emptied once those are read; only a TERM that
 *    looks like a terminal name is put back, for libedit.
 * 4. Every command, in every mode, goes through lex.c and args.c before
 *    a byte is sent.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <paths.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "client.h"
#include "commands.h"
#include "fmt.h"
#include "lex.h"
#include "names.h"
#include "proto.h"
#include "sig.h"
#include "term.h"
#include "version.h"


static char progname[] = "ctl";

static void
fds_open(void)
{
	int fd;

	do {
		if ((fd = open(_PATH_DEVNULL, O_RDWR)) == -1)
			_exit(EXIT_FAIL);	/* nowhere to report it */
	} while (fd <= STDERR_FILENO);
	close(fd);
}

static char *
env_take(const char *name)
{
	const char *v;
	char *copy;

	if ((v = getenv(name)) == NULL)
		return NULL;
	if ((copy = strdup(v)) == NULL)
		err(EXIT_FAIL, "strdup");
	return copy;
}

static void
env_reset(void)
{
	char *term = env_take("TERM");

	if (clearenv() != 0)
		errx(EXIT_FAIL, "clearenv failed");
	if (term != NULL && name_valid(term) && setenv("TERM", term, 1) == -1)
		err(EXIT_FAIL, "setenv");
	free(term);
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: ctl                       start the interactive shell\n"
	    "       ctl COMMAND [ARG ...]     run one command\n"
	    "       ctl -c 'COMMAND [ARG ...]'\n"
	    "       ctl -k [COMMAND ...]          forget the re-authentication first\n"
	    "       ctl -S COMMAND ...            read a password from stdin\n"
	    "       ctl -l [VERB NAME]            what you may do (as can)\n"
	    "       ctl -h | --help | --version\n");
	cmd_help(fp);
}

static int
interactive(void)
{
	sig_init(1);
	return term_run();
}

/* sudo -k: the forget verb, as its own request. */
static int
forget(void)
{
	struct words w;
	char msg[64];
	char *argv[] = { "forget", NULL };
	int quit = 0;

	if (lex_argv(1, argv, &w, msg, sizeof(msg)) == -1)
		return EXIT_FAIL;
	return cmd_run(&w, &quit);
}

/*
 * Leading options, in any mode: -k forgets the re-authentication (then
 * runs the command, if any, as sudo -k does), -S or --stdin answers
 * password prompts from standard input (sudo -S), -l is can (sudo -l).
 * Returns -1 to go on.
 */
static int
global_opts(struct words *w)
{
	static char can[] = "can";
	int rc;

	while (w->argc > 0 && w->argv[0][0] == '-') {
		if (strcmp(w->argv[0], "-S") == 0 ||
		    strcmp(w->argv[0], "--stdin") == 0)
			client_answer_from_stdin();
		else if (strcmp(w->argv[0], "-k") == 0) {
			sig_init(0);
			if ((rc = forget()) != EXIT_OK || w->argc == 1)
				return rc;
		} else if (strcmp(w->argv[0], "-l") == 0) {
			w->argv[0] = can;
			break;
		} else
			break;
		lex_shift(w);
	}
	return -1;
}

static int
run_words(struct words *w)
{
	int quit = 0, rc;

	if (w->argc > 0 && args_is_self(w->argv[0]))
		lex_shift(w);
	if ((rc = global_opts(w)) != -1)
		return rc;
	if (w->argc == 0)
		return interactive();
	sig_init(0);
	return cmd_run(w, &quit);
}

/*
 * A command string from sshd. "ctl" alone is what ForceCommand runs:
 * the user's command is then in SSH_ORIGINAL_COMMAND (orig).
 */
static int
run_string(const char *s, const char *orig)
{
	struct words w;
	char msg[256];

	if (lex_line(s, strlen(s), &w, msg, sizeof(msg)) == -1) {
		warnx("%s", msg);
		return EXIT_USAGE;
	}
	if (orig != NULL && w.argc == 1 && args_is_self(w.argv[0]))
		return run_string(orig, NULL);
	return run_words(&w);
}

static int
run_args(int argc, char *argv[], const char *orig)
{
	struct words w;
	char msg[256];

	if (argc < 2 || argv[1] == NULL)
		return orig != NULL ? run_string(orig, NULL) : interactive();
	if (strcmp(argv[1], "-c") == 0) {
		if (argc != 3) {
			usage(stderr);
			return EXIT_USAGE;
		}
		return run_string(argv[2], orig);
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("ctl %s (protocol %d)\n", CTL_VERSION, PROTO_VERSION);
		return EXIT_OK;
	}
	if (argv[1][0] == '-' && strcmp(argv[1], "-k") != 0 &&
	    strcmp(argv[1], "-S") != 0 && strcmp(argv[1], "--stdin") != 0 &&
	    strcmp(argv[1], "-l") != 0) {
		fmt_safe(msg, 33, argv[1]);
		warnx("unknown option '%s'", msg);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (lex_argv(argc - 1, argv + 1, &w, msg, sizeof(msg)) == -1) {
		warnx("%s", msg);
		return EXIT_USAGE;
	}
	return run_words(&w);
}

int
main(int argc, char *argv[])
{
	char *sock, *orig;
	int rc;

	fds_open();
	program_invocation_name = program_invocation_short_name = progname;
	sock = env_take("CTL_SOCKET");
	orig = env_take("SSH_ORIGINAL_COMMAND");
	env_reset();
	client_set_socket(sock);
	free(sock);
	rc = run_args(argc, argv, orig);
	free(orig);
	return rc;
}
