"""One ctld, three engines: the host's dockerd ("local"), a private one
serving mutual TLS on a loopback port ("build02") and a private one on a
Unix socket ("build03"). Every verb reaches the engine that has the
container, a plain name works only when it names one container of the
caller's, a name of somebody else's looks like no container at all, an
engine that stops answering holds up nobody, and TLS that does not
verify is refused with a clear message."""
import json
import os
import select
import signal
import subprocess
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from conftest import (IDLE, TAG, Broker, config_text, engine, engine_raw, exists, inspect,
                      remove, wait_for)

pytestmark = pytest.mark.xdist_group("engines")

TICK = ["sh", "-c", "trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); "
        "echo tick $i; sleep 0.2 & wait $!; done"]
OWNER_VERBS = ["ls", "status", "logs", "start", "stop", "restart", "stats", "rm", "exec"]


def engines_text(tls, unix, ca=None, cert=None, key=None, timeout=2):
    return (
        'engines = (\n'
        '  { name = "local"; socket = "/var/run/docker.sock"; },\n'
        f'  {{ name = "build02"; url = "{tls.url}"; timeout = {timeout};\n'
        f'    tls = {{ ca = "{ca or tls.ca}"; cert = "{cert or tls.cert}"; '
        f'key = "{key or tls.key}"; }}; }},\n'
        f'  {{ name = "build03"; socket = "{unix.socket}"; timeout = {timeout}; }}\n'
        ');\n')


def multi_config(accounts, pam_service, tls, unix, **kw):
    own = ('ownership = { owner_label = "ctl.owner"; group_label = "ctl.group";\n'
           f'  owner_verbs = {json.dumps(OWNER_VERBS)}; }};\n')
    text = config_text("@DIR@", accounts, pam_service, ownership=own,
                       extra=engines_text(tls, unix, **kw))
    # the engines list names the local socket: docker.socket must go
    return "\n".join(line for line in text.splitlines() if not line.startswith("docker ="))


def run_on(eng, name, owner, cmd=IDLE, start=True):
    """docker run -d on eng (docker create, start=False), through the
    Engine API on its Unix socket (a docker CLI process, over TLS, costs
    several times dockerd's work); contained (contain.c), so that exec may
    run in it; no network (as Containers.create: its setup re-executes
    dockerd twice a start)."""
    q = urllib.parse.quote(name)
    engine("POST", f"/containers/create?name={q}",
           {"Image": eng.image, "Cmd": cmd, "Labels": {"ctl.owner": owner},
            "NetworkDisabled": True, "User": "1000:1000",
            "HostConfig": {"CgroupnsMode": "private", "SecurityOpt": ["no-new-privileges"]}},
           sock=eng.socket)
    if start:
        engine("POST", f"/containers/{q}/start", sock=eng.socket)
    return name


@pytest.fixture(scope="module")
def fleet(tls_engine, second_engine, accounts, pam_service, bins, tmpdir_shared, image):
    """Containers on each engine, and a broker over the three."""
    alice, bob = accounts.users["alice"], accounts.users["bob"]
    n = {
        "two": f"{TAG}-e-two", "three": f"{TAG}-e-three", "both": f"{TAG}-e-both",
        "bobs": f"{TAG}-e-bobs", "shadow": f"{TAG}-e-shadow", "loc": f"{TAG}-e-loc",
    }
    local = SimpleNamespace(socket="/var/run/docker.sock", image=image)
    # running: those verbs, logs and exec reach; the others are only
    # listed and looked up, which a stopped container serves as well
    made = [(tls_engine, n["two"], alice, TICK), (second_engine, n["three"], alice),
            (tls_engine, n["both"], alice, IDLE, False),
            (second_engine, n["both"], alice, IDLE, False),
            (tls_engine, n["bobs"], bob, IDLE, False),
            (tls_engine, n["shadow"], alice, IDLE, False),      # alice's here,
            (second_engine, n["shadow"], bob, IDLE, False),     # bob's there: not hers
            (local, n["loc"], alice, IDLE, False)]
    with ThreadPoolExecutor(8) as pool:  # dockerd serves them side by side
        list(pool.map(lambda a: run_on(*a), made))
    b = Broker(bins, tmpdir_shared, multi_config(accounts, pam_service, tls_engine,
                                                 second_engine))
    yield n, b
    b.stop()
    remove(n["loc"])
    for e in (tls_engine, second_engine):
        remove(*n.values(), sock=e.socket)


