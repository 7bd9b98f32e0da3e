"""Password guessing is bounded across connections, and a client that
cannot or will not answer a prompt costs no failed password. The witness
is a pam_exec line at the head of the auth stack that counts every call
to it: PAM is asked exactly as often as these tests say."""
import os
import re
import signal
import subprocess
import time

import pexpect
import pytest

from conftest import PAM_SERVICE, TAG, as_user, config_text, pam_stack, set_password, wait_for

# one worker: its guess_target is made once, not on each worker
pytestmark = pytest.mark.xdist_group("guessing")

PASSWORD = f"pw-guess-{TAG}"


@pytest.fixture
def counted(tmpdir_shared):
    """A PAM service: ctl's own stack after a line that counts auth calls."""
    name = f"{PAM_SERVICE}-count-{os.getpid()}-{time.time_ns() % 100000}"
    d = os.path.join(tmpdir_shared, name)
    os.makedirs(d)
    count = os.path.join(d, "count")
    script = os.path.join(d, "count.sh")
    with open(script, "w") as f:
        f.write(f"#!/bin/sh\necho x >> {count}\n")
    os.chmod(script, 0o755)
    stock = pam_stack()
    with open(f"/etc/pam.d/{name}", "w") as f:
        f.write(f"auth optional pam_exec.so quiet {script}\n" + stock)

    def calls():
        try:
            with open(count) as f:
                return len(f.read().split())
        except FileNotFoundError:
            return 0
    yield name, calls
    os.unlink(f"/etc/pam.d/{name}")


@pytest.fixture(scope="module")
def guess_target(accounts, containers):
    """carol's, running, and asked to start: the password is what these
    tests are about, and a start that changes nothing costs dockerd
    nothing, so one container serves the module."""
    return containers.create(f"{TAG}-guess-{time.time_ns() % 100000}",
                             owner=accounts.users["carol"])


@pytest.fixture
def guess_broker(make_broker, accounts, counted, ctl, guess_target):
    name, calls = counted
    set_password(accounts.users["carol"], PASSWORD)
    target = guess_target

    def make(extra=""):
        b = make_broker(config_text(
            "@DIR@", accounts, name,
            extra='reauth = { verbs = ["start"]; dir = "@DIR@/tickets"; '
                  'timeout = 0; ' + extra + ' };\n'))
        ctl.broker = b
        return b
    return make, calls, target


def failures(b):
    return [r for r in b.audit_lines() if r.get("result") == "authentication failed"]


def no_tty(ctl, who, *args, input=None):
    """ctl as who, in a session of its own: no controlling terminal."""
    uid, gid = ctl.ids(who)
    return subprocess.run(as_user(uid, gid, [ctl.bin, *args]), env=ctl.env(),
                          capture_output=True, text=True, timeout=60, input=input,
                          stdin=None if input is not None else subprocess.DEVNULL,
                          start_new_session=True, cwd="/")


def test_no_terminal_never_calls_pam(guess_broker, ctl):
    make, calls, target = guess_broker
    b = make()
    r = no_tty(ctl, "carol", "start", target)
    assert r.returncode == 4
    assert "a password is needed: use ssh -t, or ctl -S to read it from standard input" \
        in r.stderr, r.stderr
    assert calls() == 0
    assert failures(b) == []
    rec = [x for x in b.audit_lines() if x.get("verb") == "start"]
    assert len(rec) == 1 and rec[0]["decision"] == "deny"
    assert "cannot answer a prompt" in rec[0]["reason"]


def test_a_wrong_password_waits_the_fail_delay(guess_broker, ctl):
    """The test PAM stack's pam_unix has nodelay: the wait is ctld's own,
    which Linux-PAM draws between half and one and a half times the delay
    asked (libpam/pam_delay.c: the mean of three uniform draws, below
    three quarters of it one time in fourteen)."""
    make, calls, target = guess_broker
    make("tries = 1; fail_delay_ms = 1500;")
    t = time.monotonic()
    r = no_tty(ctl, "carol", "-S", "start", target, input="wrong\n")
    assert r.returncode == 4 and calls() == 1, r.stderr
    assert time.monotonic() - t >= 1.5 * 0.5


def spawn_start(ctl, who, target):
    argv = ctl.spawn_argv(who, "start", target)
    return pexpect.spawn(argv[0], argv[1:], timeout=20, encoding="utf-8")


