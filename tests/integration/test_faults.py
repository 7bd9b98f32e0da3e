"""Faults: a dockerd that answers 500 or garbage (a fake endpoint on a
Unix socket, for codes the real one rarely gives), ctld killed with
SIGKILL and started again, a thousand connections at once, an unwritable
audit file, a client vanishing mid-stream."""
import json
import os
import resource
import signal
import socketserver
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from conftest import TAG, config_text, run, wait_for

ID = "a" * 64


class FakeDockerd(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def handler_for(mode):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, code, body, ctype="application/json"):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def inspect(self, name):
            return {"Id": ID, "Name": "/" + name,
                    "Config": {"Labels": {"ctl.owner": mode["owner"]}, "Tty": False},
                    "State": {"Status": "running", "Running": True}}

        def do_GET(self):
            path = self.path
            if mode["kind"] == "500":
                return self.reply(500, {"message": "boom from the fake"})
            if mode["kind"] == "garbage":
                return self.reply(200, b"\x00not json at all{{{")
            if path.endswith("/json") and "/containers/" in path and "?" not in path:
                name = path.split("/containers/")[1].split("/")[0]
                body = self.inspect(name)
                if mode["kind"] == "noid":
                    del body["Id"]
                return self.reply(200, body)
            if "/logs" in path and mode["kind"] == "badstream":
                return self.reply(200, b"\x09\x00\x00\x00\x00\x00\x00\x02hi",
                                  "application/vnd.docker.raw-stream")
            if path.startswith("/v1.41/containers/json"):
                return self.reply(200, [{"Id": ID, "Names": ["/fake"], "State": "x",
                                         "Labels": {"ctl.owner": mode["owner"]}}])
            return self.reply(404, {"message": "no such thing"})

        do_POST = do_GET
    return Handler


@pytest.fixture
def fake(tmpdir_shared, accounts):
    path = os.path.join(tmpdir_shared, f"fake-docker-{os.getpid()}-{time.time_ns()}.sock")
    mode = {"kind": "500", "owner": accounts.users["alice"]}
    server = FakeDockerd(path, handler_for(mode))
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield path, mode
    server.shutdown()
    server.server_close()
    os.unlink(path)


@pytest.mark.parametrize("kind,args,words", [
    ("500", ["status", "fake"], "boom from the fake"),
    ("500", ["ls"], "boom from the fake"),
    ("garbage", ["status", "fake"], "malformed answer"),
    ("garbage", ["ls"], "malformed answer"),
    ("noid", ["restart", "fake"], "malformed container ID"),
    ("badstream", ["logs", "fake"], "error from daemon in stream"),
])
def test_dockerd_misbehaving(make_broker, ctl, accounts, pam_service, fake, kind, args, words):
    path, mode = fake
    mode["kind"] = kind
    b = make_broker(config_text("@DIR@", accounts, pam_service).replace(
        "/var/run/docker.sock", path))
    ctl.broker = b
    r = ctl("alice", *args)
    assert r.returncode == 1, r.stderr
    assert words in r.stderr
    # dockerd's failure is never recorded as a policy's deny
    rec = b.audit_lines()[-1]
    assert rec["verb"] == args[0] and rec["decision"] in ("error", "allow"), rec
    if args[0] == "status":
        assert rec["decision"] == "error", rec
    assert b.proc.poll() is None
    mode["kind"] = "ok"
    assert ctl("alice", "status", "fake").returncode == 0


def test_ctld_sigkill_then_restart(make_broker, ctl, bins):
    b = make_broker()
    ctl.broker = b
    assert ctl("alice", "ls").returncode == 0
    b.proc.send_signal(signal.SIGKILL)
    b.proc.wait(timeout=10)
    r = ctl("alice", "ls")
    assert r.returncode == 5
    assert "cannot reach the ctl broker" in r.stderr
    # the stale socket is replaced; nothing else needed restoring
    p = subprocess.Popen([bins["ctld"], "-d", "-f", b.conf], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: ctl("alice", "ls").returncode == 0, 10)
    finally:
        p.terminate()
        p.wait(timeout=10)


MANY = """
import resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
socks = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX)
    s.setblocking(False)
    try:
        s.connect(sys.argv[1])
    except BlockingIOError:
        pass
    socks.append(s)
print(len(socks), flush=True)
time.sleep(30)
"""


