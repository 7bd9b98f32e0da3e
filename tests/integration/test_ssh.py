"""The real SSH login path: sshd on a loopback port with its own PAM
service (sshd takes its PAM service name from its program name), pam_ctl
in it, ctl as the login shell, and the shipped sshd snippet."""
import json
import os
import pwd
import re
import select
import shutil
import socket
import subprocess

import pexpect
import pytest

from conftest import (BUILD, ROOT, TAG, Broker, config_text, engine, cpath, image_id, inspect,
                      logs, remove, run, set_password, wait_for)

SSHD = "/usr/sbin/sshd"
# one worker's: ssh_world (sshd, ctld, keys, passwords) and the provisioned
# containers made once
pytestmark = pytest.mark.xdist_group("ssh")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="session")
def ssh_world(bins, tmpdir_shared, accounts, pam_service, image, containers):
    """ctld with templates and reauth, users with ctl as login shell."""
    a = accounts
    d = os.path.join(tmpdir_shared, "ssh")
    os.makedirs(d)
    os.chmod(d, 0o755)
    pam_so = os.path.join(d, "pam_ctl.so")
    shutil.copy(os.path.join(BUILD, "pam_ctl.so"), pam_so)
    extra = (
        f'images = {{ trusted = ["{image.split(":")[0]}@{image_id(image)}"]; }};\n'
        'templates = (\n'
        f'  {{ name = "dev"; container = "dev-%u"; image = "{image}";\n'
        '    command = ["sh", "-c", "trap \'exit 0\' TERM; echo dev up; while true; do sleep 86400 & wait $!; done"];\n'
        '    user = "1000:1000"; pids = 64; memory = "64m"; network = false;\n'
        f'    volume = {{ name = "home-%u"; path = "/home/dev"; }}; groups = ["{a.dev}"]; }}\n'
        ');\n'
        f'provision = ( {{ group = "{a.dev}"; templates = ["dev"]; start = true; }} );\n'
        'reauth = { verbs = ["start"]; timeout = 5; dir = "@DIR@/tickets"; };\n')
    # ctld gets a PAM service of its own here, which a test may extend
    broker_service = f"{pam_service}-ssh"
    shutil.copy(f"/etc/pam.d/{pam_service}", f"/etc/pam.d/{broker_service}")
    own = ('ownership = { owner_label = "ctl.owner"; group_label = "ctl.group";\n'
           '  owner_verbs = ["ls", "status", "logs", "start", "stop", "restart", "stats",'
           ' "exec"]; };\n')
    broker = Broker(bins, tmpdir_shared, config_text("@DIR@", a, broker_service, extra=extra,
                                                     ownership=own))

    # users get passwords (for re-authentication) and ctl as login shell
    for who in ("alice", "bob", "dave"):
        user = a.users[who]
        set_password(user, f"pw-{who}-{TAG}")
        run("usermod", "-s", bins["ctl"], user)

    # sshd: throwaway host key, per-user keys, own PAM service
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{d}/host_key")
    keys = os.path.join(d, "keys")
    os.makedirs(keys)
    for who in ("alice", "bob", "dave"):
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{d}/id_{who}")
        shutil.copy(f"{d}/id_{who}.pub", f"{keys}/{a.users[who]}")
    service = f"sshd-{TAG}"
    prog = os.path.join(d, service)
    os.symlink(SSHD, prog)
    with open("/etc/pam.d/sshd") as f:
        stock = f.read()
    with open(f"/etc/pam.d/{service}", "w") as f:
        f.write(f"account required {pam_so} require_group={a.dev}\n")
        f.write(stock)
        f.write(f"session optional {pam_so} socket={broker.socket} fail=open\n")
    with open(os.path.join(ROOT, "etc/ssh/sshd_config.d/ctl.conf")) as f:
        snippet = f.read().replace("Match Group ctl-users", f"Match Group {a.dev}") \
                          .replace("/usr/bin/ctl", bins["ctl"])
    port = free_port()
    # KexAlgorithms: OpenSSH 9.2's default, sntrup761x25519, costs each
    # client some 70 ms of CPU here, against 10 for curve25519 alone;
    # nothing here is about key exchange
    with open(f"{d}/sshd_config", "w") as f:
        f.write(f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\n"
                "KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org\n"
                f"PidFile {d}/sshd.pid\nAuthorizedKeysFile {keys}/%u\n"
                "StrictModes no\nUsePAM yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                f"SetEnv CTL_SOCKET={broker.socket}\n"
                "Subsystem sftp internal-sftp\nLogLevel VERBOSE\n" + snippet)
    os.makedirs("/run/sshd", exist_ok=True)
    log = open(f"{d}/sshd.log", "w")
    # -r: no re-execution of sshd for each connection (a fresh address
    # space per connection, which nothing here is about): the ssh tests'
    # CPU went from 19.1 to 15.8 s
    proc = subprocess.Popen([prog, "-D", "-r", "-e", "-f", f"{d}/sshd_config"],
                            stdout=log, stderr=subprocess.STDOUT)
    assert wait_for(lambda: port_open(port), 10), open(f"{d}/sshd.log").read()
    w = {"dir": d, "port": port, "broker": broker, "service": service,
         "broker_service": broker_service}
    yield w
    proc.terminate()
    proc.wait(timeout=10)
    log.close()
    os.unlink(f"/etc/pam.d/{service}")
    broker.stop()
    os.unlink(f"/etc/pam.d/{broker_service}")
    remove(*[f"dev-{a.users[who]}" for who in ("alice", "dave")],
           volumes=[f"home-{a.users[who]}" for who in ("alice", "dave")])


