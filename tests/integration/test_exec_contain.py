"""ctl exec only into a contained container (issue 10): each rule of
broker/contain.c refused on a real container made to break it, baseline
plus exactly one change, with the rule named; what the rules allow
(CapDrop ALL + CapAdd CHOWN, a bind under exec.bind_allow, a plain
volume, a namespace joined from a contained container, what the admin
lets in through exec.runtimes and exec.allow_root) passes; and a
container made from a template passes.

The containers are made through the Engine API, each at most once per
module, and only read: each test runs ctl exec in one, or is refused.
Only those exec runs in are started: a refusal is judged from the
inspect, which a created container already has whole. The module's
tests share one worker (xdist_group), so that they are made once."""
import json
import os
import shutil
import tempfile
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import IDLE, TAG, Broker, Ctl, config_text, engine, image_id, inspect

OWN = ('ownership = { owner_label = "ctl.owner"; group_label = "ctl.group";\n'
       '  owner_verbs = ["ls", "status", "start", "stop", "exec"]; };\n')
# A second runtime, for the runtime rule: what dockerd here knows
# besides runc (20.10 lists its containerd shim under this name).
RUNTIMES = ("io.containerd.runc.v2", "runsc", "kata-runtime", "crun")


def case(hc=None, **top):
    """The baseline plus hc in HostConfig and top at the top level.
    Strings may name what the module makes: {host} {allowed} {volbind}
    {volplain} {join_ok} {join_bad} (container IDs), {bind_name}
    (the container with a host bind) and {runtime}."""
    return {"hc": hc or {}, "top": top}


# The baseline is contained: a numeric user other than root, with
# no-new-privileges. CgroupnsMode private is said in so many words: on
# a cgroup v1 host (this one) dockerd's default is "host", which the
# namespaces rule refuses.
CASES = {
    "baseline": case(),
    # passing variants
    "cap-chown": case({"CapDrop": ["ALL"], "CapAdd": ["CHOWN"]}),
    "join-ok": case({"IpcMode": "shareable"}),  # a target others join
    "pid-join-ok": case({"PidMode": "container:{join_ok}"}),
    "ipc-join-ok": case({"IpcMode": "container:{join_ok}"}),
    "net-join-ok": case({"NetworkMode": "container:{join_ok}"}),
    "bind-allowed": case({"Binds": ["{allowed}/sub:/mnt"]}),
    "volume-plain": case({"Mounts": [{"Type": "volume", "Source": "{volplain}",
                                      "Target": "/mnt"}]}),
    # one rule broken each
    "privileged": case({"Privileged": True}),
    "cap-sys-admin": case({"CapAdd": ["SYS_ADMIN"]}),
    "devices": case({"Devices": [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/ctl-null",
                                  "CgroupPermissions": "rwm"}]}),
    "device-cgroup-rules": case({"DeviceCgroupRules": ["c 1:3 r"]}),
    "seccomp-unconfined": case({"SecurityOpt": ["no-new-privileges", "seccomp=unconfined"]}),
    "apparmor-unconfined": case({"SecurityOpt": ["no-new-privileges", "apparmor=unconfined"]}),
    "label-disable": case({"SecurityOpt": ["no-new-privileges", "label=disable"]}),
    # --security-opt systempaths=unconfined is the docker CLI's: it sends
    # these two emptied (dockerd refuses the option itself)
    "systempaths-unconfined": case({"MaskedPaths": [], "ReadonlyPaths": []}),
    "readonly-paths-emptied": case({"ReadonlyPaths": []}),
    "runtime": case({"Runtime": "{runtime}"}),
    "pid-host": case({"PidMode": "host"}),
    "ipc-host": case({"IpcMode": "host"}),
    "uts-host": case({"UTSMode": "host"}),
    "net-host": case({"NetworkMode": "host"}, NetworkDisabled=False),
    "userns-host": case({"UsernsMode": "host"}),  # dockerd takes it without userns-remap
    "cgroupns-host": case({"CgroupnsMode": "host"}),
    "join-bad": case({"IpcMode": "shareable", "CapAdd": ["SYS_ADMIN"]}),
    "pid-join-bad": case({"PidMode": "container:{join_bad}"}),
    "ipc-join-bad": case({"IpcMode": "container:{join_bad}"}),
    "net-join-bad": case({"NetworkMode": "container:{join_bad}"}),
    "bind-host": case({"Binds": ["{host}:/mnt"]}),
    # below an allowed path, a symlink out of it: judged on where it leads
    "bind-escape": case({"Binds": ["{allowed}/escape:/mnt"]}),
    "volume-bind": case({"Mounts": [{"Type": "volume", "Source": "{volbind}",
                                     "Target": "/mnt"}]}),
    "volumes-from": case({"VolumesFrom": ["{bind_name}"]}),
    # root by number: the test image has no /etc/passwd, so "root" by
    # name would not start (and is refused as well: not numeric)
    "user-0": case(User="0"),
    "user-0-0": case(User="0:0"),
    "user-none": case(User=""),  # the image's: root
    "user-no-nnp": case({"SecurityOpt": []}),
}
# those that name another container (removed first)
JOINERS = ("pid-join-ok", "ipc-join-ok", "net-join-ok", "pid-join-bad", "ipc-join-bad",
           "net-join-bad", "volumes-from")

