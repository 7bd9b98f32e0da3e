"""The shell under attack: every class of restricted-shell escape is
refused with exit code 2 and a clear message; nothing runs, no file is
written, no container changes, and the broker is never asked."""
import os
import shutil
import subprocess

import pexpect
import pytest

from conftest import TAG, inspect

pytestmark = pytest.mark.xdist_group("hostile_shell")  # target made once

CANARY = f"/tmp/ctl-pwned-{TAG}"
T = f"{TAG}-target"   # the target container, created by the fixture

ATTACKS = [
    # command chaining
    f"status {T}; touch {CANARY}", f"status {T} && touch {CANARY}",
    f"status {T} || touch {CANARY}", f"status {T} | touch {CANARY}",
    f"status {T} & touch {CANARY}", f"status {T} ||| touch {CANARY}",
    f"; status {T}", f"status {T};", f"& status {T}", f"status {T} &",
    f"| status {T}", f"status {T} >{CANARY}", f"status {T} <{CANARY}",
    # newlines and control characters
    f"status {T}\ntouch {CANARY}", f"status {T}\rtouch {CANARY}",
    f"status {T}\x16\ntouch {CANARY}", f"status {T}\x0btouch {CANARY}",
    f"status {T}\x00touch {CANARY}", f"status \x1b[31m{T}",
    f"status {T}\x7f", f"status\x07 {T}",
    # substitutions, also inside quotes
    f"status $(touch {CANARY})", f"status `touch {CANARY}`",
    "status ${HOME}", f"status \"$(touch {CANARY})\"", f"status '`touch {CANARY}`'",
    "status \"${PATH}\"", "status $T", "status $((1+1))",
    # quoting tricks
    "\"bash\"", "'sh' -c id", f"logs'/x' {T}", f"status \"{T}", f"status '{T}",
    f"status {T}\"", "\"\" status", f"status \"{T}/../x\"",
    # environment assignments
    f"PATH=/tmp status {T}", f"LD_PRELOAD=/tmp/x.so status {T}",
    f"BASH_ENV=/tmp/x status {T}", "BASH_FUNC_x%%=() { id; }", f"env status {T}",
    # option injection
    "status -x", "status --help", "logs --follow=--x x",
    "status -rf", f"restart --time=-1 {T}", f"stop -t 99999999999999999999 {T}",
    "status -- -x", "status -- --help",
    # paths and globs
    "status ..", "status ../x", "status ~root", "status *", "status ?",
    "status [ab]", "status /etc/passwd", "status ./x", "status x/y/z",
    # unknown commands and programs
    "id", "sh", "/bin/sh", "bash -i", "exec sh", "eval id", "source /etc/profile",
    ". /etc/profile", "python3", "docker ps", "sudo -i",
    # overlong lines and argument counts
    "status " + "a" * 5000, "status " + "a" * 129, "logs " + " ".join(["x"] * 40),
    # invalid UTF-8 and non-ASCII
    f"status {T}\xff", "status caf\xc3\xa9", "status \xc0\xaf",
]

# Refused, but what anyone may type by mistake (an unknown command, an
# option a verb lacks, a name that is no name): these get help, and do
# not count towards shell.warnings. Every other attack does.
MISTAKES = {
    "\"bash\"", "'sh' -c id", f"logs'/x' {T}", f"status \"{T}", f"status '{T}",
    f"status {T}\"", "\"\" status", f"status \"{T}/../x\"",
    f"PATH=/tmp status {T}", f"LD_PRELOAD=/tmp/x.so status {T}",
    f"BASH_ENV=/tmp/x status {T}", f"env status {T}",
    "status -x", "status --help", "logs --follow=--x x", "status -rf",
    f"restart --time=-1 {T}", f"stop -t 99999999999999999999 {T}",
    "status -- -x", "status -- --help",
    "status ..", "status ../x", "status /etc/passwd", "status ./x", "status x/y/z",
    "id", "sh", "/bin/sh", "bash -i", "exec sh", "eval id", "source /etc/profile",
    ". /etc/profile", "python3", "docker ps", "sudo -i",
}
assert MISTAKES <= set(ATTACKS)


@pytest.fixture(scope="module")
def target(containers, accounts):
    containers.create(T, owner=accounts.users["alice"])
    return T


def state(name):
    info = inspect(name)
    return info["State"]["StartedAt"], info["RestartCount"], info["State"]["Status"]


def audit_count(broker):
    return len(broker.audit_lines())


