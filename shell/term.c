/*
 * Interactive mode: libedit on a terminal, else one command a line from
 * standard input with no prompt.
 *
 * Invariants:
 * 1. No file is read or written: el_source() is never called (no
 *    editrc) and history lives in memory only.
 * 2. libedit's extended-command mode (M-x) is unbound: the only
 *    commands are ctl's, and its key bindings cannot be changed.
 * 3. Every line goes through cmd_run_line(), as in one-shot mode. A byte
 *    above 0x7f is never taken for a meta key: it is inserted and reaches
 *    the lexer, which refuses it.
 * 4. Completion inserts only what complete.c offers: verbs and options
 *    from verb_table, names that name_valid() accepts (ENGINE/NAME with
 *    an engine engine_valid() accepts).
 * 5. Without a key for the welcome's idle_timeout seconds the shell ends.
 */
#include <err.h>
#include <errno.h>
#include <histedit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "client.h"
#include "commands.h"
#include "complete.h"
#include "lex.h"
#include "proto.h"
#include "sig.h"
#include "term.h"

#define HISTORY_SIZE	100
#define COMP_WIDTH	78
#define RAW_BYTE	0xf700	/* a byte above 0x7f, as a private-use char */

static char prompt[sizeof(((struct welcome *)0)->user) +
    sizeof(((struct welcome *)0)->host) + 4];
static int idle_ms = -1;
static int timed_out;

static struct comp comp;

static char *
show_prompt(EditLine *el)
{
	return prompt;
}

/* libedit's read function: waits at most idle_ms for each key. */
static int
read_key(EditLine *el, wchar_t *wc)
{
	unsigned char c;
	ssize_t n;
	int rc;

	for (;;) {
		rc = sig_wait(STDIN_FILENO, idle_ms);
		if (rc == -1 && sig_caught()) {
			errno = EINTR;
			return -1;
		}
		if (rc == 0) {
			timed_out = 1;
			errno = ETIMEDOUT;
			return -1;
		}
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		n = read(STDIN_FILENO, &c, 1);
		if (n == 1) {
			/* Above 0x7f: no meta key, an insert that lex refuses. */
			*wc = c < 0x80 ? (wchar_t)c : RAW_BYTE + (wchar_t)c;
			return 1;
		}
		if (n == 0)
			return 0;
		if (errno != EINTR && errno != EAGAIN)
			return -1;
	}
}

static unsigned char
comp_apply(EditLine *el, const char *prefix)
{
	char ins[sizeof(comp.w[0]) + 1];
	size_t plen = strlen(prefix), common, i, j, col = 0;

	if (comp.n == 0)
		return CC_REFRESH_BEEP;
	common = strlen(comp.w[0]);
	for (i = 1; i < comp.n; i++) {
		for (j = 0; j < common && comp.w[i][j] == comp.w[0][j]; j++)
			;
		common = j;
	}
	if (comp.n == 1 || common > plen) {
		memcpy(ins, comp.w[0] + plen, common - plen);
		ins[common - plen] = '\0';
		if (comp.n == 1)
			strcat(ins, " ");
		return el_insertstr(el, ins) == -1 ? CC_ERROR : CC_REFRESH;
	}
	putchar('\n');
	for (i = 0; i < comp.n; i++) {
		if (col > 0 && col + strlen(comp.w[i]) > COMP_WIDTH) {
			putchar('\n');
			col = 0;
		}
		col += (size_t)printf("%s  ", comp.w[i]);
	}
	putchar('\n');
	fflush(stdout);
	return CC_REDISPLAY;
}

/* Tab: what complete() offers for the word before the cursor. */
static unsigned char
complete_key(EditLine *el, int ch)
{
	const LineInfo *li = el_line(el);
	char prefix[LEX_MAX_LINE + 1];
	size_t plen;

	if (complete(li->buffer, (size_t)(li->cursor - li->buffer), &comp,
	    &plen) == -1)
		return CC_ERROR;
	memcpy(prefix, li->cursor - plen, plen);
	prefix[plen] = '\0';
	return comp_apply(el, prefix);
}

