"""Containers from admin templates: trusted images only, the create request
the broker builds, create/rm for users, provisioning for root only."""
import fcntl
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import (TAG, as_user, config_text, cpath, engine, engine_raw, exists, image_id,
                      inspect, remove, run, tag_image, wait_for)
from test_broker import HELLO, converse, done_of, frame

pytestmark = pytest.mark.xdist_group("templates")  # other_image imported once


@pytest.fixture(scope="module")
def other_image(image, tmpdir_shared):
    """A second local image, not trusted by the config below."""
    ref = f"ctl-untrusted/busybox:{TAG}"
    rootfs = tempfile.mkdtemp(prefix="rootfs2-", dir=tmpdir_shared)  # once per module
    os.makedirs(os.path.join(rootfs, "bin"))
    shutil.copy("/bin/busybox", os.path.join(rootfs, "bin", "sh"))
    with open(os.path.join(rootfs, "marker"), "w") as f:
        f.write(TAG)
    tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
    run("docker", "import", "-", ref, stdin=tar.stdout)
    tar.wait()
    yield ref
    engine("DELETE", f"/images/{ref}?force=1", ok=(200, 404, 409))


def template_config(accounts, pam_service, image, other_image):
    a = accounts
    repo = image.split(":")[0]
    extra = (
        f'images = {{ trusted = ["{repo}@{image_id(image)}", "ctl-prefix/"]; }};\n'
        'templates = (\n'
        f'  {{ name = "dev"; container = "dev-%u"; image = "{image}";\n'
        '    command = ["sh", "-c", "trap \'exit 0\' TERM; while true; do sleep 86400 & wait $!; done"];\n'
        '    env = ["EDITOR=vi"]; workdir = "/"; network = false;\n'
        '    memory = "64m"; cpus = 0.5; pids = 50; restart = "unless-stopped";\n'
        '    capabilities = ["KILL", "NET_BIND_SERVICE"];\n'
        f'    volume = {{ name = "home-%u"; path = "/home/dev"; }}; groups = ["{a.dev}"]; }},\n'
        f'  {{ name = "rooty"; container = "rooty-%u"; image = "{image}"; command = ["sleep", "9"];\n'
        f'    user = "0"; run_as_root = true; network = false;\n'
        f'    users = ["{a.users["alice"]}"]; }},\n'
        f'  {{ name = "evil"; container = "evil-%u"; image = "{other_image}";\n'
        f'    command = ["sh"]; users = ["{a.users["alice"]}"]; }},\n'
        f'  {{ name = "box"; container = "%u-box"; image = "{image}"; command = ["sleep", "9"];\n'
        f'    users = ["{a.users["alice"]}"]; }}\n'
        ');\n'
        f'provision = ( {{ group = "{a.dev}"; templates = ["dev"]; start = true; }} );\n')
    return config_text("@DIR@", accounts, pam_service, extra=extra).replace(
        '"stats"]', '"stats", "rm"]')


@pytest.fixture
def tbroker(make_broker, ctl, accounts, pam_service, image, other_image):
    def clean():
        users = list(accounts.users.values())
        remove(*[pat + who for who in users for pat in ("dev-", "rooty-", "evil-")],
               volumes=[f"home-{who}" for who in users])
    clean()  # other modules provision dev-USER too
    b = make_broker(template_config(accounts, pam_service, image, other_image))
    ctl.broker = b
    yield b
    clean()


def provision(b, user, verb="provision"):
    # unprovision stops containers: dockerd may wait up to 10 s for each
    return done_of(converse(b, HELLO, frame(3, {"verb": verb, "user": user}), timeout=60))


