"""ctld as a daemon: config checks, explain, reload, shutdown, faults,
and the protocol spoken directly (so the shell's checks do not help)."""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import pytest

from conftest import ROOT, TAG, Broker, config_text, inspect, run, wait_for


def frame(ftype, payload):
    if isinstance(payload, dict):
        payload = json.dumps(payload).encode()
    return struct.pack(">BI", ftype, len(payload)) + payload


def read_frame(s):
    hdr = b""
    while len(hdr) < 5:
        chunk = s.recv(5 - len(hdr))
        if not chunk:
            return None, None
        hdr += chunk
    ftype, n = struct.unpack(">BI", hdr)
    body = b""
    while len(body) < n:
        chunk = s.recv(n - len(body))
        assert chunk, "truncated frame from ctld"
        body += chunk
    return ftype, body


def connect(broker, timeout=10):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(broker.socket)
    return s


def converse(broker, *frames, timeout=10):
    """Sends frames as root; returns every frame the broker answered."""
    s = connect(broker, timeout)
    out = []
    try:
        try:
            for f in frames:
                s.sendall(f)
        except (ConnectionResetError, BrokenPipeError):
            pass  # the broker may answer and close before reading it all
        while True:
            t, body = read_frame(s)
            if t is None:
                break
            out.append((t, body))
            if t == 6:
                break
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        s.close()
    return out


def done_of(frames):
    assert frames and frames[-1][0] == 6, frames
    return json.loads(frames[-1][1])


HELLO = frame(1, {"proto": 1})


def test_config_check_ok(bins, broker):
    r = run(bins["ctld"], "-t", "-f", broker.conf, check=False)
    assert r.returncode == 0, r.stderr
    sample = os.path.join(os.path.dirname(__file__), "..", "..", "etc", "ctld.conf")
    # the sample's PAM service, "ctl", is make install's /etc/pam.d/ctl
    made = not os.path.exists("/etc/pam.d/ctl")
    if made:
        r = run(bins["ctld"], "-t", "-f", sample, check=False)
        assert r.returncode == 1 and "no PAM service file /etc/pam.d/ctl" in r.stderr, r
        shutil.copy(os.path.join(ROOT, "etc", "pam.d", "ctl"), "/etc/pam.d/ctl")
    try:
        r = run(bins["ctld"], "-t", "-f", sample, check=False)
        assert r.returncode == 0, r.stderr
    finally:
        if made:
            os.unlink("/etc/pam.d/ctl")


def test_config_check_refuses_a_pam_service_without_file(bins, broker, tmpdir_shared):
    """libpam would silently use its "other" stack for a misspelled one."""
    path = os.path.join(tmpdir_shared, "pam-typo.conf")
    with open(broker.conf) as src, open(path, "w") as f:
        f.write(src.read().replace('pam = { service = "', 'pam = { service = "x'))
    r = run(bins["ctld"], "-t", "-f", path, check=False)
    assert r.returncode == 1 and "no PAM service file /etc/pam.d/x" in r.stderr, r.stderr


@pytest.mark.parametrize("text,line,words", [
    ('listen = { path = "/run/x.sock"; };\nbogus = 1;\n', 2, "unknown setting bogus"),
    ('rules = (\n { users = ["a"]; containers = ["*"];\n verbs = ["rstart"]; }\n);\n', 3,
     "unknown verb"),
    ('audit = { file = "relative.log"; };\n', 1, "absolute path"),
    ('ownership = {\n owner_verbs = "ls"; };\n', 2, "must be an array"),
    ('pam = { service = "ctl"; };\npam = { service = "x"; };\n', 2, "duplicate"),
])
def test_config_check_names_the_line(bins, tmpdir_shared, text, line, words):
    path = os.path.join(tmpdir_shared, f"bad-{line}.conf")
    with open(path, "w") as f:
        f.write(text)
    r = run(bins["ctld"], "-t", "-f", path, check=False)
    assert r.returncode == 1
    assert f"{path}:{line}:" in r.stderr
    assert words in r.stderr