def ssh_args(w, accounts, who, *extra):
    return ["ssh", "-F", "/dev/null", "-p", str(w["port"]), "-i", f"{w['dir']}/id_{who}",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", *extra,
            f"{accounts.users[who]}@127.0.0.1"]


# What the re-authentication tests' verb says. They start dev-USER, which
# its login started: a start asks for the password all the same, and
# costs dockerd nothing where a restart would stop and start it.
STARTED = "dev-{}: (already running|started)"


def ssh(w, accounts, who, *cmd, extra=(), timeout=60, **kw):
    return subprocess.run(ssh_args(w, accounts, who, *extra) + list(cmd),
                          capture_output=True, text=True, timeout=timeout, **kw)


def test_first_login_provisions_and_second_changes_nothing(ssh_world, accounts):
    user = accounts.users["alice"]
    remove(f"dev-{user}")
    r = ssh(ssh_world, accounts, "alice", "ctl", "status", f"dev-{user}", "--json")
    assert r.returncode == 0, r.stderr
    info = inspect(f"dev-{user}")
    assert info["State"]["Running"]
    assert info["Config"]["Labels"]["ctl.owner"] == user
    assert info["HostConfig"]["CapDrop"] == ["ALL"]
    assert info["HostConfig"]["Privileged"] is False
    assert "no-new-privileges" in info["HostConfig"]["SecurityOpt"]
    assert info["Config"]["User"] == "1000:1000"
    r = ssh(ssh_world, accounts, "alice", "ctl", "ls")
    assert r.returncode == 0
    again = inspect(f"dev-{user}")
    assert again["Id"] == info["Id"] and again["State"]["StartedAt"] == info["State"]["StartedAt"]


def test_ssh_command_forms(ssh_world, accounts, containers):
    name = containers.create(f"{TAG}-ssh-app", owner=accounts.users["alice"],
                             cmd=["sh", "-c", "echo hello-ssh; sleep 100000"])
    assert wait_for(lambda: b"hello-ssh" in logs(name)[0], 15)
    for cmd in (["ctl", "logs", name], ["logs", name], [f"ctl logs {name}"]):
        r = ssh(ssh_world, accounts, "alice", *cmd)
        assert r.returncode == 0, (cmd, r.stderr)
        assert r.stdout == "hello-ssh\n"


@pytest.mark.parametrize("cmd", ["ls; id", "ls && id", "/bin/sh", "id", "ls | cat",
                                 "$(id)", "`id`", "bash -i", "ls\nid"])
def test_ssh_shell_escapes_refused(ssh_world, accounts, cmd):
    r = ssh(ssh_world, accounts, "alice", cmd)
    assert r.returncode == 2, (cmd, r.stdout, r.stderr)
    assert "uid=" not in r.stdout


