"""Fixtures for the integration tests: the real ctl and ctld binaries,
the real dockerd, real PAM and real users made with useradd.

Everything made here carries a random tag and is removed afterwards:
users, groups, containers, the session's image tag, the PAM service
file and the temp dir.

The suite shares the host with other people's containers and test runs:
it signals, stops or changes only what it started or made. A test that
needs to stop a dockerd starts one of its own (private_dockerd), and
host_dockerd_untouched checks at the end of the session that every
dockerd and containerd it did not start is still the same process.
"""
import grp
import http.client
import ipaddress
import json
import os
import pwd
import random
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
TAG = "ct" + secrets.token_hex(3)
# A cache kept between runs; each session tags it as IMAGE_REPO:TAG and
# uses only its own tag, which a test may move (test_templates) without
# touching anybody else's.
IMAGE_REPO = "ctl-test/busybox"
IMAGE_CACHE = IMAGE_REPO + ":1"
PAM_SERVICE = "ctl-it-" + TAG
# A container command that ends at once on SIGTERM: a trap runs when the
# shell's wait returns, so nothing waits out a sleep, nor dockerd's stop
# timeout. One sleep a day, not a second: dozens of idle containers each
# starting a process a second cost the run CPU for nothing.
IDLE_SH = "trap 'exit 0' TERM; while true; do sleep 86400 & wait $!; done"
IDLE = ["sh", "-c", IDLE_SH]


def run(*args, check=True, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 120)
    return subprocess.run(list(args), check=check, **kw)


ASUSER = os.path.join(BUILD, "tests", "asuser")


def as_user(uid, gid, argv):
    """argv run as uid:gid with no supplementary groups, through
    tests/asuser.c (setpriv --reuid --regid --clear-groups, static: a
    setpriv costs 2.5 ms more CPU a call): the credentials Popen's user=,
    group=, extra_groups=[] would give (real, effective and saved), but
    Popen can then vfork. With user= it forks the whole test worker, whose
    page tables and copy-on-write faults cost it some 15 to 200 ms of CPU
    a call on this machine."""
    if os.path.exists(ASUSER):
        return [ASUSER, str(uid), str(gid), *argv]
    return ["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *argv]


def set_password(user, password):
    """pam_unix checks any crypt(3) hash: a cheap one keeps the suite's
    CPU for what it tests (yescrypt, the default, costs some 90 ms a check here)."""
    run("chpasswd", "-c", "SHA512", "-s", "1000", input=f"{user}:{password}\n")


def docker(*args, check=True):
    return run("docker", *args, check=check)


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path, timeout=120):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def engine_raw(method, path, body=None, sock="/var/run/docker.sock"):
    """One Engine API call: (HTTP status, the body's bytes)."""
    conn = _UnixHTTP(sock)
    try:
        conn.request(method, "/v1.41" + path, body=None if body is None else json.dumps(body),
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def engine(method, path, body=None, sock="/var/run/docker.sock", ok=(200, 201, 204, 304)):
    """One Engine API call. Fixtures and tests make, start, inspect and
    remove containers this way: a docker CLI process costs some 80 ms of
    CPU, several times what dockerd spends on the request. The docker CLI
    stays where its output is what a test compares with (logs, stats)."""
    status, data = engine_raw(method, path, body, sock)
    assert status in ok, f"{method} {path}: {status} {data[:500]!r}"
    return json.loads(data) if data else None


def cpath(name):
    return "/containers/" + urllib.parse.quote(name, safe="")


def inspect(name, sock="/var/run/docker.sock"):
    """docker inspect NAME, for a container (of the dockerd at sock)."""
    return engine("GET", cpath(name) + "/json", sock=sock)


def exists(name, sock="/var/run/docker.sock"):
    """Whether a container NAME exists (docker inspect NAME succeeds) on
    the dockerd at sock."""
    status, data = engine_raw("GET", cpath(name) + "/json", sock=sock)
    assert status in (200, 404), f"inspect {name}: {status} {data[:500]!r}"
    return status == 200


def remove(*names, volumes=(), sock="/var/run/docker.sock"):
    """docker rm -f NAMES, then docker volume rm VOLUMES, none of which
    need exist; the removals side by side (on the dockerd at sock)."""
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: engine("DELETE", cpath(n) + "?force=1", ok=(204, 404, 409),
                                       sock=sock), names))
        list(pool.map(lambda v: engine("DELETE", "/volumes/" + urllib.parse.quote(v, safe=""),
                                       ok=(204, 404, 409), sock=sock), volumes))


