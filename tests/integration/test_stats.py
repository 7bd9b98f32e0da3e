"""ctl stats as docker stats: a sample, a stream, several names, all the
caller's (issue 10 §4)."""
import json
import os
import re
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import TAG, config_text, docker, inspect, wait_for

BUSY = ["sh", "-c", "trap 'exit 0' TERM; while :; do :; done"]
UNITS = {"B": 1, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3, "TiB": 1024 ** 4,
         "kB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3}

pytestmark = pytest.mark.xdist_group("stats")  # quiet's containers made once


def cpu_seconds(pid):
    """The CPU time process pid has used (utime + stime)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def size(text):
    m = re.fullmatch(r"([0-9.]+)([A-Za-z]+)", text.strip())
    return float(m.group(1)) * UNITS[m.group(2)]


@pytest.fixture(scope="module")
def quiet(accounts, containers):
    """alice's running (two), stopped and bob's, made once for the module:
    the tests only read them."""
    u = accounts.users
    return dict(busy=containers.create(f"{TAG}-st-two", owner=u["alice"]),
                idle=containers.create(f"{TAG}-st-idle", owner=u["alice"]),
                off=containers.create(f"{TAG}-st-off", owner=u["alice"], start=False),
                bobs=containers.create(f"{TAG}-st-bob", owner=u["bob"]))


@pytest.fixture
def spinning(own_containers, accounts):
    """For the serial test that compares with docker, alice's container
    that spins (beside the parallel tests a spinning loop would take a
    core from them, and they from it); it alone, so that the serial run
    makes no other."""
    return own_containers.create(f"{TAG}-st-busy", owner=accounts.users["alice"], cmd=BUSY)


@pytest.mark.serial  # a busy loop's CPU %, compared: on a machine doing nothing else
def test_a_sample_is_what_docker_stats_says(ctl, spinning):
    """Both asked at once, so their one-second windows overlap. The CPU %
    of a busy loop is its share of one CPU over each window; even alone
    on two cores that share moves by some points from second to second,
    hence 20 points (or a fifth) apart at most. Memory is the
    same counter less the same cache, read a moment apart: within 1 MiB
    or 10 %. The limit, the PIDs and the (idle) I/O must be equal."""
    # past the loop's start: both windows see it spinning
    assert wait_for(lambda: cpu_seconds(inspect(spinning)["State"]["Pid"]) >= 0.3, 10)
    # the table's sample too: its I/O cells, idle, are docker's whatever the window
    with ThreadPoolExecutor(3) as pool:
        ours = pool.submit(ctl, "alice", "stats", "--no-stream", "--json", spinning)
        theirs = pool.submit(docker, "stats", "--no-stream", "--format", "{{json .}}",
                             spinning)
        table = pool.submit(ctl, "alice", "stats", "--no-stream", spinning)
        ours, theirs, r = ours.result(), theirs.result(), table.result()
    assert ours.returncode == 0, ours.stderr
    row = json.loads(ours.stdout)["containers"][0]
    d = json.loads(theirs.stdout)
    cpu = float(d["CPUPerc"].rstrip("%"))
    assert cpu > 30, d  # it is busy
    assert abs(row["cpu_percent"] - cpu) <= max(20.0, cpu / 5), (row, d)
    used, limit = (size(x) for x in d["MemUsage"].split("/"))
    assert abs(row["memory_used"] - used) <= max(1024 ** 2, used / 10), (row, d)
    assert abs(row["memory_limit"] - limit) <= limit * 0.001, (row, d)
    assert str(row["pids"]) == d["PIDs"]
    assert r.returncode == 0, r.stderr
    cells = re.split(r"\s{2,}", r.stdout.splitlines()[1].strip())
    assert cells[0] == spinning
    assert cells[4] == d["NetIO"] and cells[5] == d["BlockIO"], (cells, d)


def both(*calls):
    """ctl calls side by side: each waits out its own sample's window."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(*c) for c in calls]]


def test_table_and_json_shape(ctl, quiet):
    r, j = both((ctl, "alice", "stats", "--no-stream", quiet["idle"], quiet["busy"]),
                (ctl, "alice", "stats", "--no-stream", "--json", quiet["idle"]))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    lines = r.stdout.splitlines()
    assert re.split(r"\s{2,}", lines[0].strip()) == [
        "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"]
    assert [l.split()[0] for l in lines[1:]] == [quiet["idle"], quiet["busy"]]
    data = json.loads(j.stdout)
    assert set(data) == {"containers"}
    (row,) = data["containers"]
    assert set(row) == {"name", "id", "cpu_percent", "memory_used", "memory_limit",
                        "memory_percent", "net_rx", "net_tx", "block_read",
                        "block_write", "pids"}
    assert row["name"] == quiet["idle"] and len(row["id"]) == 64


def test_a_name_not_permitted_is_not_found(ctl, broker, quiet):
    before = len(broker.audit_lines())
    r, missing = both((ctl, "alice", "stats", "--no-stream", quiet["idle"], quiet["bobs"]),
                      (ctl, "alice", "stats", "--no-stream", quiet["idle"], f"{TAG}-st-missing"))
    assert r.returncode == missing.returncode == 3
    assert r.stderr == f"ctl: no such container: {quiet['bobs']}\n"
    assert r.stderr.replace(quiet["bobs"], "X") == \
        missing.stderr.replace(f"{TAG}-st-missing", "X")
    assert quiet["bobs"] not in r.stdout and quiet["idle"] in r.stdout
    recs = [x for x in broker.audit_lines()[before:] if x.get("container")]
    assert sorted((x["container"], x["decision"]) for x in recs) == sorted([
        (quiet["idle"], "allow"), (quiet["bobs"], "deny"),
        (quiet["idle"], "allow"), (f"{TAG}-st-missing", "deny")]), recs


def test_no_name_is_all_the_callers_running(ctl, quiet):
    r, rb = both((ctl, "alice", "stats", "--no-stream", "--json"),
                 (ctl, "bob", "stats", "--no-stream", "--json"))
    assert r.returncode == 0, r.stderr
    names = {c["name"] for c in json.loads(r.stdout)["containers"]}
    assert {quiet["busy"], quiet["idle"]} <= names
    assert quiet["off"] not in names and quiet["bobs"] not in names
    names = {c["name"] for c in json.loads(rb.stdout)["containers"]}
    assert quiet["bobs"] in names and quiet["idle"] not in names


def test_stream_lines_until_sigint(ctl, broker, quiet):
    p = ctl.popen("alice", "stats", quiet["idle"], stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE, text=True)
    try:
        header = p.stdout.readline()
        first = p.stdout.readline()
        second = p.stdout.readline()  # a line per round on a pipe, no header again
        assert header.split()[0] == "NAME"
        assert first.split()[0] == second.split()[0] == quiet["idle"]
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=10) == 130
    finally:
        p.kill()
        p.wait()
    assert wait_for(lambda: any(x.get("verb") == "stats" and x.get("result") == "client left"
                                for x in broker.audit_lines()[-5:]), 10)


