"""Shared follows (broker/relay.c): one dockerd stream for all of a
container's followers, written straight to their clients; tails served
from the relay's ring; a follower that falls behind is told; and a relay
socket believed only when it is root's alone, at both ends."""
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import IDLE_SH, TAG, config_text, engine, inspect, wait_for

# A pause that starts no process: busybox's sleep is one each time, and
# at fifty a second in several containers those were a tenth of the
# suite's CPU. read -t waits on a FIFO that nothing writes.
PAUSE_ON = "[ -p /pause ] || busybox mkfifo /pause; exec 3<>/pause; "
PAUSE = "read -t 0.02 -u 3 _"

TICKER = ["sh", "-c", "trap 'exit 0' TERM; " + PAUSE_ON + "i=0; while true; do i=$((i+1)); "
          "echo line $i; " + PAUSE + "; done"]


def relays(b):
    """The ctld-relay processes of broker b: they hold its relay directory
    (ctld-relay/ENGINE: relays are keyed by engine and ID)."""
    d = os.path.join(b.dir, "ctld-relay")
    out = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != "ctld-relay":
                    continue
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.path.dirname(os.readlink(f"/proc/{pid}/fd/{fd}")) == d for fd in fds):
                out.append(int(pid))
        except OSError:
            pass
    return out


