"""ctl's interactive mode on a real pseudo-terminal, as a real user."""
import re
import socket
import time

import pexpect
import pytest

from conftest import TAG, logs, wait_for

pytestmark = pytest.mark.xdist_group("interactive")  # mine, hostile made once


@pytest.fixture(scope="module")
def mine(module_containers, accounts):
    """A ticker, removed with the module: it would write on till the run ends."""
    name = module_containers.create(f"{TAG}-tty-app", owner=accounts.users["alice"],
                             cmd=["sh", "-c", "trap 'exit 0' TERM; i=0; while true; do "
                                  "i=$((i+1)); echo tick $i; sleep 0.2; done"])
    return name


def spawn(ctl, who="alice", argv0="-ctl", *args, timeout=15):
    argv = ctl.spawn_argv(who, *args, argv0=argv0)
    return pexpect.spawn(argv[0], argv[1:], timeout=timeout, encoding="utf-8")


def prompt(ctl, who="alice"):
    return re.escape(f"{ctl.accounts.users[who]}@{socket.gethostname()}") + ".*> "


def test_login_shell_prompt_help_exit(ctl, mine):
    child = spawn(ctl)
    child.expect(prompt(ctl))
    child.sendline("help")
    for verb in ("ls", "status", "restart", "logs"):
        child.expect(verb)
    # the test config grants alice no rm and lists her in no template
    child.expect(r"create [^\n]*\(-\)\r\n")
    child.expect(r"rm [^\n]*\(-\)\r\n")
    child.expect(prompt(ctl))
    child.sendline("help logs")
    child.expect("--follow")
    child.expect(prompt(ctl))
    child.sendline("ls")
    child.expect(re.escape(mine))
    child.expect(prompt(ctl))
    child.sendline("exit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_quit_and_ctrl_d(ctl, mine):
    child = spawn(ctl)
    child.expect(prompt(ctl))
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child = spawn(ctl)
    child.expect(prompt(ctl))
    # Once, in CI's sanitized pass under load, a ^D sent the instant the
    # prompt appeared went unanswered for 15 s; 30 tries on the plain
    # build never lost one. Cause not found yet: this test is about ^D
    # ending the session, so it types it as a person would, not at once.
    time.sleep(0.5)
    child.sendcontrol("d")
    child.expect(pexpect.EOF)


def test_logout_is_not_a_protocol_error(make_broker, ctl, mine):
    ctl.broker = make_broker()
    child = spawn(ctl)
    child.expect(prompt(ctl))
    child.sendline(f"status {mine}")
    child.expect("running")
    child.sendline("exit")
    child.expect(pexpect.EOF)
    assert "protocol error" not in ctl.broker.logtext()


def test_tab_completion_of_verbs_and_names(ctl, mine):
    child = spawn(ctl)
    child.expect(prompt(ctl))
    child.send("sta\t")
    child.send("\t")
    child.expect("status")
    child.sendcontrol("u")
    child.send(f"status {mine[:-3]}\t")
    child.send("\r")
    # the partial name does not exist: only the completed one is running
    child.expect("running")
    child.expect(prompt(ctl))
    child.sendline("exit")
    child.expect(pexpect.EOF)


def test_ctrl_c_stops_logs_follow_and_returns(ctl, broker, mine):
    child = spawn(ctl)
    child.expect(prompt(ctl))
    child.sendline(f"logs -f -n 1 {mine}")
    child.expect("tick")
    child.expect("tick")
    child.sendcontrol("c")
    child.expect(prompt(ctl))
    assert wait_for(lambda: not broker.children(), 5), "logs -f session outlived Ctrl-C"
    child.sendline(f"status {mine}")
    child.expect("running")
    child.expect(prompt(ctl))
    child.sendline("exit")
    child.expect(pexpect.EOF)


def test_history_recalls_previous_command(ctl, mine):
    child = spawn(ctl)
    child.expect(prompt(ctl))
    child.sendline(f"status {mine}")
    child.expect("running")
    child.expect(prompt(ctl))
    child.send("\x1b[A")  # up arrow
    child.send("\r")
    child.expect("running")
    child.expect(prompt(ctl))
    child.sendline("exit")
    child.expect(pexpect.EOF)


def test_rejected_input_keeps_the_session(ctl, mine):
    child = spawn(ctl)
    child.expect(prompt(ctl))
    child.sendline("ls; id")
    child.expect("unsupported character")
    child.expect(prompt(ctl))
    child.sendline("frobnicate")
    child.expect("unknown command")
    child.expect(prompt(ctl))
    child.sendline("exit")
    child.expect(pexpect.EOF)


def test_idle_timeout(make_broker, ctl, mine):
    b = make_broker(extra="shell = { idle_timeout = 2; };\n")
    ctl.broker = b
    child = spawn(ctl)
    child.expect(prompt(ctl))
    t0 = time.time()
    child.expect("idle", timeout=10)
    child.expect(pexpect.EOF)
    assert time.time() - t0 >= 1.5


def test_plain_and_c_modes(ctl, mine):
    r = ctl("alice", "-c", f"ctl status {mine}")
    assert r.returncode == 0 and "running" in r.stdout
    r = ctl("alice", "-c", f"status {mine}")
    assert r.returncode == 0
    r = ctl("alice", "-c", "ctl", env={"SSH_ORIGINAL_COMMAND": f"status {mine}"})
    assert r.returncode == 0 and "running" in r.stdout
    r = ctl("alice", env={"SSH_ORIGINAL_COMMAND": f"status {mine}"})
    assert r.returncode == 0 and "running" in r.stdout
    r = ctl("alice", "-c", "ctl", env={"SSH_ORIGINAL_COMMAND": "status x; id"})
    assert r.returncode == 2


def test_commands_from_a_pipe(ctl, mine):
    r = ctl("alice", input=f"status {mine}\nls\n")
    assert r.returncode == 0
    assert "running" in r.stdout and mine in r.stdout


def test_warning_counter_ends_a_probing_session(make_broker, ctl, mine):
    b = make_broker(extra="shell = { warnings = 2; };\n")
    ctl.broker = b
    child = spawn(ctl)
    child.expect(prompt(ctl))
    child.sendline("ls; id")
    child.expect("1 more refused command")
    child.expect(prompt(ctl))
    # typos and usage errors get help, not a countdown
    for typo, help_text in (("stauts", "try 'help'"), ("/bin/sh", "try 'help'"),
                            ("logs", "usage: logs"), (f"logs {mine} x", "usage: logs"),
                            ("ls -la", "usage: ls"), (f"stop -t 99999 {mine}", "usage: stop"),
                            (f"status '{mine}", "missing closing")):
        child.sendline(typo)
        child.expect(prompt(ctl))
        assert help_text in child.before, (typo, child.before)
        assert "refused command" not in child.before, (typo, child.before)
    child.sendline(f"status {mine}")  # accepted commands do not count
    child.expect("running")
    child.expect(prompt(ctl))
    child.sendline("status '$(id)'")  # quoted, it is no less hostile
    child.expect("too many refused commands")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    # the same from a pipe: typos pass, the second hostile line ends it
    r = ctl("alice", input=f"bash\n$(id)\nstatus {mine}\nlogs {mine} x\n"
                           f"ls|id\nstatus {mine}\n")
    assert r.returncode == 2
    assert r.stdout.count("running") == 1, r.stdout
    assert "too many refused commands" in r.stderr


@pytest.fixture(scope="module")
def hostile(containers, accounts):
    name = containers.create(
        f"{TAG}-hostile", owner=accounts.users["alice"],
        cmd=["sh", "-c", "printf 'A\\033]0;pwned-title\\007B\\033[31mRED\\033[0m"
                         "\\033[2JC\\033[?2004lD\\n'; sleep 100000"])
    assert wait_for(lambda: b"D\n" in logs(name, tty=False)[0], 15)
    return name


def test_logs_to_a_terminal_are_defanged(ctl, hostile):
    child = spawn(ctl, "alice", None, "logs", hostile)
    child.expect(pexpect.EOF)
    out = child.before
    assert "AB\x1b[31mRED\x1b[0mCD" in out
    assert "pwned-title" not in out and "\x1b[2J" not in out and "\x1b[?2004l" not in out
    child = spawn(ctl, "alice", None, "logs", "--raw", hostile)
    child.expect(pexpect.EOF)
    assert "\x1b]0;pwned-title\x07" in child.before


def test_logs_to_a_pipe_stay_exact(ctl, hostile):
    r = ctl("alice", "logs", hostile, text=False)
    assert r.returncode == 0
    assert b"\x1b]0;pwned-title\x07" in r.stdout and b"\x1b[2J" in r.stdout