@pytest.mark.early
def test_thousand_connections_at_once(make_broker, ctl, accounts):
    b = make_broker()
    ctl.broker = b
    uid = int(run("id", "-u", accounts.users["bob"]).stdout)
    p = subprocess.Popen(["/usr/bin/python3", "-c", MANY, b.socket, "1000"], user=uid,
                         stdout=subprocess.PIPE, text=True,
                         preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE,
                                                               (4096, 4096)))
    try:
        assert p.stdout.readline().strip() == "1000"
        t0 = time.time()
        r = ctl("alice", "ls", timeout=60)
        assert r.returncode == 0, r.stderr
        assert time.time() - t0 < 20
        assert len(b.children()) <= 64 + 2  # bob's share: max_per_user
        assert b.proc.poll() is None
    finally:
        p.kill()
        p.wait()
    assert wait_for(lambda: len(b.children()) == 0, 30)


def test_audit_unwritable(make_broker, ctl, accounts, containers, bins):
    """An audit file that cannot be opened for writing: ctld will not start
    with it, and a reload to it is refused (the old file stays in use)."""
    name = containers.create(f"{TAG}-auditro", owner=accounts.users["alice"], start=False)
    b = make_broker()
    ctl.broker = b
    mnt = os.path.join(b.dir, "rofs")
    os.makedirs(mnt)
    run("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", mnt)
    try:
        good = open(b.conf).read()
        bad = good.replace(b.audit, os.path.join(mnt, "a.jsonl"))
        conf2 = os.path.join(b.dir, "ro.conf")
        with open(conf2, "w") as f:
            f.write(bad.replace(b.socket, os.path.join(b.dir, "ro.sock")))
        r = run(bins["ctld"], "-d", "-f", conf2, check=False, timeout=10)
        assert r.returncode == 1 and "audit" in r.stderr and "Read-only" in r.stderr
        b.write_config(bad)
        b.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "reload refused" in b.logtext(), 5)
        before = len(b.audit_lines())
        assert ctl("alice", "status", name).returncode == 0
        assert len(b.audit_lines()) == before + 1
    finally:
        run("umount", "-l", mnt, check=False)


def test_audit_file_moved_or_removed_is_reopened(make_broker, ctl, accounts, containers):
    """ctld must not write its records to a file nobody can find: removed,
    or moved away (as logrotate does), the name is opened again; a HUP
    with a broken config reopens it too."""
    name = containers.create(f"{TAG}-auditmv", owner=accounts.users["alice"])
    b = make_broker()
    ctl.broker = b
    assert ctl("alice", "status", name).returncode == 0
    os.unlink(b.audit)                      # removed: st_nlink 0
    assert ctl("alice", "status", name).returncode == 0
    recs = b.audit_lines()
    assert len(recs) == 1 and recs[0]["container"] == name, recs
    os.rename(b.audit, b.audit + ".1")      # moved away
    assert ctl("alice", "start", name).returncode == 0  # running: a record, nothing done
    assert [r["verb"] for r in b.audit_lines()] == ["start"]
    assert "moved or removed" in b.logtext()
    # logrotate: move, then HUP, while the config is broken
    os.rename(b.audit, b.audit + ".2")
    good = open(b.conf).read()
    b.write_config(good + "bogus = 1;\n")
    b.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "reload refused" in b.logtext(), 5)
    assert wait_for(lambda: os.path.exists(b.audit), 5)
    assert ctl("alice", "status", name).returncode == 0
    assert [r["verb"] for r in b.audit_lines()] == ["status"]
    # a name that cannot be reopened: refuse rather than act unrecorded.
    # ctld's main process and keeper reopen a removed name when they wake:
    # one may do so between the unlink and the mkdir
    for _ in range(100):
        try:
            os.unlink(b.audit)
        except FileNotFoundError:
            pass
        try:
            os.mkdir(b.audit)
            break
        except FileExistsError:
            pass
    assert os.path.isdir(b.audit)
    try:
        r = ctl("alice", "restart", "-t", "0", name)
        assert r.returncode == 1 and "audit" in r.stderr, r.stderr
    finally:
        os.rmdir(b.audit)


def test_client_vanishing_mid_stream_costs_nothing(make_broker, ctl, accounts, own_containers):
    # 16 KB lines, 20 a second: a stream that never ends, without the CPU
    # of a flood
    name = own_containers.create(f"{TAG}-chatty", owner=accounts.users["alice"],
                             cmd=["sh", "-c", "trap 'exit 0' TERM; p=0123456789; "
                                  "while [ ${#p} -lt 16000 ]; do p=$p$p; done; "
                                  "while true; do echo $p; sleep 0.05; done"])
    b = make_broker()
    ctl.broker = b
    for _ in range(5):
        p = ctl.popen("alice", "logs", "-f", name, stdout=subprocess.PIPE)
        p.stdout.read(65536)
        p.kill()  # gone without a word, pipes and socket with it
        p.wait()
    assert wait_for(lambda: not b.children(), 10)
    assert b.proc.poll() is None
    left = [a for a in b.audit_lines() if a.get("result") == "client left"]
    assert len(left) == 5
    assert ctl("alice", "status", name).returncode == 0
