"""Swarm services through ctl, against `docker service` as the oracle: a
private dockerd that is a single-node Swarm manager ("sw") beside the
host's ("local"). Services carrying the caller's owner label are the
caller's; their task containers are not containers of their own."""
import json

import pytest

from conftest import IDLE, TAG, Broker, config_text, remove, wait_for

pytestmark = pytest.mark.xdist_group("swarm")  # swarm_engine started once

TICK = ["sh", "-c", "trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); "
        "echo tick $i; sleep 0.3 & wait $!; done"]
OWNER_VERBS = ["ls", "status", "logs", "start", "stop", "restart", "scale"]


def swarm_config(accounts, pam_service, sw, max_replicas=3):
    own = ('ownership = { owner_label = "ctl.owner"; group_label = "ctl.group";\n'
           f'  owner_verbs = {json.dumps(OWNER_VERBS)}; }};\n')
    engines = ('engines = ( { name = "local"; socket = "/var/run/docker.sock"; },\n'
               f'  {{ name = "sw"; socket = "{sw.socket}"; }} );\n'
               f'swarm = {{ max_replicas = {max_replicas}; }};\n')
    text = config_text("@DIR@", accounts, pam_service, ownership=own, extra=engines)
    return "\n".join(line for line in text.splitlines() if not line.startswith("docker ="))


@pytest.fixture(scope="module")
def swarm(swarm_engine, accounts, pam_service, bins, tmpdir_shared):
    alice, bob = accounts.users["alice"], accounts.users["bob"]
    n = {k: f"{TAG}-s-{k}" for k in ("web", "glob", "job", "bobs", "twin", "capped")}
    sw = swarm_engine
    # made side by side, then waited for: Swarm schedules them together
    sw.service(n["web"], sw.image, replicas=2, owner=alice, cmd=TICK, wait=False)
    sw.service(n["glob"], sw.image, mode="global", owner=alice, cmd=IDLE, wait=False)
    sw.service(n["job"], sw.image, mode="replicated-job", replicas=1, owner=alice,
               wait=False)
    sw.service(n["bobs"], sw.image, owner=bob, cmd=IDLE, wait=False)
    # a rolling update watches each new task for Monitor before it goes
    # on (5 s unless said): a restart's wait is what is tested, not that
    sw.service(n["twin"], sw.image, owner=alice, cmd=IDLE, wait=False,
               update={"Parallelism": 1, "Monitor": 100_000_000})
    sw.service(n["capped"], sw.image, owner=alice, cmd=IDLE,
               labels={"ctl.max_replicas": "1"}, wait=False)
    # no network: the setup of one (even "none") re-executes dockerd
    sw.api("POST", f"/containers/create?name={n['twin']}",
           {"Image": sw.image, "Cmd": IDLE, "Labels": {"ctl.owner": alice},
            "NetworkDisabled": True})
    sw.api("POST", f"/containers/{n['twin']}/start")
    for name in n.values():
        sw.wait_service(name)
    b = Broker(bins, tmpdir_shared, swarm_config(accounts, pam_service, sw))
    yield n, b, sw
    b.stop()
    remove(n["twin"], sock=sw.socket)
    for name in n.values():
        sw.remove_service(name)


@pytest.fixture
def sctl(ctl, swarm):
    ctl.broker = swarm[1]
    return ctl


def spec(sw, name):
    return sw.api("GET", f"/services/{name}")


def replicas(sw, name):
    return spec(sw, name)["Spec"]["Mode"]["Replicated"]["Replicas"]


def test_the_swarm_engine_runs_services_of_every_mode(swarm, accounts):
    """The test engine itself (engines.py's SwarmDockerd and its service
    helper), the docker CLI being the client: a manager of its own swarm,
    whose replicated, global and job services run (or complete) their
    labelled tasks, and a service removed is gone."""
    n, _, sw = swarm
    info = sw.docker("info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} "
                     "{{.Swarm.NodeAddr}}").stdout.split()
    assert info == ["active", "true", sw.addr]
    ls = sw.docker("service", "ls", "--filter", f"name={n['web']}",
                   "--format", "{{.Name}} {{.Mode}} {{.Replicas}}").stdout
    assert ls.split() == [n["web"], "replicated", "2/2"], ls
    ps = sw.docker("ps", "--filter", f"label=com.docker.swarm.service.name={n['web']}",
                   "--filter", f"label=ctl.owner={accounts.users['alice']}",
                   "--format", "{{.State}}").stdout.split()
    assert ps == ["running", "running"]
    assert [t["Status"]["State"] for t in sw.tasks(n["glob"])] == ["running"]
    assert [t["Status"]["State"] for t in sw.tasks(n["job"])] == ["complete"]
    gone = sw.service(f"{TAG}-s-gone", sw.image, replicas=0)  # no task to start
    sw.remove_service(gone)
    assert sw.docker("service", "ls", "-q", "--filter", f"name={gone}").stdout.strip() == ""


def test_ls_lists_services_not_their_tasks(sctl, swarm):
    n, _, sw = swarm
    r = sctl("alice", "ls", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)["containers"]
    svcs = {c["name"]: c for c in rows if c.get("kind") == "service"}
    assert {n["web"], n["glob"], n["job"], n["twin"], n["capped"]} <= set(svcs)
    assert n["bobs"] not in svcs
    web = svcs[n["web"]]
    assert (web["engine"], web["mode"], web["desired"]) == ("sw", "replicated", 2)
    assert web["id"] == spec(sw, n["web"])["ID"]
    assert svcs[n["glob"]]["mode"] == "global"
    assert svcs[n["job"]]["mode"] == "replicated-job"
    # a task's container (it carries the owner label too) is no row of its own
    tasks = {c["name"] for c in rows if c.get("kind") != "service"}
    assert not any(t.startswith(n["web"] + ".") for t in tasks), tasks
    assert any(c.get("kind") != "service" and c["name"] == n["twin"] for c in rows)