@pytest.mark.parametrize("how", ["eof", "intr"])
def test_cancel_at_the_prompt_counts_nothing(guess_broker, ctl, accounts, how):
    """Ctrl-D or Ctrl-C at the prompt: no failure on record or in the count;
    sudo's prompt text."""
    make, calls, target = guess_broker
    b = make('max_failures = 1;')
    user = accounts.users["carol"]
    for _ in range(3):
        child = spawn_start(ctl, "carol", target)
        child.expect(re.escape(f"[ctl] password for {user}: "))
        if how == "eof":
            child.sendeof()
        else:
            child.sendintr()
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == (4 if how == "eof" else 130), child.before
    assert wait_for(lambda: not b.children(), 10)
    assert failures(b) == []
    assert calls() == 3
    # with max_failures = 1, any failure counted would now lock
    r = no_tty(ctl, "carol", "-S", "start", target, input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr


@pytest.mark.early
def test_guessing_is_bounded_across_connections(guess_broker, ctl, accounts):
    """Eight guessers in parallel get three PAM calls in all, then a lock:
    refused at once, without PAM, audited once; it ends, and the right
    password works again."""
    make, calls, target = guess_broker
    b = make('tries = 1; max_failures = 3; failure_window = 600; lock_time = 4;')
    procs = []
    uid, gid = ctl.ids("carol")
    for i in range(8):
        procs.append(subprocess.Popen(
            as_user(uid, gid, [ctl.bin, "-S", "start", target]), env=ctl.env(),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True, cwd="/"))
    outs = [p.communicate(input=f"wrong-{i}\n", timeout=60) for i, p in enumerate(procs)]
    assert all(p.returncode == 4 for p in procs), outs
    assert calls() <= 3, calls()
    assert len(failures(b)) == calls()
    # whatever the interleaving, three more knocks end in the lock
    for i in range(3):
        no_tty(ctl, "carol", "-S", "start", target, input="wrong\n")
    assert calls() == 3
    assert len(failures(b)) == 3
    for _ in range(5):
        r = no_tty(ctl, "carol", "-S", "start", target, input=PASSWORD + "\n")
        assert r.returncode == 4
        assert re.search(r"too many failed passwords; try again in \d+ s", r.stderr), r.stderr
    assert calls() == 3
    locked = [x for x in b.audit_lines() if "too many failed passwords" in x.get("reason", "")]
    assert len(locked) == 1, locked
    assert wait_for(lambda: no_tty(ctl, "carol", "-S", "start", target,
                                   input=PASSWORD + "\n").returncode == 0, 15, step=0.5)
    assert calls() == 4


@pytest.mark.early
def test_counts_survive_a_reload_and_reset_on_success(guess_broker, ctl):
    make, calls, target = guess_broker
    b = make('tries = 1; max_failures = 2; lock_time = 60;')
    assert no_tty(ctl, "carol", "-S", "start", target, input="wrong\n").returncode == 4
    assert no_tty(ctl, "carol", "-S", "start", target,
                  input=PASSWORD + "\n").returncode == 0
    assert no_tty(ctl, "carol", "-S", "start", target, input="wrong\n").returncode == 4
    b.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "configuration reloaded" in b.logtext(), 10)
    assert no_tty(ctl, "carol", "-S", "start", target, input="wrong\n").returncode == 4
    r = no_tty(ctl, "carol", "-S", "start", target, input=PASSWORD + "\n")
    assert r.returncode == 4 and "too many failed passwords" in r.stderr, r.stderr
    assert calls() == 4


def test_rm_checks_ownership_before_the_password(make_broker, accounts, counted, ctl,
                                                 containers):
    """Nobody is asked for a password to hear no: rm of a container that
    is not one's own, or of a running one without --force."""
    name, calls = counted
    user = accounts.users["carol"]
    theirs = containers.create(f"{TAG}-rm-theirs-{time.time_ns() % 100000}",
                               owner=accounts.users["bob"], start=False)
    mine = containers.create(f"{TAG}-rm-mine-{time.time_ns() % 100000}", owner=user)
    text = config_text("@DIR@", accounts, name,
                       extra='reauth = { verbs = ["rm"]; dir = "@DIR@/tickets"; };\n')
    text = text.replace("rules = (\n", f'rules = (\n  {{ users = ["{user}"]; '
                        'containers = ["*"]; verbs = ["rm", "status"]; },\n', 1)
    ctl.broker = make_broker(text)
    r = no_tty(ctl, "carol", "-S", "rm", theirs, input="")
    assert r.returncode == 3 and "remove only your own" in r.stderr, r.stderr
    r = no_tty(ctl, "carol", "-S", "rm", mine, input="")
    assert r.returncode == 1 and "is running" in r.stderr, r.stderr
    assert calls() == 0
    # the witness: rm --force of one's own does ask
    r = no_tty(ctl, "carol", "-S", "rm", "--force", mine, input="")
    assert r.returncode == 4
    assert calls() == 1
