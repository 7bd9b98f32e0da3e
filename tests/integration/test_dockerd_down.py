"""dockerd really stopped: clear errors, ctld keeps running, and works
again once dockerd is back. The dockerd stopped is a private one this
test starts (conftest.PrivateDockerd), never the host's."""
import select
import shutil
import subprocess

import pytest

from conftest import (PRIVATE_MARK, TAG, config_text, docker_ping, engine, host_daemons,
                      wait_for)

TICK = ["sh", "-c", "trap 'exit 0' TERM; while true; do echo tick; sleep 0.2 & wait $!; done"]


@pytest.mark.early
def test_dockerd_stopped_and_back(private_dockerd, make_broker, ctl, accounts, pam_service,
                                  image):
    pd = private_dockerd()
    pd.load_image(image)
    name = f"{TAG}-down"
    # no network: the setup of one (even "none") re-executes dockerd
    engine("POST", f"/containers/create?name={name}",
           {"Image": image, "Cmd": TICK, "Labels": {"ctl.owner": accounts.users["alice"]},
            "NetworkDisabled": True}, sock=pd.socket)
    engine("POST", f"/containers/{name}/start", sock=pd.socket)
    b = make_broker(config_text("@DIR@", accounts, pam_service, docker_socket=pd.socket))
    ctl.broker = b
    assert ctl("alice", "status", name).returncode == 0
    follower = ctl.popen("alice", "logs", "-f", "-n", "0", name, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    # the follow is under way once a line has come through it
    assert select.select([follower.stdout], [], [], 15)[0], "logs -f never got a line"
    assert follower.stdout.readline().startswith("tick")
    pd.stop()
    assert not docker_ping(pd.socket)
    # a follower ends, not left hanging: 0 if dockerd stopped the
    # container first (its log ended), else 1 saying why
    out, err = follower.communicate(timeout=60)
    assert follower.returncode in (0, 1), err
    if follower.returncode == 1:
        assert "log stream ended" in err or "dockerd" in err, err
    for args in (["ls"], ["status", name], ["logs", name], ["restart", name]):
        r = ctl("alice", *args)
        assert r.returncode == 1, (args, r.stderr)
        assert "cannot reach dockerd" in r.stderr
    assert b.proc.poll() is None
    pd.start()
    r = ctl("alice", "start", name)
    assert r.returncode == 0, r.stderr
    assert ctl("alice", "status", name).returncode == 0
    assert b.proc.poll() is None


def test_host_guard_sees_a_daemon_go(tmp_path):
    """host_dockerd_untouched's eyes: a process named dockerd is listed,
    and no longer once stopped. Its command line carries PRIVATE_MARK so
    that the guards of sessions running meanwhile leave it alone."""
    fake = tmp_path / "dockerd"
    shutil.copy("/bin/sleep", fake)
    p = subprocess.Popen([PRIVATE_MARK + "fake", "60"], executable=fake)
    try:
        assert wait_for(lambda: p.pid in host_daemons(skip="no mark"), 5)
        assert p.pid not in host_daemons()
    finally:
        p.kill()
        p.wait()
    assert p.pid not in host_daemons(skip="no mark")