def test_status_shows_tasks_as_docker_service_ps(sctl, swarm):
    n, _, sw = swarm
    r = sctl("alice", "status", "--json", f"service:{n['web']}")
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert (st["kind"], st["mode"], st["desired"], st["running"]) == \
        ("service", "replicated", 2, 2)
    ps = sw.docker("service", "ps", "-q", "--no-trunc", "-f", "desired-state=running",
                   n["web"]).stdout.split()
    running = {t["id"] for t in st["tasks"] if t["desired_state"] == "running"}
    assert running == set(ps)
    host = sw.api("GET", "/nodes")[0]["Description"]["Hostname"]
    assert all(t["node"] == host for t in st["tasks"] if t["desired_state"] == "running")


def test_logs_are_docker_service_logs(sctl, swarm):
    n, _, sw = swarm
    name = n["web"]
    # until each of its two tasks has ticked twice
    assert wait_for(lambda: len(sw.docker("service", "logs", "--tail", "2", name)
                                .stdout.splitlines()) == 4, 20, step=0.3)  # a CLI a poll
    ours = sctl("alice", "logs", "-n", "2", name)
    theirs = sw.docker("service", "logs", "--tail", "2", name)
    assert ours.returncode == 0, ours.stderr
    strip = lambda out: sorted(line.rsplit("tick", 1)[0] for line in out.splitlines())
    assert strip(ours.stdout) == strip(theirs.stdout) and len(strip(ours.stdout)) == 4
    assert all("    | tick " in line for line in ours.stdout.splitlines())


def test_restart_is_a_rolling_force_update(sctl, swarm):
    n, _, sw = swarm
    before = spec(sw, n["twin"])
    r = sctl("alice", "restart", f"service:{n['twin']}")
    assert r.returncode == 0, r.stderr
    after = spec(sw, n["twin"])
    assert after["Spec"]["TaskTemplate"]["ForceUpdate"] == \
        before["Spec"]["TaskTemplate"]["ForceUpdate"] + 1
    assert after["UpdateStatus"]["State"] == "completed"
    # nothing else of the spec changed
    a, b = dict(after["Spec"]), dict(before["Spec"])
    a["TaskTemplate"] = dict(a["TaskTemplate"], ForceUpdate=0)
    b["TaskTemplate"] = dict(b["TaskTemplate"], ForceUpdate=0)
    assert a == b
    r = sctl("alice", "restart", "-d", f"service:{n['twin']}")
    assert r.returncode == 0, r.stderr


def test_scale_stop_start(sctl, swarm):
    n, b, sw = swarm
    name = n["web"]
    assert sctl("alice", "scale", name, "3").returncode == 0
    assert replicas(sw, name) == 3
    r = sctl("alice", "scale", name, "4")
    assert r.returncode == 3 and "at most 3" in r.stderr
    assert replicas(sw, name) == 3
    assert sctl("alice", "stop", name).returncode == 0
    s = spec(sw, name)["Spec"]
    assert s["Mode"]["Replicated"]["Replicas"] == 0 and s["Labels"]["ctl.replicas"] == "3"
    assert sctl("alice", "stop", name).returncode == 0   # at 0 keeps the count
    assert spec(sw, name)["Spec"]["Labels"]["ctl.replicas"] == "3"
    assert sctl("alice", "start", name).returncode == 0
    s = spec(sw, name)["Spec"]
    assert s["Mode"]["Replicated"]["Replicas"] == 3 and "ctl.replicas" not in s["Labels"]
    assert sctl("alice", "scale", name, "2").returncode == 0
    r = sctl("alice", "scale", n["capped"], "2")
    assert r.returncode == 3 and "at most 1" in r.stderr
    recs = [a for a in b.audit_lines() if a.get("container") == name and a["verb"] == "scale"]
    assert recs and recs[-1]["engine"] == "sw"


@pytest.mark.parametrize("verb", [["scale", "@", "2"], ["stop", "@"], ["start", "@"]])
def test_global_and_job_services_refuse_scaling(sctl, swarm, verb):
    n, _, sw = swarm
    for svc in (n["glob"], n["job"]):
        r = sctl("alice", *[svc if a == "@" else a for a in verb])
        assert r.returncode == 2 and "only a replicated service" in r.stderr, r.stderr


def test_a_container_and_a_service_of_one_name(sctl, swarm):
    n, _, sw = swarm
    r = sctl("alice", "status", n["twin"])
    assert r.returncode == 2
    assert f"say service:{n['twin']} or container:{n['twin']}" in r.stderr
    assert sctl("alice", "status", f"container:{n['twin']}").returncode == 0
    assert sctl("alice", "status", f"sw/service:{n['twin']}").returncode == 0


def test_others_services_look_like_nothing(sctl, swarm):
    n, _, sw = swarm
    want = sctl("alice", "status", f"{TAG}-s-never")
    for name in (n["bobs"], f"sw/{n['bobs']}", f"service:{n['bobs']}"):
        r = sctl("alice", "scale", name, "2")
        assert r.returncode == 3, (name, r.stderr)
        assert r.stderr == want.stderr.replace(f"{TAG}-s-never", n["bobs"])
    assert replicas(sw, n["bobs"]) == 1
