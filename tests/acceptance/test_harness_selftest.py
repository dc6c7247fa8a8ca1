"""Self-test of the acceptance harness on a small SYNTHETIC stack (not the real program).

Two Docker networks (edge, and an internal backend), an nginx "web" on both that publishes a
port on the host address, a redis "cache" on the backend only, and a plain namespace ("hook",
a stand-in for a webhook receiver) on the backend. The resources are given in Pulumi's wire
format, so `from_recorded` is exercised the way the real suite uses it.
"""

from __future__ import annotations

import os
import shutil
import subprocess  # nosec B404
import time
from collections.abc import Iterator

import pytest

from components.core.catalog import DEFAULT_BACKEND_SUBNET as BACKEND_SUBNET
from components.core.catalog import DEFAULT_EDGE_SUBNET as EDGE_SUBNET
from components.core.catalog import DEFAULT_IMAGES
from tests.acceptance.harness import (
    HOST_ADDRESS,
    ExtraNamespace,
    SpecError,
    Topology,
    UnknownImageError,
    from_recorded,
    profile_for,
)
from tests.acceptance.harness import netns as nx

pytestmark = pytest.mark.acceptance

PREFIX = "pst"  # distinct from the real suite's "ps": both may run on one machine
SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
PUBLISHED = 9090
WEB_PORT = 8080
CACHE_STATIC = BACKEND_SUBNET.rsplit(".", 1)[0] + ".50"  # a static Docker address (ipv4_address)

NGINX_CONF = f"""\
worker_processes 1;
pid /tmp/nginx.pid;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path /tmp/client_temp;
    proxy_temp_path /tmp/proxy_temp;
    fastcgi_temp_path /tmp/fastcgi_temp;
    uwsgi_temp_path /tmp/uwsgi_temp;
    scgi_temp_path /tmp/scgi_temp;
    access_log /dev/stdout;
    server {{
        listen {WEB_PORT};
        location / {{ return 200 "hello from web\\n"; }}
    }}
}}
"""

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(tool) for tool in ("bwrap", "ip", "iptables", "nginx", "redis-server")),
    reason="the harness needs root, bubblewrap, iproute2, iptables, nginx and redis-server",
)


def recorded() -> list[tuple[str, str, dict[str, object]]]:
    """What Pulumi mocks would record for the synthetic stack (camelCase wire inputs)."""
    return [
        ("pulumi:pulumi:Stack", "selftest", {}),
        ("docker:index/network:Network", "edge-net", {"name": "st-edge", "internal": False, "ipamConfigs": [{"subnet": EDGE_SUBNET}]}),
        ("docker:index/network:Network", "backend-net", {"name": "st-backend", "internal": True, "ipamConfigs": [{"subnet": BACKEND_SUBNET}]}),
        (
            "docker:index/container:Container",
            "web",
            {
                "name": "web",
                "image": DEFAULT_IMAGES["proxy"],
                "command": ["nginx", "-g", "daemon off;"],
                "user": "101:101",
                "readOnly": True,
                "tmpfs": {"/tmp": "rw,noexec,nosuid,nodev,size=16m,uid=101,gid=101,mode=0700"},
                "uploads": [
                    {"file": "/etc/nginx/nginx.conf", "content": {**SECRET, "value": NGINX_CONF}, "permissions": "0400", "owner": "101", "group": "101"},
                ],
                # Attached by resource name on one network, by Docker name on the other.
                "networksAdvanced": [{"name": "edge-net", "aliases": ["web-edge"]}, {"name": "st-backend", "aliases": ["web-backend"]}],
                "ports": [{"internal": float(WEB_PORT), "external": float(PUBLISHED), "ip": HOST_ADDRESS}],
                "capabilities": {"drops": ["ALL"]},
                "securityOpts": ["no-new-privileges:true"],
                "healthcheck": {"tests": ["CMD", "curl", "-fsS", f"http://127.0.0.1:{WEB_PORT}/"]},
            },
        ),
        (
            "docker:index/container:Container",
            "cache",
            {
                "name": "cache",
                "image": DEFAULT_IMAGES["demo_redis"],
                "command": ["redis-server", "--port", "6379", "--protected-mode", "no", "--save", ""],
                "user": "999:999",
                "readOnly": True,
                "volumes": [{"volumeName": "st-cache-data", "containerPath": "/data", "readOnly": False}],
                "tmpfs": {"/run/cache": "rw,noexec,nosuid,nodev,size=1m,uid=999,gid=999,mode=0700"},
                "networksAdvanced": [{"name": "st-backend", "aliases": ["cache-alias"], "ipv4Address": CACHE_STATIC}],
                "capabilities": {"drops": ["ALL"]},
                "securityOpts": ["no-new-privileges:true"],
            },
        ),
    ]