def image_id(ref):
    """docker image inspect REF's Id."""
    return engine("GET", f"/images/{urllib.parse.quote(ref, safe='/:')}/json")["Id"]


def tag_image(src, ref):
    """docker tag SRC REF."""
    repo, tag = ref.rsplit(":", 1)
    engine("POST", f"/images/{urllib.parse.quote(src, safe='/:')}/tag?"
           + urllib.parse.urlencode({"repo": repo, "tag": tag}))


def logs(name, tty=False):
    """docker logs NAME: (stdout, stderr) bytes; a tty container's all on stdout."""
    status, data = engine_raw("GET", cpath(name) + "/logs?stdout=1&stderr=1")
    assert status == 200, f"logs {name}: {status} {data[:500]!r}"
    if tty:
        return data, b""
    out = {1: bytearray(), 2: bytearray()}
    while data:
        n = int.from_bytes(data[4:8], "big")
        out[data[0]] += data[8:8 + n]
        data = data[8 + n:]
    return bytes(out[1]), bytes(out[2])


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
    """The busybox image, under a tag of this session's own."""
    assert docker_ping("/var/run/docker.sock"), "dockerd is not running: run `make deps`"
    mine = f"{IMAGE_REPO}:{TAG}"
    status, _ = engine_raw("POST", f"/images/{IMAGE_CACHE}/tag?"
                           + urllib.parse.urlencode({"repo": IMAGE_REPO, "tag": TAG}))
    if status != 201:
        rootfs = os.path.join(tmpdir_shared, "rootfs")
        os.makedirs(os.path.join(rootfs, "bin"))
        shutil.copy("/bin/busybox", os.path.join(rootfs, "bin", "busybox"))
        for applet in ("sh", "echo", "sleep", "cat", "seq", "printf", "true"):
            os.symlink("busybox", os.path.join(rootfs, "bin", applet))
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        run("docker", "import", "-", mine, stdin=tar.stdout)
        tar.wait()
        tag_image(mine, IMAGE_CACHE)
    yield mine
    # the tag; the image stays cached as IMAGE_CACHE
    engine("DELETE", f"/images/{mine}", ok=(200, 404, 409))


# Every private dockerd's directory, and so its command line, holds this;
# the host guard below leaves such processes alone (another run's own).
PRIVATE_MARK = "ctl-dockerd-"


def docker_ping(sock, timeout=2):
    """True if the dockerd on this Unix socket answers /_ping."""
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(timeout)
            s.connect(sock)
            s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
        return data.startswith(b"HTTP/1.") and b" 200 " in data.split(b"\r\n")[0]
    except OSError:
        return False


def host_networks(but=None):
    """The IPv4 networks of the host's addresses (but those of device but)."""
    out = []
    for line in run("ip", "-4", "-o", "addr", "show").stdout.splitlines():
        f = line.split()
        if f[1] != but:
            out.append(ipaddress.ip_interface(f[3]).network)
    return out


def free_subnet():
    """A private /24 in 10.254.0.0/16 that no host address or route touches."""
    used = host_networks()
    for line in run("ip", "-4", "route", "show", "table", "all").stdout.splitlines():
        dest = line.split()[0]
        if dest[0].isdigit():
            used.append(ipaddress.ip_network(dest, strict=False))
    for n in random.sample(range(1, 255), 254):
        net = ipaddress.ip_network(f"10.254.{n}.0/24")
        if not any(net.overlaps(u) for u in used):
            return net
    raise AssertionError("no free /24 in 10.254.0.0/16")


