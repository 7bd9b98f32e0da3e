"""ctl can (ctl -l): what a user may do, as sudo -l tells it, decided by
the policy code that decides requests, and telling nothing about
containers the user may not use."""
import json

import pytest

from conftest import TAG, config_text, run
from test_templates import template_config


@pytest.fixture(scope="module")
def can_names(accounts, containers):
    """alice's, bob's, a dev group's and an unlabelled container."""
    u = accounts.users
    tag = f"{TAG}-can"
    return {
        "mine": containers.create(f"{tag}-alice", owner=u["alice"], start=False),
        "bobs": containers.create(f"{tag}-bob", owner=u["bob"], start=False),
        "shared": containers.create(f"{tag}-shared", group=accounts.dev, start=False),
        "nolabel": containers.create(f"{tag}-nolabel", start=False),
    }


@pytest.fixture
def cans(make_broker, ctl, accounts, pam_service, can_names, image):
    """The test config with templates, restart asking for a password, rm
    granted to alice by a rule on the group's container, and a quota."""
    u = accounts.users
    tag = f"{TAG}-can"
    names = can_names
    text = template_config(accounts, pam_service, image, f"ctl-untrusted/busybox:{TAG}")
    text = text.replace("rules = (\n", "rules = (\n"
                        f'  {{ users = ["{u["alice"]}"]; containers = ["{tag}-shared"]; '
                        'verbs = ["rm"]; },\n', 1)
    text += ('reauth = { verbs = ["restart", "create"]; dir = "@DIR@/tickets"; };\n'
             'limits = { containers_per_user = 5; };\n')
    ctl.broker = make_broker(text)
    return names


