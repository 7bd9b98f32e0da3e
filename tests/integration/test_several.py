"""Several containers in one command: each resolved, decided, audited and
reported alone; the exit code is the highest (issue 10 §5)."""
import json

from conftest import TAG, LoginSession, config_text, inspect, set_password


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
    a1, a2 = own_containers.create_many([f"{TAG}-sevj-a1", f"{TAG}-sevj-a2"], owner=u["alice"],
                                        start=False)
    r = ctl("alice", "status", "--json", a1, a2)
    assert r.returncode == 0, r.stderr
    assert [s["name"] for s in json.loads(r.stdout)] == [a1, a2]
    r = ctl("alice", "status", a1, a2)
    assert r.returncode == 0
    assert r.stdout.count("Name:") == 2 and "\n\nName:" in r.stdout


def test_one_password_for_several_names(make_broker, ctl, accounts, pam_service, own_containers):
    """start a b with reauth (both running: nothing else changes): the
    password is read once (-S takes the first line of stdin); the second
    name passes on the ticket the first left, and a wrong password stops
    the prompts for the rest."""
    u = accounts.users
    a1, a2 = own_containers.create_many([f"{TAG}-sevp-a1", f"{TAG}-sevp-a2"], owner=u["alice"])
    b = make_broker(config_text("@DIR@", accounts, pam_service,
                                extra='reauth = { verbs = ["start"]; '
                                      'dir = "@DIR@/tickets"; };\n'))
    ctl.broker = b
    set_password(u["alice"], f"pw-{TAG}")
    sess = LoginSession(ctl, "alice")
    try:
        r = sess("-S", "start", a1, a2, input=f"pw-{TAG}\n")
        assert r.returncode == 0, r.stderr
        assert r.stdout == f"{a1}: already running\n{a2}: already running\n"
        assert r.stderr.count("assword") == 1, r.stderr
    finally:
        sess.close()
    # wrong: one authentication (PAM's three tries) for the command; the
    # second name is not asked again, it is told a password is needed
    before = len(b.audit_lines())
    r = ctl("alice", "-S", "start", a1, a2,
            input="wrong\nwrong\nwrong\nwrong\nwrong\nwrong\n")
    assert r.returncode == 4
    assert r.stderr.count("incorrect password attempts") == 1, r.stderr
    assert r.stderr.count("password for") == 3, r.stderr
    assert r.stderr.endswith("ctl: a password is needed: use ssh -t, or ctl -S to read "
                             "it from standard input\n"), r.stderr
    recs = [x for x in b.audit_lines()[before:] if x.get("container") == a2]
    assert recs and recs[-1]["exit"] == 4 and recs[-1]["decision"] == "deny", recs
