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


@pytest.fixture
def target(containers, accounts):
    return containers.create(f"{TAG}-reauth-{os.getpid()}-{time.time_ns() % 10000}",
                             owner=accounts.users["alice"])


def test_hanging_pam_module_is_timed_out(make_broker, ctl, accounts, hang_service, target):
    service, hang = hang_service
    text = config_text("@DIR@", accounts, service,
                       extra='reauth = { verbs = ["restart"]; pam_timeout = 5; '
                             'dir = "@DIR@/tickets"; };\n')
    b = make_broker(text)
    ctl.broker = b
    started = inspect(target)["State"]["StartedAt"]
    p = ctl.popen("alice", "-S", "restart", target, stdin=subprocess.DEVNULL,
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert wait_for(lambda: running(hang), 10)
    # while one session hangs in PAM, others are served
    t0 = time.time()
    assert ctl("alice", "status", target).returncode == 0
    assert time.time() - t0 < 5
    out, err = p.communicate(timeout=30)
    assert p.returncode == 4
    assert "timed out" in err
    assert inspect(target)["State"]["StartedAt"] == started
    recs = [r for r in b.audit_lines() if r.get("result") == "authentication timed out"]
    assert len(recs) == 1 and recs[0]["decision"] == "deny"
    assert wait_for(lambda: not b.children(), 5)


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
                                extra='reauth = { verbs = ["restart"]; dir = "@DIR@/tickets"; };\n'))
    ctl.broker = b
    user = accounts.users["alice"]
    set_password(user, f"pw-{TAG}")
    sess = LoginSession(ctl, "alice")
    try:
        r = sess("-S", "restart", "-t", "0", target, input=f"pw-{TAG}\n")
        assert r.returncode == 0, r.stderr
        tickets = os.path.join(b.dir, "tickets")
        st = os.stat(tickets)
        assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == 0
        assert os.listdir(tickets)
        for f in os.listdir(tickets):
            fst = os.stat(os.path.join(tickets, f))
            assert stat.S_IMODE(fst.st_mode) == 0o600 and fst.st_uid == 0
        # the ticket holds for this session: no password needed
        assert sess("restart", "-t", "0", target).returncode == 0
        # another session has no ticket
        assert ctl("alice", "restart", "-t", "0", target).returncode == 4
        # loosen the directory: existing tickets no longer count
        os.chmod(tickets, 0o777)
        try:
            r = sess("restart", "-t", "0", target)
            assert r.returncode == 4  # asks again; no terminal
        finally:
            os.chmod(tickets, 0o700)
    finally:
        sess.close()