/* el_wgets' line as bytes, for the lexer; the newline is dropped. */
static char *
narrow(const wchar_t *wl, int n, size_t *len)
{
	char *s;
	int i;

	if ((s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (wl[i] >= 0 && wl[i] < 0x80)
			s[i] = (char)wl[i];
		else if (wl[i] >= RAW_BYTE + 0x80 && wl[i] <= RAW_BYTE + 0xff)
			s[i] = (char)(wl[i] - RAW_BYTE);
		else
			s[i] = (char)0xff;
	}
	if (n > 0 && s[n - 1] == '\n')
		n--;
	s[n] = '\0';
	*len = (size_t)n;
	return s;
}

static int
blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

static EditLine *
edit_init(HistoryW *hist)
{
	/* M-x and M-X, as ESC sequences and as meta characters. */
	static const wchar_t *const no_command[] = {
		L"^[x", L"^[X", L"\x00f8", L"\x00d8"
	};
	EditLine *el;
	size_t i;

	if ((el = el_init("ctl", stdin, stdout, stderr)) == NULL)
		return NULL;
	el_set(el, EL_EDITOR, "emacs");
	el_set(el, EL_SIGNAL, 0);
	el_set(el, EL_PROMPT, show_prompt);
	el_wset(el, EL_HIST, history_w, hist);
	el_set(el, EL_GETCFN, read_key);
	el_wset(el, EL_ADDFN, L"ctl-complete",
	    L"complete a command, option or container name", complete_key);
	el_set(el, EL_BIND, "^I", "ctl-complete", NULL);
	for (i = 0; i < sizeof(no_command) / sizeof(no_command[0]); i++)
		el_wset(el, EL_BIND, no_command[i], L"ed-unassigned", NULL);
	return el;
}

/*
 * A session that keeps sending what no one types by mistake (shell
 * syntax, control bytes, overlong lines) is probing, not working: after
 * the broker's number of those (lshell's warning_counter), it ends. A
 * typo or a usage error got help and is not counted. Returns 1 when the
 * session must end.
 */
static int
refused(enum refusal why, int *count, int limit)
{
	if (why != REFUSAL_HOSTILE || limit == 0)
		return 0;
	if (++*count >= limit) {
		warnx("too many refused commands, logging out");
		return 1;
	}
	warnx("%d more refused command%s and the session ends", limit - *count,
	    limit - *count == 1 ? "" : "s");
	return 0;
}

/* Hello to the broker; help then knows which verbs the user may use. */
static int
hello(struct welcome *w)
{
	int rc;

	if ((rc = client_hello(w, 0)) == EXIT_OK && w->has_usable)
		cmd_set_usable(w->usable);
	return rc;
}

static int
edit_loop(void)
{
	struct welcome wel;
	const wchar_t *wl;
	HistEventW ev;
	HistoryW *hist;
	EditLine *el;
	char *line;
	enum refusal why;
	size_t len;
	int n, rc, quit = 0, nrefused = 0;

	if ((rc = hello(&wel)) != EXIT_OK)
		return rc;
	snprintf(prompt, sizeof(prompt), "%s@%s> ", wel.user, wel.host);
	if (wel.idle_timeout > 0)
		idle_ms = (int)wel.idle_timeout * 1000;
	if ((hist = history_winit()) == NULL)
		errx(EXIT_FAIL, "history_winit failed");
	history_w(hist, &ev, H_SETSIZE, HISTORY_SIZE);
	history_w(hist, &ev, H_SETUNIQUE, 1);
	if ((el = edit_init(hist)) == NULL)
		errx(EXIT_FAIL, "el_init failed");
	while (!quit) {
		sig_clear();
		if ((wl = el_wgets(el, &n)) == NULL) {
			if (sig_caught() == SIGINT) {
				putchar('\n');
				continue;
			}
			putchar('\n');
			fflush(stdout);
			if (timed_out)
				warnx("idle timeout, logging out");
			break;
		}
		if ((line = narrow(wl, n, &len)) == NULL) {
			warn("malloc");
			continue;
		}
		if (!blank(line, len)) {
			history_w(hist, &ev, H_ENTER, wl);
			rc = cmd_run_line(line, len, &quit, &why);
			if (refused(why, &nrefused, wel.warnings)) {
				free(line);
				rc = EXIT_USAGE;
				break;
			}
			rc = EXIT_OK;
		}
		free(line);
		if (sig_fatal())
			break;
	}
	el_end(el);
	history_wend(hist);
	return sig_fatal() ? EXIT_SIGNAL(sig_caught()) : rc;
}

/* No terminal: one command a line, no prompt; the last status counts. */
static int
script_loop(void)
{
	struct welcome wel;
	char line[LEX_MAX_LINE + 2];
	enum refusal why;
	size_t len;
	int c, rc = EXIT_OK, quit = 0, nrefused = 0;

	if ((rc = hello(&wel)) != EXIT_OK)
		return rc;

	do {
		len = 0;
		while ((c = getchar()) != EOF && c != '\n')
			if (len < sizeof(line) - 1)
				line[len++] = (char)c;
			else
				len = sizeof(line) - 1;	/* too long: refused */
		line[len] = '\0';
		if (sig_caught())
			break;
		if (!blank(line, len)) {
			rc = cmd_run_line(line, len, &quit, &why);
			if (refused(why, &nrefused, wel.warnings))
				break;
		}
	} while (c != EOF && !quit && !sig_caught());
	if (sig_caught())
		return EXIT_SIGNAL(sig_caught());
	return rc;
}

int
term_run(void)
{
	if (isatty(STDIN_FILENO))
		return edit_loop();
	return script_loop();
}