def test_sftp_and_scp_refused(ssh_world, accounts, tmp_path):
    target = f"{accounts.users['alice']}@127.0.0.1"
    base = ["-F", "/dev/null", "-P", str(ssh_world["port"]), "-i",
            f"{ssh_world['dir']}/id_alice", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes"]
    src = tmp_path / "f"
    src.write_text("x")
    r = subprocess.run(["scp", "-O", *base, str(src), f"{target}:/tmp/ctl-scp-{TAG}"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert not os.path.exists(f"/tmp/ctl-scp-{TAG}")
    r = subprocess.run(["sftp", *base, "-b", "-", target], input="ls /\n",
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0


def test_port_forwarding_refused(ssh_world, accounts):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    target = listener.getsockname()[1]
    local = free_port()
    args = ssh_args(ssh_world, accounts, "alice", "-N", "-L", f"{local}:127.0.0.1:{target}")
    args[args.index("LogLevel=ERROR")] = "LogLevel=INFO"  # where ssh says a channel failed
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: port_open(local), 10)
        c = socket.create_connection(("127.0.0.1", local), 5)
        # sshd refuses c's channel rather than connect to the target, and
        # ssh closes c; a forward that went through would hold c open
        c.settimeout(10)
        assert c.recv(1) == b""
        err = b""
        while select.select([p.stderr], [], [], 1)[0]:
            err += os.read(p.stderr.fileno(), 4096)
            if b"open failed: administratively prohibited" in err:
                break
        assert b"open failed: administratively prohibited" in err, err
        listener.settimeout(0.1)
        with pytest.raises(socket.timeout):
            listener.accept()
        c.close()
    finally:
        p.terminate()
        p.wait(timeout=10)
        listener.close()


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        return True
    except OSError:
        return False


def test_require_group_refuses_outsiders(ssh_world, accounts):
    r = ssh(ssh_world, accounts, "bob", "ctl", "ls")
    assert r.returncode == 255
    with open(os.path.join(ssh_world["dir"], "sshd.log")) as f:
        log = f.read()
    assert re.search(rf"Access denied for user {accounts.users['bob']} by PAM account", log), log


def interactive(ssh_world, accounts, who):
    args = ssh_args(ssh_world, accounts, who, "-tt")
    return pexpect.spawn(args[0], args[1:], timeout=20, encoding="utf-8")


def test_interactive_login_lands_at_prompt(ssh_world, accounts):
    user = accounts.users["alice"]
    child = interactive(ssh_world, accounts, "alice")
    child.expect(re.escape(f"{user}@"))
    child.sendline("ls")
    child.expect(f"dev-{user}")
    child.sendline("exit")
    child.expect(pexpect.EOF)


def test_reauth_asks_password_and_counts_failures(ssh_world, accounts):
    user = accounts.users["alice"]
    b = ssh_world["broker"]
    child = interactive(ssh_world, accounts, "alice")
    child.expect(re.escape(f"{user}@"))
    # a wrong answer, then the right one, in one request
    child.sendline(f"start dev-{user}")
    child.expect(re.escape(f"[ctl] password for {user}: "))
    child.sendline("wrong-0")
    child.expect("try again")
    child.expect(re.escape(f"[ctl] password for {user}: "))
    child.sendline(f"pw-alice-{TAG}")
    child.expect(STARTED.format(user))
    # her ticket is this login session's: another one has none
    r = ssh(ssh_world, accounts, "alice", "ctl", "start", f"dev-{user}")
    assert r.returncode == 4
    # forget (ctl -k's verb): asked again; three wrong answers refuse
    child.sendline("forget")
    child.sendline(f"start dev-{user}")
    child.expect(re.escape(f"[ctl] password for {user}: "))
    child.sendline("wrong-1")
    child.expect("try again")
    child.expect(re.escape(f"[ctl] password for {user}: "))
    child.sendline("wrong-2")
    child.expect(re.escape(f"[ctl] password for {user}: "))
    child.sendline("wrong-3")
    child.expect("authentication failed")
    fails = [r for r in b.audit_lines() if r.get("result") == "authentication failed"
             and r["user"] == user]
    assert len(fails) >= 4
    assert not any("wrong-" in json.dumps(r) or "pw-alice" in json.dumps(r)
                   for r in b.audit_lines())
    child.sendline("exit")
    child.expect(pexpect.EOF)


def test_reauth_ticket_holds(ssh_world, accounts):
    """In the login session that sshd made, a success spares the password
    for the next command (test_reauth waits one out, sub-second)."""
    user = accounts.users["alice"]
    child = interactive(ssh_world, accounts, "alice")
    child.expect(re.escape(f"{user}@"))
    child.sendline(f"start dev-{user}")
    child.expect(re.escape(f"[ctl] password for {user}: "))
    child.sendline(f"pw-alice-{TAG}")
    child.expect(STARTED.format(user))
    child.sendline(f"start dev-{user}")
    i = child.expect([STARTED.format(user), re.escape("[ctl] password for")])
    assert i == 0, "asked again within the ticket's 5 s"
    child.sendline("exit")
    child.expect(pexpect.EOF)


def test_reauth_without_terminal_is_refused(ssh_world, accounts):
    user = accounts.users["alice"]
    before = len(ssh_world["broker"].audit_lines())
    r = ssh(ssh_world, accounts, "alice", "ctl", "start", f"dev-{user}")
    assert r.returncode == 4
    assert "a password is needed: use ssh -t, or ctl -S" in r.stderr, r.stderr
    # PAM was never asked: no failed attempt on record
    recs = ssh_world["broker"].audit_lines()[before:]
    assert not [x for x in recs if x.get("result") == "authentication failed"], recs


def test_reauth_password_from_stdin(ssh_world, accounts):
    user = accounts.users["alice"]
    r = ssh(ssh_world, accounts, "alice", "ctl", "-S", "start", f"dev-{user}",
            input="wrong\n")
    assert r.returncode == 4, r.stderr
    r = ssh(ssh_world, accounts, "alice", "ctl", "-k", "-S", "start", f"dev-{user}",
            input=f"pw-alice-{TAG}\n")
    assert r.returncode == 0, r.stderr
    assert re.search(STARTED.format(user), r.stdout), r.stdout
    assert f"pw-alice-{TAG}" not in r.stdout + r.stderr


@pytest.mark.parametrize("how", ["lock", "expire"])
def test_locked_or_expired_account_refused(ssh_world, accounts, how):
    user = accounts.users["dave"]
    if how == "lock":
        run("usermod", "-L", user)
    else:
        run("chage", "-E", "0", user)
    try:
        r = ssh(ssh_world, accounts, "dave", "ctl", "ls")
        assert r.returncode != 0
    finally:
        run("usermod", "-U", user)
        run("chage", "-E", "-1", user)
    assert ssh(ssh_world, accounts, "dave", "ctl", "ls").returncode == 0


def test_pam_items_come_from_the_kernel(ssh_world, accounts, tmpdir_shared):
    """PAM_RUSER, PAM_TTY and PAM_RHOST as ctld sets them, recorded by
    pam_exec in the account stack of ctld's service."""
    user = accounts.users["alice"]
    record = os.path.join(ssh_world["dir"], "items")
    script = os.path.join(ssh_world["dir"], "record.sh")
    with open(script, "w") as f:
        f.write(f'#!/bin/sh\necho "$PAM_USER|$PAM_RUSER|$PAM_TTY|$PAM_RHOST" >> {record}\n')
    os.chmod(script, 0o755)
    service = f"/etc/pam.d/{ssh_world['broker_service']}"
    with open(service) as f:
        stock = f.read()
    with open(service, "w") as f:
        f.write(f"account optional pam_exec.so quiet {script}\n" + stock)
    try:
        r = ssh(ssh_world, accounts, "alice", "ctl", "ls",
                extra=("-o", "SetEnv=SSH_CONNECTION=6.6.6.6"))
        assert r.returncode == 0, r.stderr
        child = interactive(ssh_world, accounts, "alice")
        child.expect(re.escape(f"{user}@"))
        child.sendline("ls")
        child.expect(re.escape(f"{user}@"))
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        with open(service, "w") as f:
            f.write(stock)
    lines = [l.split("|") for l in open(record).read().splitlines()]
    assert [user, user, "", "127.0.0.1"] in lines          # ssh host ctl ls
    ttys = [l for l in lines if l[2].startswith("/dev/pts/")]
    assert ttys and all(l[3] == "127.0.0.1" for l in ttys)  # interactive
    assert not any("6.6.6.6" in "|".join(l) for l in lines)


def test_pam_environment_loads_no_code(ssh_world, accounts, bins, evil):
    """Debian's stock sshd PAM stack runs pam_env with user_readenv=1, so
    a ~/.pam_environment of the user's own reaches the login shell's
    environment. The static ctl gives the loader no chance to read it;
    the same login with the dynamic shell as login shell runs the code."""
    with open("/etc/pam.d/sshd") as f:
        assert re.search(r"pam_env\.so.*user_readenv=1", f.read()), "not Debian's stock stack"
    user = accounts.users["alice"]
    pw = pwd.getpwnam(user)
    home = pw.pw_dir
    assert not os.path.exists(home), home
    os.makedirs(home, mode=0o755)
    try:
        with open(os.path.join(home, ".pam_environment"), "w") as f:
            for k, v in evil.env.items():
                f.write(f"{k} DEFAULT={v}\n")
            # a sanitized ctl-shell would refuse the preload before its
            # constructor runs; the witness below needs it to run
            f.write("ASAN_OPTIONS DEFAULT=verify_asan_link_order=0\n")
        for p in (home, os.path.join(home, ".pam_environment")):
            os.chown(p, pw.pw_uid, pw.pw_gid)
        evil.clear()
        r = ssh(ssh_world, accounts, "alice", "ctl", "ls")
        assert r.returncode == 0, r.stderr
        assert f"dev-{user}" in r.stdout
        child = interactive(ssh_world, accounts, "alice")
        child.expect(re.escape(f"{user}@"))
        child.sendline("exit")
        child.expect(pexpect.EOF)
        assert evil.marks() == []
        # the witness: pam_env did deliver them to a dynamic login shell
        run("usermod", "-s", bins["ctl-shell"], user)
        ssh(ssh_world, accounts, "alice", "ctl", "ls")
        assert set(evil.marks()) >= {"preload", "audit", "library_path"}, evil.marks()
    finally:
        run("usermod", "-s", bins["ctl"], user)
        shutil.rmtree(home)
        evil.clear()


def test_misspelled_module_option_refuses_the_login(ssh_world, accounts):
    """`Fail=closed` is not fail=closed: the module cannot know what was
    meant, so the session fails and sshd ends the login."""
    path = f"/etc/pam.d/{ssh_world['service']}"
    with open(path) as f:
        good = f.read()
    line = next(l for l in good.splitlines() if l.startswith("session optional") and
                "pam_ctl.so" in l)
    try:
        for typo in ("Fail=closed", "stop_on_logout=yes"):
            bad = line.replace("session optional", "session required").replace(
                "fail=open", typo)
            with open(path, "w") as f:
                f.write(good.replace(line, bad))
            r = ssh(ssh_world, accounts, "alice", "ctl", "ls")
            assert r.returncode != 0 and f"dev-{accounts.users['alice']}" not in r.stdout, r
        with open(path, "w") as f:
            f.write(good.replace(line, line.replace("session optional", "session required")
                                 .replace("fail=open", "fail=closed")))
        r = ssh(ssh_world, accounts, "alice", "ctl", "ls")
        assert r.returncode == 0, r.stderr
    finally:
        with open(path, "w") as f:
            f.write(good)


def test_stop_on_logout_waits_for_the_last_session(ssh_world, accounts):
    """With stop_on_logout, a second login ending leaves the containers of
    the first, still open, running; the last logout stops them."""
    user = accounts.users["alice"]
    path = f"/etc/pam.d/{ssh_world['service']}"
    with open(path) as f:
        good = f.read()
    line = next(l for l in good.splitlines() if l.startswith("session optional") and
                "pam_ctl.so" in l)

    def state():
        return str(inspect(f"dev-{user}")["State"]["Running"]).lower()
    try:
        with open(path, "w") as f:
            f.write(good.replace(line, line + " stop_on_logout"))
        def unprovisions():
            return [x for x in ssh_world["broker"].audit_lines()
                    if x["verb"] == "unprovision"]
        first = interactive(ssh_world, accounts, "alice")
        first.expect(re.escape(f"{user}@"))
        assert state() == "true"
        before = len(unprovisions())
        r = ssh(ssh_world, accounts, "alice", "ctl", "status", f"dev-{user}")
        assert r.returncode == 0, r.stderr
        # the second session has ended; the first is open
        assert wait_for(lambda: len(unprovisions()) > before, 20)
        assert unprovisions()[-1]["result"] == "kept: another login session is open"
        assert state() == "true"
        first.sendline("exit")
        first.expect(pexpect.EOF)
        first.close()
        assert wait_for(lambda: state() == "false", 30)
    finally:
        with open(path, "w") as f:
            f.write(good)
        engine("POST", cpath(f"dev-{user}") + "/start", ok=(204, 304, 404))


def test_exec_through_ssh_is_byte_exact(ssh_world, accounts, tmp_path):
    """ssh host ctl exec ... as a developer types it: the template's
    container (contained by construction), binary both ways, EOF, and
    shell syntax that only the container's shell sees."""
    name = f"dev-{accounts.users['alice']}"
    assert ssh(ssh_world, accounts, "alice", "ctl", "ls").returncode == 0  # provisions
    data = os.urandom(1 << 20)
    r = subprocess.run(ssh_args(ssh_world, accounts, "alice") +
                       ["ctl", "exec", "-i", name, "--", "cat"],
                       input=data, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == data
    r = ssh(ssh_world, accounts, "alice", "ctl", "exec", name, "--",
            "sh", "-c", "'echo out; echo err >&2; exit 3'")
    # (sshd says first that the test user has no home directory)
    assert r.returncode == 3 and r.stdout == "out\n" and r.stderr.endswith("err\n"), r
