"""make demo, as a new user meets it: the demo broker survives Ctrl-C in
the shell (at the prompt and to leave logs -f), and make demo-clean
leaves nothing of what the demo made. The demo runs under a name of the
test's own (CTL_DEMO_NAME), so an admin's demo is never touched."""
import os
import pwd
import re
import socket
import subprocess

import pexpect

from conftest import ROOT, TAG, engine_raw, wait_for

NAME = f"dm{TAG}"
DIR = f"/run/{NAME}"


def ctld_pid():
    try:
        with open(os.path.join(DIR, "ctld.pid")) as f:
            pid = int(f.read())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def leftovers():
    left = []
    for c in ("web", "worker", "other"):
        if engine_raw("GET", f"/containers/{NAME}-{c}/json")[0] != 404:
            left.append(f"container {NAME}-{c}")
    if engine_raw("GET", f"/images/{NAME}/busybox:1/json")[0] != 404:
        left.append("image")
    try:
        pwd.getpwnam(NAME)
        left.append("user")
    except KeyError:
        pass
    for path in (DIR, f"/etc/pam.d/{NAME}"):
        if os.path.exists(path):
            left.append(path)
    return left


def clean():
    return subprocess.run(["make", "-s", "-C", ROOT, "demo-clean"], env=dict(
        os.environ, CTL_DEMO_NAME=NAME), capture_output=True, text=True, timeout=120)


def test_demo_survives_ctrl_c_and_demo_clean_leaves_nothing():
    env = dict(os.environ, CTL_DEMO_NAME=NAME, TERM="dumb")
    prompt = re.escape(f"{NAME}@{socket.gethostname()}") + ".*> "
    child = pexpect.spawn("sh", [os.path.join(ROOT, "scripts", "demo.sh")], env=env,
                          encoding="utf-8", timeout=60)
    try:
        child.expect(f'you are now "{NAME}"')
        child.expect(prompt)
        broker = ctld_pid()
        assert broker is not None
        child.sendline("ls")
        child.expect(f"{NAME}-web")
        child.expect(prompt)
        child.sendline(f"logs -f -n 1 {NAME}-web")
        child.expect("GET / 200")
        child.sendcontrol("c")  # leaves logs -f: the terminal's SIGINT
        child.expect(prompt)
        child.sendcontrol("c")  # at an empty prompt
        child.expect(prompt)
        child.sendline(f"status {NAME}-web")
        child.expect("running")
        child.expect(prompt)
        assert ctld_pid() == broker, "Ctrl-C reached the demo broker"
        child.sendline(f"status {NAME}-other")  # root's: does not exist for the user
        child.expect("no such container")
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
        r = clean()
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: ctld_pid() is None and not leftovers(), 20), leftovers()
    assert broker is not None and not os.path.exists(f"/proc/{broker}")
