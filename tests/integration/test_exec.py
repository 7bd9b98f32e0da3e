"""ctl exec against the real dockerd, as real users: the command's exit
status, byte-exact streams with EOF, a real terminal that follows the
window, the command line verbatim, and the audit of each exec."""
import json
import os
import time

import pexpect
import pytest

from conftest import TAG, as_user, config_text, wait_for

# what a contained container needs that conftest's do not have
CONTAINED = {"User": "1000:1000", "HostConfig": {"SecurityOpt": ["no-new-privileges"],
                                                 "CgroupnsMode": "private"}}
OWNER_VERBS = ["ls", "status", "logs", "start", "stop", "restart", "exec"]
pytestmark = pytest.mark.xdist_group("exec")  # ebroker and app made once


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


@pytest.fixture
def spinning_app(own_containers, accounts):
    """A contained container of the test's own, for a command that writes
    without end: an exec'd process outlives the session that started it,
    and in the module's app it would spin (with its shim) until the end
    of the run, some 40 s of CPU taken from every other test."""
    return own_containers.create(f"{TAG}-exec-spin-{time.time_ns()}",
                                 owner=accounts.users["alice"], body=CONTAINED)


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
    # "echo" and 16378 bytes, each with its NUL: 16384, in a request over
    # the 16 KiB of other control messages
    r = ectl("alice", "exec", app, "--", "echo", "x" * 16378)
    assert r.returncode == 0 and r.stdout == "x" * 16378 + "\n", r.stderr
    r = ectl("alice", "exec", app, "--", "echo", "x" * 16379)
    assert r.returncode == 2 and "command too long" in r.stderr, r


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

    def resized():   # SIGWINCH, then the resize call, reach it soon
        child.sendline("stty size")
        return child.expect([r"42 123", r"31 101"]) == 0
    assert wait_for(resized, 10)
    # Ctrl-C goes to the container's process, not to ctl
    child.sendline("echo go; sleep 100")
    child.expect("go\r\n")

    def interrupted():   # a Ctrl-C before sleep started is the shell's
        child.sendcontrol("c")
        return child.expect([r"\$ ", pexpect.TIMEOUT], timeout=2) == 0
    assert wait_for(interrupted, 15)
    child.sendline("echo status-$?")
    child.expect("status-130")
    child.sendline("exit 5")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 5


def test_can_exec_says_whether_contained(ectl, containers, accounts, app):
    r = ectl("alice", "can", "exec", app)
    assert r.returncode == 0 and r.stdout.startswith("yes"), r
    # not contained: refused from its inspect, so it need not run
    loose = containers.create(f"{TAG}-exec-loose", owner=accounts.users["alice"], start=False)
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


def own_broker(make_broker, accounts, pam_service, extra):
    own = ('ownership = { owner_label = "ctl.owner"; group_label = "ctl.group";\n'
           f'  owner_verbs = {json.dumps(OWNER_VERBS)}; }};\n')
    return make_broker(config_text("@DIR@", accounts, pam_service, ownership=own, extra=extra))


def record_into(b, sessions, more=""):
    """audit is config_text's own group: reloaded with sessions in it."""
    import signal
    b.write_config(open(b.conf).read().replace(
        "syslog = false; };", f'syslog = false; sessions = "{sessions}"; {more}}};'))
    b.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "configuration reloaded" in b.logtext(), 10)


def started(b, marker):
    return any(r.get("result") == "started" and marker in (r.get("argv") or [])
               for r in records(b))


def test_sessions_per_user_are_bounded(make_broker, ctl, accounts, pam_service, app):
    import subprocess
    b = own_broker(make_broker, accounts, pam_service,
                   "limits = { exec_per_user = 1; };\n")
    ctl.broker = b
    uid, gid = ctl.ids("alice")
    marker = f"m-{time.time_ns()}"
    first = subprocess.Popen(as_user(uid, gid, [ctl.bin, "exec", "-i", app, "--", "sh", "-c",
                                                "cat", marker]), env=ctl.env(),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: started(b, marker), 15)
        r = ctl("alice", "exec", app, "--", "true")
        assert r.returncode == 1, r
        assert "too many exec sessions (limits.exec_per_user is 1)" in r.stderr
        assert ctl("bob", "ls").returncode == 0   # other verbs are not counted
    finally:
        first.communicate(input=b"bye\n", timeout=30)
    assert first.returncode == 0
    # the slot is free again once that session ended
    assert wait_for(lambda: ctl("alice", "exec", app, "--", "true").returncode == 0, 10)