def test_config_include_refused(bins, broker, tmpdir_shared, accounts):
    """An @include would bring rules from a file nobody checked (here one
    anyone may write): ctld -t, --explain and a reload refuse it."""
    inc = os.path.join(tmpdir_shared, "anyone.conf")
    with open(inc, "w") as f:
        f.write(f'rules = ( {{ users = ["{accounts.users["bob"]}"]; containers = ["*"];'
                ' verbs = ["restart"]; } );\n')
    os.chmod(inc, 0o666)
    path = os.path.join(tmpdir_shared, "with-include.conf")
    with open(broker.conf) as src, open(path, "w") as f:
        f.write(src.read().replace("rules = (", "rules_off = (", 1).split("rules_off")[0])
        f.write(f'@include "{inc}"\n')
    os.chmod(path, 0o644)
    r = run(bins["ctld"], "-t", "-f", path, check=False)
    assert r.returncode == 1 and "@include is not allowed" in r.stderr, r.stderr
    line = sum(1 for _ in open(path))
    assert f"{path}:{line}:" in r.stderr
    r = run(bins["ctld"], "--explain", accounts.users["bob"], "restart", "x", "-f", path,
            check=False)
    assert r.returncode == 1 and "@include is not allowed" in r.stderr, r.stderr


def test_config_writable_by_others_refused(bins, broker, tmpdir_shared):
    path = os.path.join(tmpdir_shared, "loose.conf")
    with open(broker.conf) as src, open(path, "w") as f:
        f.write(src.read())
    for mode in (0o666, 0o664, 0o646):
        os.chmod(path, mode)
        r = run(bins["ctld"], "-t", "-f", path, check=False)
        assert r.returncode == 1
        assert "writable" in r.stderr
    os.chmod(path, 0o644)
    os.chown(path, 1, 0)
    r = run(bins["ctld"], "-t", "-f", path, check=False)
    assert r.returncode == 1 and "not owned by root" in r.stderr


def test_explain(bins, broker, accounts, containers):
    name = containers.create(f"web-{TAG}-explain", owner=accounts.users["bob"], start=False)
    r = run(bins["ctld"], "--explain", accounts.users["bob"], "status", name,
            "-f", broker.conf, check=False)
    assert r.returncode == 0 and "allowed" in r.stdout and "owner" in r.stdout
    r = run(bins["ctld"], "--explain", accounts.users["bob"], "restart", name,
            "-f", broker.conf, check=False)
    assert r.returncode == 1 and "denied by rule at" in r.stdout
    assert f"{broker.conf}:" in r.stdout
    r = run(bins["ctld"], "--explain", accounts.users["carol"], "logs", name,
            "-f", broker.conf, check=False)
    assert r.returncode == 0 and "allowed by rule" in r.stdout
    r = run(bins["ctld"], "--explain", accounts.users["alice"], "logs", name,
            "-f", broker.conf, check=False)
    assert r.returncode == 1 and "no rule or label" in r.stdout


def test_reload_keeps_old_config_when_new_is_broken(make_broker, ctl, accounts, containers):
    b = make_broker()
    ctl.broker = b
    name = containers.create(f"{TAG}-reload", owner=accounts.users["bob"], start=False)
    assert ctl("carol", "status", name).returncode == 0
    good = open(b.conf).read()
    b.write_config(good + "\nthis is not libconfig\n")
    b.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "reload refused" in b.logtext(), 5)
    assert b.proc.poll() is None
    assert ctl("carol", "status", name).returncode == 0
    # a valid new config without the oncall rule takes effect
    b.write_config(good.replace(f'groups = ["{accounts.oncall}"]',
                                f'groups = ["{accounts.oncall}x"]'))
    b.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "configuration reloaded" in b.logtext(), 5)
    assert ctl("carol", "status", name).returncode == 3


def test_sigterm_clean_shutdown(make_broker):
    b = make_broker()
    b.proc.send_signal(signal.SIGTERM)
    assert b.proc.wait(timeout=10) == 0
    assert not os.path.exists(b.socket)


def test_second_ctld_on_same_socket_refused(bins, broker):
    r = run(bins["ctld"], "-d", "-f", broker.conf, check=False, timeout=10)
    assert r.returncode == 1
    assert "another ctld" in r.stderr
    assert os.path.exists(broker.socket)


