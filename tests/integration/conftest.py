"""Fixtures for the integration tests: the real ctl and ctld binaries,
the real dockerd, real PAM and real users made with useradd.

Everything made here carries a random tag and is removed afterwards:
users, groups, containers, the PAM service file and the temp dir.
"""
import grp
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
TAG = "ct" + secrets.token_hex(3)
IMAGE = "ctl-test/busybox:1"
PAM_SERVICE = "ctl-it-" + TAG


def run(*args, check=True, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 120)
    return subprocess.run(list(args), check=check, **kw)


def docker(*args, check=True):
    return run("docker", *args, check=check)


@pytest.fixture(scope="session")
def tmpdir_shared():
    """A temp dir that the test users can reach (mkdtemp is 0700)."""
    d = tempfile.mkdtemp(prefix="ctl-it-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def bins(tmpdir_shared):
    """Copies of the binaries where every test user can execute them."""
    out = {}
    # ctl is the static launcher bin/ctl, which runs ../libexec/ctl/ctl-shell
    for name, rel in (("ctl", "bin/ctl"), ("ctl-shell", "libexec/ctl/ctl-shell"),
                      ("ctld", "ctld")):
        src = os.path.join(BUILD, rel)
        assert os.path.exists(src), f"{src} missing: run make first"
        dst = os.path.join(tmpdir_shared, rel)
        os.makedirs(os.path.dirname(dst), mode=0o755, exist_ok=True)
        shutil.copy(src, dst)
        os.chmod(dst, 0o755)
        out[name] = dst
    return out


@pytest.fixture(scope="session")
def image(tmpdir_shared):
    r = docker("info", check=False)
    assert r.returncode == 0, "dockerd is not running: run `make deps`"
    if docker("image", "inspect", IMAGE, check=False).returncode != 0:
        rootfs = os.path.join(tmpdir_shared, "rootfs")
        os.makedirs(os.path.join(rootfs, "bin"))
        shutil.copy("/bin/busybox", os.path.join(rootfs, "bin", "busybox"))
        for applet in ("sh", "echo", "sleep", "cat", "seq", "printf", "true"):
            os.symlink("busybox", os.path.join(rootfs, "bin", applet))
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        run("docker", "import", "-", IMAGE, stdin=tar.stdout)
        tar.wait()
    return IMAGE


class Accounts:
    """Real users and groups for one test session."""

    def __init__(self):
        self.users = {}
        self.groups = []

    def group(self, short):
        name = f"{TAG}{short}"
        run("groupadd", name)
        self.groups.append(name)
        return name

    def user(self, short, groups=()):
        name = f"{TAG}{short}"
        args = ["useradd", "-M", "-s", "/bin/sh"]
        if groups:
            args += ["-G", ",".join(groups)]
        run(*args, name)
        self.users[short] = name
        return name

    def cleanup(self):
        for name in self.users.values():
            run("userdel", "-f", name, check=False)
        for name in self.groups:
            run("groupdel", name, check=False)


@pytest.fixture(scope="session")
def accounts():
    a = Accounts()
    a.dev = a.group("dev")
    a.oncall = a.group("oncall")
    a.user("alice", [a.dev])
    a.user("bob")
    a.user("carol", [a.oncall])
    a.user("dave", [a.dev])
    a.user("erin")
    yield a
    a.cleanup()


@pytest.fixture(scope="session")
def pam_service():
    path = f"/etc/pam.d/{PAM_SERVICE}"
    shutil.copy(os.path.join(ROOT, "etc", "pam.d", "ctl"), path)
    yield PAM_SERVICE
    os.unlink(path)


class Containers:
    def __init__(self, image):
        self.image = image
        self.names = []

    def create(self, name, owner=None, group=None, cmd=None, tty=False, start=True):
        args = ["docker", "run" if start else "create", "--label", f"ctltest={TAG}",
                "--name", name]
        if start:
            args.append("-d")
        if owner:
            args += ["--label", f"ctl.owner={owner}"]
        if group:
            args += ["--label", f"ctl.group={group}"]
        if tty:
            args.append("-t")
        args.append(self.image)
        args += cmd or ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
        run(*args)
        self.names.append(name)
        return name

    def cleanup(self):
        if self.names:
            docker("rm", "-f", *self.names, check=False)


@pytest.fixture(scope="session")
def containers(image):
    c = Containers(image)
    yield c
    c.cleanup()


def config_text(tmp, accounts, pam_service, extra="", ownership=None):
    a = accounts
    own = ownership or (
        'ownership = { owner_label = "ctl.owner"; group_label = "ctl.group";\n'
        '  owner_verbs = ["ls", "status", "logs", "start", "stop", "restart", "stats"]; };\n')
    return (
        f'listen = {{ path = "{tmp}/ctld.sock"; mode = 0666; }};\n'
        f'docker = {{ socket = "/var/run/docker.sock"; api_version = "1.41"; }};\n'
        f'pam = {{ service = "{pam_service}"; }};\n'
        f'audit = {{ file = "{tmp}/audit.jsonl"; syslog = false; }};\n'
        + own +
        'rules = (\n'
        f'  {{ groups = ["{a.oncall}"]; containers = ["*"]; verbs = ["ls", "status", "logs"]; }},\n'
        f'  {{ users = ["{a.users["bob"]}"]; containers = ["web-*"]; verbs = ["restart"]; deny = true; }}\n'
        ');\n' + extra)


class Broker:
    """One ctld -d process with its own socket, config and audit file."""

    def __init__(self, bins, tmp, text):
        self.bins = bins
        self.dir = tempfile.mkdtemp(prefix="ctld-", dir=tmp)
        os.chmod(self.dir, 0o755)
        self.socket = os.path.join(self.dir, "ctld.sock")
        self.audit = os.path.join(self.dir, "audit.jsonl")
        self.conf = os.path.join(self.dir, "ctld.conf")
        self.write_config(text.replace("@DIR@", self.dir))
        self.log = open(os.path.join(self.dir, "ctld.log"), "w+")
        self.proc = subprocess.Popen([bins["ctld"], "-d", "-f", self.conf],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_socket()

    def write_config(self, text):
        with open(self.conf + ".new", "w") as f:
            f.write(text)
        os.chmod(self.conf + ".new", 0o644)
        os.rename(self.conf + ".new", self.conf)

    def wait_socket(self):
        for _ in range(600):
            if self.proc.poll() is not None:
                raise AssertionError("ctld exited: " + self.logtext())
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(self.socket)
                s.close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("ctld did not listen: " + self.logtext())

    def logtext(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def audit_lines(self):
        try:
            with open(self.audit) as f:
                return [json.loads(line) for line in f]
        except FileNotFoundError:
            return []

    def children(self):
        out = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid and fields[0] != "Z":
                out.append(int(pid))
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session")
def broker(bins, tmpdir_shared, accounts, pam_service, image):
    b = Broker(bins, tmpdir_shared, config_text("@DIR@", accounts, pam_service))
    yield b
    b.stop()


@pytest.fixture
def make_broker(bins, tmpdir_shared, accounts, pam_service, image):
    made = []

    def make(text=None, **kw):
        b = Broker(bins, tmpdir_shared,
                   text or config_text("@DIR@", accounts, pam_service, **kw))
        made.append(b)
        return b
    yield make
    for b in made:
        b.stop()


class Ctl:
    """Runs the real ctl binary as one of the test users."""

    def __init__(self, bins, broker, accounts):
        self.bin = bins["ctl"]
        self.broker = broker
        self.accounts = accounts

    def env(self, extra=None):
        env = {"PATH": "/usr/bin:/bin", "CTL_SOCKET": self.broker.socket}
        env.update(extra or {})
        return env

    def ids(self, who):
        pw = pwd.getpwnam(self.accounts.users[who])
        return pw.pw_uid, pw.pw_gid

    def __call__(self, who, *args, env=None, text=True, timeout=60, argv0=None, input=None):
        uid, gid = self.ids(who)
        argv = [argv0 or self.bin, *args]
        return subprocess.run(argv, executable=self.bin, user=uid, group=gid,
                              extra_groups=[], env=self.env(env),
                              capture_output=True, text=text, timeout=timeout,
                              input=input, stdin=None if input is not None else subprocess.DEVNULL,
                              cwd="/")

    def popen(self, who, *args, **kw):
        uid, gid = self.ids(who)
        return subprocess.Popen([self.bin, *args], user=uid, group=gid, extra_groups=[],
                                env=self.env(), cwd="/", **kw)

    def spawn_argv(self, who, *args, argv0=None):
        """setpriv + bash exec -a, for pexpect: a real pty, a real user."""
        user = self.accounts.users[who]
        exec_args = " ".join(["exec"] + (["-a", argv0] if argv0 else []) + [self.bin] +
                             [f"'{a}'" for a in args])
        return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups",
                "--reset-env", "/bin/bash", "-c",
                f"export CTL_SOCKET={self.broker.socket} TERM=xterm; {exec_args}"]


class LoginSession:
    """A session leader of our own (as sshd or login would make) whose
    children run ctl: tickets are per session, and the test runner's own
    session may be 0 or led by a process outside this PID namespace."""

    def __init__(self, ctl, who):
        self.ctl = ctl
        self.who = who
        self.dir = tempfile.mkdtemp(prefix="ctl-sess-")
        self.leader = subprocess.Popen(["/bin/bash"], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True,
                                       start_new_session=True, cwd="/", env={"PATH": "/usr/bin:/bin"})

    def __call__(self, *args, input=""):
        uid, gid = self.ctl.ids(self.who)
        inp, out, err = (os.path.join(self.dir, n) for n in ("in", "out", "err"))
        with open(inp, "w") as f:
            f.write(input)
        argv = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                "env", "-i", f"CTL_SOCKET={self.ctl.broker.socket}", self.ctl.bin, *args]
        q = " ".join("'" + a.replace("'", "'\\''") + "'" for a in argv)
        self.leader.stdin.write(f"{q} <{inp} >{out} 2>{err}; echo $?\n")
        self.leader.stdin.flush()
        rc = int(self.leader.stdout.readline())
        with open(out) as o, open(err) as e:
            return subprocess.CompletedProcess(argv, rc, o.read(), e.read())

    def close(self):
        self.leader.stdin.close()
        self.leader.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def ctl(bins, broker, accounts):
    return Ctl(bins, broker, accounts)


EVIL_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
static void
mark(void)
{
	char p[4096];
	int fd;

	snprintf(p, sizeof(p), "%s/%s.%d", MARKS, KIND, (int)getpid());
	if ((fd = open(p, O_WRONLY | O_CREAT, 0666)) >= 0)
		close(fd);
}
__attribute__((constructor)) static void init(void) { mark(); }
unsigned int la_version(unsigned int v) { mark(); return v; }
"""


class EvilLibs:
    """Code that leaves a mark wherever the dynamic loader or iconv runs
    it, reached through each environment variable that can name code:
    LD_PRELOAD, LD_AUDIT, LD_LIBRARY_PATH (a libjansson.so.4 of its own,
    which ctl-shell links, forwarding to the real one) and GCONV_PATH."""

    def __init__(self, d):
        self.dir = d
        self.marks_dir = os.path.join(d, "marks")
        lib, gconv = os.path.join(d, "lib"), os.path.join(d, "gconv")
        for sub in (self.marks_dir, lib, gconv):
            os.makedirs(sub)
        os.chmod(self.marks_dir, 0o1777)
        src = os.path.join(d, "mark.c")
        with open(src, "w") as f:
            f.write(EVIL_C)

        def cc(kind, out, *extra):
            run("cc", "-shared", "-fPIC", f'-DMARKS="{self.marks_dir}"', f'-DKIND="{kind}"',
                "-o", out, src, *extra)
        cc("preload", os.path.join(d, "preload.so"))
        cc("audit", os.path.join(d, "audit.so"))
        cc("gconv", os.path.join(gconv, "EVIL.so"))
        with open(os.path.join(gconv, "gconv-modules"), "w") as f:
            f.write("alias UTF8// EVIL//\nmodule EVIL// INTERNAL EVIL 1\n"
                    "module INTERNAL EVIL// EVIL 1\n"
                    "module ISO-8859-1// INTERNAL EVIL 1\n")
        # libjansson.so.4 that runs mark() and needs libjansson-real.so.4,
        # a copy of the real one: a stub stands in for it at link time
        stub, real = os.path.join(d, "stub.c"), os.path.join(lib, "libjansson-real.so.4")
        with open(stub, "w") as f:
            f.write("int ctl_stub;\n")
        run("cc", "-shared", "-fPIC", "-o", real, stub, "-Wl,-soname,libjansson-real.so.4")
        vmap = os.path.join(d, "v.map")
        with open(vmap, "w") as f:
            f.write("libjansson.so.4 { local: *; };\n")
        cc("library_path", os.path.join(lib, "libjansson.so.4"), "-Wl,-soname,libjansson.so.4",
           f"-Wl,--version-script={vmap}", "-Wl,--no-as-needed", f"-L{lib}",
           "-l:libjansson-real.so.4")
        jansson = run("/sbin/ldconfig", "-p").stdout
        path = next(line.split(" => ")[1] for line in jansson.splitlines()
                    if "libjansson.so.4 " in line and "x86-64" in line)
        shutil.copy(path, real)
        for root, dirs, files in os.walk(d):
            for n in dirs + files:
                p = os.path.join(root, n)
                if p != self.marks_dir:
                    os.chmod(p, 0o755)
        self.env = {"LD_PRELOAD": os.path.join(d, "preload.so"),
                    "LD_AUDIT": os.path.join(d, "audit.so"),
                    "LD_LIBRARY_PATH": lib, "GCONV_PATH": gconv}

    def marks(self):
        return sorted(n.split(".")[0] for n in os.listdir(self.marks_dir))

    def clear(self):
        for n in os.listdir(self.marks_dir):
            os.unlink(os.path.join(self.marks_dir, n))


@pytest.fixture(scope="session")
def evil(tmpdir_shared):
    return EvilLibs(os.path.join(tmpdir_shared, "evil"))


def wait_for(pred, timeout=10.0, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def user_group(name):
    return grp.getgrnam(name).gr_name


def pytest_collection_modifyitems(config, items):
    """Tests that stop shared services (dockerd) run after all others."""
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)


def pytest_configure(config):
    config.addinivalue_line("markers", "disruptive: stops a shared service; runs last")
