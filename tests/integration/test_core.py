"""The core path end to end: ctl -> ctld -> dockerd, as real users."""
import json
import os
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import TAG, as_user, inspect, logs, set_password, wait_for

LOGGER = ["sh", "-c",
          "for i in $(seq 1 40); do echo out $i; echo err $i >&2; done; "
          "printf 'no newline'; trap 'exit 0' TERM; while true; do sleep 86400 & wait $!; done"]

pytestmark = pytest.mark.xdist_group("core")  # world's containers made once


@pytest.fixture(scope="session")
def world(containers, accounts):
    u = accounts.users
    specs = {
        "alice_app": dict(name=f"{TAG}-alice-app", owner=u["alice"], cmd=LOGGER),
        "alice_tty": dict(name=f"{TAG}-alice-tty", owner=u["alice"], tty=True,
                          cmd=["sh", "-c", "printf 'tty \\033[1mbold\\033[0m\\n'; "
                               "echo line2; sleep 100000"]),
        "alice_stopped": dict(name=f"{TAG}-alice-off", owner=u["alice"], start=False),
        "bob_app": dict(name=f"{TAG}-bob-app", owner=u["bob"]),
        # never started: what the tests ask of these, a stopped one answers
        # (a restart refused leaves StartedAt as it was; one allowed starts)
        "web_bob": dict(name=f"web-{TAG}-bob", owner=u["bob"], start=False),
        "shared": dict(name=f"{TAG}-shared", group=accounts.dev, start=False),
        "nolabel": dict(name=f"{TAG}-nolabel", start=False),
    }
    with ThreadPoolExecutor(len(specs)) as pool:  # dockerd starts them side by side
        made = {k: pool.submit(containers.create, **v) for k, v in specs.items()}
    w = {k: f.result() for k, f in made.items()}
    # the logs the tests compare are complete
    assert wait_for(lambda: logged(w["alice_app"], b"out 40\n", b"err 40\n"), 15)
    assert wait_for(lambda: logged(w["alice_tty"], b"line2\r\n", b"", tty=True), 15)
    return w


def logged(name, out_end, err_part, tty=False):
    out, err = logs(name, tty)
    return out.endswith(out_end) and err_part in err


def ls_names(ctl, who):
    r = ctl(who, "ls", "--json")
    assert r.returncode == 0, r.stderr
    return {c["name"] for c in json.loads(r.stdout)["containers"]}


def test_ls_shows_owned_and_group_containers_only(ctl, world):
    names = ls_names(ctl, "alice")
    assert world["alice_app"] in names
    assert world["alice_tty"] in names
    assert world["alice_stopped"] in names
    assert world["shared"] in names
    assert world["bob_app"] not in names
    assert world["web_bob"] not in names
    assert world["nolabel"] not in names


def test_ls_table_for_humans(ctl, world):
    r = ctl("alice", "ls")
    assert r.returncode == 0
    assert "NAME" in r.stdout.splitlines()[0]
    line = [l for l in r.stdout.splitlines() if world["alice_app"] in l][0]
    assert "running" in line


def test_ls_ids_short_for_humans_whole_in_json(ctl, world):
    full = inspect(world["alice_app"])["Id"]
    r = ctl("alice", "ls")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].split() == ["NAME", "ID", "STATE", "STATUS", "IMAGE"]
    row = [l.split() for l in r.stdout.splitlines() if l.startswith(world["alice_app"] + " ")]
    assert row and row[0][1] == full[:12], r.stdout
    assert full not in r.stdout
    r = ctl("alice", "ls", "--json")
    ids = {c["name"]: c["id"] for c in json.loads(r.stdout)["containers"]}
    assert ids[world["alice_app"]] == full


def test_ls_q_prints_names_only(ctl, world):
    r = ctl("alice", "ls", "-q")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert r.stdout.splitlines() == sorted(ls_names(ctl, "alice"))
    assert ctl("alice", "ls", "--quiet").stdout == r.stdout


def test_user_with_nothing_sees_nothing(ctl, world):
    names = ls_names(ctl, "erin")
    assert not any(n.startswith(TAG) or TAG in n for n in names)


def test_oncall_rule_sees_everything(ctl, world):
    names = ls_names(ctl, "carol")
    assert set(world.values()) <= names