class PrivateDockerd:
    """A dockerd of the test's own, which it may stop and start at will.

    Everything it uses is its own: data and exec roots, pid file and API
    socket under one temp dir, a containerd namespace (it starts its own
    containerd unless a system one listens at /run/containerd), an empty
    daemon.json instead of /etc/docker's, and a bridge made here on a
    private /24. It never touches iptables, ip_forward or docker0
    (--bridge=none would make dockerd delete the host's docker0). Only
    the dockerd this object started is ever signalled.
    """

    def __init__(self, tmp, n, args=()):
        self.dir = tempfile.mkdtemp(prefix=PRIVATE_MARK, dir=tmp)
        os.chmod(self.dir, 0o755)  # ctld's sessions run as root: 0700 would do too
        self.socket = os.path.join(self.dir, "docker.sock")
        self.host = f"unix://{self.socket}"
        self.bridge = f"br{TAG}{n}"
        self.subnet = None
        self.bridge_made = False
        self.proc = None
        config = os.path.join(self.dir, "daemon.json")
        with open(config, "w") as f:
            f.write("{}\n")
        ns = f"ctl-{TAG}-{n}"
        self.argv = [
            "dockerd", "--config-file", config,
            "--data-root", os.path.join(self.dir, "data"),
            "--exec-root", os.path.join(self.dir, "exec"),
            "--pidfile", os.path.join(self.dir, "docker.pid"),
            "-H", self.host,
            "--containerd-namespace", ns, "--containerd-plugins-namespace", ns + "-plugins",
            f"--bridge={self.bridge}", "--iptables=false", "--ip6tables=false",
            "--ip-masq=false", "--ip-forward=false", "--userland-proxy=false",
            *args]
        self.logpath = os.path.join(self.dir, "dockerd.log")

    def make_bridge(self):
        run("ip", "link", "add", self.bridge, "type", "bridge")
        self.bridge_made = True
        for _ in range(10):
            net = free_subnet()
            addr = f"{next(net.hosts())}/24"
            run("ip", "addr", "add", addr, "dev", self.bridge)
            # another run may have picked the same one meanwhile
            if not any(net.overlaps(u) for u in host_networks(but=self.bridge)):
                self.subnet = net
                break
            run("ip", "addr", "del", addr, "dev", self.bridge)
        else:
            raise AssertionError("no free /24 for a private dockerd's bridge")
        run("ip", "link", "set", self.bridge, "up")

    def start(self, timeout=60):
        assert self.proc is None or self.proc.poll() is not None, "already running"
        if not self.bridge_made:
            self.make_bridge()
        with open(self.logpath, "a") as log:
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        if not wait_for(lambda: self.proc.poll() is not None or docker_ping(self.socket),
                        timeout, 0.05) or self.proc.poll() is not None:
            raise AssertionError("private dockerd did not come up:\n" + self.logtext())
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=60):
        """SIGTERM to the dockerd started here, and wait for it to end."""
        if not self.running():
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self._kill_containerd()

    def _kill_containerd(self):
        """After a dockerd of ours had to be killed: its own containerd."""
        path = os.path.join(self.dir, "exec", "containerd", "containerd.pid")
        try:
            pid = int(open(path).read())
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if self.dir.encode() in f.read():
                    os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass

    def docker(self, *args, check=True, **kw):
        return run("docker", "-H", self.host, *args, check=check, **kw)

    def load_image(self, ref):
        """Copies an image from the host's dockerd (nothing can be pulled),
        from one Engine API to the other: no docker CLI processes."""
        status, tar = engine_raw("GET", f"/images/{urllib.parse.quote(ref, safe='/:')}/get")
        assert status == 200, (status, tar[:300])
        conn = _UnixHTTP(self.socket)
        try:
            conn.request("POST", "/v1.41/images/load?quiet=1", body=tar,
                         headers={"Content-Type": "application/x-tar"})
            r = conn.getresponse()
            out = r.read()
            assert r.status == 200 and b'"error' not in out, (r.status, out[:300])
        finally:
            conn.close()

    def logtext(self):
        try:
            with open(self.logpath) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def cleanup(self):
        self.stop()
        if self.bridge_made:
            run("ip", "link", "del", self.bridge, check=False)
        # nothing of a stopped dockerd stays mounted; if something did,
        # take it down before removing the tree it is in
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split()[4] for line in f]
        for m in sorted((m for m in mounts if m.startswith(self.dir + "/")), reverse=True):
            run("umount", "-l", m, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_dockerd(tmpdir_shared):
    """Starts dockerds of the test's own; each is stopped and its bridge
    and directories removed afterwards. private_dockerd(args=[...])
    passes more dockerd options (TLS, swarm, ...)."""
    made = []

    def start(args=()):
        d = PrivateDockerd(tmpdir_shared, len(made), args)
        made.append(d)
        return d.start()
    yield start
    for d in made:
        d.cleanup()


def host_daemons(skip=PRIVATE_MARK):
    """dockerd and containerd processes not started by any ctl test run:
    pid -> (name, start time, command line)."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
            if comm not in ("dockerd", "containerd"):
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if skip in cmd or fields[0] == "Z":
            continue
        out[int(pid)] = (comm, fields[19], cmd)
    return out


@pytest.fixture(scope="session", autouse=True)
def host_dockerd_untouched():
    """The host's dockerd (and containerd) outlive the session unchanged:
    same processes, never restarted."""
    before = host_daemons()
    yield
    after = host_daemons()
    changed = {pid: v[2] for pid, v in before.items() if after.get(pid, ())[:2] != v[:2]}
    assert not changed, ("dockerd/containerd processes this session did not start "
                         f"were stopped or restarted during it: {changed}")


@pytest.fixture(scope="session", autouse=True)
def nothing_left_behind():
    """No container or volume of this session's names (they all hold TAG)
    outlives it on the host's dockerd: each test and fixture removes what
    it made."""
    yield
    names = "filters=" + urllib.parse.quote(json.dumps({"name": [TAG]}))
    left = [c["Names"][0] for c in engine("GET", "/containers/json?all=1&" + names)]
    left += [v["Name"] for v in engine("GET", "/volumes?" + names)["Volumes"] or []]
    assert not left, f"left behind on the host's dockerd: {left}"


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


def pam_stack():
    """etc/pam.d/ctl with its @include lines spelled out and pam_unix's own
    2 s fail delay off: the delay under test is ctld's reauth.fail_delay_ms,
    which FAIL_DELAY below sets short for every test but the one on it."""
    out = []
    with open(os.path.join(ROOT, "etc", "pam.d", "ctl")) as f:
        for line in f:
            if line.startswith("@include "):
                with open("/etc/pam.d/" + line.split()[1]) as inc:
                    for ln in inc:
                        w = ln.split()
                        if len(w) > 2 and w[0] == "auth" and "pam_unix.so" in ln:
                            ln = ln.rstrip("\n") + " nodelay\n"
                        out.append(ln)
            else:
                out.append(line)
    return "".join(out)


FAIL_DELAY = "fail_delay_ms = 100; "


@pytest.fixture(scope="session")
def pam_service():
    path = f"/etc/pam.d/{PAM_SERVICE}"
    with open(path, "w") as f:
        f.write(pam_stack())
    yield PAM_SERVICE
    os.unlink(path)


class Containers:
    def __init__(self, image):
        self.image = image
        self.names = []

    def create(self, name, owner=None, group=None, cmd=None, tty=False, start=True,
               body=None):
        """docker run -d (or docker create), through the Engine API; body:
        more of the create body (exec's tests make contained containers)."""
        labels = {"ctltest": TAG}
        if owner:
            labels["ctl.owner"] = owner
        if group:
            labels["ctl.group"] = group
        # no network: its setup costs dockerd two re-execs of itself per
        # start, the biggest share of the suite's CPU, and no test needs it
        engine("POST", f"/containers/create?name={urllib.parse.quote(name)}",
               {"Image": self.image, "Cmd": cmd or IDLE, "Labels": labels, "Tty": tty,
                "NetworkDisabled": True, **(body or {})})
        self.names.append(name)
        if start:
            engine("POST", f"/containers/{urllib.parse.quote(name)}/start")
        return name

    def create_many(self, names, **kw):
        """Several at once: dockerd serves them side by side."""
        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(lambda n: self.create(n, **kw), names))

    def cleanup(self):
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: engine("DELETE", f"/containers/{urllib.parse.quote(n)}"
                                                     "?force=1&v=1", ok=(204, 404, 409)),
                          self.names))


