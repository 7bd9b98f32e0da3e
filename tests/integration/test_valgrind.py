"""ctld under valgrind for a whole session: requests of every kind, bad
frames, a client leaving mid-stream, a reload and a shutdown, in the main
process and in every forked child: no error, nothing definitely lost."""
import glob
import os
import signal
import subprocess

import pytest

from conftest import TAG, Broker, config_text, wait_for
from test_broker import HELLO, converse, frame


@pytest.fixture
def vg_broker(bins, tmpdir_shared, accounts, pam_service, image):
    logdir = os.path.join(tmpdir_shared, f"vg-{os.getpid()}")
    os.makedirs(logdir, exist_ok=True)
    real = bins["ctld"]
    wrapper = os.path.join(logdir, "ctld")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full "
                "--errors-for-leak-kinds=definite --show-leak-kinds=definite "
                f"--log-file={logdir}/vg.%p {real} \"$@\"\n")
    os.chmod(wrapper, 0o755)
    b = Broker(dict(bins, ctld=wrapper), tmpdir_shared,
               config_text("@DIR@", accounts, pam_service,
                           extra="limits = { client_timeout = 20; };\n"))
    yield b, logdir
    b.stop()


@pytest.mark.early
@pytest.mark.skipif(bool(os.environ.get("CTL_SANITIZE")),
                    reason="valgrind cannot run a sanitized ctld; CI runs it on the plain build")
def test_session_under_valgrind(vg_broker, ctl, own_containers, accounts):
    b, logdir = vg_broker
    ctl.broker = b
    name = own_containers.create(f"{TAG}-vg", owner=accounts.users["alice"],
                                 cmd=["sh", "-c", "trap 'exit 0' TERM; while true; do echo vg; "
                                      "sleep 0.2; done"])
    # another user's: alice may not see it
    other = own_containers.create(f"{TAG}-vg-bob", owner=accounts.users["bob"], start=False)
    for args in (["ls"], ["status", name], ["logs", "-n", "3", name], ["stats", "--no-stream", name],
                 ["restart", "-t", "0", name], ["status", "nope"],
                 ["status", other]):
        r = ctl("alice", *args, timeout=120)
        assert r.returncode in (0, 3), (args, r.stderr)
    for bad in (frame(10, b"x"), frame(1, b"{"), HELLO + frame(3, {"verb": "ls", "x": 1})):
        converse(b, bad)
    p = ctl.popen("alice", "logs", "-f", name, stdout=subprocess.PIPE)
    p.stdout.readline()
    p.send_signal(signal.SIGINT)
    p.wait(timeout=30)
    b.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "configuration reloaded" in b.logtext(), 30)
    assert wait_for(lambda: not b.children(), 60)
    b.proc.send_signal(signal.SIGTERM)
    assert b.proc.wait(timeout=60) == 0
    logs = glob.glob(os.path.join(logdir, "vg.*"))
    assert len(logs) >= 10, logs  # the main process and its children
    for path in logs:
        text = open(path).read()
        assert text.strip() == "", f"{path}:\n{text}"
