"""make install honours DESTDIR and PREFIX, installs nothing setuid, keeps
an admin's files, and make uninstall removes exactly what it installed."""
import os
import re
import stat

import pytest

from conftest import ROOT, run

# install writes build/gen/ from PREFIX: these tests take turns
pytestmark = pytest.mark.xdist_group("install")


def make(*args, env=None):
    return run("make", "--no-print-directory", "-C", ROOT, *args,
               env=dict(os.environ, **(env or {})))


def files_under(top):
    return sorted(os.path.relpath(os.path.join(d, f), top)
                  for d, _, fs in os.walk(top) for f in fs)


def test_install_destdir_prefix(tmp_path):
    dest = tmp_path / "stage"
    make("install", f"DESTDIR={dest}", "PREFIX=/opt/ctl")
    bin_ctl = dest / "opt/ctl/bin/ctl"
    sbin_ctld = dest / "opt/ctl/sbin/ctld"
    shell = dest / "opt/ctl/libexec/ctl/ctl-shell"
    for path in (bin_ctl, shell, sbin_ctld):
        mode = os.stat(path).st_mode
        assert stat.S_IMODE(mode) == 0o755
        assert not mode & (stat.S_ISUID | stat.S_ISGID)
    assert (dest / "opt/ctl/share/man/man1/ctl.1").exists()
    assert (dest / "opt/ctl/share/man/man8/ctld.8").exists()
    assert (dest / "etc/ctl/ctld.conf").exists()
    assert (dest / "etc/pam.d/ctl").exists()
    # the prefix is an install-time choice, never compiled in
    assert b"/opt/ctl" not in bin_ctl.read_bytes()
    assert b"/opt/ctl" not in shell.read_bytes()
    # the login shell's first program has no dynamic loader (no INTERP)
    r = run("readelf", "-lW", str(bin_ctl))
    assert "INTERP" not in r.stdout, r.stdout
    assert b"/opt/ctl" not in sbin_ctld.read_bytes()
    assert (dest / "opt/ctl/share/man/man5/ctld.conf.5").exists()
    assert (dest / "etc/logrotate.d/ctld").exists()
    # the unit and the snippet name the binaries where PREFIX put them
    unit = (dest / "opt/ctl/lib/systemd/system/ctld.service").read_text()
    assert "ExecStart=/opt/ctl/sbin/ctld -d -f /etc/ctl/ctld.conf" in unit
    assert "/usr/sbin" not in unit
    snippet = (dest / "opt/ctl/share/doc/ctl/examples/sshd_config.d-ctl.conf").read_text()
    assert "ForceCommand /opt/ctl/bin/ctl\n" in snippet
    # sshd's own directory only when asked (INSTALL_SSHD=yes)
    assert not (dest / "etc/ssh").exists()
    # uninstall takes it all away again, directories too
    make("uninstall", f"DESTDIR={dest}", "PREFIX=/opt/ctl")
    assert files_under(dest) == []
    assert os.listdir(dest) == []


def test_install_keeps_admins_files(tmp_path):
    """Configuration only where none is, removed only if unchanged; the
    sshd snippet into sshd_config.d when asked; /etc/shells once."""
    dest = tmp_path / "stage"
    shells = tmp_path / "shells"
    shells.write_text("/bin/sh\n")
    conf = dest / "etc/ctl/ctld.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("# the admin's\n")
    args = ("install", f"DESTDIR={dest}", "PREFIX=/usr", "INSTALL_SSHD=yes",
            "SHELLS=yes")
    env = {"SHELLS_FILE": str(shells)}
    make(*args, env=env)
    r = make(*args, env=env)     # twice: nothing more
    assert f"kept {dest}/etc/ctl/ctld.conf" in r.stdout
    assert conf.read_text() == "# the admin's\n"
    assert shells.read_text() == "/bin/sh\n/usr/bin/ctl\n"
    snippet = (dest / "etc/ssh/sshd_config.d/ctl.conf").read_text()
    assert "ForceCommand /usr/bin/ctl\n" in snippet
    with open(os.path.join(ROOT, "etc/pam.d/ctl")) as f:
        assert (dest / "etc/pam.d/ctl").read_text() == f.read()
    # an edited PAM file stays too
    with open(dest / "etc/pam.d/ctl", "a") as f:
        f.write("# edited\n")
    r = make("uninstall", *args[1:], env=env)
    assert shells.read_text() == "/bin/sh\n"
    assert files_under(dest) == ["etc/ctl/ctld.conf", "etc/pam.d/ctl"], r.stdout


def test_one_version_for_all_three():
    with open(os.path.join(ROOT, "common", "version.h")) as f:
        version = re.search(r'CTL_VERSION\s+"([^"]+)"', f.read()).group(1)
    b = os.path.join(ROOT, "build")
    assert run(os.path.join(b, "ctl"), "--version").stdout.startswith(f"ctl {version} ")
    assert run(os.path.join(b, "ctld"), "--version").stdout == f"ctld {version}\n"
    with open(os.path.join(b, "pam_ctl.so"), "rb") as f:
        assert f"@(#)pam_ctl {version}\0".encode() in f.read()
    # and the Debian packages' (a native package: no revision)
    with open(os.path.join(ROOT, "debian", "changelog")) as f:
        assert f.readline().startswith(f"ctl ({version}) "), "debian/changelog"


def test_help_is_not_an_error():
    b = os.path.join(ROOT, "build")
    for prog in ("ctl", "ctld"):
        for opt in ("-h", "--help"):
            r = run(os.path.join(b, prog), opt)
            assert r.returncode == 0 and "usage:" in r.stdout and r.stderr == "", (prog, opt)
    r = run(os.path.join(b, "ctld"), "--bogus", check=False)
    assert r.returncode == 2 and "usage:" in r.stderr


def test_ctld_conf_5_names_every_key():
    """Every group and key the config loader knows has its entry in
    ctld.conf(5): a key added to broker/*conf*.c needs its page line."""
    src = ""
    for f in ("config.c", "engconf.c", "tmplconf.c", "execconf.c"):
        with open(os.path.join(ROOT, "broker", f)) as fh:
            src += fh.read()
    keys = set(re.findall(r'\{ "(\w+)", (?:CONFIG_TYPE_\w+, st_|sp_|tls_group|listen_keys|'
                          r'docker_keys|NULL|pam_keys|audit_keys|ownership_keys|limits_keys|'
                          r'shell_keys|swarm_keys|reauth_keys)', src))
    keys |= set(re.findall(r'strcmp\(k, "(\w+)"\)', src))
    keys |= {"ca", "cert", "key", "trusted", "name", "path"}    # tls, images, volume
    assert len(keys) > 60, keys
    with open(os.path.join(ROOT, "docs", "man", "ctld.conf.5")) as f:
        page = f.read()
    documented = set(re.findall(r"^\.(?:Ss|It Cm) (\w+)", page, re.M))
    documented |= set(re.findall(r"^\.It Cm \w+ , (\w+)", page, re.M))
    documented |= set(re.findall(r"^\.It Cm \w+ , \w+ , (\w+)", page, re.M))
    for line in re.findall(r"^\.Cm (\w+(?: , \w+)+)", page, re.M):    # tls's keys
        documented |= set(line.split(" , "))
    assert keys - documented == set(), sorted(keys - documented)