def can_json(ctl, who, *args):
    r = ctl(who, "can", "--json", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def by_name(listing):
    return {c["name"]: c for c in listing["containers"]}


def test_listing_shows_what_policy_allows(ctl, accounts, cans):
    mine = can_json(ctl, "alice")
    seen = by_name(mine)
    assert cans["bobs"] not in seen and cans["nolabel"] not in seen
    # owner_verbs (ls names no container), with restart's password marked
    own = seen[cans["mine"]]
    # (inspect comes with status)
    assert own["verbs"] == ["status", "start", "stop", "restart", "logs", "stats", "rm",
                            "inspect"]
    assert own["password"] == ["restart"]
    # the group label grants owner_verbs; the rule adds rm, which policy
    # still refuses on a container that is not hers
    assert seen[cans["shared"]]["verbs"] == ["status", "start", "stop", "restart", "logs",
                                             "stats", "inspect"]
    assert mine["rules"] == [{"containers": [f"{TAG}-can-shared"], "verbs": ["rm"],
                              "deny": False}]
    assert mine["password"] == ["restart", "create"]
    assert [t["name"] for t in mine["templates"]] == ["dev", "rooty", "evil", "box"]
    dev = mine["templates"][0]
    assert dev["container"] == f"dev-{accounts.users['alice']}"
    assert mine["quota"]["limit"] == 5 and dev["left"] == 5 - mine["quota"]["used"]


def test_rules_and_templates_only_for_whom_they_name(ctl, accounts, cans):
    bob = can_json(ctl, "bob")
    assert cans["mine"] not in by_name(bob) and cans["shared"] not in by_name(bob)
    assert by_name(bob)[cans["bobs"]]["verbs"][0] == "status"
    assert bob["rules"] == [{"containers": ["web-*"], "verbs": ["restart"], "deny": True}]
    assert bob["templates"] == []
    carol = can_json(ctl, "carol")  # oncall: status and logs on everything
    seen = by_name(carol)
    for name in cans.values():
        assert seen[name]["verbs"] == ["status", "logs", "inspect"], name
    assert carol["rules"][0]["containers"] == ["*"]


def test_the_table_for_humans(ctl, accounts, cans):
    r = ctl("alice", "can")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["CONTAINER", "YOU", "MAY"]
    row = next(line for line in lines if line.startswith(cans["mine"] + " "))
    assert row.split()[1:] == ["status", "start", "stop", "restart*", "logs", "stats", "rm",
                               "inspect"]
    assert any(line.startswith("dev ") and f"dev-{accounts.users['alice']}" in line
               for line in lines)
    assert "* asks for your password" in r.stdout
    assert ctl("alice", "-l").stdout == r.stdout


def test_one_question(ctl, cans):
    r = ctl("alice", "can", "status", cans["mine"])
    assert (r.returncode, r.stdout) == (0, "yes\n")
    r = ctl("alice", "can", "restart", cans["mine"])
    assert (r.returncode, r.stdout) == (0, "yes, after your password\n")
    r = ctl("alice", "-l", "rm", cans["shared"])
    assert r.returncode == 3
    assert "no: rm: permission denied (you can remove only your own containers)" in r.stderr
    # what she may not use at all is what does not exist
    gone = ctl("alice", "can", "status", f"{TAG}-can-nothing")
    for name in (cans["bobs"], cans["nolabel"]):
        r = ctl("alice", "can", "status", name)
        assert r.returncode == gone.returncode == 3
        assert r.stderr == gone.stderr.replace(f"{TAG}-can-nothing", name)


def test_one_question_about_a_template(ctl, cans):
    r = ctl("alice", "can", "create", "dev")
    assert r.returncode == 0 and r.stdout.startswith("yes, after your password ("), r.stderr
    r = ctl("bob", "can", "create", "dev")
    assert r.returncode == 3 and "no such template: dev" in r.stderr
    assert ctl("bob", "can", "create", "nope").stderr == r.stderr.replace("dev", "nope")


def test_answers_are_audited(ctl, cans):
    ctl("alice", "can", "restart", cans["mine"])
    ctl("alice", "can", "status", cans["bobs"])
    recs = [a for a in ctl.broker.audit_lines() if a["verb"] == "can"]
    yes, no = recs[-2:]
    assert (yes["of"], yes["container"], yes["decision"]) == ("restart", cans["mine"], "allow")
    assert yes["result"] == "yes, with a password"
    assert (no["of"], no["decision"], no["exit"]) == ("status", "deny", 3)
    assert "no rule or label grants status" in no["reason"]


def test_can_is_asked_not_granted(bins, tmpdir_shared, accounts, pam_service):
    text = config_text(tmpdir_shared, accounts, pam_service).replace(
        'verbs = ["ls", "status", "logs"]', 'verbs = ["ls", "can"]', 1)
    path = f"{tmpdir_shared}/can-granted.conf"
    with open(path, "w") as f:
        f.write(text)
    r = run(bins["ctld"], "-t", "-f", path, check=False)
    assert r.returncode != 0
    assert 'every user may ask "can": it is granted to nobody' in r.stderr


def test_bad_questions_are_usage_errors(ctl, cans):
    for args, words in ((["can", "ls", "x"], "not 'ls'"), (["can", "help"], "not 'help'"),
                        (["can", "status"], "status needs a container name"),
                        (["can", "status", "a", "b"], "status takes one container name")):
        r = ctl("alice", *args)
        assert r.returncode == 2 and words in r.stderr, (args, r.stderr)


def test_explain_create(bins, ctl, accounts, cans):
    path = ctl.broker.conf
    r = run(bins["ctld"], "--explain", accounts.users["alice"], "create", "dev", "-f", path,
            check=False)
    assert r.returncode == 0
    assert "create dev: allowed: template dev lists the caller" in r.stdout
    assert "asks for" in r.stdout and "password" in r.stdout
    r = run(bins["ctld"], "--explain", accounts.users["bob"], "create", "dev", "-f", path,
            check=False)
    assert r.returncode == 1 and "denied: template does not list the caller" in r.stdout


def marked(text):
    """The verbs help marks as not for this user."""
    return {line.split()[0] for line in text.splitlines() if line.endswith(" (-)")}


def test_help_marks_what_nobody_lets_you_use(ctl, make_broker, cans):
    r = ctl("alice", "help")  # everything but exec and scale: nothing grants them here
    assert r.returncode == 0 and marked(r.stdout) == {"exec", "scale"}, r.stdout
    assert "'can' for what you may do" in r.stdout
    r = ctl("bob", "help")  # no template lists bob
    assert marked(r.stdout) == {"create", "exec", "scale"}, r.stdout
    assert "(-): no rule or label lets you use it here." in r.stdout
    ctl.broker = make_broker()  # the test config: no rm, no templates
    assert marked(ctl("alice", "help").stdout) == {"create", "rm", "exec", "scale"}


def test_tab_completes_can_and_templates(ctl, cans):
    from test_interactive import prompt, spawn
    import pexpect
    child = spawn(ctl)
    child.expect(prompt(ctl))
    child.send("can res\t")                 # can's VERB: restart alone
    child.send(f"{TAG}-can-al\t")           # then restart's container
    child.send("\r")
    child.expect("yes, after your password")
    child.expect(prompt(ctl))
    child.send("can cr\tbo\t\r")            # create, then a template
    child.expect(r"yes, after your password \(\d+ left\)")
    child.expect(prompt(ctl))
    child.send("create \t\t")               # the four templates alice may use
    for t in ("dev", "rooty", "evil", "box"):  # in the config's order
        child.expect(t)
    child.sendcontrol("u")
    child.sendline("exit")
    child.expect(pexpect.EOF)