def test_provision_builds_a_safe_container(tbroker, accounts, image):
    user = accounts.users["alice"]
    d = provision(tbroker, user)
    assert d["exit"] == 0, d
    assert d["data"]["containers"][0]["created"] is True
    info = inspect(f"dev-{user}")
    hc = info["HostConfig"]
    assert info["State"]["Running"]
    assert info["Config"]["Labels"]["ctl.owner"] == user
    assert info["Config"]["Labels"]["ctl.group"] == ""  # nothing inherited grants
    assert info["Config"]["User"] == "65534:65534"
    assert info["Image"] == image_id(image)
    assert hc["Privileged"] is False
    assert hc["CapDrop"] == ["ALL"]
    assert sorted(hc["CapAdd"]) == ["KILL", "NET_BIND_SERVICE"]
    assert hc["SecurityOpt"] == ["no-new-privileges"]
    assert hc["PidsLimit"] == 50
    assert hc["Memory"] == 64 << 20
    assert hc["NanoCpus"] == 500000000
    assert hc["IpcMode"] == "private"
    assert hc["CgroupnsMode"] == "private"  # not dockerd's default on cgroup v1: "host"
    assert hc["PidMode"] == "" and hc["UsernsMode"] == ""
    assert hc["NetworkMode"] == "none" and info["Config"]["NetworkDisabled"] is True
    ex = engine("POST", f"/containers/dev-{user}/exec",
                {"Cmd": ["sh", "-c", "echo /sys/class/net/*"], "AttachStdout": True})
    out = engine_raw("POST", f"/exec/{ex['Id']}/start", {"Detach": False})[1]
    assert out.endswith(b"/sys/class/net/lo\n"), out  # nothing but loopback
    assert not hc.get("Binds") and not hc.get("Devices")
    assert hc["RestartPolicy"]["Name"] == "unless-stopped"
    mounts = info["Mounts"]
    assert len(mounts) == 1 and mounts[0]["Type"] == "volume"
    assert mounts[0]["Name"] == f"home-{user}" and mounts[0]["Destination"] == "/home/dev"


def test_provision_is_idempotent(tbroker, accounts):
    user = accounts.users["alice"]
    assert provision(tbroker, user)["exit"] == 0
    first = inspect(f"dev-{user}")
    d = provision(tbroker, user)
    assert d["exit"] == 0
    assert d["data"]["containers"][0]["created"] is False
    again = inspect(f"dev-{user}")
    assert again["Id"] == first["Id"]
    assert again["State"]["StartedAt"] == first["State"]["StartedAt"]


def test_provision_only_for_group_members(tbroker, accounts):
    d = provision(tbroker, accounts.users["bob"])
    assert d["exit"] == 0 and d["data"]["containers"] == []
    assert not exists(f"dev-{accounts.users['bob']}")


def test_provision_never_takes_over_anothers_container(tbroker, accounts, containers):
    user = accounts.users["dave"]
    containers.create(f"dev-{user}", owner=accounts.users["bob"])
    d = provision(tbroker, user)
    assert d["exit"] == 1 and "taken" in d["error"]
    assert inspect(f"dev-{user}")["Config"]["Labels"]["ctl.owner"] == accounts.users["bob"]


def test_unprovision_stops(tbroker, accounts):
    user = accounts.users["alice"]
    assert provision(tbroker, user)["exit"] == 0
    assert provision(tbroker, user, "unprovision")["exit"] == 0
    assert not inspect(f"dev-{user}")["State"]["Running"]


def test_provision_is_root_only(tbroker, ctl, accounts):
    # a user speaking the protocol directly gets what an unknown verb gets
    uid = int(run("id", "-u", accounts.users["alice"]).stdout)
    code = (
        "import socket,struct,json,sys\n"
        "s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n"
        "def fr(t,o):\n b=json.dumps(o).encode(); s.sendall(struct.pack('>BI',t,len(b))+b)\n"
        "fr(1,{'proto':1}); fr(3,{'verb':'provision','user':sys.argv[2]})\n"
        "buf=b''\n"
        "while True:\n c=s.recv(65536)\n if not c: break\n buf+=c\n"
        "print(buf.decode(errors='replace'))\n")
    r = subprocess.run(["/usr/bin/python3", "-c", code, tbroker.socket, accounts.users["alice"]],
                       user=uid, capture_output=True, text=True, timeout=30)
    assert '"exit":2' in r.stdout and "unknown verb" in r.stdout
    assert not exists(f"dev-{accounts.users['alice']}")
    rec = tbroker.audit_lines()[-1]
    assert rec["decision"] == "deny" and "root" in rec["reason"]


def test_untrusted_image_refused_with_reason(tbroker, ctl, accounts):
    r = ctl("alice", "create", "evil")
    assert r.returncode == 1
    assert "not in images.trusted" in r.stderr
    assert not exists(f"evil-{accounts.users['alice']}")
    rec = tbroker.audit_lines()[-1]
    assert "not in images.trusted" in rec["reason"]


def test_digest_pin_refuses_a_retagged_image(tbroker, ctl, accounts, image, other_image):
    # retag the trusted name onto another image: the pinned digest no longer matches
    original = image_id(image)
    tag_image(other_image, image)
    try:
        r = ctl("alice", "create", "dev")
        assert r.returncode == 1
        assert "digest" in r.stderr
    finally:
        tag_image(original, image)
    assert ctl("alice", "create", "dev").returncode == 0


