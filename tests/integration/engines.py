"""More Docker engines for the tests of a ctld that brokers several:
certificates for mutual TLS, a private dockerd serving TLS on a loopback
port, a second plain one, and a private Swarm manager.

Every engine here is a conftest.PrivateDockerd: its own directory,
containerd namespace and bridge, never the host's dockerd, docker0 or
iptables. Each fixture starts its engine at most once per xdist worker,
when a test first asks for it, and takes it down at the end of the
session, failed tests or not. Tests using them belong in one xdist
group, so that one worker starts them: "engines" for the TLS and the
second dockerd, "swarm" for the Swarm manager, two workers side by side:

    pytestmark = pytest.mark.xdist_group("engines")

conftest.py imports the fixtures from here.
"""
import json
import os
import random
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.parse
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import (IDLE, TAG, PrivateDockerd, engine, engine_raw, free_subnet, host_networks,
                      run, wait_for)

# A certificate, its key and the certificate of the CA that signed it.
Pair = namedtuple("Pair", "cert key ca")


def free_port(kind=socket.SOCK_STREAM, host="127.0.0.1", lo=None, hi=None):
    """A port nothing listens on now (one in [lo, hi] if given); whoever
    binds it next may race us, so users retry on a clash."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind((host, random.randint(lo, hi) if lo else 0))
            except OSError:
                continue
            return s.getsockname()[1]
    raise AssertionError(f"no free port in {lo}-{hi} on {host}")


def _write_private(path, data):
    """A key file: 0600 from its creation on (we run as root: root's)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _new_key(path):
    key = run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
              text=False).stdout
    _write_private(path, key)


CA_CONF = """\
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = {dir}
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir/issued
certificate = $dir/ca.crt
private_key = $dir/ca.key
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
copy_extensions = none
[ policy_any ]
commonName = supplied
[ req ]
distinguished_name = req_dn
[ req_dn ]
[ v3_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""

USAGE = {
    "server": "keyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\n",
    "client": "keyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth\n",
}


class CA:
    """A certificate authority in a directory of its own, driven with
    `openssl ca` (which can date a certificate in the past: openssl 3.0's
    x509 has no -not_before)."""

    def __init__(self, d, cn):
        self.dir = d
        os.makedirs(os.path.join(d, "issued"))
        os.chmod(d, 0o755)
        open(os.path.join(d, "index.txt"), "w").close()
        with open(os.path.join(d, "serial"), "w") as f:
            # random, positive, of even length: openssl reads it as hex
            f.write(f"{random.randint(0x10, 0x7f):02X}{secrets.token_hex(7).upper()}\n")
        self.conf = os.path.join(d, "ca.cnf")
        with open(self.conf, "w") as f:
            f.write(CA_CONF.format(dir=d))
        self.cert = os.path.join(d, "ca.crt")
        self.key = os.path.join(d, "ca.key")
        _new_key(self.key)
        run("openssl", "req", "-config", self.conf, "-new", "-x509", "-key", self.key,
            "-subj", f"/CN={cn}", "-days", "3650", "-extensions", "v3_ca", "-out", self.cert)

    def issue(self, name, usage, cn=None, san=None, days=365, start=None, end=None):
        """A certificate and key for usage "server" or "client", signed by
        this CA, as NAME.crt and NAME.key in its directory. san: the
        subjectAltName ("IP:127.0.0.1,DNS:localhost"); start, end: its
        validity as openssl's YYYYMMDDHHMMSSZ (else now to days ahead)."""
        cert, key = (os.path.join(self.dir, f"{name}.{e}") for e in ("crt", "key"))
        csr, ext = (os.path.join(self.dir, f"{name}.{e}") for e in ("csr", "ext"))
        _new_key(key)
        run("openssl", "req", "-config", self.conf, "-new", "-key", key,
            "-subj", f"/CN={cn or name}", "-out", csr)
        with open(ext, "w") as f:
            f.write("[ ext ]\nbasicConstraints = critical, CA:false\n" + USAGE[usage] +
                    (f"subjectAltName = {san}\n" if san else ""))
        when = (["-startdate", start] if start else []) + \
            (["-enddate", end] if end else ["-days", str(days)])
        run("openssl", "ca", "-batch", "-config", self.conf, "-notext",
            "-extfile", ext, "-extensions", "ext", *when, "-in", csr, "-out", cert)
        os.chmod(cert, 0o644)
        return Pair(cert, key, self.cert)


