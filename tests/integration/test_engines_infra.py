"""The engines of engines.py are what they claim, the docker CLI (or
openssl) being the client: TLS that lets in ca's clients only, refuses
the wrong ones and a server for another host, and a second dockerd (the
Swarm manager is checked in test_swarm.py, on the services made there).
The host's dockerd is left as it was: conftest's host_dockerd_untouched
checks that at the end."""
import os
import re
import stat

import pytest

from conftest import run
from engines import TLSServer, docker_tls

pytestmark = pytest.mark.xdist_group("engines")


def refused(r):
    """A docker CLI run that failed on TLS, not on something else. With
    TLS 1.3 the server refuses a client's certificate after the client
    has finished its handshake: the CLI may see the alert, or only its
    write reset (handshake_errors says why)."""
    err = r.stderr.lower()
    return r.returncode != 0 and any(
        w in err for w in ("tls", "x509", "certificate", "connection reset"))


def test_certificates(certs):
    for pair in (certs.server, certs.client, certs.other_client, certs.expired_client,
                 certs.wrong_host_server):
        st = os.stat(pair.key)
        assert (stat.S_IMODE(st.st_mode), st.st_uid) == (0o600, 0), pair.key
        assert stat.S_IMODE(os.stat(pair.cert).st_mode) == 0o644
    ok = run("openssl", "verify", "-CAfile", certs.ca.cert, "-purpose", "sslclient",
             certs.client.cert)
    assert ok.stdout.strip().endswith("OK")
    assert run("openssl", "verify", "-CAfile", certs.ca.cert, "-purpose", "sslserver",
               certs.server.cert).returncode == 0
    bad = run("openssl", "verify", "-CAfile", certs.ca.cert, certs.expired_client.cert,
              check=False)
    assert bad.returncode != 0 and "expired" in bad.stdout + bad.stderr
    bad = run("openssl", "verify", "-CAfile", certs.ca.cert, certs.other_client.cert,
              check=False)
    assert bad.returncode != 0
    san = run("openssl", "x509", "-noout", "-ext", "subjectAltName",
              "-in", certs.wrong_host_server.cert).stdout
    assert "127.0.0.2" in san and "127.0.0.1" not in san


def test_tls_engine_answers_its_clients(tls_engine, image):
    assert tls_engine.url == f"tcp://127.0.0.1:{tls_engine.port}"
    r = tls_engine.docker("version", "--format", "{{.Server.APIVersion}}")
    assert r.stdout.strip() == "1.41"
    assert image in tls_engine.docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout
    # the same engine as on its Unix socket
    a = tls_engine.docker("info", "--format", "{{.ID}}").stdout
    assert a == tls_engine.docker_unix("info", "--format", "{{.ID}}").stdout


@pytest.mark.parametrize("who, why", [
    ("none", "didn't provide a certificate"),
    # Go's client offers no certificate of a CA the server does not name
    ("other_client", "didn't provide a certificate"),
    ("expired_client", "certificate has expired or is not yet valid: current time .* is after"),
    ("future_client", "certificate has expired or is not yet valid: current time .* is before"),
], ids=["none", "other_client", "expired_client", "future_client"])
def test_tls_engine_refuses(tls_engine, certs, who, why):
    since = tls_engine.log_size()
    r = tls_engine.docker_as(None if who == "none" else getattr(certs, who), "version",
                             "--format", "{{.Server.APIVersion}}", check=False)
    assert refused(r), (r.returncode, r.stdout, r.stderr)
    assert "1.41" not in r.stdout
    errors = tls_engine.handshake_errors(since)
    assert errors and all(re.search(why, e) for e in errors), errors


def test_client_refuses_wrong_server(tls_engine, certs, wrong_host_server):
    r = docker_tls(wrong_host_server.url, tls_engine.cli.env, "version", ca=certs.ca.cert,
                   client=certs.client, check=False)
    assert refused(r) and "127.0.0.2" in r.stderr, r.stderr
    # a server of the other CA, for the right name
    s = TLSServer(certs.other_server)
    try:
        r = docker_tls(s.url, tls_engine.cli.env, "version", ca=certs.ca.cert,
                       client=certs.client, check=False)
    finally:
        s.close()
    assert refused(r) and "unknown authority" in r.stderr, r.stderr
    # and a client trusting another CA refuses the engine itself
    r = tls_engine.docker_as(certs.client, "version", ca=certs.other_ca.cert, check=False)
    assert refused(r) and "unknown authority" in r.stderr, r.stderr


def test_second_engine(second_engine, image):
    assert os.path.exists(second_engine.socket)
    assert second_engine.socket != "/var/run/docker.sock"
    assert image in second_engine.docker("images", "--format",
                                         "{{.Repository}}:{{.Tag}}").stdout