@pytest.fixture(scope="session")
def containers(image, nothing_left_behind):
    """Removed at the session's end, before nothing_left_behind looks (a
    session fixture that every test uses is finished first otherwise)."""
    c = Containers(image)
    yield c
    c.cleanup()


@pytest.fixture
def own_containers(image):
    """Containers removed as soon as the test ends: for ones that keep
    writing logs, which would take CPU from every test after them."""
    c = Containers(image)
    yield c
    c.cleanup()


@pytest.fixture(scope="module")
def module_containers(image):
    """The same, removed when the module's last test on this worker ends."""
    c = Containers(image)
    yield c
    c.cleanup()


def config_text(tmp, accounts, pam_service, extra="", ownership=None,
                docker_socket="/var/run/docker.sock"):
    a = accounts
    own = ownership or (
        'ownership = { owner_label = "ctl.owner"; group_label = "ctl.group";\n'
        '  owner_verbs = ["ls", "status", "logs", "start", "stop", "restart", "stats"]; };\n')
    return (
        f'listen = {{ path = "{tmp}/ctld.sock"; mode = 0666; }};\n'
        f'docker = {{ socket = "{docker_socket}"; api_version = "1.41"; }};\n'
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
        # appended to: ctld shares the file offset that logtext() moves
        self.log = open(os.path.join(self.dir, "ctld.log"), "a+")
        self.proc = subprocess.Popen([bins["ctld"], "-d", "-f", self.conf],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_socket()

    def write_config(self, text):
        if "fail_delay_ms" not in text:
            text = text.replace("reauth = {", "reauth = { " + FAIL_DELAY)
        with open(self.conf + ".new", "w") as f:
            f.write(text)
        os.chmod(self.conf + ".new", 0o644)
        os.rename(self.conf + ".new", self.conf)

    def wait_socket(self):
        """Until ctld serves: it accepts connections as soon as it listens,
        but handles SIGTERM and SIGHUP only once it says "listening on"."""
        for _ in range(600):
            if self.proc.poll() is not None:
                raise AssertionError("ctld exited: " + self.logtext())
            if "listening on" in self.logtext():
                try:
                    s = socket.socket(socket.AF_UNIX)
                    s.connect(self.socket)
                    s.close()
                    return
                except OSError:
                    pass
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
        """ctld's live children (its sessions, relays and PAM helpers),
        but not its follow keeper."""
        return [p for p in child_pids(self.proc.pid) if not zombie(p) and comm(p) != "ctld-keeper"]

    def keeper(self):
        """The pid of ctld's follow keeper (broker/keeper.c), or None."""
        return next((p for p in child_pids(self.proc.pid)
                     if not zombie(p) and comm(p) == "ctld-keeper"), None)

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
        io = dict(env=self.env(env), capture_output=True, text=text, timeout=timeout,
                  input=input, stdin=None if input is not None else subprocess.DEVNULL, cwd="/")
        if argv0 or env:  # an argv[0] of its own, or a hostile environment
            # that must reach ctl alone, never setpriv (run as root)
            return subprocess.run([argv0 or self.bin, *args], executable=self.bin, user=uid,
                                  group=gid, extra_groups=[], **io)
        return subprocess.run(as_user(uid, gid, [self.bin, *args]), **io)

    def popen(self, who, *args, **kw):
        uid, gid = self.ids(who)
        return subprocess.Popen(as_user(uid, gid, [self.bin, *args]), env=self.env(), cwd="/",
                                **kw)

    def follow(self, who, *args):
        """ctl ARGS as who, its output read as it comes (Follow)."""
        return Follow(self.popen(who, *args, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE))

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
        argv = as_user(uid, gid, ["env", "-i", f"CTL_SOCKET={self.ctl.broker.socket}",
                                  self.ctl.bin, *args])
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
    """True once pred() is, within timeout s; polled every 10 ms at first,
    then less often, up to every step s."""
    end = time.time() + timeout
    pause = min(0.01, step)
    while time.time() < end:
        if pred():
            return True
        time.sleep(pause)
        pause = min(pause * 2, step)
    return pred()


def child_pids(pid):
    """The children of process pid, from each of its threads' lists: one
    read each, where a scan of /proc opens a file per process."""
    out = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None


def zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


class Follow:
    """A process whose stdout and stderr are read as they come, so that a
    test can wait for what it expects instead of sleeping."""

    def __init__(self, proc):
        self.proc = proc
        self.buf = {"out": bytearray(), "err": bytearray()}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._drain, args=(f, k), daemon=True)
                        for f, k in ((proc.stdout, "out"), (proc.stderr, "err"))]
        for t in self.threads:
            t.start()

    def _drain(self, f, key):
        while chunk := os.read(f.fileno(), 65536):
            with self.lock:
                self.buf[key] += chunk

    def text(self, key="out"):
        with self.lock:
            return self.buf[key].decode(errors="replace")

    def wait(self, pred, timeout=15, key="out"):
        """True once pred(what has arrived on key) holds."""
        return wait_for(lambda: pred(self.text(key)), timeout)

    def communicate(self, timeout=20):
        """Waits for the end; returns (stdout, stderr) as text."""
        self.proc.wait(timeout=timeout)
        for t in self.threads:
            t.join(timeout)
        for f in (self.proc.stdout, self.proc.stderr):
            f.close()
        return self.text("out"), self.text("err")

    def stop(self, sig=signal.SIGINT, timeout=20):
        self.proc.send_signal(sig)
        return self.communicate(timeout)

    @property
    def returncode(self):
        return self.proc.returncode