class Certs:
    """The certificates the TLS tests use, made once in directory d:

    ca, other_ca         two unrelated CAs (.cert, .key, .issue())
    server               ca's, for IP:127.0.0.1 and DNS:localhost
    client               ca's, extendedKeyUsage clientAuth
    other_client         other_ca's client certificate
    other_server         other_ca's server certificate, right host name
    expired_client       ca's, valid 2020 to 2021 only
    future_client        ca's, valid from 2090 on
    wrong_host_server    ca's, for IP:127.0.0.2 only

    Each of these is a Pair(cert, key, ca): file paths, ca being the
    signer's certificate. Keys are 0600; the directory and the
    certificates are readable by all.
    """

    SAN = "IP:127.0.0.1,DNS:localhost"

    def __init__(self, d):
        self.dir = d
        os.makedirs(d, mode=0o755, exist_ok=True)
        self.ca = CA(os.path.join(d, "ca"), f"ctl test CA {TAG}")
        self.other_ca = CA(os.path.join(d, "other-ca"), f"ctl test other CA {TAG}")
        self.server = self.ca.issue("server", "server", cn="localhost", san=self.SAN)
        self.client = self.ca.issue("client", "client")
        self.other_client = self.other_ca.issue("client", "client")
        self.other_server = self.other_ca.issue("server", "server", cn="localhost", san=self.SAN)
        self.expired_client = self.ca.issue("expired-client", "client",
                                            start="20200101000000Z", end="20210101000000Z")
        self.future_client = self.ca.issue("future-client", "client",
                                           start="20900101000000Z", end="20910101000000Z")
        self.wrong_host_server = self.ca.issue("wrong-host-server", "server", cn="127.0.0.2",
                                               san="IP:127.0.0.2")


def tls_context(ca, client=None):
    """An ssl client context trusting ca, with client's Pair if given."""
    ctx = ssl.create_default_context(cafile=ca)
    if client:
        ctx.load_cert_chain(client.cert, client.key)
    return ctx


