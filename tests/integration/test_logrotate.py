"""The audit log's rotation as shipped (etc/logrotate.d/ctld, run by the
real logrotate) loses no record: a logs -f session forked before the
rotation keeps the descriptor it inherited and writes its record to the
renamed file when it ends; that file is compressed a rotation later, and
only once no process has it open. tests/package does the same with the
installed packages."""
import glob
import gzip
import json
import os
import re
import signal

from conftest import ROOT, TAG, run, wait_for

ROTATED = re.compile(r"\.(\d+)(\.gz)?$")


def records(audit):
    """Every record of the file and its rotated ones, oldest file first."""
    def age(p):
        m = ROTATED.search(p)
        return -int(m.group(1)) if m else 0
    out = []
    for p in sorted(glob.glob(audit + "*"), key=age):
        with (gzip.open if p.endswith(".gz") else open)(p, "rt") as f:
            out += [(os.path.basename(p), json.loads(line)) for line in f]
    return out


def test_rotation_under_a_live_follow(make_broker, ctl, accounts, own_containers, tmp_path):
    name = own_containers.create(
        f"{TAG}-rot", owner=accounts.users["alice"],
        cmd=["sh", "-c", "trap 'exit 0' TERM; while true; do echo tick; sleep 1 & wait $!; done"])
    b = make_broker()
    ctl.broker = b
    with open(os.path.join(ROOT, "etc", "logrotate.d", "ctld")) as f:
        conf = f.read().replace("/var/log/ctl/audit.jsonl", b.audit)
    assert b.audit + ".1" in conf           # the firstaction's own check
    (tmp_path / "ctld").write_text(conf)

    def rotate():
        return run("logrotate", "-f", "-s", str(tmp_path / "state"), str(tmp_path / "ctld"),
                   check=False)
    assert ctl("alice", "ls").returncode == 0
    follow = ctl.follow("alice", "logs", "-f", "--tail", "1", name)
    assert follow.wait(lambda t: t.count("tick") >= 2, 20), follow.text("err")
    assert rotate().returncode == 0
    assert os.path.exists(b.audit + ".1") and not os.path.exists(b.audit)
    assert ctl("alice", "status", name).returncode == 0     # a new file
    # the follow (or its relay) still has .1 open: not compressed
    r = rotate()
    assert r.returncode != 0 and "still written by pid" in r.stderr, r
    assert not glob.glob(b.audit + ".*.gz")
    follow.stop(signal.SIGTERM)
    assert wait_for(lambda: any(r["verb"] == "logs" for f, r in records(b.audit)
                                if f.endswith(".1")), 20), records(b.audit)
    assert wait_for(lambda: rotate().returncode == 0, 30)
    got = sorted((f, r["verb"]) for f, r in records(b.audit))
    base = os.path.basename(b.audit)
    # ls before the rotation, logs -f written after it to the renamed
    # file, status in the new one: compressed, compressed, renamed
    assert got == [(base + ".1", "status"), (base + ".2.gz", "logs"),
                   (base + ".2.gz", "ls")], got