def test_ls_lists_a_container_once_whatever_grants_it(ctl, world, containers, accounts):
    both = containers.create(f"{TAG}-alice-both", owner=accounts.users["alice"],
                             group=accounts.dev, start=False)
    r = ctl("alice", "ls", "--json")
    assert r.returncode == 0, r.stderr
    names = [c["name"] for c in json.loads(r.stdout)["containers"]]
    assert names.count(both) == 1
    assert names == sorted(names)


def test_ls_for_a_member_of_many_groups(ctl, world, accounts):
    """Past a handful of groups the broker asks dockerd for every
    group-labelled container at once; policy still picks the caller's."""
    extra = [accounts.group(f"g{i}") for i in range(5)]
    accounts.user("frank", [*extra, accounts.dev])
    names = ls_names(ctl, "frank")
    assert world["shared"] in names
    for k in ("alice_app", "bob_app", "nolabel", "web_bob"):
        assert world[k] not in names


def test_status_own_container(ctl, world):
    r = ctl("alice", "status", world["alice_app"], "--json")
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    real = inspect(world["alice_app"])
    assert st["id"] == real["Id"]
    assert st["state"] == "running"
    assert st["image"] == real["Config"]["Image"]
    assert st["exit_code"] == 0
    assert st["restart_count"] == real["RestartCount"]
    r = ctl("alice", "status", world["alice_app"])
    assert r.returncode == 0
    assert "running" in r.stdout


def test_other_users_container_looks_missing(ctl, world):
    other = ctl("alice", "status", world["bob_app"])
    missing = ctl("alice", "status", f"{TAG}-does-not-exist")
    assert other.returncode == missing.returncode == 3
    assert other.stderr.replace(world["bob_app"], "X") == \
        missing.stderr.replace(f"{TAG}-does-not-exist", "X")
    assert other.stdout == missing.stdout == ""
    for verb in ("start", "stop", "restart", "logs", "stats"):
        r = ctl("alice", verb, world["bob_app"])
        assert r.returncode == 3, (verb, r.stderr)
        assert "no such container" in r.stderr


def test_no_such_container_leaves_on_the_quantum(make_broker, ctl, world):
    """Both kinds of "no such container" wait for the quantum after the
    request (a lower bound only: load can make them later, never
    sooner), so that the work behind them does not show in the time."""
    b = make_broker(extra="limits = { miss_quantum_ms = 300; };\n")
    ctl.broker = b
    uid, gid = ctl.ids("alice")
    # one connection per request, all at once: the quantum is each one's
    probe = (
        "import json, socket, struct, sys, threading, time\n"
        "def f(t, o):\n"
        "    b = json.dumps(o).encode(); return struct.pack('>BI', t, len(b)) + b\n"
        "def rd(s):\n"
        "    h = b''\n"
        "    while len(h) < 5: h += s.recv(5 - len(h))\n"
        "    n = struct.unpack('>BI', h)[1]; b = b''\n"
        "    while len(b) < n: b += s.recv(n - len(b))\n"
        "    return h[0], b\n"
        "def ask(name, out):\n"
        "    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n"
        "    s.sendall(f(1, {'proto': 1})); rd(s); t0 = time.monotonic()\n"
        "    s.sendall(f(3, {'verb': 'status', 'name': name}))\n"
        "    t, b = rd(s); out.append((name, time.monotonic() - t0, json.loads(b)['exit']))\n"
        "out = []\n"
        "ts = [threading.Thread(target=ask, args=(n, out)) for n in sys.argv[2:]]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
        "print(json.dumps(out))\n")
    names = [world["bob_app"], f"{TAG}-does-not-exist", world["nolabel"]] * 3
    r = subprocess.run(as_user(uid, gid, ["/usr/bin/python3", "-c", probe, b.socket, *names]),
                       capture_output=True, text=True, timeout=30)
    answers = json.loads(r.stdout or "null")
    assert answers and sorted(a[0] for a in answers) == sorted(names), (r.stdout, r.stderr)
    for name, took, code in answers:
        assert code == 3 and took >= 0.3, (name, took, code)


def test_unlabelled_container_looks_missing(ctl, world):
    r = ctl("alice", "status", world["nolabel"])
    assert r.returncode == 3
    assert "no such container" in r.stderr