# --- pure: no system changes --------------------------------------------------------------------
def test_from_recorded_converts_wire_inputs() -> None:
    networks, containers = from_recorded(recorded())
    assert [(n.name, n.internal, n.subnet) for n in networks] == [
        ("st-edge", False, EDGE_SUBNET),
        ("st-backend", True, BACKEND_SUBNET),
    ]
    web, cache = containers
    assert web.uid == 101 and web.gid == 101 and web.read_only and web.cap_drop_all and web.no_new_privileges
    upload = web.upload("/etc/nginx/nginx.conf")
    assert (upload.content, upload.mode, upload.uid, upload.gid) == (NGINX_CONF, 0o400, 101, 101)
    assert [(a.network_name, a.aliases) for a in web.networks] == [("st-edge", ("web-edge",)), ("st-backend", ("web-backend",))]
    assert web.ports[0].internal == WEB_PORT and isinstance(web.ports[0].external, int)
    assert web.healthcheck and web.healthcheck[0] == "CMD"
    assert cache.volumes[0].name == "st-cache-data" and cache.volumes[0].container_path == "/data"


def test_from_recorded_rejects_unknown_network_and_image() -> None:
    bad = [("docker:index/container:Container", "x", {"image": "redis:7", "networksAdvanced": [{"name": "nope"}]})]
    with pytest.raises(SpecError, match="nope"):
        from_recorded(bad)
    with pytest.raises(UnknownImageError, match="busybox"):
        profile_for("busybox:1.36")
    assert profile_for("docker.io/library/redis:7.4.5@sha256:abc").repository == "redis"
    exporter = profile_for("promshield/duckdb-exporter:0.1.0").entrypoint(["--config", "/etc/x.yml"])
    assert exporter[1:] == ["/app/exporter.py", "--config", "/etc/x.yml"] and exporter[0].endswith("/bin/python")


# --- the real thing ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def topo() -> Iterator[Topology]:
    networks, containers = from_recorded(recorded())
    topology = Topology(
        networks,
        containers,
        prefix=PREFIX,
        extras=[ExtraNamespace("hook", "st-backend", ("webhook",))],
        ready_timeout=15,
    )
    with topology:
        yield topology


@needs_root
def test_trusted_client_reaches_published_port(topo: Topology) -> None:
    result = topo.client("trusted").curl(f"http://{topo.host_address}:{PUBLISHED}/")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello from web\n"
    assert "GET / HTTP/1.1" in topo.log_text("web")  # the access log went to the container's stdout


@needs_root
def test_internal_network_has_no_route_out(topo: Topology) -> None:
    routes = topo.exec_in("cache", ["ip", "route"], check=True).stdout
    assert "default" not in routes
    with pytest.raises(OSError) as caught:
        topo.client("cache").connect(topo.plan.clients["trusted"], 22, timeout=1)
    assert "unreachable" in str(caught.value).lower()
    # The edge network (not internal) has its default route through the Docker host.
    assert "default via" in topo.exec_in("web", ["ip", "route"], check=True).stdout


@needs_root
def test_clients_cannot_reach_internal_container(topo: Topology) -> None:
    cache = topo.address_of("cache")
    backend = topo.subnet_map[BACKEND_SUBNET]
    assert backend.startswith("198.18.") and cache == backend.replace(".0/24", ".50") == topo.map_address(CACHE_STATIC)
    assert topo.translate(f"-d {BACKEND_SUBNET} -d {CACHE_STATIC}") == f"-d {backend} -d {cache}"
    assert topo.client("web").can_connect(cache, 6379)  # a peer on the backend can
    for client in ("trusted", "untrusted"):
        assert not topo.client(client).can_connect(cache, 6379, timeout=1)