BIND = "mounts: it has a bind mount from the host that exec.bind_allow does not list"
ROOT_USER = "user: it does not run as a numeric user other than root (exec.allow_root is false)"
# dockerd adds label=disable to any container with the host's PID or IPC
# namespace (moby's generateSecurityOpt), unless a label option is given,
# which the confinement rule refuses too: so these are refused by
# confinement, before the namespaces rule is asked.
HOST_PID_IPC = "confinement: it runs with --security-opt label=disable"
JOIN_BAD = ("namespaces: it joins the {} namespace of a container that is not contained "
            "(capabilities: it adds capability SYS_ADMIN, beyond Docker's default set)")

REFUSED = {
    "privileged": "privileged: it runs privileged (--privileged)",
    "cap-sys-admin": "capabilities: it adds capability SYS_ADMIN, beyond Docker's default set",
    "join-bad": "capabilities: it adds capability SYS_ADMIN, beyond Docker's default set",
    "devices": "devices: it has host devices (Devices)",
    "device-cgroup-rules": "devices: it has host devices (DeviceCgroupRules)",
    "seccomp-unconfined": "confinement: it runs with --security-opt seccomp=unconfined",
    "apparmor-unconfined": "confinement: it runs with --security-opt apparmor=unconfined",
    "label-disable": "confinement: it runs with --security-opt label=disable",
    "systempaths-unconfined": "confinement: its MaskedPaths were emptied (systempaths=unconfined)",
    "readonly-paths-emptied":
        "confinement: its ReadonlyPaths were emptied (systempaths=unconfined)",
    "runtime": "runtime: it runs under runtime {runtime}, which exec.runtimes does not list",
    "pid-host": HOST_PID_IPC,
    "ipc-host": HOST_PID_IPC,
    "uts-host": "namespaces: it shares the host's UTS namespace",
    "net-host": "namespaces: it shares the host's network namespace",
    "userns-host": "namespaces: it shares the host's user namespace",
    "cgroupns-host": "namespaces: it shares the host's cgroup namespace (dockerd's default on "
                     "cgroup v1: create it with --cgroupns=private)",
    "pid-join-bad": JOIN_BAD.format("PID"),
    "ipc-join-bad": JOIN_BAD.format("IPC"),
    "net-join-bad": JOIN_BAD.format("network"),
    "bind-host": BIND,
    "bind-escape": BIND,
    "volume-bind": "mounts: it has a local volume bound to a host path",
    "volumes-from": BIND,
    "user-0": ROOT_USER,
    "user-0-0": ROOT_USER,
    "user-none": ROOT_USER,
    "user-no-nnp": "user: it runs without no-new-privileges",
}
PASSING = ["baseline", "cap-chown", "join-ok", "pid-join-ok", "ipc-join-ok", "net-join-ok",
           "bind-allowed", "volume-plain"]
# what exec = { allow_root = true; runtimes = [...]; } lets in besides
LET_IN = ["runtime", "user-0", "user-0-0", "user-none", "user-no-nnp"]
assert set(REFUSED) | set(PASSING) == set(CASES)
# started: what exec runs in, and the container the passing joins join
RUN = set(PASSING) | set(LET_IN)

pytestmark = pytest.mark.xdist_group("exec_contain")


def other_runtime():
    known = engine("GET", "/info").get("Runtimes") or {}
    return next((r for r in RUNTIMES if r in known), None)


class Refs(dict):
    """What a case's strings name, made when first named."""

    def __init__(self, made):
        super().__init__()
        self.made = made

    def __missing__(self, key):
        m = self.made
        v = {"host": lambda: m.host,
             "allowed": lambda: m.allowed,
             "runtime": lambda: m.runtime,
             "volbind": lambda: m.volume("cxbind", {"type": "none", "o": "bind",
                                                    "device": m.voldev}),
             "volplain": lambda: m.volume("cxplain", {}),
             "join_ok": lambda: m.id("join-ok"),
             "join_bad": lambda: m.id("join-bad"),
             "bind_name": lambda: m.name("bind-host")}[key]()
        self[key] = v
        return v