@pytest.mark.parametrize("kind", ["missing", "dead"])
def test_dockerd_unreachable(make_broker, ctl, accounts, pam_service, kind, tmpdir_shared):
    dead = os.path.join(tmpdir_shared, f"dead-docker-{kind}.sock")
    if kind == "dead" and not os.path.exists(dead):
        s = socket.socket(socket.AF_UNIX)
        s.bind(dead)
        s.close()
    text = config_text("@DIR@", accounts, pam_service).replace(
        "/var/run/docker.sock", dead)
    b = make_broker(text)
    ctl.broker = b
    for args in (["ls"], ["status", "x"], ["logs", "x"]):
        r = ctl("alice", *args)
        assert r.returncode == 1, r.stderr
        assert "cannot reach dockerd" in r.stderr
    assert b.proc.poll() is None
    recs = b.audit_lines()
    assert recs and all(r["exit"] == 1 for r in recs)


@pytest.mark.parametrize("bad", [
    frame(10, b"x"),                                    # unknown type
    frame(9, b"{}"),                                    # data: broker to client only
    struct.pack(">BI", 1, 1 << 30),                     # oversize
    frame(1, b"{not json"),                             # malformed JSON
    frame(1, b"[1, 2]"),                                # not an object
    frame(1, {"proto": 2}),                             # wrong version
    frame(3, {"verb": "ls"}),                           # request before hello
    struct.pack(">BI", 1, 100) + b"short",              # truncated, then EOF
])
def test_malformed_hello_ends_only_that_connection(broker, ctl, bad):
    s = connect(broker)
    s.sendall(bad)
    s.shutdown(socket.SHUT_WR)
    frames = []
    while True:
        t, body = read_frame(s)
        if t is None:
            break
        frames.append((t, body))
    s.close()
    if frames:
        assert frames[-1][0] == 6
        assert json.loads(frames[-1][1])["exit"] in (1, 2)
    assert broker.proc.poll() is None
    assert ctl("alice", "ls").returncode == 0


@pytest.mark.parametrize("req", [
    {"verb": "status", "name": "../../containers/json"},
    {"verb": "status", "name": "x?all=1"},
    {"verb": "status", "name": "x%2f..%2fy"},
    {"verb": "status", "name": "a" * 200},
    {"verb": "status", "name": "-x"},
    {"verb": "status", "name": 5},
    {"verb": "help"},
    {"verb": "logs", "name": "x", "opts": {"tail": "all"}},
    {"verb": "logs", "name": "x", "opts": {"since": "1; rm"}},
    {"verb": "stop", "name": "x", "opts": {"follow": True}},
    {"verb": "ls", "extra": 1},
    {"verb": "ls", "name": "x"},
])
def test_bad_requests_refused_and_audited(broker, req):
    before = len(broker.audit_lines())
    d = done_of(converse(broker, HELLO, frame(3, req)))
    assert d["exit"] == 2
    recs = broker.audit_lines()[before:]
    assert len(recs) == 1 and recs[0]["decision"] == "deny"


def test_stalled_client_does_not_block_others(broker, ctl):
    idle = [connect(broker) for _ in range(5)]
    try:
        idle[0].sendall(HELLO)
        t0 = time.time()
        assert ctl("alice", "ls").returncode == 0
        assert time.time() - t0 < 10
    finally:
        for s in idle:
            s.close()


def test_client_timeout_drops_silent_client(make_broker, accounts, pam_service):
    b = make_broker(extra="limits = { client_timeout = 1; };\n")
    s = connect(b)
    t, body = read_frame(s)
    assert t == 6 and json.loads(body)["exit"] == 2
    assert "timed out" in json.loads(body)["error"]


HOLD = """
import socket, sys, time
socks = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    socks.append(s)
print("held", flush=True)
time.sleep(60)
"""


