"""A daemon an admin can watch: ctld status (root only, over the socket)
and the foreground log's levels, with an engine going away and coming
back logged once per change, not once per request."""
import json
import os
import socket
import subprocess
import threading

from conftest import TAG, config_text, run, wait_for

# An engine that answers every GET with an empty list, once started.
EMPTY = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"


class FakeEngine:
    def __init__(self, path):
        self.path = path
        self.sock = None

    def start(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(self.path)
        self.sock.listen(16)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                if data:
                    c.sendall(EMPTY)

    def close(self):
        if self.sock is not None:
            self.sock.close()


def engines_text(accounts, pam_service, ghost, extra=""):
    """The test config over two engines: the host's and ghost, a socket
    nothing serves yet."""
    text = config_text("@DIR@", accounts, pam_service, extra=extra)
    engines = ('engines = (\n  { name = "local"; socket = "/var/run/docker.sock"; },\n'
               f'  {{ name = "ghost"; socket = "{ghost}"; timeout = 1; }}\n);\n')
    return "\n".join(engines if line.startswith("docker = ") else line
                     for line in text.split("\n"))


def status(bins, b, *args, user=None):
    return run(bins["ctld"], "status", "-f", b.conf, *args, check=False, user=user)


def test_status_and_an_engine_logged_once_per_change(bins, make_broker, ctl, accounts,
                                                     pam_service, own_containers):
    ghost_path = os.path.join("/tmp", f"ghost-{TAG}.sock")
    ghost = FakeEngine(ghost_path)
    b = make_broker(engines_text(accounts, pam_service, ghost_path))
    ctl.broker = b
    try:
        name = own_containers.create(f"{TAG}-watched", owner=accounts.users["alice"])
        for _ in range(3):
            r = ctl("alice", "ls")
            assert r.returncode == 1 and "ghost did not answer" in r.stderr, r.stderr
        assert b.logtext().count("engine ghost does not answer") == 1, b.logtext()
        # and each ls's record names the engine it lists without
        recs = [a for a in b.audit_lines() if a["verb"] == "ls"]
        assert len(recs) == 3 and all([u["engine"] for u in a["unreachable"]] == ["ghost"] and
                                      a["result"] == "partial" for a in recs), json.dumps(recs)
        assert "ctld: error: engine ghost does not answer" in b.logtext()
        r = status(bins, b, "--json")
        assert r.returncode == 0, r.stderr
        d = json.loads(r.stdout)
        eng = {e["name"]: e for e in d["engines"]}
        assert eng["local"]["state"] == "up" and eng["ghost"]["state"] == "down"
        assert "cannot reach" in eng["ghost"]["error"]
        assert any("engine ghost does not answer" in e["message"] and e["level"] == "error"
                   for e in d["recent_errors"])
        assert d["pid"] == b.proc.pid and d["uptime_s"] >= 0 and d["config"] == b.conf
        # a follow its session keeps (all the log: no relay), one the keeper holds
        direct = ctl.follow("alice", "logs", "-f", f"local/{name}")
        kept = ctl.follow("alice", "logs", "-f", "-n", "0", f"local/{name}")
        assert wait_for(lambda: json.loads(status(bins, b, "--json").stdout)["relays"] == 1, 10)
        d = json.loads(status(bins, b, "--json").stdout)
        user = accounts.users["alice"]
        assert d["sessions"] == {user: 1} and d["follows_kept"] == {user: 1}, d
        text = status(bins, b).stdout
        assert f"sessions: 1 ({user} 1)" in text and f"follows held by the keeper: 1 ({user} 1)" in text
        assert "ghost (" in text and ": down since " in text, text
        for f in (direct, kept):
            f.proc.terminate()
            f.communicate(timeout=10)
        ghost.start()
        assert ctl("alice", "ls").returncode == 0
        for _ in range(2):
            assert ctl("alice", "ls").returncode == 0
        assert b.logtext().count("engine ghost answers again") == 1, b.logtext()
        eng = {e["name"]: e for e in json.loads(status(bins, b, "--json").stdout)["engines"]}
        assert eng["ghost"]["state"] == "up" and "error" not in eng["ghost"]
    finally:
        ghost.close()
        if os.path.exists(ghost_path):
            os.unlink(ghost_path)


def test_status_is_for_root_alone(bins, broker, accounts):
    uid = int(run("id", "-u", accounts.users["alice"]).stdout)
    r = status(bins, broker, user=uid)
    assert r.returncode == 1 and "unknown verb" in r.stderr, (r.stdout, r.stderr)
    assert "sessions" not in r.stdout
    rec = [a for a in broker.audit_lines() if a.get("verb") == "ctld-status"]
    assert rec and rec[-1]["uid"] == uid and rec[-1]["decision"] == "deny"


def test_log_level(make_broker, ctl, accounts, pam_service):
    """debug shows a session's debug lines, which info (the default)
    hides; a bad log_level is refused by ctld -t."""
    quiet = make_broker()
    loud = make_broker(config_text("@DIR@", accounts, pam_service, extra='log_level = "debug";\n'))
    for b in (quiet, loud):
        ctl.broker = b
        assert ctl("alice", "ls").returncode == 0
    assert wait_for(lambda: "ctld: debug: " in loud.logtext(), 5), loud.logtext()
    assert "debug" not in quiet.logtext(), quiet.logtext()
    bad = os.path.join(quiet.dir, "bad.conf")
    with open(bad, "w") as f:
        f.write(open(quiet.conf).read() + 'log_level = "loud";\n')
    r = subprocess.run([quiet.bins["ctld"], "-t", "-f", bad], capture_output=True, text=True)
    assert r.returncode == 1 and "log_level: must be" in r.stderr, r.stderr


# What systemd does for ctld.socket: the socket made, then ctld started
# with it as descriptor 3, LISTEN_FDS=1 and LISTEN_PID its own pid.
ACTIVATE = r"""
import os, socket, sys
path, mode, conf, ctld = sys.argv[1], int(sys.argv[2], 8), sys.argv[3], sys.argv[4]
s = socket.socket(socket.AF_UNIX)
old = os.umask(0o777 & ~mode)
s.bind(path)
os.umask(old)
s.listen(16)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
os.execv(ctld, [ctld, "-d", "-f", conf])
"""


def activated(bins, tmp, text, bind_path, mode):
    d = os.path.join(tmp, f"act-{TAG}-{len(os.listdir(tmp))}")
    os.makedirs(d, mode=0o755)
    conf = os.path.join(d, "ctld.conf")
    with open(conf, "w") as f:
        f.write(text.replace("@DIR@", d))
    os.chmod(conf, 0o644)
    log = open(os.path.join(d, "ctld.log"), "w+")
    p = subprocess.Popen(["/usr/bin/python3", "-c", ACTIVATE, bind_path.replace("@DIR@", d),
                          mode, conf, bins["ctld"]], stdout=log, stderr=subprocess.STDOUT)
    return d, p, log


def test_socket_activation(bins, ctl, accounts, pam_service, tmpdir_shared):
    """ctld serves on the socket systemd made (ctld.socket) when it is what
    ctld would have made, leaves it in place when it stops, and refuses
    one at another path or with another mode."""
    text = config_text("@DIR@", accounts, pam_service)
    d, p, log = activated(bins, tmpdir_shared, text, "@DIR@/ctld.sock", "0666")
    try:
        assert wait_for(lambda: "(systemd's socket)" in open(log.name).read(), 10), \
            open(log.name).read()
        r = subprocess.run([ctl.bin, "ls"], env={"PATH": "/usr/bin:/bin", "CTL_SOCKET":
                           os.path.join(d, "ctld.sock")}, capture_output=True, text=True,
                           user=int(run("id", "-u", accounts.users["alice"]).stdout))
        assert r.returncode == 0, r.stderr
    finally:
        p.terminate()
        p.wait(timeout=10)
    assert os.path.exists(os.path.join(d, "ctld.sock")), "ctld removed systemd's socket"
    for path, mode, words in (("@DIR@/ctld.sock", "0600", "with mode 0666"),
                              ("@DIR@/other.sock", "0666", "not listen.path")):
        d, p, log = activated(bins, tmpdir_shared, text, path, mode)
        assert p.wait(timeout=10) == 1
        out = open(log.name).read()
        assert "socket activation: " in out and words in out, out