@pytest.mark.parametrize("line", ATTACKS, ids=range(len(ATTACKS)))
def test_c_mode_refuses(ctl, broker, target, line):
    before, audits = state(target), audit_count(broker)
    raw = line.encode("latin-1")  # the bytes as written, not re-encoded
    r = ctl("alice", "-c", raw, text=False) if b"\x00" not in raw else None
    if r is None:  # NUL cannot be in an argument; it arrives in a pipe instead
        r = ctl("alice", input=raw + b"\n", text=False)
    assert r.returncode == 2, (line, r.stdout, r.stderr)
    assert r.stderr.startswith(b"ctl: ")
    assert len(r.stderr) < 400
    assert not os.path.exists(CANARY)
    assert state(target) == before
    assert audit_count(broker) == audits, "a refused line reached the broker"


@pytest.mark.parametrize("line", ATTACKS[:25], ids=range(25))
def test_ssh_original_command_refuses(ctl, target, line):
    if "\x00" in line:
        pytest.skip("an environment variable cannot hold NUL")
    r = ctl("alice", "-c", "ctl", env={"SSH_ORIGINAL_COMMAND": line}, text=False)
    assert r.returncode == 2
    assert not os.path.exists(CANARY)


def test_argv_words_are_checked_too(ctl, target):
    for args in (["status", f"{T};id"], ["status", "$(id)"], ["status", "a\nb"],
                 ["logs", "-n", "1; id", T], ["--", "status", T]):
        r = ctl("alice", *args)
        assert r.returncode == 2, args
    assert not os.path.exists(CANARY)


def test_argc_zero(bins, tmp_path, accounts):
    src = tmp_path / "noargs.c"
    src.write_text('#include <unistd.h>\nint main(int c, char **v) {'
                   ' char *argv[] = { NULL }; char *envp[] = { NULL };'
                   ' execve(v[1], argv, envp); return 127; }\n')
    exe = tmp_path / "noargs"
    subprocess.run(["cc", "-o", str(exe), str(src)], check=True)
    r = subprocess.run([str(exe), bins["ctl"]], capture_output=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert r.returncode in (0, 2, 5), r
    assert b"Segmentation" not in r.stderr


def test_hostile_environment(ctl, target):
    env = {"PATH": "/nonexistent", "HOME": "/", "IFS": "x", "LD_LIBRARY_PATH": "/tmp",
           "BASH_ENV": CANARY, "ENV": CANARY, "TERM": "xterm\x1b]0;pwned\x07",
           "EDITRC": CANARY, "LANG": "xx_XX.BOGUS", "TZ": "/etc/passwd",
           "SHELL": "/bin/sh", "PS1": "$(id)"}
    r = ctl("alice", "status", target, env=env)
    assert r.returncode == 0, r.stderr
    assert "running" in r.stdout
    assert not os.path.exists(CANARY)


def test_warning_counter_counts_hostile_lines_only(make_broker, ctl, target):
    """With shell.warnings = 1, one hostile line ends a session read from
    a pipe before the next line runs; a mistake gets help and the next
    line runs."""
    ctl.broker = make_broker(extra="shell = { warnings = 1; };\n")
    for line in ATTACKS:
        if "\n" in line:
            continue  # a pipe reads it as two lines
        r = ctl("alice", input=line.encode("latin-1") + f"\nstatus {T}\n".encode(),
                text=False)
        if line in MISTAKES:
            assert r.returncode == 0 and b"running" in r.stdout, (line, r.stderr)
            assert b"refused command" not in r.stderr, (line, r.stderr)
        else:
            assert r.returncode == 2 and b"running" not in r.stdout, (line, r.stdout)
            assert b"too many refused commands" in r.stderr, (line, r.stderr)
    assert not os.path.exists(CANARY)


def spawn(ctl):
    argv = ctl.spawn_argv("alice", argv0="-ctl")
    return pexpect.spawn(argv[0], argv[1:], timeout=15, encoding="utf-8")


PROMPT = r"@[^\r\n]*> "


def test_interactive_attacks(make_broker, ctl, target):
    b = make_broker(extra="shell = { warnings = 0; };\n")
    ctl.broker = b
    before = state(target)
    child = spawn(ctl)
    child.expect(PROMPT)
    for line in ATTACKS:
        if any(c in line for c in "\n\r\x00\x16\x0b\x1b\x07\x7f\x03\x04\x1a\x1c"):
            continue  # typed control keys are tried below
        child.sendline(line)
        child.expect(PROMPT)
        assert "ctl: " in child.before, line
    # control keys at the prompt: Ctrl-V Ctrl-J, Ctrl-Z, Ctrl-\, Esc-x
    child.send(f"status {T}\x16\ntouch {CANARY}\r")
    child.expect(PROMPT)
    child.sendcontrol("z")
    child.sendcontrol("\\")
    child.send("\x1bx")
    child.sendline("")
    child.expect(PROMPT)
    # a very long paste
    child.send("status " + "x" * 20000 + "\r")
    child.expect(PROMPT, timeout=30)
    child.sendline(f"status {T}")
    child.expect("running")
    child.sendline("exit")
    child.expect(pexpect.EOF)
    assert not os.path.exists(CANARY)
    assert state(target) == before


LOADER_VARS = ("LD_PRELOAD", "LD_AUDIT", "LD_LIBRARY_PATH")


def run_shell_alone(ctl, bins, env):
    """ctl-shell run directly, as it would be without the static ctl."""
    uid, gid = ctl.ids("alice")
    # ASan refuses a library preloaded ahead of it; the mark is made first
    env = dict(ctl.env(env), ASAN_OPTIONS="verify_asan_link_order=0")
    return subprocess.run([bins["ctl-shell"], "--version"], user=uid, group=gid,
                          extra_groups=[], env=env, capture_output=True, cwd="/")


def test_loader_variables_run_code_in_the_shell_alone(ctl, bins, evil):
    """The witness: each library leaves its mark when a dynamic ctl is
    started with it, so the next tests' empty marks mean something."""
    for var in LOADER_VARS:
        evil.clear()
        run_shell_alone(ctl, bins, {var: evil.env[var]})
        assert evil.marks(), (var, "the evil library did not run: the witness is broken")
    evil.clear()


def test_loader_variables_load_nothing_through_c(ctl, target, evil):
    evil.clear()
    r = ctl("alice", "-c", f"status {target}", env=evil.env)
    assert r.returncode == 0, r.stderr
    assert "running" in r.stdout
    r = ctl("alice", "status", target, env=evil.env, argv0="-ctl")
    assert r.returncode == 0, r.stderr
    assert evil.marks() == []


def test_loader_variables_load_nothing_interactive(ctl, target, evil):
    evil.clear()
    user = ctl.accounts.users["alice"]
    exports = " ".join(f"{k}={v}" for k, v in evil.env.items())
    argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups",
            "--reset-env", "/bin/bash", "-c",
            f"export CTL_SOCKET={ctl.broker.socket} TERM=xterm {exports}; "
            f"exec -a -ctl {ctl.bin}"]
    child = pexpect.spawn(argv[0], argv[1:], timeout=15, encoding="utf-8")
    child.expect(PROMPT)
    child.sendline(f"status {target}")
    child.expect("running")
    child.sendline("exit")
    child.expect(pexpect.EOF)
    assert evil.marks() == []