def test_an_idle_session_is_ended(make_broker, ctl, accounts, pam_service, app):
    import subprocess
    b = own_broker(make_broker, accounts, pam_service, "limits = { exec_idle = 1; };\n")
    ctl.broker = b
    uid, gid = ctl.ids("alice")
    p = subprocess.Popen(as_user(uid, gid, [ctl.bin, "exec", "-i", app, "--", "cat"]),
                         env=ctl.env(), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        p.wait(timeout=30)   # stdin stays open, and silent
        err = p.stderr.read()
    finally:
        p.kill()
        p.stdin.close()
    assert p.returncode == 1 and "idle for 1 s (limits.exec_idle)" in err, err
    assert [r["result"] for r in records(b)][-1] == "idle"


def test_terminal_session_is_recorded(make_broker, ctl, accounts, pam_service, app,
                                      tmpdir_shared):
    import shutil
    import stat
    import subprocess
    sessions = os.path.join(tmpdir_shared, f"sessions-{time.time_ns()}")
    b = own_broker(make_broker, accounts, pam_service, "")
    record_into(b, sessions, "sessions_input = true; ")
    ctl.broker = b
    argv = ctl.spawn_argv("alice", "exec", "-it", app, "--", "sh")
    child = pexpect.spawn(argv[0], argv[1:], timeout=20, encoding="utf-8",
                          dimensions=(25, 90))
    child.expect(r"\$ ")
    child.sendline("echo rec-$((40+2))")
    child.expect("rec-42")
    child.sendline("exit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    rec = [r for r in records(b) if r.get("recording")]
    assert rec and rec[-1]["result"] == "exited", records(b)
    path = rec[-1]["recording"]
    assert os.path.dirname(path) == sessions
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0
    lines = [json.loads(line) for line in open(path)]
    head, events = lines[0], lines[1:]
    assert head["version"] == 2 and head["width"] == 90 and head["height"] == 25
    out = "".join(e[2] for e in events if e[1] == "o")
    assert "rec-42" in out
    assert "echo rec-$((40+2))" in "".join(e[2] for e in events if e[1] == "i")
    # and it plays: asciinema (deps.sh installs it) prints the output
    assert shutil.which("asciinema"), "asciinema is not installed (make deps)"
    r = subprocess.run(["script", "-qec", f"asciinema cat {path}", "/dev/null"],
                       capture_output=True, text=True, timeout=30)
    assert "rec-42" in r.stdout, r


def test_from_the_interactive_prompt_and_back(ectl, app):
    from test_interactive import prompt, spawn
    child = spawn(ectl)
    child.expect(prompt(ectl))
    child.sendline(f"exec -it {app} -- sh")
    child.expect(r"\$ ")
    child.sendline("echo in-$((1+1))")
    child.expect("in-2")
    child.sendline("exit 4")
    child.expect(prompt(ectl))         # the terminal is ctl's again
    child.sendline("help exec")
    child.expect(r"exec \[-i\] \[-t\] NAME \[--\] CMD \[ARG\.\.\.\]")
    child.sendline("exit")
    child.expect(pexpect.EOF)


def test_a_recording_that_cannot_be_written_ends_the_session(
        make_broker, ctl, accounts, pam_service, spinning_app, tmpdir_shared):
    app = spinning_app
    import subprocess
    sessions = os.path.join(tmpdir_shared, f"full-{time.time_ns()}")
    os.makedirs(sessions, mode=0o700)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k,mode=0700", "ctl-test",
                    sessions], check=True)
    try:
        b = own_broker(make_broker, accounts, pam_service, "")
        record_into(b, sessions)
        ctl.broker = b
        argv = ctl.spawn_argv("alice", "exec", "-it", app, "--", "sh", "-c",
                              "while :; do echo 0123456789abcdef0123456789abcdef; done")
        child = pexpect.spawn(argv[0], argv[1:], timeout=30, encoding="utf-8")
        child.expect("the session's recording cannot be written: the session was ended")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 1
        rec = records(b)[-1]
        assert rec["result"] == "recording failed" and "No space left" in rec["reason"], rec
        # refused up front when the directory is not root's alone
        os.chmod(sessions, 0o770)
        r = ctl("alice", "exec", "-t", app, "--", "true")
        assert r.returncode == 1 and "cannot record the session" in r.stderr, r
        assert records(b)[-1]["result"] == "refused: recording"
        assert ctl("alice", "exec", app, "--", "true").returncode == 0  # no -t: none
    finally:
        subprocess.run(["umount", sessions], check=False)


def test_ctrl_c_ends_ctl_without_i(ectl, app):
    """-t alone reads no keys: the terminal stays ctl's, Ctrl-C ends it."""
    argv = ectl.spawn_argv("alice", "exec", "-t", app, "--", "sh", "-c", "echo up; sleep 100")
    child = pexpect.spawn(argv[0], argv[1:], timeout=20, encoding="utf-8")
    child.expect("up")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus is None and child.exitstatus == 130


def test_it_needs_a_terminal(ectl, app):
    r = ectl("alice", "exec", "-it", app, "--", "sh", input="echo hi\n")
    assert r.returncode == 2 and "standard input is not a terminal" in r.stderr, r
    # -i alone is a pipe's business; -t alone needs no input
    assert ectl("alice", "exec", "-i", app, "--", "sh", input="echo hi\n").stdout == "hi\n"
    r = ectl("alice", "exec", "-t", app, "--", "echo", "t", text=False)
    assert r.returncode == 0 and r.stdout == b"t\r\n", r   # a terminal's line end


def test_a_client_that_stops_reading_is_idle(make_broker, ctl, accounts, pam_service,
                                            spinning_app):
    import subprocess
    app = spinning_app
    b = own_broker(make_broker, accounts, pam_service, "limits = { exec_idle = 1; };\n")
    ctl.broker = b
    uid, gid = ctl.ids("alice")
    # its stdout a pipe nobody reads: ctl blocks writing, then ctld
    p = subprocess.Popen(as_user(uid, gid, [ctl.bin, "exec", app, "--", "sh", "-c",
                                            "while :; do echo xxxxxxxx; done"]), env=ctl.env(),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: any(r.get("result") == "idle: the client stopped reading"
                                    for r in records(b)), 30), records(b)
    finally:
        p.kill()
        p.wait()
