/*
 * ctl: the login shell's first instructions. A static executable that
 * sshd (login shell, ForceCommand, `ssh host ctl ...`) runs before the
 * real shell, so that nothing a user can place in the environment (a
 * ~/.pam_environment read by pam_env user_readenv=1, say) loads code.
 *
 * Invariants:
 * 1. No dynamic loader runs in this process: it is linked static-pie,
 *    so LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT and the rest of ld.so's
 *    variables have no reader here.
 * 2. It calls nothing in libc that loads code or opens files named by
 *    the environment: no NSS, iconv (GCONV_PATH), locale (LOCPATH),
 *    gettext, dlopen or stdio; only readlink, open, fstat, execveat,
 *    write and _exit. Static glibc still parses GLIBC_TUNABLES and
 *    records LD_LIBRARY_PATH for a dlopen this program never makes.
 * 3. The real shell's environment is built here from an allowlist:
 *    CTL_SOCKET, SSH_ORIGINAL_COMMAND and TERM, the first of each,
 *    values verbatim (the shell checks them). Nothing else survives.
 * 4. The real shell is found from this file's own path as the kernel
 *    names it (/proc/self/exe), never from argv or the environment, and
 *    runs only if it is a regular file owned by this file's owner and
 *    writable by nobody else; the descriptor checked is the one run.
 * 5. Any failure ends here, before the shell, with exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHELL_REL	"/../libexec/ctl/ctl-shell"
#define EXIT_FAIL	1

extern char **environ;

static const char *const keep[] = {
	"CTL_SOCKET", "SSH_ORIGINAL_COMMAND", "TERM",
};
#define NKEEP	(sizeof(keep) / sizeof(keep[0]))

static void
say(const char *s)
{
	ssize_t n;
	size_t len = strlen(s);

	while (len > 0 && (n = write(STDERR_FILENO, s, len)) > 0) {
		s += n;
		len -= (size_t)n;
	}
}

static void __attribute__((noreturn))
fail(const char *what, int e)
{
	const char *name = e != 0 ? strerrorname_np(e) : NULL;

	say("ctl: cannot start the shell: ");
	say(what);
	if (name != NULL) {
		say(": ");
		say(name);
	}
	say("\n");
	_exit(EXIT_FAIL);
}

static void
fds_open(void)
{
	int fd;

	do {
		if ((fd = open("/dev/null", O_RDWR)) == -1)
			_exit(EXIT_FAIL);
	} while (fd <= STDERR_FILENO);
	close(fd);
}

/* The first "NAME=" entry of each kept name, in envp's order. */
static void
env_allowed(char *out[NKEEP + 1])
{
	size_t n = 0, i, len;
	int taken[NKEEP] = { 0 };
	char **e;

	for (e = environ; e != NULL && *e != NULL; e++) {
		for (i = 0; i < NKEEP; i++) {
			len = strlen(keep[i]);
			if (!taken[i] && strncmp(*e, keep[i], len) == 0 &&
			    (*e)[len] == '=') {
				taken[i] = 1;
				out[n++] = *e;
				break;
			}
		}
	}
	out[n] = NULL;
}

/* "/proc/self/exe" minus its last component, plus SHELL_REL. */
static void
shell_path(char *buf, size_t size)
{
	ssize_t n;
	char *slash;

	if ((n = readlink("/proc/self/exe", buf, PATH_MAX)) == -1)
		fail("readlink /proc/self/exe", errno);
	if (n >= PATH_MAX || size < PATH_MAX + sizeof(SHELL_REL))
		fail("path of ctl too long", 0);
	buf[n] = '\0';
	if (buf[0] != '/' || (slash = strrchr(buf, '/')) == NULL)
		fail("/proc/self/exe is not an absolute path", 0);
	memcpy(slash, SHELL_REL, sizeof(SHELL_REL));
}

static int
shell_open(const char *path)
{
	struct stat self, sh;
	int fd;

	if (stat("/proc/self/exe", &self) == -1)
		fail("stat /proc/self/exe", errno);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		fail(path, errno);
	if (fstat(fd, &sh) == -1)
		fail(path, errno);
	if (!S_ISREG(sh.st_mode))
		fail("the shell is not a regular file", 0);
	if (sh.st_uid != self.st_uid)
		fail("the shell and ctl have different owners", 0);
	if (sh.st_mode & (S_IWGRP | S_IWOTH))
		fail("the shell is writable by others", 0);
	return fd;
}

int
main(int argc, char *argv[])
{
	char path[PATH_MAX + sizeof(SHELL_REL)];
	char *envp[NKEEP + 1];
	int fd;

	(void)argc;
	fds_open();
	shell_path(path, sizeof(path));
	fd = shell_open(path);
	env_allowed(envp);
	execveat(fd, "", argv, envp, AT_EMPTY_PATH);
	fail(path, errno);
}