def kept(b):
    """The follows b's keeper holds: a relay connection and a client's
    socket each, beside its one socket from the main process."""
    k = b.keeper()
    n = 0
    for fd in os.listdir(f"/proc/{k}/fd"):
        try:
            n += os.readlink(f"/proc/{k}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return (n - 1) // 2


def numbers(text):
    return [int(line.split()[1]) for line in text.splitlines() if line.startswith("line ")]


def follow(ctl, *args):
    return ctl.follow("alice", "logs", "-f", *args)


def stop(follows):
    for f in follows:
        f.proc.send_signal(signal.SIGINT)
    return [f.communicate(timeout=20) for f in follows]


def logs_audit(b, n=0):
    """The logs records, once there are n: a follow that its client ended
    is recorded after the client has gone."""
    recs = lambda: [a for a in b.audit_lines() if a["verb"] == "logs"]
    wait_for(lambda: len(recs()) >= n, 10)
    return recs()


def lines(n):
    """A predicate: at least n numbered lines have come."""
    return lambda text: len(numbers(text)) >= n


def cid(name):
    return inspect(name)["Id"]


@pytest.fixture(scope="module")
def ticker(module_containers, accounts):
    """alice's TICKER for the tests that only follow it, each through a
    broker (and so relays) of its own: one container, not one a test."""
    return module_containers.create(f"{TAG}-ticker", owner=accounts.users["alice"], cmd=TICKER)


def broker_for(make_broker, ctl):
    b = make_broker()
    ctl.broker = b
    return b


def alice_with(make_broker, ctl, accounts, own_containers, suffix, cmd):
    """A container of alice's running cmd, with a gate, and a broker of its own."""
    name = f"{TAG}-{suffix}"
    own_containers.create(name, owner=accounts.users["alice"], cmd=cmd, body=gated(name))
    b = make_broker()
    ctl.broker = b
    return name, b


def test_followers_share_one_relay(make_broker, ctl, ticker):
    name, b = ticker, broker_for(make_broker, ctl)
    fs = [follow(ctl, "-n", "0", name) for _ in range(5)]
    assert wait_for(lambda: len(relays(b)) == 1, 10)
    assert all(f.wait(lines(20)) for f in fs)
    assert len(relays(b)) == 1
    for out, err in stop(fs):
        assert not err.strip(), err
        n = numbers(out)
        assert n and n == list(range(n[0], n[0] + len(n)))
    assert wait_for(lambda: not relays(b), 10), "the relay outlived its followers"
    recs = logs_audit(b, 5)
    assert len(recs) == 5
    assert all(a.get("via") == "relay" and a["result"] == "client left" for a in recs)


def test_timestamps_get_their_own_relay(make_broker, ctl, accounts, own_containers):
    name, b = alice_with(make_broker, ctl, accounts, own_containers, "ticker-t", TICKER)
    plain, stamped = follow(ctl, "-n", "0", name), follow(ctl, "-n", "0", "-t", name)
    assert wait_for(lambda: len(relays(b)) == 2, 10)
    assert plain.wait(lines(1)) and stamped.wait(lambda t: "Z line " in t)
    (out_p, _), (out_t, _) = stop([plain, stamped])
    assert out_p.splitlines()[0].startswith("line ")
    first = out_t.splitlines()[0]
    assert first[:4].isdigit() and "Z line " in first


# Containers that wait for go(name) before they write what a test watches:
# for /gate/go, which go() makes in a directory of the host's bound in at
# /gate. A docker exec would cost a runc exec and a docker CLI each time.
GATES = os.path.join(tempfile.gettempdir(), f"ctl-gates-{TAG}")


def until_go(each=""):
    """Shell that waits at the gate, running each between looks."""
    return PAUSE_ON + "while [ ! -e /gate/go ]; do " + each + PAUSE + "; done; "


AFTER_GO = until_go()
IDLE_ON = IDLE_SH
BURST = ["sh", "-c", AFTER_GO + "i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo line $i; "
         "echo err $i >&2; done; " + IDLE_ON]


@pytest.fixture(scope="module", autouse=True)
def gates():
    os.makedirs(GATES, exist_ok=True)
    yield
    shutil.rmtree(GATES, ignore_errors=True)


def gated(name):
    """More of create()'s body: name's gate, shut."""
    d = os.path.join(GATES, name)
    os.makedirs(d)
    return {"HostConfig": {"Binds": [f"{d}:/gate:ro"]}}


def go(name):
    open(os.path.join(GATES, name, "go"), "x").close()


def test_tail_from_the_ring_is_dockers_tail(make_broker, ctl, accounts, own_containers):
    name, b = alice_with(make_broker, ctl, accounts, own_containers, "burst", BURST)
    first = follow(ctl, "-n", "0", name)
    # the relay took the follow (its session ended, the keeper holds it)
    # only once dockerd answered it: from then on it sees every line
    assert wait_for(lambda: len(relays(b)) == 1 and not b.children(), 10), \
        "no relay before the burst"
    go(name)
    # the relay has seen all 80 lines once its follower has
    assert first.wait(lambda t: "line 40\n" in t)
    assert first.wait(lambda t: "err 40\n" in t, key="err")
    for i, n in enumerate(("7", "80", "100")):
        want = subprocess.run(["docker", "logs", "--tail", n, name],
                              capture_output=True, text=True)
        p = follow(ctl, "-n", n, name)
        p.wait(lambda t: t == want.stdout)
        p.wait(lambda t: t == want.stderr, key="err")
        (out, err), = stop([p])
        # ctl ends an interrupted command's line on stderr
        assert out == want.stdout and err in (want.stderr, want.stderr + "\n"), n
        logs_audit(b, i + 1)
    stop([first])
    via = [a.get("via") for a in logs_audit(b, 4)]
    # -n 7 and -n 80 came from the ring, -n 100 from dockerd; then -n 0
    assert via == ["relay", "relay", None, "relay"], via


def test_stopped_container_ends_every_follower(make_broker, ctl, accounts, own_containers):
    name, b = alice_with(make_broker, ctl, accounts, own_containers, "ticker-stop", TICKER)
    fs = [follow(ctl, "-n", "0", name) for _ in range(3)]
    assert wait_for(lambda: len(relays(b)) == 1, 10)
    assert all(f.wait(lines(1)) for f in fs)
    engine("POST", f"/containers/{name}/stop?t=5")
    for f in fs:
        out, err = f.communicate(timeout=20)
        assert f.returncode == 0 and err == f"ctl: {name} exited with code 0\n", err
        assert numbers(out)
    assert wait_for(lambda: not relays(b), 10)
    recs = logs_audit(b, 3)
    assert len(recs) == 3
    assert all(a["result"] == "ok" and a.get("via") == "relay" for a in recs)


EXITS_1 = ["sh", "-c", "echo ready; " + AFTER_GO + "echo bye; echo oops >&2; exit 1"]
# the same, saying on stderr that it waits: a follow that hears it is live
EXITS_1_SAYING = ["sh", "-c", "echo ready; " + until_go("echo waiting >&2; ") + "echo bye; "
                  "echo oops >&2; exit 1"]


def test_follow_says_how_the_container_exited(make_broker, ctl, accounts, own_containers):
    """Through the relay (-n 0) and from dockerd itself (no tail), a follow
    of a container that exits ends with its exit code on stderr; stdout
    keeps the log bytes alone."""
    name, b = alice_with(make_broker, ctl, accounts, own_containers, "exits-1", EXITS_1)
    relayed, direct = follow(ctl, "-n", "0", name), follow(ctl, name)
    assert wait_for(lambda: len(relays(b)) == 1, 10), "no relay before the exit"
    assert direct.wait(lambda t: t == "ready\n")
    go(name)
    out, err = direct.communicate(timeout=20)
    assert direct.returncode == 0, err
    assert out == "ready\nbye\n"
    assert err == f"oops\nctl: {name} exited with code 1\n"
    out, err = relayed.communicate(timeout=20)
    assert relayed.returncode == 0, err
    assert "exited" not in out
    assert err.endswith(f"ctl: {name} exited with code 1\n"), err
    assert sorted(str(a.get("via")) for a in logs_audit(b, 2)) == ["None", "relay"]


PAD = "x" * 1000
LINES = 4500  # 4.5 MB of log: more than a relay queues for one follower (1 MiB)
# and the sockets and pipes behind it hold (some 1.3 MB); in long lines,
# since dockerd's cost is per line (4.6 MB in 116-byte ones took 5 s)


@pytest.mark.serial  # the fast follower must keep pace with a 4.5 MB flood
def test_a_follower_that_falls_behind_is_told(make_broker, ctl, accounts, own_containers):
    """One client stops reading while the log floods: it is cut off with
    a message after a gap-free prefix; the other gets every line."""
    name, b = alice_with(make_broker, ctl, accounts, own_containers, "flood",
                         ["sh", "-c", until_go("echo wait; ") + f"seq 1 {LINES} | "
                          f"busybox sed 's/$/ {PAD}/'; " + IDLE_ON])
    fast = ctl.popen("alice", "logs", "-f", "-n", "0", name, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
    assert wait_for(lambda: len(relays(b)) == 1, 10)
    slow = ctl.popen("alice", "logs", "-f", "-n", "0", name, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
    # both follow the relay once a line has come to each; then the flood
    assert select.select([slow.stdout], [], [], 15)[0], "the slow follower got nothing"
    head = os.read(slow.stdout.fileno(), 4096)
    go(name)
    got = bytearray()
    last = f"\n{LINES} {PAD}\n".encode()
    end = time.time() + 120
    while not got.endswith(last) and time.time() < end:
        chunk = os.read(fast.stdout.fileno(), 1 << 20)
        assert chunk
        got += chunk
    out, err = slow.communicate(timeout=60)
    assert slow.returncode == 1
    assert b"fell behind" in err
    seen = [int(x.split()[0]) for x in (head + out).splitlines() if x != b"wait"]
    assert seen == list(range(1, len(seen) + 1)) and len(seen) < LINES
    fast.send_signal(signal.SIGINT)
    fast.communicate(timeout=20)
    assert [int(x.split()[0]) for x in got.splitlines() if x != b"wait"] == \
        list(range(1, LINES + 1))
    assert sorted(a["result"] for a in logs_audit(b, 2)) == ["client left", "cut: fell behind"]


FAKE_RELAY = r"""
import os, socket, struct, sys
path, uid, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
os.chmod(path, 0o666)
done = open(ready, "w")
if uid:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
s.listen(8)  # the peer credentials a client sees are taken here
done.write("listening")
done.close()
while True:
    c, _ = s.accept()
    c.recv(76)
    c.send(b"Y")
    msg, fds, _, _ = socket.recv_fds(c, 1, 4)
    for fd in fds:
        os.write(fd, b"\x04" + struct.pack(">I", 5) + b"FAKE\n")
        os.close(fd)
    c.send(struct.pack("<i", 0) + bytes(256))
    c.close()
"""


def relay_dir(b, engine="local"):
    """Where broker b's relays of an engine's containers listen."""
    return os.path.join(b.dir, "ctld-relay", engine)


def fake_relay(b, name, uid, script=FAKE_RELAY):
    d = relay_dir(b)
    os.makedirs(os.path.dirname(d), mode=0o700, exist_ok=True)
    os.makedirs(d, mode=0o700, exist_ok=True)
    path = os.path.join(d, f"{cid(name)}-p.sock")
    ready = os.path.join(b.dir, "fake-ready")
    p = subprocess.Popen(["/usr/bin/python3", "-c", script, os.path.basename(path),
                          str(uid), ready], cwd=d)  # sun_path is short
    assert wait_for(lambda: os.path.exists(ready) and os.path.getsize(ready) > 0, 10)
    return d, p


def follow_briefly(ctl, b, name):
    """Follows until a line (the container's or a fake relay's) has come;
    returns them once the follow's audit record is written."""
    n = len(logs_audit(b))
    p = follow(ctl, "-n", "0", name)
    p.wait(lambda t: "FAKE" in t or numbers(t))
    (out, err), = stop([p])
    logs_audit(b, n + 1)
    return out


def test_relay_dir_others_may_enter_is_not_believed(make_broker, ctl, ticker):
    name, b = ticker, broker_for(make_broker, ctl)
    d, fake = fake_relay(b, name, 0)  # root's socket, in a directory anyone may enter
    try:
        os.chmod(d, 0o755)
        out = follow_briefly(ctl, b, name)
        assert "FAKE" not in out and numbers(out)
        assert logs_audit(b)[-1].get("via") is None
        os.chmod(d, 0o700)  # the same fake, now where only root may go: believed
        assert "FAKE" in follow_briefly(ctl, b, name)
    finally:
        fake.kill()
        fake.wait()


def test_relay_whose_peer_is_not_root_is_not_believed(make_broker, ctl, ticker):
    name, b = ticker, broker_for(make_broker, ctl)
    uid = ctl.ids("bob")[0]
    d, fake = fake_relay(b, name, uid)
    try:
        os.chmod(d, 0o700)
        out = follow_briefly(ctl, b, name)
        assert "FAKE" not in out and numbers(out)
        assert logs_audit(b)[-1].get("via") is None
    finally:
        fake.kill()
        fake.wait()


KNOCK = r"""
import os, socket, struct, sys
path, uid, rid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.setgroups([])
os.setresgid(uid, uid, uid)
os.setresuid(uid, uid, uid)
c = socket.socket(socket.AF_UNIX)
c.connect(path)
req = rid.encode() + b"\0" + b"\0" + b"\0\0" + struct.pack("<iI", 0, uid)
try:
    c.send(req)
    c.settimeout(10)
    print(repr(c.recv(1)))
except (BrokenPipeError, ConnectionResetError):
    print("closed")
"""


def test_relay_serves_root_alone(make_broker, ctl, ticker):
    """Even reached (the directory opened up for the test), a relay
    refuses a peer that is not root."""
    name, b = ticker, broker_for(make_broker, ctl)
    p = follow(ctl, "-n", "0", name)
    try:
        assert wait_for(lambda: len(relays(b)) == 1, 10)
        d = relay_dir(b)
        path = os.path.join(d, f"{cid(name)}-p.sock")
        os.chmod(os.path.dirname(d), 0o711)
        os.chmod(d, 0o711)
        os.chmod(path, 0o666)
        try:
            r = subprocess.run(["/usr/bin/python3", "-c", KNOCK, os.path.basename(path),
                                str(ctl.ids("bob")[0]), cid(name)],
                               capture_output=True, text=True, timeout=30, cwd=d)
        finally:
            os.chmod(d, 0o700)
        assert r.stdout.strip() in ("closed", "b''", "b'N'"), r.stdout + r.stderr
        assert p.wait(lines(1))
    finally:
        (out, err), = stop([p])
    assert numbers(out)


def test_a_relay_in_trouble_holds_up_nobody(make_broker, ctl, accounts, own_containers):
    """A relay whose socket is flooded with connections that never speak,
    and which then ends its stream, neither hangs its own followers nor
    anyone following another container (the relay directory's lock is
    shared by all)."""
    name, b = alice_with(make_broker, ctl, accounts, own_containers, "ticker-a", TICKER)
    other = own_containers.create(f"{TAG}-ticker-b", owner=accounts.users["alice"], cmd=TICKER)
    first = follow(ctl, "-n", "0", name)
    assert wait_for(lambda: len(relays(b)) == 1, 10)
    d = relay_dir(b)
    idle, here = [], os.open(".", os.O_RDONLY)
    sock = f"{cid(name)}-p.sock"
    os.chdir(d)  # sun_path is short
    try:
        for _ in range(200):
            s = socket.socket(socket.AF_UNIX)
            s.setblocking(False)
            try:
                s.connect(sock)
            except BlockingIOError:
                s.close()
                break
            idle.append(s)
    finally:
        os.fchdir(here)
        os.close(here)
    try:
        held = kept(b)
        more = [follow(ctl, "-n", "0", name) for _ in range(3)]
        # their sessions knock, or the relay took them and they are kept
        assert wait_for(lambda: len(b.children()) + kept(b) - held >= 3, 10)
        engine("POST", f"/containers/{name}/stop?t=5")  # the relay ends while they knock
        elsewhere = follow(ctl, "-n", "0", other)
        assert elsewhere.wait(lambda t: t.startswith("line "), 15), "held up by another relay"
        for p in [first, *more]:
            p.communicate(timeout=30)
            assert p.returncode == 0
        stop([elsewhere])
    finally:
        for s in idle:
            s.close()


# Two lines of some 12 KB every 20 ms: a follower that stops reading fills
# its queue in about two seconds, on a stream quiet enough that any gap a
# reader sees longer than a few pacing rounds is the relay's.
WIDE = ["sh", "-c", "trap 'exit 0' TERM; " + PAUSE_ON + "p=xxx; while [ ${#p} -lt 12000 ]; "
        "do p=$p$p; done; i=0; while true; do i=$((i+1)); echo line $i $p; "
        "i=$((i+1)); echo line $i $p; " + PAUSE + "; done"]
GAP_MAX = 0.25  # the defence: a stalled follower delays the others by at most this


class Arrivals:
    """A follower's stdout read as it comes, with when each chunk came."""

    def __init__(self, proc):
        self.proc, self.times, self.bytes = proc, [], 0
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while chunk := os.read(self.proc.stdout.fileno(), 1 << 20):
            with self.lock:
                self.times.append(time.monotonic())
                self.bytes += len(chunk)

    def since(self, t0):
        with self.lock:
            return [t for t in self.times if t >= t0]


def never_read(ctl, who, name):
    """A follower whose client stops reading as soon as a line came."""
    p = ctl.popen(who, "logs", "-f", "-n", "0", name, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE)
    assert select.select([p.stdout], [], [], 15)[0], "the stalled follower got nothing"
    return p


def cut_off(p):
    """Reads a stalled follower at last: it was told why it was cut."""
    out, err = p.communicate(timeout=60)
    assert p.returncode == 1, (p.returncode, err[-300:])
    assert b"fell behind" in err
    return out


def wide_with_carol(make_broker, ctl, accounts, own_containers, suffix):
    """alice's container printing WIDE; carol (oncall) follows it too."""
    name, b = alice_with(make_broker, ctl, accounts, own_containers, suffix, WIDE)
    carol = ctl.popen("carol", "logs", "-f", "-n", "0", name, stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE)
    assert wait_for(lambda: len(relays(b)) == 1, 10)
    return name, b, Arrivals(carol)


@pytest.mark.serial  # a bound on gaps: on its own, not beside a CPU-bound test
def test_a_stalled_follower_delays_nobody(make_broker, ctl, accounts, own_containers):
    """alice opens a follow and never reads it; carol, following the same
    container, sees no gap over GAP_MAX while alice's queue fills and she
    is cut off (with a message, audited)."""
    name, b, carol = wide_with_carol(make_broker, ctl, accounts, own_containers, "wide")
    assert wait_for(lambda: carol.bytes > 0, 15)
    slow = never_read(ctl, "alice", name)
    t0, b0 = time.monotonic(), carol.bytes
    # long enough for alice's queue and socket buffers to fill (some 1.3 MB
    # today) and for her to be cut: 3 MB more for carol, and 2 s at least
    assert wait_for(lambda: carol.bytes - b0 > 3_000_000 and time.monotonic() - t0 > 2, 60)
    times = [t0] + carol.since(t0)
    worst = max(b - a for a, b in zip(times, times[1:]))
    cut_off(slow)
    carol.proc.send_signal(signal.SIGINT)
    carol.proc.communicate(timeout=20)
    assert worst <= GAP_MAX, f"carol waited {worst:.3f} s on alice's stalled follower"
    uid = ctl.ids("alice")[0]
    recs = logs_audit(b, 2)
    cut = [a for a in recs if a["uid"] == uid]
    assert len(cut) == 1 and cut[0].get("via") == "relay"
    assert cut[0]["result"] == "cut: fell behind" and cut[0]["exit"] == 1, cut


def test_a_uid_cut_too_often_reads_dockerd(make_broker, ctl, accounts, own_containers):
    """alice stalls three follows at once (RELAY_CUTS_MAX): each is cut and
    audited; her next follow of that container reads dockerd itself, and
    its record says why, while carol's next one still shares the relay."""
    name, b, carol = wide_with_carol(make_broker, ctl, accounts, own_containers, "wide-3")
    assert wait_for(lambda: carol.bytes > 0, 15)
    slow = [never_read(ctl, "alice", name) for _ in range(3)]
    b0 = carol.bytes
    assert wait_for(lambda: carol.bytes - b0 > 3_000_000, 60)
    for p in slow:
        cut_off(p)
    uid = ctl.ids("alice")[0]
    cuts = [a for a in logs_audit(b, 3) if a["uid"] == uid]
    assert len(cuts) == 3 and all(a["result"] == "cut: fell behind" for a in cuts), cuts
    again = follow(ctl, "-n", "0", name)
    more = ctl.follow("carol", "logs", "-f", "-n", "0", name)
    assert again.wait(lines(1)) and more.wait(lines(1))
    stop([again, more])
    recs = logs_audit(b, 5)[3:]
    assert {a["uid"]: a.get("via") for a in recs} == {
        uid: "dockerd: cut too often", ctl.ids("carol")[0]: "relay"}, recs
    carol.proc.send_signal(signal.SIGINT)
    carol.proc.communicate(timeout=20)


def granting(accounts, pam_service, name, who):
    """The test config with a rule that lets who read name's logs."""
    users = ", ".join(f'"{accounts.users[u]}"' for u in who)
    rule = f'  {{ users = [{users}]; containers = ["{name}"]; verbs = ["logs"]; }},\n'
    return config_text("@DIR@", accounts, pam_service).replace("rules = (\n", "rules = (\n" + rule)


def reload_with(b, text):
    n = b.logtext().count("configuration reloaded")
    b.write_config(text.replace("@DIR@", b.dir))
    b.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: b.logtext().count("configuration reloaded") > n, 10)


def more_lines(f, n=10):
    """True once n more numbered lines came to f than it had."""
    have = len(numbers(f.text()))
    return f.wait(lines(have + n))


def test_reload_revokes_live_follows(make_broker, ctl, accounts, pam_service, own_containers):
    """dave follows alice's container on his own (a tail past the ring),
    erin through the relay she shares with alice, both through a rule.
    A reload that keeps the rule changes nothing; one that drops it ends
    dave's and erin's follows, told and audited, and alice goes on."""
    name = own_containers.create(f"{TAG}-revoke", owner=accounts.users["alice"], cmd=TICKER)
    text = granting(accounts, pam_service, name, ["dave", "erin"])
    b = make_broker(text)
    ctl.broker = b
    owner = follow(ctl, "-n", "0", name)
    assert wait_for(lambda: len(relays(b)) == 1, 10)
    erin = ctl.follow("erin", "logs", "-f", "-n", "0", name)
    dave = ctl.follow("dave", "logs", "-f", "-n", "2000", name)
    fs = [owner, erin, dave]
    assert all(f.wait(lines(5)) for f in fs)
    reload_with(b, text + "# the same rules\n")
    assert all(more_lines(f) for f in fs)
    assert all(f.proc.poll() is None for f in fs) and logs_audit(b) == []
    reload_with(b, config_text("@DIR@", accounts, pam_service))
    for f in (erin, dave):
        out, err = f.communicate(timeout=30)
        assert f.returncode == 3 and f"access to {name} was revoked" in err, (f.returncode, err)
        assert numbers(out) == list(range(numbers(out)[0], numbers(out)[-1] + 1))
    assert more_lines(owner) and owner.proc.poll() is None
    recs = {a["uid"]: a for a in logs_audit(b, 2)}
    for who, via in (("erin", "relay"), ("dave", None)):
        a = recs[ctl.ids(who)[0]]
        assert a["result"] == "revoked" and a["decision"] == "deny" and a["exit"] == 3, a
        assert a["reason"].startswith("revoked on reload: ") and a.get("via") == via, a
    (out, err), = stop([owner])
    assert not err.strip()
    assert [a["result"] for a in logs_audit(b, 3)][2:] == ["client left"]


def test_a_relayed_follow_keeps_no_session(make_broker, ctl, accounts, own_containers):
    """Once a relay holds a follower's client, its session ends: the
    follow keeper (broker/keeper.c) holds the follow, and at the end
    answers and audits it as the session would have."""
    name, b = alice_with(make_broker, ctl, accounts, own_containers, "kept", EXITS_1)
    fs = [follow(ctl, "-n", "0", name) for _ in range(3)]
    assert wait_for(lambda: len(relays(b)) == 1, 10)
    keeper = b.keeper()
    assert keeper is not None
    # no session waits (the relay, its child, went to init with it)
    assert wait_for(lambda: not b.children(), 10), b.children()
    go(name)
    for f in fs:
        out, err = f.communicate(timeout=20)
        assert f.returncode == 0 and out == "bye\n", (out, err)
        assert err == f"oops\nctl: {name} exited with code 1\n", err
    recs = logs_audit(b, 3)
    assert [(a["result"], a.get("via"), a["exit"], a["decision"]) for a in recs] == \
        [("ok", "relay", 0, "allow")] * 3
    assert all(a["user"] == accounts.users["alice"] and a["container"] == name and
               a["engine"] == "local" and a["id"] == cid(name) for a in recs), recs
    assert b.keeper() == keeper


def test_kept_follows_count_as_sessions(make_broker, ctl, ticker):
    """limits.max_per_user counts the follows the keeper holds for a user
    as the sessions they were: they are not a way around it."""
    name = ticker
    b = make_broker(extra="limits = { max_per_user = 2; };\n")
    ctl.broker = b
    fs = [follow(ctl, "-n", "0", name) for _ in range(2)]
    assert all(f.wait(lines(3)) for f in fs)
    assert wait_for(lambda: not b.children(), 10)
    r = ctl("alice", "ls")
    assert r.returncode == 1 and "too many" in r.stderr, r.stderr
    assert ctl("bob", "ls").returncode == 0
    stop(fs[:1])
    assert wait_for(lambda: ctl("alice", "ls").returncode == 0, 10)
    stop(fs[1:])


def test_follows_go_on_when_the_keeper_dies(make_broker, ctl, accounts, own_containers):
    """A keeper that dies loses the ends of the follows it held (said in
    ctld's log); new follows are kept by their sessions until another
    keeper starts, and are answered and audited all the same."""
    name, b = alice_with(make_broker, ctl, accounts, own_containers, "keeper-dies",
                         EXITS_1_SAYING)
    assert wait_for(lambda: b.keeper() is not None, 10)
    os.kill(b.keeper(), signal.SIGKILL)
    assert wait_for(lambda: "the follow keeper" in b.logtext(), 10)
    f = follow(ctl, "-n", "0", name)
    assert wait_for(lambda: len(relays(b)) == 1, 10)
    assert wait_for(lambda: len(b.children()) == 1, 10)  # its session waits
    assert f.wait(lambda t: "waiting" in t, key="err")  # the relay reads dockerd
    go(name)
    out, err = f.communicate(timeout=20)
    assert f.returncode == 0 and out == "bye\n", (out, err)
    assert [(a["result"], a.get("via")) for a in logs_audit(b, 1)] == [("ok", "relay")]


# A relay that fills its follower's socket until the client has stopped
# reading (three tries 0.2 s apart find no room), then gives the client
# back as cut: the answer after it finds no room either.
FILLING_RELAY = r"""
import os, socket, struct, sys, time
path, uid, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
with open(ready, "w") as f:
    f.write("listening")
c, _ = s.accept()
c.recv(76)
c.send(b"Y")
msg, fds, _, _ = socket.recv_fds(c, 1, 4)
client = socket.socket(fileno=fds[0])  # O_NONBLOCK would be the keeper's too
frame = b"\x04" + struct.pack(">I", 4096) + b"x" * 4095 + b"\n"
full = 0
while full < 3:
    try:
        client.send(frame, socket.MSG_DONTWAIT)
        full = 0
    except BlockingIOError:
        full += 1
        time.sleep(0.2)
client.close()
c.send(struct.pack("<i", 4) + b"fell behind".ljust(256, b"\0"))
c.recv(1)
"""


def test_the_keeper_waits_on_no_client(make_broker, ctl, accounts, own_containers, ticker):
    """alice's follow is given back cut while her client reads nothing,
    so its answer cannot go out; the keeper meanwhile ends and answers
    another follow: it never blocks on one client."""
    name, b = ticker, broker_for(make_broker, ctl)
    other = own_containers.create(f"{TAG}-k-exits", owner=accounts.users["alice"], cmd=EXITS_1,
                                  body=gated(f"{TAG}-k-exits"))
    d, relay = fake_relay(b, name, 0, FILLING_RELAY)
    try:
        stuck = ctl.popen("alice", "logs", "-f", "-n", "0", name, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
        assert wait_for(lambda: [a["result"] for a in logs_audit(b)] == ["cut: fell behind"], 60)
        quick = follow(ctl, "-n", "0", other)
        # taken by the relay, so read from dockerd, once its session ends
        assert wait_for(lambda: len(relays(b)) == 1 and not b.children(), 10)
        go(other)
        out, err = quick.communicate(timeout=8)  # alice's answer waits up to 10 s
        assert quick.returncode == 0 and out == "bye\n", (out, err)
    finally:
        stuck.kill()
        stuck.communicate()
        relay.kill()
        relay.wait()


def test_the_keeper_lets_go_of_a_rotated_audit_file(make_broker, ctl, accounts, own_containers):
    """logrotate moves the audit file away while the keeper holds a
    follow: the keeper lets go of the old file within seconds (a held
    file would keep the next rotation from it) and the follow's record
    goes to the new one."""
    name, b = alice_with(make_broker, ctl, accounts, own_containers, "k-rotate", EXITS_1)
    f = follow(ctl, "-n", "0", name)
    assert wait_for(lambda: len(relays(b)) == 1 and not b.children(), 10)
    keeper = b.keeper()
    old = b.audit + ".1"
    os.rename(b.audit, old)

    def holds_old():
        for fd in os.listdir(f"/proc/{keeper}/fd"):
            try:
                if os.readlink(f"/proc/{keeper}/fd/{fd}") == old:
                    return True
            except OSError:
                pass
        return False
    assert wait_for(lambda: not holds_old(), 10), "the keeper still holds the rotated file"
    go(name)
    out, err = f.communicate(timeout=20)
    assert f.returncode == 0 and out == "bye\n", (out, err)
    assert [a["result"] for a in logs_audit(b, 1)] == ["ok"]