@pytest.fixture
def mctl(ctl, fleet):
    ctl.broker = fleet[1]
    return ctl


def ls_rows(mctl, who="alice"):
    r = mctl(who, "ls", "--json")
    return r, json.loads(r.stdout)["containers"]


def test_ls_asks_every_engine(mctl, fleet):
    n, b = fleet
    r, rows = ls_rows(mctl)
    assert r.returncode == 0, r.stderr
    got = {(c["engine"], c["name"]) for c in rows}
    assert {("build02", n["two"]), ("build03", n["three"]), ("build02", n["both"]),
            ("build03", n["both"]), ("local", n["loc"]), ("build02", n["shadow"])} <= got
    assert ("build02", n["bobs"]) not in got and ("build03", n["shadow"]) not in got
    table = mctl("alice", "ls")
    assert table.stdout.splitlines()[0].split()[0] == "ENGINE"
    assert any(line.split()[:2] == ["build02", n["two"]] for line in table.stdout.splitlines())
    quiet = mctl("alice", "ls", "-q").stdout.split()
    assert f"build03/{n['three']}" in quiet and f"local/{n['loc']}" in quiet


def test_every_verb_reaches_the_engine_that_has_it(mctl, fleet, tls_engine, second_engine):
    n, b = fleet

    def every_verb(name, eng):  # on both engines at once
        cid = inspect(name, sock=eng.socket)["Id"]
        st = mctl("alice", "status", name)
        assert st.returncode == 0 and cid[:12] in st.stdout + mctl("alice", "inspect", name).stdout
        assert mctl("alice", "stop", "-t", "1", name).returncode == 0
        assert inspect(name, sock=eng.socket)["State"]["Running"] is False
        assert mctl("alice", "start", name).returncode == 0
        assert mctl("alice", "restart", "-t", "1", name).returncode == 0
        assert inspect(name, sock=eng.socket)["State"]["Running"] is True
        assert mctl("alice", "stats", "--no-stream", name).returncode == 0
        ex = mctl("alice", "exec", name, "--", "sh", "-c", "echo on $0; exit 4", eng.host)
        assert ex.returncode == 4 and ex.stdout == f"on {eng.host}\n", ex.stderr

    with ThreadPoolExecutor(2) as pool:
        done = [pool.submit(every_verb, n["two"], tls_engine),
                pool.submit(every_verb, n["three"], second_engine)]
        for f in done:
            f.result()
    recs = [r for r in b.audit_lines() if r.get("container") == n["three"]]
    assert recs and all(r["engine"] == "build03" for r in recs), recs[-1]


def test_logs_from_a_tls_engine_are_dockers_bytes(mctl, fleet, tls_engine):
    n, _ = fleet
    name = n["two"]
    # waited for through the API (a docker CLI over TLS costs ~0.1 CPU-s a poll)
    logged = lambda: b"tick 5" in engine_raw("GET", f"/containers/{name}/logs?stdout=1",
                                              sock=tls_engine.socket)[1]
    assert wait_for(logged, 15, step=0.2)
    ours = mctl("alice", "logs", "-t", f"build02/{name}", text=False)
    theirs = tls_engine.docker("logs", "-t", name, text=False)
    common = min(len(ours.stdout), len(theirs.stdout))
    assert ours.returncode == 0 and common > 0
    assert ours.stdout[:common] == theirs.stdout[:common]


