"""The shipped systemd unit: sandboxed, and consistent with the sample config."""
import os
import re

from conftest import ROOT, run

UNIT = os.path.join(ROOT, "etc", "systemd", "ctld.service")


def test_exposure_score():
    r = run("systemd-analyze", "security", "--offline=true", "--no-pager", UNIT, check=False)
    m = re.search(r"Overall exposure level for ctld.service: ([0-9.]+)", r.stdout)
    assert m, r.stdout + r.stderr
    # docs/SECURITY.md documents this score; raise it there if it changes
    assert float(m.group(1)) <= 2.3, r.stdout


def test_unit_keeps_what_ctld_needs():
    text = open(UNIT).read()
    conf = open(os.path.join(ROOT, "etc", "ctld.conf")).read()
    rw = re.search(r"^ReadWritePaths=(.*)$", text, re.M).group(1).split()
    sock = re.search(r'listen = \{ path = "([^"]+)"', conf).group(1)
    audit = re.search(r'audit = \{ file = "([^"]+)"', conf).group(1)
    assert os.path.dirname(sock) in rw
    assert os.path.dirname(audit) in rw
    for setting in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                    "PrivateTmp=yes", "PrivateDevices=yes", "SystemCallFilter=@system-service",
                    "RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6",
                    "IPAddressDeny=any"):
        assert setting in text
    # remote engines' addresses are allowed by the admin's drop-in, never here
    assert not re.search(r"^IPAddressAllow=", text, re.M)
    # the filter forbids setrlimit (@resources): the unit sets the limit
    assert "~@resources" in text
    assert int(re.search(r"^LimitNOFILE=(\d+)$", text, re.M).group(1)) >= 4096
    for f in ("relayd.c", "keeper.c"):
        assert "setrlimit" not in open(os.path.join(ROOT, "broker", f)).read()
    caps = re.search(r"^CapabilityBoundingSet=(.*)$", text, re.M).group(1).split()
    assert set(caps) == {"CAP_SYS_PTRACE", "CAP_AUDIT_WRITE"}


def test_socket_unit_matches_the_sample_config():
    """ctld refuses a socket that is not what it would make: ctld.socket's
    ListenStream= and SocketMode= are the sample config's listen.path
    and listen.mode."""
    text = open(os.path.join(ROOT, "etc", "systemd", "ctld.socket")).read()
    conf = open(os.path.join(ROOT, "etc", "ctld.conf")).read()
    m = re.search(r'listen = \{ path = "([^"]+)"; mode = (0[0-7]+); \}', conf)
    assert m, "the sample config's listen line"
    assert re.search(r"^ListenStream=(.*)$", text, re.M).group(1) == m.group(1)
    assert re.search(r"^SocketMode=(.*)$", text, re.M).group(1) == m.group(2)