def test_launcher_environment_is_an_allowlist(bins, tmp_path):
    """Only CTL_SOCKET, SSH_ORIGINAL_COMMAND and TERM reach the shell:
    a stand-in for ctl-shell beside a copy of the launcher prints what
    it was given."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "libexec/ctl").mkdir(parents=True)
    shutil.copy(bins["ctl"], tmp_path / "bin/ctl")
    src = tmp_path / "env.c"
    src.write_text('#include <stdio.h>\nextern char **environ;\n'
                   'int main(int c, char **v) { for (char **e = environ; *e; e++)'
                   ' puts(*e); printf("argv0=%s argc=%d\\n", v[0], c); return 0; }\n')
    subprocess.run(["cc", "-o", str(tmp_path / "libexec/ctl/ctl-shell"), str(src)],
                   check=True)
    env = {"CTL_SOCKET": "/s", "SSH_ORIGINAL_COMMAND": "ls", "TERM": "xterm",
           "LD_PRELOAD": "/x.so", "GCONV_PATH": "/g", "HOME": "/h", "LANG": "C.UTF-8",
           "GLIBC_TUNABLES": "glibc.malloc.check=3", "LOCPATH": "/l"}
    r = subprocess.run([str(tmp_path / "bin/ctl"), "a"], env=env, capture_output=True,
                       text=True, check=True)
    assert r.stdout.splitlines() == ["CTL_SOCKET=/s", "SSH_ORIGINAL_COMMAND=ls",
                                     "TERM=xterm", f"argv0={tmp_path}/bin/ctl argc=2"]
    # a shell that others may write, or a symlink, is not run
    os.chmod(tmp_path / "libexec/ctl/ctl-shell", 0o777)
    r = subprocess.run([str(tmp_path / "bin/ctl")], env=env, capture_output=True, text=True)
    assert r.returncode == 1 and "writable by others" in r.stderr, r
    os.rename(tmp_path / "libexec/ctl/ctl-shell", tmp_path / "libexec/ctl/real")
    os.symlink("real", tmp_path / "libexec/ctl/ctl-shell")
    r = subprocess.run([str(tmp_path / "bin/ctl")], env=env, capture_output=True, text=True)
    assert r.returncode == 1 and "ELOOP" in r.stderr, r


def test_launcher_is_static(bins):
    r = subprocess.run(["readelf", "-lW", bins["ctl"]], capture_output=True, text=True,
                       check=True)
    assert "INTERP" not in r.stdout and "DYNAMIC" in r.stdout, r.stdout