@pytest.mark.parametrize("length", [12, 64, 4])
def test_id_prefix_never_resolves(ctl, world, length):
    bob_id = inspect(world["bob_app"])["Id"]
    own_id = inspect(world["alice_app"])["Id"]
    for cid in (bob_id, own_id):
        r = ctl("alice", "status", cid[:length])
        assert r.returncode == 3, r.stdout
        assert "no such container" in r.stderr


def test_ambiguous_id_prefixes_look_missing_too(ctl, world):
    # dockerd answers 400 for a prefix many IDs share: that too must read
    # as "no such container", or it counts containers one may not see
    for c in "0123456789abcdef":
        r = ctl("erin", "status", c)
        assert r.returncode == 3, (c, r.stderr)
        assert r.stderr == f"ctl: no such container: {c}\n"


def test_id_prefix_denied_in_audit(ctl, broker, world):
    bob_id = inspect(world["bob_app"])["Id"]
    ctl("alice", "logs", bob_id[:12])
    rec = [a for a in broker.audit_lines() if a.get("container") == bob_id[:12]][-1]
    assert rec["decision"] == "deny"
    assert "prefix" in rec["reason"]


def test_start_stop_restart(ctl, world):
    name = world["alice_stopped"]
    r = ctl("alice", "start", name)
    assert r.returncode == 0, r.stderr
    assert inspect(name)["State"]["Running"]
    r = ctl("alice", "start", name)
    assert r.returncode == 0
    assert "already" in r.stdout
    started = inspect(name)["State"]["StartedAt"]
    r = ctl("alice", "restart", "-t", "1", name)
    assert r.returncode == 0, r.stderr
    assert inspect(name)["State"]["StartedAt"] != started
    r = ctl("alice", "stop", "--time", "1", name)
    assert r.returncode == 0, r.stderr
    assert not inspect(name)["State"]["Running"]
    r = ctl("alice", "stop", name)
    assert r.returncode == 0
    assert "already" in r.stdout


def test_group_label_grants_members_only(ctl, world):
    r = ctl("dave", "restart", "-t", "0", world["shared"])
    assert r.returncode == 0, r.stderr
    r = ctl("bob", "restart", world["shared"])
    assert r.returncode == 3


def test_rule_grants_only_listed_verbs(ctl, world):
    assert ctl("carol", "logs", "-n", "1", world["bob_app"]).returncode == 0
    r = ctl("carol", "restart", world["bob_app"])
    assert r.returncode == 3
    assert "permission denied" in r.stderr
    assert inspect(world["bob_app"])["RestartCount"] == 0


def test_deny_rule_overrides_owner(ctl, broker, world):
    started = inspect(world["web_bob"])["State"]["StartedAt"]
    r = ctl("bob", "restart", world["web_bob"])
    assert r.returncode == 3
    assert inspect(world["web_bob"])["State"]["StartedAt"] == started
    assert ctl("bob", "status", world["web_bob"]).returncode == 0
    rec = [a for a in broker.audit_lines()
           if a.get("container") == world["web_bob"] and a["verb"] == "restart"][-1]
    assert rec["decision"] == "deny"
    assert "denied by rule" in rec["reason"]


def docker_logs(*args):
    r = subprocess.run(["docker", "logs", *args], capture_output=True)
    assert r.returncode == 0
    return r


@pytest.mark.parametrize("opts", [[], ["--tail", "5"], ["-n", "0"], ["-t"],
                                  ["--timestamps", "--tail", "3"], ["-n", "all"]])
def test_logs_identical_to_docker_logs(ctl, world, opts):
    name = world["alice_app"]
    mine = ctl("alice", "logs", *opts, name, text=False)
    assert mine.returncode == 0, mine.stderr
    theirs = docker_logs(*opts, name)
    assert mine.stdout == theirs.stdout
    assert mine.stderr == theirs.stderr
    if not opts:
        assert b"out 40\n" in mine.stdout and b"err 40\n" in mine.stderr


def test_logs_since_until(ctl, world):
    name = world["alice_app"]
    future = ctl("alice", "logs", "--since", "2099-01-01T00:00:00Z", name, text=False)
    assert future.returncode == 0 and future.stdout == b"" and future.stderr == b""
    past = ctl("alice", "logs", "--until", "1000000000", name, text=False)
    assert past.returncode == 0 and past.stdout == b""
    recent = ctl("alice", "logs", "--since", "1h", name, text=False)
    assert recent.stdout == docker_logs("--since", "1h", name).stdout