@needs_root
def test_aliases_resolve_within_shared_networks_only(topo: Topology) -> None:
    ping = topo.container_exec("web", ["bash", "-c", 'exec 3<>/dev/tcp/cache-alias/6379; printf "PING\\r\\n" >&3; head -c 7 <&3'])
    assert ping.stdout.strip() == "+PONG", ping.stderr
    assert topo.container_exec("cache", ["getent", "hosts", "web-backend"]).stdout.split()[0] == topo.address_of("web", "st-backend")
    assert topo.container_exec("cache", ["getent", "hosts", "webhook"]).returncode == 0
    # web-edge is web's alias on the edge network only: the cache is not on it.
    assert topo.container_exec("cache", ["getent", "hosts", "web-edge"]).returncode != 0


@needs_root
def test_extra_namespace_is_reachable_by_alias(topo: Topology) -> None:
    hook = topo.client("hook")
    hook.spawn(["python3", "-m", "http.server", "8000", "--bind", hook.address or ""], "hook-http")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not topo.client("hook").can_connect(hook.address or "", 8000, 0.5):
        time.sleep(0.1)
    result = topo.container_exec("web", ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "http://webhook:8000/"])
    assert result.stdout == "200", result.stderr


@needs_root
def test_uploads_keep_mode_and_owner_and_root_is_read_only(topo: Topology) -> None:
    stat = topo.container_exec("web", ["stat", "-c", "%a %u %g", "/etc/nginx/nginx.conf"])
    assert stat.stdout.strip() == "400 101 101", stat.stderr
    for path in ("/etc/nginx/x", "/x", "/usr/x"):
        denied = topo.container_exec("web", ["touch", path])
        assert denied.returncode != 0 and "Read-only file system" in denied.stderr, path
    assert topo.container_exec("web", ["touch", "/tmp/ok"]).returncode == 0
    mounts = topo.container_exec("web", ["cat", "/proc/self/mounts"]).stdout
    tmp = next(line for line in mounts.splitlines() if line.split()[1] == "/tmp")
    assert "noexec" in tmp and "uid=101" in tmp and "mode=700" in tmp
    # Nothing of /work or /root is visible to a container that does not need it.
    assert topo.container_exec("web", ["ls", "/work"]).returncode != 0
    assert topo.container_exec("web", ["ls", "/root"]).returncode != 0
    health = topo.sandbox("web").healthcheck()
    assert health is not None and health.returncode == 0, health.stderr if health else ""


@needs_root
def test_process_runs_as_spec_uid_without_capabilities(topo: Topology) -> None:
    for name, uid in (("web", "101"), ("cache", "999")):
        status = topo.sandbox(name).status()
        assert status["Uid"].split() == [uid] * 4, (name, status["Uid"])
        assert int(status["CapEff"], 16) == 0 and int(status["CapPrm"], 16) == 0
        assert int(status["CapBnd"], 16) == 0
        assert status["NoNewPrivs"] == "1"


@needs_root
def test_volume_survives_kill_and_restart_but_tmpfs_does_not(topo: Topology) -> None:
    write = "echo kept > /data/marker && echo gone > /run/cache/marker"
    assert topo.container_exec("cache", ["sh", "-c", write]).returncode == 0
    topo.kill("cache")
    assert not topo.sandbox("cache").running
    topo.start("cache")
    assert topo.container_exec("cache", ["cat", "/data/marker"]).stdout == "kept\n"
    assert topo.container_exec("cache", ["cat", "/run/cache/marker"]).returncode != 0
    assert (topo.volume_dir("st-cache-data") / "marker").stat().st_uid == 999


@needs_root
def test_docker_user_rule_blocks_untrusted(topo: Topology) -> None:
    untrusted = topo.client("untrusted")
    assert untrusted.can_connect(topo.host_address, PUBLISHED)
    topo.apply_host_script(f"iptables -I DOCKER-USER -s {untrusted.address} -j DROP\n")
    assert not untrusted.can_connect(topo.host_address, PUBLISHED, timeout=1)
    assert topo.client("trusted").can_connect(topo.host_address, PUBLISHED)
    assert f"-A DOCKER-USER -s {untrusted.address}/32 -j DROP" in topo.iptables_save()


@needs_root
def test_teardown_leaves_nothing(topo: Topology) -> None:
    pids = [topo.sandbox(name).pid for name in topo.sandboxes]
    topo.close()
    assert not [ns for ns in nx.netns_list() if ns.startswith(f"{PREFIX}-")]
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    assert f"{PREFIX}-" not in links
    for pid in pids:
        assert pid is not None and not os.path.exists(f"/proc/{pid}")
    assert not any(path.name.startswith(f"{PREFIX}-") for path in nx.ETC_NETNS_DIR.glob("*"))
