"""The Debian packages, installed for real: dpkg -i of build/deb (make deb),
ctld started from the installed unit's ExecStart as systemd would start
it, a user whose login shell is ctl running ls and logs, the audit log
rotated by the installed logrotate file under a live logs -f, then
dpkg --purge and a check that nothing of ours is left.

Run as root, after make deb, by CI's package step:
    /usr/bin/python3 -m pytest -v tests/package
The tests run in file order and share one installation; the module's
fixture purges and removes what it made even when a test fails. They
touch only what they create: a host with ctl already installed or
configured is refused (skipped; failed under CI, where it must not be).
"""
import glob
import gzip
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEBDIR = os.path.join(ROOT, "build", "deb")
PACKAGES = ("ctl", "ctld", "libpam-ctl")
TAG = "ctlpkg" + secrets.token_hex(3)
UNIT = "/lib/systemd/system/ctld.service"
AUDIT = "/var/log/ctl/audit.jsonl"
SOCKET = "/run/ctl/ctld.sock"
# where the packages put files, and what they must leave as they found it
WATCHED_DIRS = ("/etc/pam.d", "/etc/logrotate.d", "/etc/systemd/system",
                "/lib/systemd/system", "/etc/ssh", "/etc/ctl", "/var/log/ctl",
                "/run/ctl", "/usr/share/doc/ctld", "/usr/libexec/ctl")


