"""Re-authentication without SSH: a PAM module that never answers, the
ticket store's defences, and PAM errors meaning deny."""
import os
import shutil
import signal
import stat
import subprocess
import time

import pytest

from conftest import PAM_SERVICE, TAG, LoginSession, config_text, inspect, set_password, wait_for

# one worker: its target is made once, not on each worker
pytestmark = pytest.mark.xdist_group("reauth")


def running(exe):
    """Pids of the processes running the program at path exe."""
    out = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and os.readlink(f"/proc/{pid}/exe") == exe:
                out.append(int(pid))
        except OSError:
            pass
    return out


@pytest.fixture
def hang_service(tmpdir_shared):
    """auth hangs (pam_exec waits for a sleep); account is the stock one.
    The sleep is a copy of this session's own: the session that ctld ends
    on the timeout leaves it behind, and the test ends it."""
    name = f"{PAM_SERVICE}-hang"
    hang = os.path.join(tmpdir_shared, "hang")
    shutil.copy("/bin/sleep", hang)
    with open(f"/etc/pam.d/{name}", "w") as f:
        f.write(f"auth required pam_exec.so {hang} 1000\n"
                "@include common-account\n")
    yield name, hang
    os.unlink(f"/etc/pam.d/{name}")
    for pid in running(hang):
        os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def target(containers, accounts):
    """alice's, running; no test here changes it: restarts are refused,
    and a start of a running container changes nothing."""
    return containers.create(f"{TAG}-reauth-{os.getpid()}-{time.time_ns() % 10000}",
                             owner=accounts.users["alice"])


def hanging(make_broker, ctl, accounts, service, target, more):
    """A broker on the hanging service, and alice's restart stuck in it."""
    text = config_text("@DIR@", accounts, service,
                       extra=f'reauth = {{ verbs = ["restart"]; {more} '
                             'dir = "@DIR@/tickets"; };\n')
    b = make_broker(text)
    ctl.broker = b
    p = ctl.popen("alice", "-S", "restart", "-t", "0", target, stdin=subprocess.DEVNULL,
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return b, p


def test_hanging_pam_module_is_timed_out(make_broker, ctl, accounts, hang_service, target):
    """reauth.pam_timeout, sub-second here, ends the session that waits."""
    service = hang_service[0]
    started = inspect(target)["State"]["StartedAt"]
    b, p = hanging(make_broker, ctl, accounts, service, target, "pam_timeout = 0.3;")
    out, err = p.communicate(timeout=30)
    assert p.returncode == 4
    assert "timed out" in err
    assert inspect(target)["State"]["StartedAt"] == started
    recs = [r for r in b.audit_lines() if r.get("result") == "authentication timed out"]
    assert len(recs) == 1 and recs[0]["decision"] == "deny", recs
    assert recs[0]["reason"] == "PAM did not answer within 0.3 seconds", recs
    assert wait_for(lambda: not b.children(), 5)


def test_others_are_served_while_pam_hangs(make_broker, ctl, accounts, hang_service, target):
    """While one session waits on a PAM module (reauth.pam_timeout left at
    its minute), the others are served; the stuck one ends when the module
    does, refused (one try, so that PAM does not run the module again)."""
    service, hang = hang_service
    b, p = hanging(make_broker, ctl, accounts, service, target, "tries = 1;")
    assert wait_for(lambda: running(hang), 10)
    assert ctl("alice", "status", target).returncode == 0
    assert p.poll() is None, "the stuck session ended before the test ended its module"
    for pid in running(hang):
        os.kill(pid, signal.SIGKILL)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 4 and "authentication failed" in err, err


def test_pam_error_means_deny(make_broker, ctl, accounts, target):
    name = f"{PAM_SERVICE}-broken"
    with open(f"/etc/pam.d/{name}", "w") as f:
        f.write("auth required pam_does_not_exist.so\n@include common-account\n")
    try:
        b = make_broker(config_text("@DIR@", accounts, name,
                                    extra='reauth = { verbs = ["restart"]; '
                                          'dir = "@DIR@/tickets"; };\n'))
        ctl.broker = b
        r = ctl("alice", "-S", "restart", target, input="anything\n")
        assert r.returncode == 4, r.stderr
        assert ctl("alice", "status", target).returncode == 0
    finally:
        os.unlink(f"/etc/pam.d/{name}")


def test_ticket_dir_must_be_root_only(make_broker, ctl, accounts, pam_service, target):
    """A ticket planted in a directory others can write is never believed."""
    b = make_broker(config_text("@DIR@", accounts, pam_service,
                                extra='reauth = { verbs = ["start"]; dir = "@DIR@/tickets"; };\n'))
    ctl.broker = b
    user = accounts.users["alice"]
    set_password(user, f"pw-{TAG}")
    sess = LoginSession(ctl, "alice")
    try:
        r = sess("-S", "start", target, input=f"pw-{TAG}\n")
        assert r.returncode == 0, r.stderr
        tickets = os.path.join(b.dir, "tickets")
        st = os.stat(tickets)
        assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == 0
        assert os.listdir(tickets)
        for f in os.listdir(tickets):
            fst = os.stat(os.path.join(tickets, f))
            assert stat.S_IMODE(fst.st_mode) == 0o600 and fst.st_uid == 0
        # the ticket holds for this session: no password needed
        assert sess("start", target).returncode == 0
        # another session has no ticket
        assert ctl("alice", "start", target).returncode == 4
        # loosen the directory: existing tickets no longer count
        os.chmod(tickets, 0o777)
        try:
            r = sess("start", target)
            assert r.returncode == 4  # asks again; no terminal
        finally:
            os.chmod(tickets, 0o700)
    finally:
        sess.close()


TICKET_S = 0.75  # reauth.timeout: sub-second, so that the test waits it out


def ticket_ms(b):
    """The one ticket's stamp (CLOCK_BOOTTIME, ms) and the clock's now."""
    d = os.path.join(b.dir, "tickets")
    name, = os.listdir(d)
    with open(os.path.join(d, name)) as f:
        return int(f.read()), time.clock_gettime(time.CLOCK_BOOTTIME) * 1000


def test_ticket_holds_then_expires(make_broker, ctl, accounts, pam_service, target):
    """A ticket spares the password for reauth.timeout, counted in
    milliseconds, and not a moment longer. The hold is asserted only when
    the second command was answered within the ticket's life, which the
    ticket's own stamp tells; a run too slow for that tries again."""
    b = make_broker(config_text("@DIR@", accounts, pam_service,
                                extra=f'reauth = {{ verbs = ["start"]; timeout = {TICKET_S}; '
                                      'dir = "@DIR@/tickets"; };\n'))
    ctl.broker = b
    user = accounts.users["alice"]
    set_password(user, f"pw-{TAG}")
    sess = LoginSession(ctl, "alice")
    try:
        for _ in range(10):
            r = sess("-k", "-S", "start", target, input=f"pw-{TAG}\n")
            assert r.returncode == 0, r.stderr
            again = sess("start", target)
            stamp, now = ticket_ms(b)
            if now - stamp < TICKET_S * 1000:
                assert again.returncode == 0, again.stderr
                break
        else:
            pytest.fail(f"no two commands within {TICKET_S} s in ten tries")
        time.sleep(max(0, stamp + TICKET_S * 1000 - now) / 1000)
        r = sess("start", target)
        assert r.returncode == 4 and "a password is needed" in r.stderr, r.stderr
    finally:
        sess.close()