def user_group(name):
    return grp.getgrnam(name).gr_name


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "serial: CPU- or timing-bound; `make check` runs it after the parallel "
                   "tests, on its own (-m serial)")
    config.addinivalue_line(
        "markers", "early: long and needing no module's fixtures: started before the rest, "
                   "so that it does not end a parallel run alone")


# The xdist groups, longest first: what each took on one worker in a
# parallel run (2026-12-02), a group missing here counted as the shortest.
# A worker takes the next group when it is nearly done with its last: the
# longest started first, none of them is left to end a parallel run alone.
GROUP_SECONDS = {"ssh": 28, "stats": 20, "engines": 19, "hostile_shell": 17,
                 "exec_contain": 16, "templates": 13, "swarm": 13, "core": 12, "guessing": 12,
                 "exec": 12, "interactive": 10, "install": 5, "inspect": 4, "reauth": 4}


def pytest_collection_modifyitems(config, items):
    """The modules whose tests share a worker (xdist_group, for fixtures
    made once), longest first, each a long stretch of work that must not
    be the last one started; then the tests marked early, and the rest,
    which fill in around them."""
    def rank(item):
        group = item.get_closest_marker("xdist_group")
        if group:
            return (0, -GROUP_SECONDS.get(group.args[0], 0))
        return (1, 0) if item.get_closest_marker("early") else (2, 0)
    items.sort(key=rank)


# The fixtures of more engines (TLS, a second dockerd, Swarm): engines.py
# imports from this module, so they come in once all above is defined.
from engines import (certs, engine_pair, second_engine,  # noqa: E402,F401,I001
                     swarm_engine, tls_engine, wrong_host_server)