def run(*args, check=True, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 300)
    r = subprocess.run(list(args), **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{args}: exit {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def installed(pkg):
    r = run("dpkg-query", "-W", "-f=${Status}", pkg, check=False)
    return "ok installed" in r.stdout or "config-files" in r.stdout


# names of ours in the watched directories; other files there (another
# test run's PAM services on a shared host) come and go as they please
OUR_NAMES = {"ctl", "ctld", "ctld.service", "ctld.socket", "ctl.conf", "ctld.conf",
             "sshd_config.d-ctl.conf", "pam_ctl.so"}
OUR_DIRS = ("/etc/ctl", "/var/log/ctl", "/run/ctl", "/usr/libexec/ctl", "/usr/share/doc/ctld")


def snapshot():
    """Every directory under the watched ones and every file of ours there,
    with its content (a link: its target), and /etc/shells and the
    common-* PAM files."""
    state = {}
    for top in WATCHED_DIRS:
        for d, dirs, files in os.walk(top):
            state[d] = "dir"
            for f in files:
                p = os.path.join(d, f)
                if f in OUR_NAMES or p.startswith(OUR_DIRS):
                    state[p] = os.readlink(p) if os.path.islink(p) else open(p, "rb").read()
    for p in ["/etc/shells"] + glob.glob("/etc/pam.d/common-*"):
        state[p] = open(p, "rb").read()
    return state


def debs():
    found = sorted(glob.glob(os.path.join(DEBDIR, "*.deb")))
    return [d for d in found if "-dbgsym_" not in d]


def refuse(why):
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


def wait_for(pred, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def docker(*args, check=True):
    return run("docker", *args, check=check)


class Host:
    """What this module made, so that teardown removes exactly that."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="ctl-pkg-")
        self.user = TAG
        self.container = f"{TAG}-app"
        self.image = f"ctl-pkgtest/busybox:{TAG}"
        self.ctld = None
        self.before = None
        self.files = {}

    def start_ctld(self):
        """As systemd would: RuntimeDirectory and LogsDirectory made with
        their modes, UMask, ExecStartPre, then ExecStart."""
        unit = open(UNIT).read()

        def key(name):
            return re.findall(rf"^{name}=(.*)$", unit, re.M)
        for kind, base in (("RuntimeDirectory", "/run"), ("LogsDirectory", "/var/log")):
            mode = int(key(kind + "Mode")[0], 8)
            for name in key(kind)[0].split():
                os.makedirs(os.path.join(base, name), exist_ok=True)
                os.chmod(os.path.join(base, name), mode)
        umask = int(key("UMask")[0], 8)
        for pre in key("ExecStartPre"):
            run(*shlex.split(pre))
        self.log = open(os.path.join(self.tmp, "ctld.log"), "w+")
        self.ctld = subprocess.Popen(shlex.split(key("ExecStart")[0]), stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     preexec_fn=lambda: os.umask(umask))

        def serving():
            assert self.ctld.poll() is None, self.logtext()
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(SOCKET)
                return "listening on" in self.logtext()
            except OSError:
                return False
        assert wait_for(serving, 30), self.logtext()

    def logtext(self):
        self.log.flush()
        return open(self.log.name).read()

    def stop_ctld(self):
        if self.ctld is not None and self.ctld.poll() is None:
            self.ctld.send_signal(signal.SIGTERM)
            try:
                self.ctld.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.ctld.kill()
                self.ctld.wait()

    def login(self, command, **kw):
        """command through the user's login shell, as sshd would run it."""
        return run("su", "-", self.user, "-c", command, check=False, timeout=60, **kw)

    def restore_pam(self):
        if self.pam_before is not None and not os.path.exists("/etc/pam.d/ctl"):
            with open("/etc/pam.d/ctl", "wb") as f:
                f.write(self.pam_before)
            os.chmod("/etc/pam.d/ctl", 0o644)

    def cleanup(self):
        self.stop_ctld()
        for pkg in PACKAGES:
            if installed(pkg):
                run("dpkg", "--purge", *PACKAGES, check=False)
                break
        docker("rm", "-f", self.container, check=False)
        docker("rmi", self.image, check=False)
        run("userdel", "-f", self.user, check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def host():
    if os.geteuid() != 0:
        pytest.skip("needs root: it installs packages")
    if not debs():
        refuse(f"no packages in {DEBDIR}: run make deb first")
    if any(installed(p) for p in PACKAGES):
        refuse("ctl packages are installed here already: not touching them")
    for p in ("/etc/ctl", "/run/ctl", "/var/log/ctl", "/usr/bin/ctl", "/usr/sbin/ctld"):
        if os.path.lexists(p):
            refuse(f"{p} exists: this host has ctl installed or configured")
    h = Host()
    h.before = snapshot()
    # a PAM file of make install's or an admin's: kept by dpkg -i (below),
    # removed by dpkg --purge as the conffile it became, so put back
    h.pam_before = h.before.get("/etc/pam.d/ctl")
    yield h
    h.cleanup()
    h.restore_pam()


def test_install(host):
    # an admin's /etc/pam.d/ctl from before is a conffile question, never
    # an overwrite: answered "keep mine", as --force-confold does
    if host.pam_before is None:
        with open(os.path.join(ROOT, "etc", "pam.d", "ctl")) as f:
            mine = f.read() + "# the admin's own\n"
        with open("/etc/pam.d/ctl", "w") as f:
            f.write(mine)
    mine = open("/etc/pam.d/ctl").read()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = run("dpkg", "--force-confold", "-i", *debs(), env=env, stdin=subprocess.DEVNULL)
    assert open("/etc/pam.d/ctl").read() == mine, r.stdout
    for pkg in PACKAGES:
        host.files[pkg] = run("dpkg-query", "-L", pkg).stdout.split("\n")
    arch = run("dpkg-architecture", "-qDEB_HOST_MULTIARCH").stdout.strip()
    want = {"ctl": ["/usr/bin/ctl", "/usr/libexec/ctl/ctl-shell", "/usr/share/man/man1/ctl.1.gz"],
            "ctld": ["/usr/sbin/ctld", UNIT, "/etc/ctl/ctld.conf", "/etc/pam.d/ctl",
                     "/etc/logrotate.d/ctld", "/usr/share/man/man8/ctld.8.gz",
                     "/usr/share/man/man5/ctld.conf.5.gz",
                     "/usr/share/doc/ctld/examples/sshd_config.d-ctl.conf"],
            "libpam-ctl": [f"/lib/{arch}/security/pam_ctl.so",
                           "/usr/share/man/man8/pam_ctl.8.gz"]}
    for pkg, paths in want.items():
        for p in paths:
            assert p in host.files[pkg], (pkg, p)
            assert os.path.exists(p), p
    conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", "ctld").stdout
    for p in ("/etc/ctl/ctld.conf", "/etc/pam.d/ctl", "/etc/logrotate.d/ctld"):
        assert p + " " in conffiles, conffiles
    # the unit names the installed binary
    assert re.search(r"^ExecStart=/usr/sbin/ctld -d -f /etc/ctl/ctld.conf$",
                     open(UNIT).read(), re.M)
    # nothing that changes who may log in: sshd and the common-* PAM
    # files as they were, no sshd snippet in force
    assert not os.path.exists("/etc/ssh/sshd_config.d/ctl.conf")
    for p in glob.glob("/etc/pam.d/common-*"):
        assert open(p, "rb").read() == host.before[p], p
    assert open("/etc/shells").read().split("\n").count("/usr/bin/ctl") == 1


def test_reinstall_adds_the_shell_once(host):
    run("dpkg", "--force-confold", "-i", *debs(), stdin=subprocess.DEVNULL)
    run("dpkg-reconfigure", "ctl", env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    assert open("/etc/shells").read().split("\n").count("/usr/bin/ctl") == 1


def test_smoke_ls_and_logs(host):
    # a tiny image and a container of the user's, on the host's dockerd
    root = os.path.join(host.tmp, "rootfs")
    os.makedirs(os.path.join(root, "bin"))
    shutil.copy("/bin/busybox", os.path.join(root, "bin", "busybox"))
    for applet in ("sh", "echo", "sleep"):
        os.symlink("busybox", os.path.join(root, "bin", applet))
    tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
    run("docker", "import", "-", host.image, stdin=tar.stdout)
    tar.wait()
    run("useradd", "-M", "-s", "/usr/bin/ctl", host.user)
    docker("run", "-d", "--name", host.container, "--network", "none",
           "--label", f"ctl.owner={host.user}", host.image, "sh", "-c",
           f"echo hello-{TAG}; trap 'exit 0' TERM; "
           "while true; do echo tick; sleep 1 & wait $!; done")
    host.start_ctld()
    r = host.login("ls")
    assert r.returncode == 0 and host.container in r.stdout, (r, host.logtext())
    r = host.login(f"logs --tail 100 {host.container}")
    assert r.returncode == 0 and f"hello-{TAG}" in r.stdout, (r, host.logtext())
    # anything else is refused by the shell itself
    r = host.login("id")
    assert r.returncode != 0
    recs = [json.loads(line) for line in open(AUDIT)]
    mine = [(a["verb"], a["decision"]) for a in recs if a.get("user") == host.user]
    assert ("ls", "allow") in mine and ("logs", "allow") in mine, mine


def audit_records():
    """Every record in the audit file and its rotated ones, gzipped too."""
    def age(p):    # oldest first: .N.gz ... .1, then the file itself
        m = re.match(re.escape(AUDIT) + r"\.(\d+)", p)
        return -int(m.group(1)) if m else 0
    out = []
    for p in sorted(glob.glob(AUDIT + "*"), key=age):
        opener = gzip.open if p.endswith(".gz") else open
        with opener(p, "rt") as f:
            out += [json.loads(line) for line in f]
    return out


def test_rotation_under_a_live_follow_loses_no_record(host):
    """logrotate with the installed file while a logs -f session holds
    the audit descriptor it was forked with: its record, written when it
    ends, is in the renamed file, which is compressed only once nobody
    writes it; every record is in the old and new files."""
    state = os.path.join(host.tmp, "logrotate.state")

    def rotate():
        return run("logrotate", "-f", "-s", state, "/etc/logrotate.d/ctld", check=False)
    before = len(audit_records())
    follow = subprocess.Popen(["su", "-", host.user, "-c", f"logs -f --tail 1 {host.container}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, start_new_session=True)
    seen = []
    threading.Thread(target=lambda: seen.extend(follow.stdout), daemon=True).start()
    assert wait_for(lambda: len(seen) >= 2, 30), seen
    r = rotate()
    assert r.returncode == 0, r.stderr
    assert os.path.exists(AUDIT + ".1") and not os.path.exists(AUDIT)
    # the next request: ctld notices the rename and opens a new file
    assert host.login("ls").returncode == 0
    assert os.path.exists(AUDIT)
    # the follow still writes to .1: it is neither compressed nor rotated
    r = rotate()
    assert r.returncode != 0 and "still written by pid" in r.stderr, r
    assert os.path.exists(AUDIT + ".1") and not glob.glob(AUDIT + ".*.gz")
    os.killpg(follow.pid, signal.SIGTERM)
    follow.wait(timeout=30)

    def follow_recorded():
        with open(AUDIT + ".1") as f:
            return any(a.get("user") == host.user and a["verb"] == "logs"
                       for a in map(json.loads, f))
    # the follow's record, once its session (and any relay) ended: in .1
    assert wait_for(follow_recorded, 30), open(AUDIT + ".1").read()
    assert wait_for(lambda: rotate().returncode == 0, 30)
    assert os.path.exists(AUDIT + ".2.gz") and os.path.exists(AUDIT + ".1")
    recs = audit_records()
    assert len(recs) == before + 2, recs[before:]
    # the follow's own (in the rotated file) and the ls after the rotation
    assert sorted((a["verb"], a["user"]) for a in recs[before:]) == \
        [("logs", host.user), ("ls", host.user)], recs[before:]


def test_purge_leaves_nothing(host):
    host.stop_ctld()
    run("dpkg", "--purge", *PACKAGES)
    for pkg in PACKAGES:
        assert not installed(pkg)
        for p in host.files[pkg]:
            # directories such as /usr/bin are everybody's
            if p and not os.path.isdir(p):
                assert not os.path.lexists(p), p
    for p in ("/etc/ctl", "/var/log/ctl", "/run/ctl", "/usr/libexec/ctl",
              "/usr/share/doc/ctld", "/etc/pam.d/ctl"):
        assert not os.path.lexists(p), p
    host.restore_pam()
    after = snapshot()
    changed = sorted(p for p in set(after) | set(host.before)
                     if after.get(p) != host.before.get(p))
    assert changed == [], changed
    # containers are the users' and dockerd's: untouched
    r = docker("inspect", "-f", "{{.State.Running}}", host.container)
    assert r.stdout.strip() == "true"