class Made:
    """The module's containers, each made when a test first asks for it
    (xdist may spread the module's tests over its workers: none makes
    what it does not use), and checked to be what its case says."""

    def __init__(self, image, owner, tmp):
        self.image, self.owner = image, owner
        self.dir = tempfile.mkdtemp(prefix="contain-", dir=tmp)
        os.chmod(self.dir, 0o755)
        self.host = os.path.join(self.dir, "host")
        self.allowed = os.path.join(self.dir, "allowed")
        self.voldev = os.path.join(self.dir, "voldev")
        for d in (self.host, os.path.join(self.allowed, "sub"), self.voldev):
            os.makedirs(d)
        os.symlink(self.host, os.path.join(self.allowed, "escape"))
        self.runtime = other_runtime()
        self.refs = Refs(self)
        self.names, self.ids, self.errors, self.volumes = {}, {}, {}, []

    def volume(self, short, opts):
        name = f"{TAG}-{short}"
        engine("POST", "/volumes/create", {"Name": name, "Driver": "local", "DriverOpts": opts,
                                            "Labels": {"ctltest": TAG}})
        self.volumes.append(name)
        assert (engine("GET", f"/volumes/{name}")["Options"] or {}) == opts
        return name

    def fill(self, v):
        if isinstance(v, str):
            return v.format_map(self.refs)
        if isinstance(v, list):
            return [self.fill(x) for x in v]
        if isinstance(v, dict):
            return {k: self.fill(x) for k, x in v.items()}
        return v

    def body(self, key):
        c = CASES[key]
        hc = {"SecurityOpt": ["no-new-privileges"], "CgroupnsMode": "private"}
        hc.update(self.fill(c["hc"]))
        body = {"Image": self.image, "Cmd": IDLE, "User": "1000:1000", "NetworkDisabled": True,
                "Labels": {"ctltest": TAG, "ctl.owner": self.owner}, "HostConfig": hc}
        body.update(c["top"])
        return body

    def id(self, key):
        self.name(key)
        return self.ids[key]

    def name(self, key):
        """The container of case key (made now if need be), or a skip
        that says why dockerd here has none."""
        if key not in self.names and key not in self.errors:
            self.make(key)
        if key in self.errors:
            pytest.skip(f"dockerd here would not run case {key}: {self.errors[key]}")
        return self.names[key]

    def make(self, key):
        if key == "runtime" and self.runtime is None:
            self.errors[key] = "it knows no runtime but runc (docker info: Runtimes)"
            return
        name = f"{TAG}-cx-{key}"
        body = self.body(key)
        q = urllib.parse.quote(name)
        try:
            self.ids[key] = engine("POST", f"/containers/create?name={q}", body)["Id"]
        except AssertionError as e:
            self.errors[key] = str(e)
            return
        self.names[key] = name
        if key in RUN:
            engine("POST", f"/containers/{q}/start")
        self.check(key, body, inspect(name))

    def check(self, key, want, info):
        """dockerd made what was asked (and runs what exec runs in): a
        refusal is then for the change made, not another."""
        assert info["State"]["Running"] == (key in RUN), info["State"]
        assert info["Config"]["User"] == want["User"]
        for k, v in want["HostConfig"].items():
            got = info["HostConfig"].get(k)
            if k == "Mounts":
                continue  # in the effective Mounts, below
            # dockerd may add to a list (label=disable for host PID/IPC)
            assert got == v or isinstance(v, list) and set(v) <= set(got or []), (k, v, got)
        mounts = [(m["Type"], m.get("Name"), m["Source"]) for m in info["Mounts"]]
        expect = {"bind-host": [("bind", None, self.host)],
                  "volumes-from": [("bind", None, self.host)],
                  "bind-escape": [("bind", None, self.allowed + "/escape")],
                  "bind-allowed": [("bind", None, self.allowed + "/sub")]}.get(key, [])
        if key.startswith("volume-"):
            vol = self.refs["volbind" if key == "volume-bind" else "volplain"]
            expect = [("volume", vol, f"/var/lib/docker/volumes/{vol}/_data")]
        assert mounts == expect

    def cleanup(self):
        def rm(name):
            engine("DELETE", f"/containers/{urllib.parse.quote(name)}?force=1&v=1",
                   ok=(204, 404, 409))
        joiners = [n for k, n in self.names.items() if k in JOINERS]
        with ThreadPoolExecutor(8) as pool:  # the joiners first
            list(pool.map(rm, joiners))
            list(pool.map(rm, [n for n in self.names.values() if n not in joiners]))
        for v in self.volumes:
            engine("DELETE", f"/volumes/{v}", ok=(204, 404, 409))
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def made(accounts, image, tmpdir_shared):
    m = Made(image, accounts.users["alice"], tmpdir_shared)
    yield m
    m.cleanup()