def tls_ping(port, ctx, timeout=2):
    """True if GET /_ping over TLS on 127.0.0.1:port answers 200."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
                data = b""
                while chunk := s.recv(4096):
                    data += chunk
        return data.split(b"\r\n")[0].split()[1:2] == [b"200"]
    except (OSError, IndexError):
        return False


class CLIEnv:
    """An environment for the docker CLI that reads no config, context or
    certificate of root's (~/.docker) nor DOCKER_* of the caller."""

    def __init__(self, d):
        self.dir = os.path.join(d, "docker-cli")
        os.makedirs(self.dir, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        self.env.update(DOCKER_CONFIG=self.dir, DOCKER_CERT_PATH=self.dir)


def docker_tls(url, env, *args, ca=None, client=None, check=True, **kw):
    """docker --tlsverify -H url ARGS: trusting ca (none: the system's),
    showing client's Pair (none: no certificate)."""
    tls = ["--tlsverify"]
    if ca:
        tls += ["--tlscacert", ca]
    if client:
        tls += ["--tlscert", client.cert, "--tlskey", client.key]
    return run("docker", *tls, "-H", url, *args, check=check, env=env, **kw)


class TLSDockerd(PrivateDockerd):
    """A PrivateDockerd that also serves tcp://127.0.0.1:port with
    --tlsverify: only clients with a certificate of certs.ca get in.

    url                "tcp://127.0.0.1:PORT"; port, the number
    ca, cert, key      what a client needs (certs.client and its CA)
    server_cert, server_key   what dockerd presents (certs.server)
    docker(*args)      the docker CLI over TLS, as certs.client
    docker_as(client, *args, ca=)  the same as another Pair, or None
    docker_unix(*args) the docker CLI on its Unix socket (socket, host)
    log_size(), handshake_errors(since)   why it refused TLS clients:
                       its log's "TLS handshake error" lines after offset
                       since (a log_size() taken before)
    """

    def __init__(self, tmp, n, certs, args=()):
        super().__init__(tmp, n, args)
        self.certs = certs
        self.ca, self.cert, self.key = certs.ca.cert, certs.client.cert, certs.client.key
        self.server_cert, self.server_key = certs.server.cert, certs.server.key
        self.base_argv = list(self.argv)
        self.cli = CLIEnv(self.dir)
        self._set_port(free_port())

    def _set_port(self, port):
        self.port = port
        self.url = f"tcp://127.0.0.1:{port}"
        self.argv = self.base_argv + [
            "-H", self.url, "--tlsverify", "--tlscacert", self.ca,
            "--tlscert", self.server_cert, "--tlskey", self.server_key]

    def start(self, timeout=60):
        """Up, on its Unix socket and its TLS port; a port someone took
        since it was picked is picked again."""
        for _ in range(5):
            size = os.path.getsize(self.logpath) if os.path.exists(self.logpath) else 0
            try:
                super().start(timeout)
                break
            except AssertionError:
                with open(self.logpath) as f:
                    f.seek(size)
                    if "address already in use" not in f.read() or self.running():
                        raise
                self._set_port(free_port())
        else:
            raise AssertionError(f"no free port for a TLS dockerd:\n{self.logtext()}")
        ctx = tls_context(self.ca, self.certs.client)
        if not wait_for(lambda: tls_ping(self.port, ctx), timeout, 0.05):
            raise AssertionError(f"{self.url} does not answer over TLS:\n{self.logtext()}")
        return self

    def docker(self, *args, check=True, **kw):
        return self.docker_as(self.certs.client, *args, check=check, **kw)

    def docker_as(self, client, *args, ca=None, check=True, **kw):
        return docker_tls(self.url, self.cli.env, *args, ca=ca or self.ca, client=client,
                          check=check, **kw)

    def docker_unix(self, *args, check=True, **kw):
        return PrivateDockerd.docker(self, *args, check=check, **kw)

    def log_size(self):
        return os.path.getsize(self.logpath)

    def handshake_errors(self, since=0):
        """Go's http server logs each refused handshake with its reason:
        "tls: client didn't provide a certificate", "tls: failed to verify
        client certificate: x509: certificate has expired or is not yet
        valid: ...". A client offers no certificate of a CA that the
        server does not ask for (Go's CLI, not OpenSSL's)."""
        with open(self.logpath, errors="replace") as f:
            f.seek(since)
            return [line.split("TLS handshake error from ", 1)[1].strip()
                    for line in f if "TLS handshake error from " in line]


class TLSServer:
    """openssl s_server on a loopback port of its own, presenting pair:
    a TLS peer for what docker's CLI or ctld must refuse before any HTTP
    (Certs.wrong_host_server). url: "tcp://127.0.0.1:PORT". It asks for
    a client certificate of pair.ca, but the handshake is all it does."""

    def __init__(self, pair):
        self.pair = pair
        self.proc = None
        for _ in range(5):
            self.port = free_port()
            self.url = f"tcp://127.0.0.1:{self.port}"
            self.proc = subprocess.Popen(
                ["openssl", "s_server", "-quiet", "-accept", f"127.0.0.1:{self.port}",
                 "-cert", pair.cert, "-key", pair.key, "-CAfile", pair.ca, "-Verify", "1",
                 "-www"],
                # a line for each refused handshake: a pipe nobody reads would fill
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if wait_for(lambda: self.proc.poll() is not None or self._accepts(), 10):
                if self.proc.poll() is None:
                    return
            self.close()
        raise AssertionError("openssl s_server did not listen")

    def _accepts(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait()


class SwarmDockerd(PrivateDockerd):
    """A PrivateDockerd that is a single-node Swarm manager.

    Its docker_gwbridge is made before `swarm init` on a free /24 with a
    bridge device of ours (gwbridge, "gw" + TAG + n), no masquerading, no
    inter-container traffic. Swarm listens and gossips (port 7946, which
    no option moves) on a loopback address of its own (addr, a random
    127.x.y.z), so that two of them on one host do not clash;
    listen_port and data_path_port are free ports.

    service(...)       makes a service, by default waits for its tasks
    wait_service(name) until its tasks run (a job's: have completed)
    tasks(name)        its tasks, as the Engine API gives them
    remove_service(name)
    """

    def __init__(self, tmp, n, args=()):
        super().__init__(tmp, n, args)
        self.gwbridge = f"gw{TAG}{n}"
        self.gwbridge_made = False
        self.swarm = False
        self.services = []
        self.addr = self.listen_port = self.data_path_port = None

    def start(self, timeout=60):
        super().start(timeout)
        if not self.swarm:
            self.init_swarm()
        return self

    def api(self, method, path, body=None, ok=(200, 201, 204, 304)):
        return engine(method, path, body, sock=self.socket, ok=ok)

    def make_gwbridge(self):
        for _ in range(5):
            net = free_subnet()
            status, out = engine_raw("POST", "/networks/create", {
                "Name": "docker_gwbridge", "Driver": "bridge", "CheckDuplicate": True,
                "IPAM": {"Config": [{"Subnet": str(net)}]},
                "Options": {"com.docker.network.bridge.name": self.gwbridge,
                            "com.docker.network.bridge.enable_icc": "false",
                            "com.docker.network.bridge.enable_ip_masquerade": "false"}},
                sock=self.socket)
            if status != 201:
                continue
            self.gwbridge_made = True
            # another run may have taken the same /24 meanwhile
            if not any(net.overlaps(u) for u in host_networks(but=self.gwbridge)):
                self.gwsubnet = net
                return
            self.api("DELETE", "/networks/docker_gwbridge")
            self.gwbridge_made = False
        raise AssertionError(f"docker_gwbridge: {status} {out[:300]!r}")

    def init_swarm(self):
        if not self.gwbridge_made:
            self.make_gwbridge()
        for _ in range(5):
            self.addr = f"127.{random.randrange(100, 255)}.{random.randrange(256)}." \
                        f"{random.randrange(1, 255)}"
            try:  # the gossip port, which swarm init cannot move
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    with socket.socket(socket.AF_INET, kind) as s:
                        s.bind((self.addr, 7946))
            except OSError:
                continue
            self.listen_port = free_port(host=self.addr)
            # swarm wants it in 1024-49151; below Linux's ephemeral ports
            self.data_path_port = free_port(socket.SOCK_DGRAM, "0.0.0.0", 20000, 32767)
            status, out = engine_raw("POST", "/swarm/init", {
                "ListenAddr": f"{self.addr}:{self.listen_port}", "AdvertiseAddr": self.addr,
                "DataPathPort": self.data_path_port}, sock=self.socket)
            if status == 200:
                self.swarm = True
                return
            if b"address already in use" not in out:
                raise AssertionError(f"swarm init: {status} {out[:300]!r}\n{self.logtext()}")
        raise AssertionError(f"swarm init: no free address: {out[:300]!r}")

    def service(self, name, image, mode="replicated", replicas=1, owner=None, group=None,
                labels=None, cmd=None, update=None, wait=True, timeout=60):
        """A service running image: mode "replicated" (replicas tasks),
        "global" or "replicated-job" (replicas completions, at most that
        many at once; cmd defaults to true). owner, group and labels are
        set on the service and on its containers (ctl.owner, ctl.group);
        update, its UpdateConfig (how an update rolls).
        Made through the Engine API: no registry is asked about image,
        as with `docker service create --no-resolve-image`."""
        lab = {"ctltest": TAG, **(labels or {})}
        if owner:
            lab["ctl.owner"] = owner
        if group:
            lab["ctl.group"] = group
        if mode == "replicated":
            spec_mode = {"Replicated": {"Replicas": replicas}}
        elif mode == "global":
            spec_mode = {"Global": {}}
        elif mode == "replicated-job":
            spec_mode = {"ReplicatedJob": {"MaxConcurrent": replicas,
                                           "TotalCompletions": replicas}}
            cmd = cmd or ["true"]
        else:
            raise ValueError(mode)
        # the host's network: a task on a bridge costs dockerd two
        # re-executions of itself to set up (Swarm has no "none"); these
        # tasks only sleep or exit
        task = {"ContainerSpec": {"Image": image, "Command": cmd or IDLE, "Labels": lab},
                "Networks": [{"Target": "host"}]}
        if mode == "replicated-job":
            task["RestartPolicy"] = {"Condition": "none"}
        spec = {"Name": name, "Labels": lab, "Mode": spec_mode, "TaskTemplate": task}
        if update:
            spec["UpdateConfig"] = update
        self.api("POST", "/services/create", spec)
        self.services.append(name)
        if wait:
            self.wait_service(name, timeout)
        return name

    def tasks(self, name):
        f = urllib.parse.quote(json.dumps({"service": [name]}))
        return self.api("GET", f"/tasks?filters={f}")

    def wait_service(self, name, timeout=60):
        """Until every task the service wants runs: replicas of them, one
        per node for global; a job's completions all done."""
        svc = self.api("GET", f"/services/{urllib.parse.quote(name)}")
        mode = svc["Spec"]["Mode"]
        if "Replicated" in mode:
            want, state = mode["Replicated"]["Replicas"], "running"
        elif "ReplicatedJob" in mode:
            want, state = mode["ReplicatedJob"].get("TotalCompletions", 1), "complete"
        else:
            want, state = len(self.api("GET", "/nodes")), "running"
        tasks = []

        def done():
            nonlocal tasks
            tasks = self.tasks(name)
            return sum(t["Status"]["State"] == state for t in tasks) >= want

        if not wait_for(done, timeout, 0.2):
            raise AssertionError(f"service {name}: want {want} {state}, tasks: "
                                 + str([(t.get("Slot"), t["Status"]) for t in tasks]))
        return tasks

    def remove_service(self, name):
        self.api("DELETE", f"/services/{urllib.parse.quote(name)}", ok=(200, 404))
        if name in self.services:
            self.services.remove(name)

    def cleanup(self):
        """Stopped with its services and swarm: its dockerd stops their
        tasks, and its directory goes with the rest. Leaving the swarm
        first took 2.9 s and some 2 CPU-s more."""
        super().cleanup()
        # dockerd removes the device with the network; if it could not,
        # ours (its name holds TAG) goes here
        if self.gwbridge_made and os.path.exists(f"/sys/class/net/{self.gwbridge}"):
            run("ip", "link", "del", self.gwbridge, check=False)


def leftovers(d):
    """What a cleaned-up PrivateDockerd d left: network devices of its
    names, mounts under its directory, processes naming its directory
    (its containerd, the shims of its namespace). Empty if none."""
    out = []
    for dev in (d.bridge, getattr(d, "gwbridge", None)):
        if dev and os.path.exists(f"/sys/class/net/{dev}"):
            out.append(f"device {dev}")
    with open("/proc/self/mountinfo") as f:
        out += [f"mount {line.split()[4]}" for line in f
                if line.split()[4].startswith(d.dir + "/")]
    ns = d.argv[d.argv.index("--containerd-namespace") + 1]
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if d.dir in cmd or f"-namespace {ns} " in cmd:
            out.append(f"process {pid}: {cmd[:200]}")
    return out


def take_down(d, timeout=20):
    """d.cleanup(), then an error if anything of d is left."""
    d.cleanup()
    wait_for(lambda: not leftovers(d), timeout, 0.2)
    left = leftovers(d)
    assert not left, f"{d.dir} left behind: {left}"


class _Timed:
    """Fixture timings, kept on the engine: timings["up"], ["down"]."""

    def __init__(self, d, key):
        self.d, self.key = d, key

    def __enter__(self):
        self.t = time.monotonic()

    def __exit__(self, *exc):
        self.d.timings[self.key] = round(time.monotonic() - self.t, 2)


def _engine(d, image):
    d.timings = {}
    d.image = image
    try:
        with _Timed(d, "up"):
            d.start()
            d.load_image(image)
        yield d
    finally:
        with _Timed(d, "down"):
            take_down(d)
        log = os.environ.get("CTL_ENGINE_TIMINGS")
        if log:
            with open(log, "a") as f:
                f.write(f"{type(d).__name__} {d.timings}\n")


@pytest.fixture(scope="session")
def certs(tmpdir_shared):
    """Certs: a CA, server and client certificates, and the bad ones."""
    c = Certs(tempfile.mkdtemp(prefix="certs-", dir=tmpdir_shared))
    os.chmod(c.dir, 0o755)
    yield c
    shutil.rmtree(c.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def engine_pair(tmpdir_shared, certs, image):
    """A TLSDockerd and a plain PrivateDockerd, started and taken down
    side by side: the tests that use one (xdist group "engines") use both."""
    ds = [TLSDockerd(tmpdir_shared, "t", certs), PrivateDockerd(tmpdir_shared, "u")]
    gens = [_engine(d, image) for d in ds]
    with ThreadPoolExecutor(2) as pool:
        up = [pool.submit(next, g) for g in gens]
        try:
            yield [f.result() for f in up]
        finally:
            downs = [pool.submit(lambda g: next(g, None), g) for g in gens]
            for f in downs:
                f.result()


@pytest.fixture(scope="session")
def tls_engine(engine_pair):
    """A TLSDockerd with the test image (image) loaded."""
    return engine_pair[0]


@pytest.fixture(scope="session")
def second_engine(engine_pair):
    """A plain PrivateDockerd (socket, host, docker()) with the test image."""
    return engine_pair[1]


@pytest.fixture(scope="session")
def swarm_engine(tmpdir_shared, image):
    """A SwarmDockerd, manager of its own swarm, with the test image."""
    yield from _engine(SwarmDockerd(tmpdir_shared, "s"), image)


@pytest.fixture(scope="session")
def wrong_host_server(certs):
    """A TLSServer presenting certs.wrong_host_server (IP:127.0.0.2 only)."""
    s = TLSServer(certs.wrong_host_server)
    yield s
    s.close()
