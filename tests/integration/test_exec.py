"""ctl exec against the real dockerd, as real users: the command's exit
status, byte-exact streams with EOF, a real terminal that follows the
window, the command line verbatim, and the audit of each exec."""
import json
import os
import time

import pexpect
import pytest

from conftest import TAG, config_text, wait_for

# what a contained container needs that conftest's do not have
CONTAINED = {"User": "1000:1000", "HostConfig": {"SecurityOpt": ["no-new-privileges"],
                                                 "CgroupnsMode": "private"}}
OWNER_VERBS = ["ls", "status", "logs", "start", "stop", "restart", "exec"]


@pytest.fixture(scope="module")
def ebroker(bins, tmpdir_shared, accounts, pam_service, image):
    from conftest import Broker
    own = ('ownership = { owner_label = "ctl.owner"; group_label = "ctl.group";\n'
           f'  owner_verbs = {json.dumps(OWNER_VERBS)}; }};\n')
    b = Broker(bins, tmpdir_shared, config_text("@DIR@", accounts, pam_service, ownership=own))
    yield b
    b.stop()


@pytest.fixture
def ectl(ctl, ebroker):
    ctl.broker = ebroker
    return ctl


@pytest.fixture(scope="module")
def app(containers, accounts):
    return containers.create(f"{TAG}-exec-app", owner=accounts.users["alice"], body=CONTAINED)


def records(b, verb="exec"):
    return [r for r in b.audit_lines() if r.get("verb") == verb]


def test_exit_status_and_streams(ectl, app):
    r = ectl("alice", "exec", app, "--", "sh", "-c", "echo out; echo err >&2; exit 7")
    assert r.returncode == 7, r.stderr
    assert r.stdout == "out\n" and r.stderr == "err\n"
    assert ectl("alice", "exec", app, "true").returncode == 0


def test_exec_is_audited_with_its_argv(ectl, ebroker, app):
    argv = ["sh", "-c", "exit 3", f"x-{time.time_ns()}"]
    assert ectl("alice", "exec", app, "--", *argv).returncode == 3
    recs = [r for r in records(ebroker) if r.get("argv") == argv]
    assert [r["result"] for r in recs] == ["started", "exited"], recs
    assert recs[1]["exit_code"] == 3 and recs[0]["decision"] == "allow"
    assert recs[0]["id"] == recs[1]["id"] and len(recs[0]["id"]) == 64


def test_binary_round_trip_with_eof(ectl, app):
    data = os.urandom(3 << 20) + bytes(range(256))
    r = ectl("alice", "exec", "-i", app, "--", "cat", text=False, input=data)
    assert r.returncode == 0, r.stderr
    assert r.stdout == data
    # EOF reaches the command: wc counts and exits
    r = ectl("alice", "exec", "-i", app, "--", "busybox", "wc", "-c", text=False, input=data)
    assert r.returncode == 0 and int(r.stdout) == len(data), r


def test_stdin_is_not_read_without_i(ectl, app):
    r = ectl("alice", "exec", app, "--", "sh", "-c", "cat; echo end", input="secret\n")
    assert r.returncode == 0 and r.stdout == "end\n", r


def test_quoted_shell_syntax_reaches_the_command(ectl, app):
    line = f"exec {app} -- sh -c 'echo a; echo bob | busybox tr b c && echo $((6*7)) >&2'"
    r = ectl("alice", "-c", line)
    assert r.returncode == 0 and r.stdout == "a\ncoc\n" and r.stderr == "42\n", r
    # unquoted, it is still refused by ctl, not run
    r = ectl("alice", "-c", f"exec {app} -- sh -c echo a; id")
    assert r.returncode == 2 and "unsupported character" in r.stderr, r


def test_command_too_long_is_refused(ectl, app):
    r = ectl("alice", "exec", app, "--", "echo", "x" * 16384)
    assert r.returncode == 2 and "command too long" in r.stderr, r
    r = ectl("alice", "exec", app, "--", "echo", "x" * 16000)
    assert r.returncode == 0 and r.stdout == "x" * 16000 + "\n", r.stderr


def test_usage(ectl, app):
    r = ectl("alice", "exec", app)
    assert r.returncode == 2 and "needs a command" in r.stderr, r
    r = ectl("alice", "exec", app, "--", "nonexistent-cmd")
    assert r.returncode in (126, 127), r


def test_not_granted_and_not_running(ectl, ctl, broker, containers, accounts, app):
    r = ectl("bob", "exec", app, "--", "true")
    assert r.returncode == 3 and f"no such container: {app}" in r.stderr, r
    stopped = containers.create(f"{TAG}-exec-stopped", owner=accounts.users["alice"],
                                body=CONTAINED, start=False)
    r = ectl("alice", "exec", stopped, "--", "true")
    assert r.returncode == 1 and "is not running" in r.stderr, r


def test_terminal_follows_the_window(ectl, app):
    argv = ectl.spawn_argv("alice", "exec", "-it", app, "--", "sh")
    child = pexpect.spawn(argv[0], argv[1:], timeout=20, encoding="utf-8",
                          dimensions=(31, 101))
    child.expect(r"\$ ")
    child.sendline("stty size")
    child.expect(r"31 101")
    child.setwinsize(42, 123)
    time.sleep(0.2)
    child.sendline("stty size")
    child.expect(r"42 123")
    # Ctrl-C goes to the container's process, not to ctl
    child.sendline("sleep 100")
    time.sleep(0.3)
    child.sendcontrol("c")
    child.expect(r"\$ ")
    child.sendline("exit 5")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 5


def test_can_exec_says_whether_contained(ectl, containers, accounts, app):
    r = ectl("alice", "can", "exec", app)
    assert r.returncode == 0 and r.stdout.startswith("yes"), r
    loose = containers.create(f"{TAG}-exec-loose", owner=accounts.users["alice"])
    r = ectl("alice", "can", "exec", loose)
    assert r.returncode == 3, r
    assert "no: exec: permission denied (not contained: " in r.stderr, r.stderr
    r = ectl("alice", "exec", loose, "--", "true")
    assert r.returncode == 3 and "exec: permission denied (not contained: " in r.stderr, r


def test_password_from_the_first_line_and_the_rest_is_input(
        bins, tmpdir_shared, accounts, pam_service, image, ctl, app):
    from conftest import Broker, set_password
    password = f"pw-exec-{TAG}"
    set_password(accounts.users["alice"], password)
    own = ('ownership = { owner_label = "ctl.owner"; group_label = "ctl.group";\n'
           f'  owner_verbs = {json.dumps(OWNER_VERBS)}; }};\n')
    b = Broker(bins, tmpdir_shared, config_text(
        "@DIR@", accounts, pam_service, ownership=own,
        extra='reauth = { verbs = ["exec"]; timeout = 0; dir = "@DIR@/tickets"; };\n'))
    try:
        ctl.broker = b
        r = ctl("alice", "-S", "exec", "-i", app, "--", "cat",
                input=f"{password}\nline one\nline two\n")
        assert r.returncode == 0, r.stderr
        assert r.stdout == "line one\nline two\n"
        r = ctl("alice", "-S", "exec", "-i", app, "--", "cat", input="wrong\nx\n")
        assert r.returncode == 4 and r.stdout == "", r
    finally:
        b.stop()