def test_user_create_and_rm(tbroker, ctl, accounts):
    user = accounts.users["alice"]
    r = ctl("alice", "create", "dev")
    assert r.returncode == 0, r.stderr
    info = inspect(f"dev-{user}")
    assert not info["State"]["Running"]
    r = ctl("alice", "create", "dev", f"{user}-second")
    assert r.returncode == 0, r.stderr
    assert inspect(f"{user}-second")["Config"]["Labels"]["ctl.owner"] == user
    r = ctl("alice", "create", "dev", "prod-db")
    assert r.returncode == 2 and f'"{user}-"' in r.stderr
    assert ctl("alice", "start", f"{user}-second").returncode == 0
    r = ctl("alice", "rm", f"{user}-second")
    assert r.returncode == 1 and "--force" in r.stderr
    assert ctl("alice", "rm", "--force", f"{user}-second").returncode == 0
    assert not exists(f"{user}-second")
    assert ctl("alice", "rm", f"dev-{user}").returncode == 0
    # volumes survive rm
    assert engine("GET", f"/volumes/home-{user}")["Name"] == f"home-{user}"


def test_create_needs_the_template_to_list_you(tbroker, ctl, accounts):
    r = ctl("bob", "create", "dev")
    assert r.returncode == 3 and "no such template" in r.stderr
    r = ctl("dave", "create", "rooty")
    assert r.returncode == 3
    r = ctl("alice", "create", "nonexistent")
    assert r.returncode == 3


def test_rm_only_own_containers(tbroker, ctl, accounts, containers):
    name = containers.create(f"{TAG}-shared-rm", group=accounts.dev)
    r = ctl("dave", "rm", "--force", name)
    assert r.returncode == 3
    assert exists(name)


def test_run_as_root_must_be_said(bins, tmpdir_shared):
    path = os.path.join(tmpdir_shared, f"root-{TAG}.conf")
    with open(path, "w") as f:
        f.write('templates = ( { name = "t"; container = "t-%u"; image = "x/y";'
                ' user = "0:0"; } );\n')
    r = run(bins["ctld"], "-t", "-f", path, check=False)
    assert r.returncode == 1 and "run_as_root" in r.stderr
    with open(path, "w") as f:
        f.write('templates = ( { name = "t"; container = "t-%u"; image = "x/y";'
                ' capabilities = ["SYS_ADMIN"]; } );\n')
    r = run(bins["ctld"], "-t", "-f", path, check=False)
    assert r.returncode == 1 and "SYS_ADMIN is not allowed" in r.stderr
    with open(path, "w") as f:
        f.write('templates = ( { name = "t"; container = "t-%u"; image = "x/y";'
                ' privileged = true; } );\n')
    r = run(bins["ctld"], "-t", "-f", path, check=False)
    assert r.returncode == 1 and "unknown setting in template: privileged" in r.stderr


def test_no_squatting_another_users_names(tbroker, ctl, accounts):
    alice = accounts.users["alice"]
    other = f"{alice}-x"          # user names may hold '-'
    run("useradd", "-M", "-s", "/bin/sh", other)
    try:
        r = ctl("alice", "create", "dev", f"{other}-box")
        assert r.returncode == 2 and "another user" in r.stderr
        r = ctl("alice", "create", "dev", other)
        assert r.returncode == 2
        assert not exists(f"{other}-box")
        assert ctl("alice", "create", "dev", f"{alice}-y").returncode == 0
    finally:
        run("userdel", "-f", other, check=False)
        remove(f"{alice}-y")


