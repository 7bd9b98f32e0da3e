"""Several containers in one command: each resolved, decided, audited and
reported alone; the exit code is the highest (issue 10 §5)."""
import json

from conftest import TAG, inspect


def test_stop_start_several_with_one_not_permitted(ctl, broker, own_containers, accounts):
    u = accounts.users
    a1, a2 = own_containers.create_many([f"{TAG}-sev-a1", f"{TAG}-sev-a2"], owner=u["alice"])
    bobs = own_containers.create(f"{TAG}-sev-bob", owner=u["bob"])
    missing = f"{TAG}-sev-missing"
    before = len(broker.audit_lines())
    r = ctl("alice", "stop", "-t", "0", a1, bobs, missing, a2)
    assert r.returncode == 3, r.stderr
    assert r.stdout == f"{a1}: stopped\n{a2}: stopped\n"
    # bob's looks exactly like one that does not exist
    assert r.stderr == (f"ctl: no such container: {bobs}\n"
                        f"ctl: no such container: {missing}\n")
    assert not inspect(a1)["State"]["Running"] and not inspect(a2)["State"]["Running"]
    assert inspect(bobs)["State"]["Running"]
    recs = broker.audit_lines()[before:]
    assert [(x["container"], x["decision"]) for x in recs] == [
        (a1, "allow"), (bobs, "deny"), (missing, "deny"), (a2, "allow")]
    r = ctl("alice", "start", a1, a2)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"{a1}: started\n{a2}: started\n"


def test_status_json_of_several_is_an_array(ctl, own_containers, accounts):
    u = accounts.users
    a1, a2 = own_containers.create_many([f"{TAG}-sevj-a1", f"{TAG}-sevj-a2"], owner=u["alice"])
    r = ctl("alice", "status", "--json", a1, a2)
    assert r.returncode == 0, r.stderr
    assert [s["name"] for s in json.loads(r.stdout)] == [a1, a2]
    r = ctl("alice", "status", a1, a2)
    assert r.returncode == 0
    assert r.stdout.count("Name:") == 2 and "\n\nName:" in r.stdout