def test_follow_from_a_tls_engine_goes_through_its_relay(mctl, fleet):
    n, b = fleet
    fs = [mctl.popen("alice", "logs", "-f", "-n", "0", f"build02/{n['two']}",
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
          for _ in range(2)]
    try:
        for f in fs:
            assert select.select([f.stdout], [], [], 15)[0], "no line came"
            assert f.stdout.readline().startswith("tick")
        relay = os.path.join(b.dir, "ctld-relay", "build02")
        assert wait_for(lambda: any(p.endswith("-p.sock") for p in os.listdir(relay)), 10)
    finally:
        for f in fs:
            f.terminate()
            f.communicate(timeout=20)


def test_ambiguous_name_is_refused_with_candidates(mctl, fleet):
    n, _ = fleet
    r = mctl("alice", "status", n["both"])
    assert r.returncode == 2, r.stderr
    assert f"{n['both']} is on build02, build03: say build02/{n['both']}" in r.stderr
    assert mctl("alice", "status", f"build03/{n['both']}").returncode == 0
    # a container of somebody else's never makes a name ambiguous
    assert mctl("alice", "status", n["shadow"]).returncode == 0


def test_others_containers_and_engines_look_like_nothing(mctl, fleet):
    n, b = fleet
    want = mctl("alice", "status", f"{TAG}-e-never")
    assert want.returncode == 3
    for name in (n["bobs"], f"build02/{n['bobs']}", f"build03/{n['shadow']}",
                 f"nosuch/{n['two']}", f"build02/{TAG}-e-never"):
        r = mctl("alice", "status", name)
        assert (r.returncode, r.stdout) == (3, ""), (name, r.stderr)
        assert r.stderr == want.stderr.replace(f"{TAG}-e-never", name.split("/")[-1]), name


def test_create_on_the_templates_engine(make_broker, ctl, accounts, pam_service, tls_engine,
                                        second_engine, image):
    alice = accounts.users["alice"]
    tmpl = (f'images = {{ trusted = ["{image}"]; }};\n'
            'templates = ( { name = "dev"; container = "%u-' + TAG + '-dev"; '
            f'image = "{image}"; engine = "build03"; command = {json.dumps(IDLE)}; '
            f'network = false; users = ["{alice}"]; }} );\n')
    b = make_broker(multi_config(accounts, pam_service, tls_engine, second_engine) + tmpl)
    ctl.broker = b
    name = f"{alice}-{TAG}-dev"
    try:
        r = ctl("alice", "create", "dev")
        assert r.returncode == 0, r.stderr
        made = inspect(name, sock=second_engine.socket)
        assert made["Config"]["Labels"]["ctl.owner"] == alice
        assert not exists(name)
        assert ctl("alice", "rm", "-f", name).returncode == 0
        assert not exists(name, sock=second_engine.socket)
    finally:
        remove(name, sock=second_engine.socket)


def test_an_engine_that_stops_answering_holds_up_nobody(private_dockerd, make_broker, ctl,
                                                        accounts, pam_service, tls_engine):
    pd = private_dockerd()
    pd.image = tls_engine.image
    pd.load_image(tls_engine.image)
    alice = accounts.users["alice"]
    gone, here = f"{TAG}-e-gone", f"{TAG}-e-here"
    run_on(pd, gone, alice, start=False)  # status and ls serve stopped ones too
    run_on(tls_engine, here, alice, start=False)
    try:
        ctl.broker = make_broker(multi_config(accounts, pam_service, tls_engine, pd))
        assert ctl("alice", "status", gone).returncode == 0
        pd.stop()
        p = ctl.popen("alice", "ls", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = p.communicate(timeout=30)
        assert p.returncode == 1
        assert here in out and gone not in out
        assert "build03 did not answer" in err
        r = ctl("alice", "status", here)
        assert r.returncode == 1 and "build03 did not answer" in r.stderr
        assert "say ENGINE/" in r.stderr
        assert ctl("alice", "status", f"build02/{here}").returncode == 0
    finally:
        remove(here, sock=tls_engine.socket)


@pytest.mark.parametrize("what", ["wrong_ca", "expired_client", "other_client"])
def test_tls_that_does_not_verify_is_refused(make_broker, ctl, accounts, pam_service, certs,
                                             tls_engine, second_engine, what):
    kw = {"wrong_ca": {"ca": certs.other_ca.cert},
          "expired_client": {"cert": certs.expired_client.cert,
                             "key": certs.expired_client.key},
          "other_client": {"cert": certs.other_client.cert, "key": certs.other_client.key}}[what]
    b = make_broker(multi_config(accounts, pam_service, tls_engine, second_engine, **kw))
    ctl.broker = b
    r = ctl("alice", "ls")
    assert r.returncode == 1
    assert "engine build02 at " + tls_engine.url in r.stderr, r.stderr
    if what == "wrong_ca":
        assert "does not verify against tls.ca" in r.stderr
    else:
        assert "refused" in r.stderr or "handshake failed" in r.stderr, r.stderr
    assert "build02" in b.logtext()     # the main process said so at start


def test_config_checks(bins, tmpdir_shared, accounts, pam_service, tls_engine, second_engine,
                       tmp_path):
    def check(text):
        conf = tmp_path / "ctld.conf"
        conf.write_text(text.replace("@DIR@", str(tmp_path)))
        conf.chmod(0o644)
        return subprocess.run([bins["ctld"], "-t", "-f", str(conf)], capture_output=True,
                              text=True)
    good = multi_config(accounts, pam_service, tls_engine, second_engine)
    assert check(good).returncode == 0, check(good).stderr
    bare = good.replace(f'tls = {{ ca = "{tls_engine.ca}"; cert = "{tls_engine.cert}"; '
                        f'key = "{tls_engine.key}"; }};', "")
    r = check(bare)
    assert r.returncode == 1 and "without tls is refused" in r.stderr
    key = tmp_path / "key.pem"
    key.write_bytes(open(tls_engine.key, "rb").read())
    key.chmod(0o644)
    r = check(good.replace(f'key = "{tls_engine.key}"', f'key = "{key}"'))
    assert r.returncode == 1 and "root's alone" in r.stderr
    r = check(good + 'docker = { socket = "/var/run/docker.sock"; };\n')
    assert r.returncode == 1 and "docker.socket and engines" in r.stderr
    r = check(good.replace('containers = ["*"]; verbs', 'containers = ["*"]; '
                           'engines = ["bulid*"]; verbs', 1))
    assert r.returncode == 1 and "matches no engine" in r.stderr


def test_tls_files_are_read_once_and_again_on_reload(make_broker, ctl, accounts, pam_service,
                                                     certs, tls_engine, second_engine,
                                                     tmp_path):
    """ctld reads tls.cert and tls.key when it loads its configuration,
    from the descriptors it checked: a file changed afterwards is not
    used until a reload reads and checks it again (rotation by SIGHUP)."""
    import shutil
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    shutil.copy(tls_engine.cert, cert)
    shutil.copy(tls_engine.key, key)
    key.chmod(0o600)
    b = make_broker(multi_config(accounts, pam_service, tls_engine, second_engine,
                                 cert=str(cert), key=str(key)))
    ctl.broker = b
    assert ctl("alice", "ls").returncode == 0
    # another CA's pair in place of ctld's: still the bytes it read
    shutil.copy(certs.other_client.cert, cert)
    shutil.copy(certs.other_client.key, key)
    r = ctl("alice", "ls")
    assert r.returncode == 0, r.stderr
    size = len(b.logtext())
    b.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "configuration reloaded" in b.logtext()[size:], 20)
    r = ctl("alice", "ls")
    assert r.returncode == 1 and "engine build02 at " in r.stderr, r.stderr