def hold(b, accounts, who, n):
    """n idle connections from a user's own process."""
    uid = int(run("id", "-u", accounts.users[who]).stdout)
    p = subprocess.Popen(["/usr/bin/python3", "-c", HOLD, b.socket, str(n)], user=uid,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "held"
    return p


def test_per_user_limit(make_broker, ctl, accounts):
    b = make_broker(extra="limits = { max_per_user = 2; client_timeout = 30; };\n")
    ctl.broker = b
    assert wait_for(lambda: not b.children(), 5)
    p = hold(b, accounts, "alice", 2)
    try:
        assert wait_for(lambda: len(b.children()) == 2, 5)
        r = ctl("alice", "ls")
        assert r.returncode == 1 and "too many" in r.stderr
        assert ctl("bob", "ls").returncode == 0
        # root (pam_ctl) is never turned away
        assert done_of(converse(b, HELLO, frame(3, {"verb": "ls"})))["exit"] == 0
        rec = [a for a in b.audit_lines() if "max_per_user" in (a.get("reason") or "")]
        assert rec and rec[-1]["user"] is None and rec[-1]["decision"] == "deny"
    finally:
        p.kill()
        p.wait()
    assert wait_for(lambda: not b.children(), 5)
    assert ctl("alice", "ls").returncode == 0


def test_global_limit_and_refusal_flood(make_broker, ctl, accounts):
    b = make_broker(extra="limits = { max_clients = 3; max_per_user = 100; "
                          "client_timeout = 30; };\n")
    ctl.broker = b
    assert wait_for(lambda: not b.children(), 5)
    p = hold(b, accounts, "alice", 3)
    try:
        assert wait_for(lambda: len(b.children()) == 3, 5)
        for _ in range(40):
            assert ctl("bob", "ls").returncode == 1
        turned = [a for a in b.audit_lines() if "max_clients" in (a.get("reason") or "")]
        # a refusal flood is audited at most 10 a second
        assert 1 <= len(turned) <= 40
        assert b.proc.poll() is None
    finally:
        p.kill()
        p.wait()
    assert wait_for(lambda: not b.children(), 5)
    assert ctl("bob", "ls").returncode == 0


def test_socket_dir_must_not_be_writable_by_others(bins, tmpdir_shared, accounts, pam_service):
    d = os.path.join(tmpdir_shared, f"loose-{TAG}")
    os.makedirs(d)
    os.chmod(d, 0o1777)
    conf = os.path.join(tmpdir_shared, f"loose-{TAG}.conf")
    with open(conf, "w") as f:
        f.write(config_text(d, accounts, pam_service))
    r = run(bins["ctld"], "-d", "-f", conf, check=False, timeout=10)
    assert r.returncode == 1 and "not writable by group or others" in r.stderr
    assert not os.path.exists(os.path.join(d, "ctld.sock"))


def test_audit_disk_full_refuses(make_broker, ctl, accounts, containers):
    name = containers.create(f"{TAG}-auditfull", owner=accounts.users["alice"])
    b = make_broker()
    ctl.broker = b
    mnt = os.path.join(b.dir, "auditfs")
    os.makedirs(mnt)
    run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt)
    try:
        b.write_config(open(b.conf).read().replace(b.audit, os.path.join(mnt, "audit.jsonl")))
        b.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "configuration reloaded" in b.logtext(), 5)
        assert ctl("alice", "status", name).returncode == 0
        run("dd", "if=/dev/zero", f"of={mnt}/filler", "bs=4k", check=False)
        started = docker_started(name)
        r = ctl("alice", "restart", "-t", "0", name)
        assert r.returncode == 1 and "audit" in r.stderr
        assert docker_started(name) == started
        assert "refusing requests" in b.logtext()
        os.unlink(f"{mnt}/filler")
        assert ctl("alice", "restart", "-t", "0", name).returncode == 0
    finally:
        run("umount", "-l", mnt, check=False)


def docker_started(name):
    return inspect(name)["State"]["StartedAt"]


def test_no_symbol_of_ours_interposes_a_library(bins):
    # ctld once exported audit_open(), which libpam's libaudit call bound to.
    r = run("nm", "-D", "--defined-only", bins["ctld"])
    ours = [l.split()[-1] for l in r.stdout.splitlines() if " T " in l]
    assert ours == [], ours


def test_byte_drip_client_dropped(make_broker):
    """A byte every 0.4 s never lets a frame finish: the deadline is per frame."""
    b = make_broker(extra="limits = { client_timeout = 1; };\n")
    s = connect(b)
    hello = frame(1, {"proto": 1})
    t0 = time.time()
    dropped = False
    for byte in hello:
        try:
            s.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            dropped = True
            break
        time.sleep(0.4)
        if time.time() - t0 > 6:
            break
    if not dropped:
        t, body = read_frame(s)
        dropped = t == 6 and "timed out" in json.loads(body)["error"]
    assert dropped
    assert time.time() - t0 < 4