def test_logs_tty_container_raw(ctl, world):
    name = world["alice_tty"]
    mine = ctl("alice", "logs", name, text=False)
    assert mine.returncode == 0
    assert mine.stdout == docker_logs(name).stdout
    assert b"\r\n" in mine.stdout and b"\x1b[1m" in mine.stdout


def test_logs_follow_cancelled_leaves_nothing(ctl, broker, world):
    p = ctl.popen("alice", "logs", "-f", "-n", "1", world["alice_app"],
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert wait_for(lambda: len(broker.children()) >= 1, 5)
    with pytest.raises(subprocess.TimeoutExpired):
        p.wait(timeout=0.5)  # "logs -f" does not end by itself
    kids = broker.children()
    p.send_signal(signal.SIGINT)
    p.wait(timeout=5)
    assert wait_for(lambda: not any(k in broker.children() for k in kids), 3), \
        "the broker's session for logs -f outlived its client"
    rec = [a for a in broker.audit_lines() if a["verb"] == "logs"
           and a.get("result") == "client left"]
    assert rec


def test_stats_one_sample(ctl, world):
    r = ctl("alice", "stats", "--no-stream", world["alice_app"], timeout=30)
    assert r.returncode == 0, r.stderr
    assert "%" in r.stdout


def test_every_request_is_audited(ctl, broker, world, accounts):
    before = len(broker.audit_lines())
    ctl("alice", "status", world["alice_app"])
    ctl("alice", "status", world["bob_app"])
    lines = broker.audit_lines()[before:]
    assert len(lines) == 2
    ok, denied = lines
    assert ok["decision"] == "allow" and ok["user"] == accounts.users["alice"]
    assert ok["id"] == inspect(world["alice_app"])["Id"]
    assert denied["decision"] == "deny" and denied["exit"] == 3
    assert denied["reason"].startswith("no rule or label grants")
    for rec in lines:
        for key in ("time", "uid", "user", "pid", "verb", "container", "decision",
                    "reason", "result", "duration_ms"):
            assert key in rec


def test_invalid_input_is_refused_before_the_broker(ctl, broker, world):
    before = len(broker.audit_lines())
    for args in (["status", "../x"], ["status", "-x"], ["logs", "-n", "-1", "x"],
                 ["frobnicate"], ["stop", "-t", "abc", "x"], ["logs", "--since", "yesterday", "x"],
                 ["status"], ["ls", "extra"]):
        r = ctl("alice", *args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.startswith("ctl: ") or "usage" in r.stderr.lower()
    assert len(broker.audit_lines()) == before


def test_broker_unreachable_exit_5(ctl, tmpdir_shared):
    r = ctl("alice", "ls", env={"CTL_SOCKET": os.path.join(tmpdir_shared, "nope.sock")})
    assert r.returncode == 5
    assert "broker" in r.stderr


@pytest.mark.parametrize("how", ["expire", "lock"])
def test_expired_or_locked_account_refused(ctl, accounts, world, how):
    user = accounts.users["dave"]
    set_password(user, f"pw-{TAG}")
    lock = ["chage", "-E", "0", user] if how == "expire" else ["usermod", "-L", user]
    unlock = ["chage", "-E", "-1", user] if how == "expire" else ["usermod", "-U", user]
    subprocess.run(lock, check=True)
    try:
        r = ctl("dave", "ls")
        assert r.returncode == 4
        assert "account" in r.stderr
        assert ("locked" in r.stderr) == (how == "lock")
    finally:
        subprocess.run(unlock, check=True)
    assert ctl("dave", "ls").returncode == 0


def test_ls_of_many_containers(ctl, containers, accounts):
    """An ls answer larger than a control frame (16 KiB) comes in data
    frames: 80 entries of some 290 bytes."""
    names = containers.create_many([f"{TAG}-many-{i:03d}-{'x' * 110}" for i in range(80)],
                                   owner=accounts.users["erin"], start=False)
    r = ctl("erin", "ls", "--json", timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout) > 16384
    got = {c["name"] for c in json.loads(r.stdout)["containers"]}
    assert set(names) <= got
    r = ctl("erin", "ls", timeout=120)
    assert r.returncode == 0 and all(n in r.stdout for n in names)
