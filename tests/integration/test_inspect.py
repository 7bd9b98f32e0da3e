"""ctl inspect against the real dockerd: what a developer needs to know
about a container (image name, state, times, ports, networks, limits,
mounts, ctl.* labels) and nothing of the host or its secrets."""
import json
import os
import re
import tempfile
import urllib.parse

import pytest

from conftest import IDLE, TAG, engine, inspect, wait_for
from test_templates import image_id, other_image, tbroker  # noqa: F401 (fixtures)

pytestmark = pytest.mark.xdist_group("inspect")  # other_image imported once

KEYS = {"name", "id", "image", "created", "state", "exit_code", "error", "oom_killed",
        "started_at", "finished_at", "health", "failing_streak", "health_log",
        "restart_count", "restart_policy", "restart_max", "tty", "memory", "cpus", "pids",
        "ports", "networks", "mounts", "labels"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def inspect_json(ctl, who, name):
    r = ctl(who, "inspect", "--json", name)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def leaks(info):
    """Every host path and secret dockerd's own inspect holds."""
    out = [info[k] for k in ("LogPath", "ResolvConfPath", "HostnamePath", "HostsPath")
           if info.get(k)]
    out += [v for v in (info.get("GraphDriver", {}).get("Data") or {}).values() if v]
    out += [m["Source"] for m in info["Mounts"] if m.get("Source")]
    out += [e.split("=", 1)[1] for e in info["Config"].get("Env") or [] if "=" in e]
    out += [info["Image"]]  # the image ID
    return [s for s in out if len(s) > 3]


def test_template_container_by_its_image_name(tbroker, ctl, accounts, image):
    user = accounts.users["alice"]
    assert ctl("alice", "create", "dev").returncode == 0
    name = f"dev-{user}"
    info = inspect(name)
    assert info["Config"]["Image"].startswith("sha256:")  # ctld creates by ID
    d = inspect_json(ctl, "alice", name)
    assert set(d) == KEYS
    assert d["image"] == image and info["Config"]["Labels"]["ctl.image"] == image
    assert d["id"] == info["Id"] and d["name"] == name
    assert d["state"] == "created"
    # never started: no year 1, in the answer or on the screen
    assert d["started_at"] is None and d["finished_at"] is None
    assert RFC3339.match(d["created"])
    assert d["memory"] == 64 << 20 and d["cpus"] == 0.5 and d["pids"] == 50
    assert d["restart_policy"] == "unless-stopped"
    assert d["mounts"] == [{"type": "volume", "name": f"home-{user}",
                            "destination": "/home/dev", "read_only": False}]
    assert d["labels"] == {"ctl.owner": user, "ctl.group": "", "ctl.template": "dev",
                           "ctl.image": image}
    r = ctl("alice", "inspect", name)
    assert r.returncode == 0, r.stderr
    assert f"Image:       {image}\n" in r.stdout
    assert "Started:     never\n" in r.stdout
    assert "volume home-" in r.stdout and "-> /home/dev" in r.stdout
    for text in (r.stdout, json.dumps(d)):
        assert "0001-01-01" not in text and "EDITOR" not in text and "sha256:" not in text
        for s in leaks(info):
            assert s not in text
    # ls and status name the image the same way
    r = ctl("alice", "ls", "--json")
    assert [c["image"] for c in json.loads(r.stdout)["containers"]
            if c["name"] == name] == [image]
    r = ctl("alice", "status", "--json", name)
    assert json.loads(r.stdout)["image"] == image


@pytest.fixture(scope="module")
def handmade(accounts, image):
    """An admin's container: a published port, a bind mount, a volume, a
    password in its environment, a health check that prints. Made once:
    the tests only read it, and each start on the bridge costs dockerd as
    much CPU as a dozen ctl commands, each health check an exec."""
    user = accounts.users["alice"]
    name, vol = f"hand-{TAG}", f"vol-{TAG}"
    src = tempfile.mkdtemp(prefix="ctl-bind-secret-")
    engine("POST", f"/containers/create?name={urllib.parse.quote(name)}", {
        "Image": image, "Cmd": IDLE,
        "Env": ["DB_PASSWORD=hunter2-" + TAG],
        "Labels": {"ctl.owner": user, "ctltest": TAG, "com.example.key": "labelsecret-" + TAG},
        "ExposedPorts": {"80/tcp": {}},
        # a generous timeout: under the suite's load an echo may take seconds
        "Healthcheck": {"Test": ["CMD", "echo", "health-" + TAG], "Interval": 1000000000,
                        "Timeout": 20000000000, "Retries": 3},
        "HostConfig": {"PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]},
                       "Binds": [f"{src}:/config:ro"],
                       "Mounts": [{"Type": "volume", "Source": vol, "Target": "/data"}],
                       "Memory": 32 << 20, "PidsLimit": 20,
                       "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}}})
    engine("POST", f"/containers/{name}/start")
    yield name
    engine("DELETE", f"/containers/{name}?force=1&v=1", ok=(204, 404))
    engine("DELETE", f"/volumes/{vol}", ok=(204, 404, 409))
    os.rmdir(src)


def test_handmade_container(handmade, ctl, accounts, image):
    name = handmade
    d = inspect_json(ctl, "alice", name)
    info = inspect(name)
    assert set(d) == KEYS
    assert d["image"] == image  # Config.Image: no ctl.image label
    assert d["state"] == "running" and RFC3339.match(d["started_at"])
    assert d["finished_at"] is None
    hp = info["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]
    assert d["ports"] == [{"port": 80, "protocol": "tcp", "host_ip": "127.0.0.1",
                           "host_port": int(hp)}]
    ip = info["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]
    assert ip and [n for n in d["networks"] if n["name"] == "bridge"][0]["ip"] == ip
    assert sorted(d["mounts"], key=lambda m: m["destination"]) == [
        {"type": "bind", "name": None, "destination": "/config", "read_only": True},
        {"type": "volume", "name": f"vol-{TAG}", "destination": "/data", "read_only": False}]
    assert d["memory"] == 32 << 20 and d["pids"] == 20 and d["cpus"] is None
    assert d["restart_policy"] == "on-failure" and d["restart_max"] == 3
    assert d["labels"] == {"ctl.owner": accounts.users["alice"]}
    r = ctl("alice", "inspect", name)
    assert r.returncode == 0, r.stderr
    assert f"80/tcp -> 127.0.0.1:{hp}\n" in r.stdout
    assert "bind -> /config (read-only)\n" in r.stdout
    for text in (r.stdout, json.dumps(d)):
        assert "hunter2" not in text and "labelsecret" not in text
        assert "ctl-bind-secret" not in text and "/var/lib/docker" not in text
        for s in leaks(info):
            assert s not in text, s


def test_health_output_shown(handmade, ctl):
    def checked():
        h = inspect(handmade)["State"].get("Health") or {}
        return h.get("Status") == "healthy" and h.get("Log")
    assert wait_for(checked, timeout=60)
    d = inspect_json(ctl, "alice", handmade)
    assert d["health"] == "healthy"
    assert d["health_log"] and d["health_log"][-1]["output"] == "health-" + TAG
    r = ctl("alice", "inspect", handmade)
    assert "Health:      healthy" in r.stdout and "health-" + TAG in r.stdout


def test_not_permitted_is_no_such_container(handmade, ctl):
    """bob may not use alice's container: the same words as a missing one."""
    said = []
    for name in (handmade, f"nothing-{TAG}"):
        r = ctl("bob", "inspect", name)
        assert r.returncode == 3 and r.stdout == ""
        said.append(r.stderr.replace(name, "NAME"))
    assert said[0] == said[1] and "no such container: NAME" in said[0]