def templates(accounts, image):
    """One template with all that template.c builds: capabilities, a
    volume, limits; the user and security options are template.c's own."""
    repo = image.split(":")[0]
    idle = ", ".join(json.dumps(a) for a in IDLE)
    return (f'images = {{ trusted = ["{repo}@{image_id(image)}"]; }};\n'
            'templates = (\n'
            f'  {{ name = "cx"; container = "%u-cx"; image = "{image}"; command = [{idle}];\n'
            '    capabilities = ["CHOWN", "KILL"]; memory = "64m"; pids = 32; network = false;\n'
            '    volume = { name = "%u-cxhome"; path = "/home/cx"; };\n'
            f'    users = ["{accounts.users["alice"]}"]; }}\n'
            ');\n')


@pytest.fixture(scope="module")
def strict(bins, tmpdir_shared, accounts, pam_service, image, made):
    """ctl against a ctld whose exec section allows a bind path only."""
    extra = f'exec = {{ bind_allow = ["{made.allowed}"]; }};\n' + templates(accounts, image)
    b = Broker(bins, tmpdir_shared, config_text("@DIR@", accounts, pam_service, extra=extra,
                                                ownership=OWN))
    yield Ctl(bins, b, accounts)
    b.stop()


@pytest.fixture(scope="module")
def lenient(bins, tmpdir_shared, accounts, pam_service, image, made):
    """ctl against a ctld that lets root in, and the other runtime."""
    rt = f' runtimes = ["{made.runtime}"];' if made.runtime else ""
    extra = f'exec = {{ bind_allow = ["{made.allowed}"]; allow_root = true;{rt} }};\n'
    b = Broker(bins, tmpdir_shared, config_text("@DIR@", accounts, pam_service, extra=extra,
                                                ownership=OWN))
    yield Ctl(bins, b, accounts)
    b.stop()


def refused(r, why):
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)
    assert f"exec: permission denied (not contained: {why})" in r.stderr, r.stderr
    assert r.stdout == ""


def ran(r, code=0):
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    assert "not contained" not in r.stderr, r.stderr


def test_contained_container_runs_the_command(strict, made):
    name = made.name("baseline")
    r = strict("alice", "exec", name, "--", "sh", "-c", "echo in here; exit 7")
    ran(r, 7)
    assert r.stdout == "in here\n"
    ran(strict("alice", "exec", name, "true"))


@pytest.mark.parametrize("key", PASSING)
def test_contained(strict, made, key):
    ran(strict("alice", "exec", made.name(key), "--", "true"))


@pytest.mark.parametrize("key", sorted(REFUSED))
def test_not_contained(strict, made, key):
    name = made.name(key)
    refused(strict("alice", "exec", name, "--", "true"), made.fill(REFUSED[key]))
    # refused before dockerd was asked to make an exec instance
    assert not inspect(name)["ExecIDs"]


@pytest.mark.parametrize("key", LET_IN)
def test_the_admin_lets_in(lenient, made, key):
    ran(lenient("alice", "exec", made.name(key), "--", "true"))


def test_allow_root_keeps_the_other_rules(lenient, made):
    refused(lenient("alice", "exec", made.name("privileged"), "--", "true"),
            REFUSED["privileged"])
    refused(lenient("alice", "exec", made.name("bind-host"), "--", "true"), BIND)


@pytest.mark.parametrize("key", ["privileged", "bind-host", "baseline"])
def test_others_hear_no_such_container(strict, made, key):
    """bob may not use alice's containers: he hears what he would for one
    that does not exist, never whether it is contained, nor why not."""
    name = made.name(key)
    r = strict("bob", "exec", name, "--", "true")
    none = strict("bob", "exec", f"{TAG}-cx-none", "--", "true")
    assert (r.returncode, r.stdout) == (none.returncode, none.stdout) == (3, "")
    assert r.stderr == none.stderr.replace(f"{TAG}-cx-none", name) == \
        f"ctl: no such container: {name}\n"


def test_template_made_is_contained(strict, accounts):
    """template.c builds contained containers by construction."""
    user = accounts.users["alice"]
    name, volume = f"{user}-cx", f"{user}-cxhome"
    try:
        r = strict("alice", "create", "cx")
        assert r.returncode == 0, r.stderr
        r = strict("alice", "start", name)
        assert r.returncode == 0, r.stderr
        hc = inspect(name)["HostConfig"]
        assert hc["CgroupnsMode"] != "host", hc  # this host's dockerd default on cgroup v1
        ran(strict("alice", "exec", name, "--", "true"))
    finally:
        engine("DELETE", f"/containers/{name}?force=1&v=1", ok=(204, 404, 409))
        engine("DELETE", f"/volumes/{volume}", ok=(204, 404, 409))