def test_stream_on_a_terminal_redraws_one_table(ctl, quiet):
    """A refused name is said under each table, which the next redraw
    would otherwise wipe."""
    pexpect = pytest.importorskip("pexpect")
    argv = ctl.spawn_argv("alice", "stats", quiet["idle"], quiet["bobs"])
    child = pexpect.spawn(argv[0], argv[1:], timeout=15, encoding="utf-8")
    try:
        for _ in range(2):  # the next round drawn over the first
            child.expect_exact("\x1b[H\x1b[J")
            child.expect_exact("NAME")
            child.expect_exact(quiet["idle"])
            child.expect_exact(f"ctl: no such container: {quiet['bobs']}")
        child.sendintr()
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 130 or child.signalstatus == signal.SIGINT


def test_reload_revokes_a_name_from_a_stream(make_broker, ctl, accounts, pam_service, quiet):
    """dave sees alice's container through a rule: a reload that drops the
    rule takes it out of his stream, told and audited, which then ends."""
    base = config_text("@DIR@", accounts, pam_service)
    rule = (f'  {{ users = ["{accounts.users["dave"]}"]; containers = ["{quiet["idle"]}"]; '
            'verbs = ["stats"]; },\n')
    b = make_broker(base.replace("rules = (\n", "rules = (\n" + rule))
    ctl.broker = b
    p = ctl.popen("dave", "stats", quiet["idle"], stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().split()[0] == "NAME"
        assert p.stdout.readline().split()[0] == quiet["idle"]
        n = b.logtext().count("configuration reloaded")
        b.write_config(base.replace("@DIR@", b.dir))
        b.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: b.logtext().count("configuration reloaded") > n, 10)
        out, err = p.communicate(timeout=30)
    finally:
        p.kill()
        p.wait()
    assert p.returncode == 3, err
    assert f"ctl: access to {quiet['idle']} was revoked\n" in err
    assert "stats ended: no container left to sample" in err
    recs = [a for a in b.audit_lines() if a.get("container") == quiet["idle"]]
    assert recs[-1]["result"] == "revoked" and recs[-1]["decision"] == "deny", recs
    assert recs[-1]["reason"].startswith("revoked on reload: ")
