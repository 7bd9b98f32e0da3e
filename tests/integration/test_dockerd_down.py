"""dockerd really stopped: clear errors, ctld keeps running, and works
again once dockerd is back. Marked disruptive: runs after every other
test, since stopping dockerd stops containers."""
import os
import signal
import subprocess
import time

import pytest

from conftest import ROOT, wait_for


def docker_up():
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


def dockerd_pids():
    r = subprocess.run(["pidof", "dockerd"], capture_output=True, text=True)
    return [int(p) for p in r.stdout.split()]


@pytest.mark.disruptive
def test_dockerd_stopped_and_back(ctl, broker, containers, accounts):
    name = containers.create(f"down-{os.getpid()}", owner=accounts.users["alice"])
    assert ctl("alice", "status", name).returncode == 0
    follower = ctl.popen("alice", "logs", "-f", name, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    pids = dockerd_pids()
    assert pids, "no dockerd process to stop"
    try:
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        assert wait_for(lambda: not docker_up() and not dockerd_pids(), 60)
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
        assert broker.proc.poll() is None
    finally:
        subprocess.run(["sh", os.path.join(ROOT, "scripts", "deps.sh")], check=True,
                       capture_output=True, timeout=180)
    assert wait_for(docker_up, 60)
    r = ctl("alice", "start", name)
    assert r.returncode == 0, r.stderr
    assert ctl("alice", "status", name).returncode == 0