@pytest.mark.parametrize("mode", [0o666, 0o620])
def test_audit_file_writable_by_others_refused(bins, tmpdir_shared, accounts, pam_service,
                                                mode):
    d = os.path.join(tmpdir_shared, f"auditperm-{mode:o}")
    os.makedirs(d, exist_ok=True)
    audit = os.path.join(d, "audit.jsonl")
    open(audit, "w").close()
    os.chmod(audit, mode)
    conf = os.path.join(d, "ctld.conf")
    with open(conf, "w") as f:
        f.write(config_text(d, accounts, pam_service))
    r = run(bins["ctld"], "-d", "-f", conf, check=False, timeout=10)
    assert r.returncode == 1 and "not writable by group or others" in r.stderr


SYSLOG_FIELD = re.compile(r' (\w+)=("(?:[^"\\]|\\.)*"|-?\d+)')


def syslog_fields(line):
    """key=value pairs of an audit syslog line; every byte accounted for."""
    body = " " + re.split(r"(?:allowed|denied|error): ", line, maxsplit=1)[-1]
    pairs = SYSLOG_FIELD.findall(body)
    assert "".join(f" {k}={v}" for k, v in pairs) == body, line
    return pairs


def test_syslog_values_are_quoted(bins, tmpdir_shared, accounts, pam_service, image):
    """A client-chosen option key cannot forge a field of the syslog copy.
    ctld runs in a mount namespace of its own where /dev/log is this
    test's datagram socket (glibc's syslog always writes to /dev/log)."""
    d = tempfile.mkdtemp(prefix="ctl-syslog-", dir=tmpdir_shared)
    devdir = os.path.join(d, "dev")
    os.makedirs(devdir)
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    rx.bind(os.path.join(devdir, "log"))
    os.chmod(os.path.join(devdir, "log"), 0o666)
    rx.settimeout(10)
    wrapper = os.path.join(d, "ctld")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\n"
                "exec unshare -m /bin/sh -c 'set -e; d=$1; shift;"
                " for n in null zero full random urandom; do : > \"$d/$n\";"
                " mount --bind \"/dev/$n\" \"$d/$n\"; done;"
                " mount --bind \"$d\" /dev; exec \"$@\"'"
                f" sh {devdir} {bins['ctld']} \"$@\"\n")
    os.chmod(wrapper, 0o755)
    text = config_text("@DIR@", accounts, pam_service).replace("syslog = false", "syslog = true")
    b = Broker(dict(bins, ctld=wrapper), tmpdir_shared, text)
    try:
        key = 'x" result="allowed'
        d_ = done_of(converse(b, HELLO, frame(3, {"verb": "logs", "name": "web",
                                                  "opts": {key: 1}})))
        assert d_["exit"] == 2
        assert "x\"" not in d_["error"]
        line = None
        while line is None or "ctld" not in line or "denied" not in line:
            line = rx.recv(65536).decode("utf-8", "replace")
        fields = syslog_fields(line)
        keys = [k for k, _ in fields]
        assert keys == ["user", "uid", "pid", "verb", "container", "id", "reason", "result"], line
        assert dict(fields)["verb"] == '"logs"'
        assert "allowed" not in dict(fields)["result"], line
        # a container name with every byte a name may hold, and the uid
        ctl_as_root_status(b, "no-such-ctr_1.x")
        line = None
        while line is None or "no-such-ctr_1.x" not in line:
            line = rx.recv(65536).decode("utf-8", "replace")
        assert dict(syslog_fields(line))["container"] == '"no-such-ctr_1.x"'
        # exec's command is in its line, quoted like every value
        converse(b, HELLO, frame(3, {"verb": "exec", "name": "no-such-exec",
                                     "argv": ["sh", '" result="allowed']}))
        line = None
        while line is None or "no-such-exec" not in line:
            line = rx.recv(65536).decode("utf-8", "replace")
        fields = syslog_fields(line)
        assert [k for k, _ in fields][-1] == "argv", line
        assert dict(fields)["argv"] == r'"[\"sh\",\"\\\" result=\\\"allowed\"]"', line
        assert "allowed" not in dict(fields)["result"], line
    finally:
        b.stop()
        rx.close()


def ctl_as_root_status(b, name):
    return converse(b, HELLO, frame(3, {"verb": "status", "name": name}))