def test_concurrent_creates_and_provisions_all_succeed(tbroker, ctl, accounts):
    """Eight creates of one name at once, then eight provisions: dockerd
    answers all but one create with 409; each is taken as the user's
    container now existing, not as a failure (fail=closed logins)."""
    user = accounts.users["alice"]
    uid, gid = ctl.ids("alice")
    procs = [subprocess.Popen(as_user(uid, gid, [ctl.bin, "create", "dev"]), env=ctl.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/",
                              stdin=subprocess.DEVNULL) for _ in range(8)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, outs
    created = [r for r in tbroker.audit_lines() if r["verb"] == "create"]
    assert sum(1 for r in created if r["result"] == "created") == 1, created
    engine("DELETE", cpath(f"dev-{user}") + "?force=1")
    results = [None] * 8

    def one(i):
        results[i] = provision(tbroker, user)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [d["exit"] for d in results] == [0] * 8, results
    assert sum(d["data"]["containers"][0]["created"] for d in results) == 1
    assert inspect(f"dev-{user}")["State"]["Running"]


def test_no_squatting_a_future_users_template_name(tbroker, ctl, accounts):
    """alice-z-box is what the "%u-box" template would name for a user
    alice-z: refused although no such user exists yet."""
    alice = accounts.users["alice"]
    try:
        r = ctl("alice", "create", "dev", f"{alice}-z-box")
        assert r.returncode == 2 and "another user" in r.stderr, r.stderr
        assert not exists(f"{alice}-z-box")
        r = ctl("alice", "create", "box")   # her own: alice-box
        assert r.returncode == 0, r.stderr
    finally:
        remove(f"{alice}-box", f"{alice}-z-box")


def test_login_during_a_logouts_stop_ends_running(make_broker, ctl, accounts, pam_service,
                                                 image, other_image):
    """A container that takes 2 s to stop: a provision that comes
    meanwhile waits for the unprovision (they hold the user's lock) and
    starts the container again."""
    user = accounts.users["alice"]
    text = template_config(accounts, pam_service, image, other_image).replace(
        "trap 'exit 0' TERM", "trap 'sleep 2; exit 0' TERM", 1)
    assert "trap 'sleep 2; exit 0' TERM" in text
    remove(f"dev-{user}")
    b = make_broker(text)
    try:
        assert provision(b, user)["exit"] == 0
        assert inspect(f"dev-{user}")["State"]["Running"]
        lock = os.path.join(b.dir, "ctld-logins", f"lock-{pwd.getpwnam(user).pw_uid}")

        def held():
            try:
                fd = os.open(lock, os.O_RDWR)
            except FileNotFoundError:
                return False
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(fd, fcntl.LOCK_UN)
                return False
            except BlockingIOError:
                return True
            finally:
                os.close(fd)
        out = {}
        t = threading.Thread(target=lambda: out.setdefault("u", provision(b, user,
                                                                           "unprovision")))
        t.start()
        assert wait_for(held, 10)
        assert provision(b, user)["exit"] == 0
        t.join(timeout=60)
        assert out["u"]["exit"] == 0
        assert inspect(f"dev-{user}")["State"]["Running"]
    finally:
        remove(f"dev-{user}", volumes=[f"home-{user}"])


def test_quota_on_containers_from_templates(make_broker, ctl, accounts, pam_service, image,
                                            other_image, containers):
    """limits.containers_per_user counts what ctld made from templates for
    the user (an admin's container does not count), and a template's max
    its own; six creates at once do not slip past it; provisioning obeys."""
    user = accounts.users["alice"]
    containers.create(f"{TAG}-admins-{time.time_ns() % 100000}", owner=user)
    text = template_config(accounts, pam_service, image, other_image).replace(
        'command = ["sleep", "9"];\n    users', 'command = ["sleep", "9"]; max = 1;\n    users')
    assert "max = 1;" in text
    b = make_broker(text + "limits = { containers_per_user = 3; };\n")
    ctl.broker = b
    names = [f"{user}-q{i}" for i in range(6)]
    try:
        uid, gid = ctl.ids("alice")
        procs = [subprocess.Popen(as_user(uid, gid, [ctl.bin, "create", "dev", n]),
                                  env=ctl.env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, cwd="/",
                                  stdin=subprocess.DEVNULL) for n in names]
        outs = [p.communicate(timeout=120) for p in procs]
        codes = sorted(p.returncode for p in procs)
        assert codes == [0, 0, 0, 1, 1, 1], outs
        assert all("quota: you have 3 containers, the limit is 3" in e
                   for (o, e), p in zip(outs, procs) if p.returncode == 1), outs
        refused = [r for r in b.audit_lines() if r["verb"] == "create" and
                   r["exit"] == 1]
        assert len(refused) == 3 and all("quota" in r["reason"] for r in refused)
        made = [n for n, p in zip(names, procs) if p.returncode == 0]
        r = ctl("alice", "create", "box")
        assert r.returncode == 1 and "limit is 3" in r.stderr, r.stderr
        r = provision(b, user)
        assert r["exit"] == 1 and "quota" in json.dumps(r), r
        assert ctl("alice", "rm", made[0]).returncode == 0
        assert ctl("alice", "create", "box").returncode == 0
        assert ctl("alice", "rm", made[1]).returncode == 0
        r = ctl("alice", "create", "box", f"{user}-box2")
        assert r.returncode == 1 and "from template box, the limit is 1" in r.stderr, r.stderr
    finally:
        remove(*names, f"{user}-box", f"{user}-box2", f"dev-{user}", volumes=[f"home-{user}"])
