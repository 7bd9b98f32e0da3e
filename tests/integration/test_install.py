"""make install honours DESTDIR and PREFIX and installs nothing setuid."""
import os
import re
import stat

from conftest import ROOT, run


def test_install_destdir_prefix(tmp_path):
    dest = tmp_path / "stage"
    run("make", "-C", ROOT, "install", f"DESTDIR={dest}", "PREFIX=/opt/ctl")
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


def test_one_version_for_all_three():
    with open(os.path.join(ROOT, "common", "version.h")) as f:
        version = re.search(r'CTL_VERSION\s+"([^"]+)"', f.read()).group(1)
    b = os.path.join(ROOT, "build")
    assert run(os.path.join(b, "ctl"), "--version").stdout.startswith(f"ctl {version} ")
    assert run(os.path.join(b, "ctld"), "--version").stdout == f"ctld {version}\n"
    with open(os.path.join(b, "pam_ctl.so"), "rb") as f:
        assert f"@(#)pam_ctl {version}\0".encode() in f.read()


def test_help_is_not_an_error():
    b = os.path.join(ROOT, "build")
    for prog in ("ctl", "ctld"):
        for opt in ("-h", "--help"):
            r = run(os.path.join(b, prog), opt)
            assert r.returncode == 0 and "usage:" in r.stdout and r.stderr == "", (prog, opt)
    r = run(os.path.join(b, "ctld"), "--bogus", check=False)
    assert r.returncode == 2 and "usage:" in r.stderr
