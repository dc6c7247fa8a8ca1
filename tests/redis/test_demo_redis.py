"""The demo Redis from the rendered files, in a container view (bwrap): read-only root,
/etc/redis/redis.conf read-only, /data writable, uid 999, no capabilities."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from redis_testlib import (
    LOOPBACK,
    as_user,
    bwrap_available,
    bwrap_command,
    client,
    free_port,
    new_password,
    parse_metrics,
    raw,
    start_exporter,
    stop,
    wait_until,
)

from components.core.catalog import DEMO_REDIS
from components.redis.acl import password_sha256
from components.redis.provider import RedisAclError, RedisAclProvider
from components.redis.render import ACL_PATH, CONF_PATH, demo_redis_command, render_demo_redis_files

pytestmark = pytest.mark.skipif(not bwrap_available(), reason="needs root, bwrap and setpriv (container view)")

ADMIN = "admin"
EXPORTER_USER = "redis_exporter"
PRIVATE_IP = "198.18.0.10"  # the demo network address inside the sandbox's own namespace


@dataclass
class DemoFiles:
    conf: Path
    acl: Path
    data: Path
    admin_password: str
    exporter_password: str


def _own(path: Path, mode: int) -> None:
    os.chown(path, DEMO_REDIS.uid, DEMO_REDIS.gid)
    path.chmod(mode)


def _render(tmp_path: Path, acl_override: str | None = None) -> DemoFiles:
    admin_pw, exporter_pw = new_password(), new_password()
    files = render_demo_redis_files(ADMIN, password_sha256(admin_pw), EXPORTER_USER, password_sha256(exporter_pw))
    conf, data = tmp_path / "etc" / "redis.conf", tmp_path / "data"
    conf.parent.mkdir(parents=True)
    data.mkdir()
    acl = conf.parent / Path(ACL_PATH).name
    conf.write_text(files[CONF_PATH])
    acl.write_text(acl_override or files[ACL_PATH])
    _own(conf, 0o600)
    _own(acl, 0o600)
    _own(data, 0o700)
    return DemoFiles(conf, acl, data, admin_pw, exporter_pw)


@dataclass
class Sandboxed:
    files: DemoFiles
    port: int
    command: list[str]
    proc: subprocess.Popen[bytes] | None = None

    def admin(self) -> redis.Redis:
        return client(self.port, ADMIN, self.files.admin_password)

    def start(self) -> Sandboxed:
        self.proc = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_until(lambda: bool(self.admin().ping()), "sandboxed demo redis", self.proc, None)
        return self

    def stop(self) -> None:
        stop(self.proc)
        self.proc = None


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Sandboxed]:
    """The rendered conf as is, plus `--port <free> --bind 127.0.0.1` (it shares our network)."""
    files = _render(tmp_path)
    port = free_port()
    inner = as_user(
        DEMO_REDIS.uid,
        DEMO_REDIS.gid,
        [*demo_redis_command(), "--port", str(port), "--bind", LOOPBACK, "--logfile", "/data/redis.log"],
    )
    sandbox = Sandboxed(
        files, port, bwrap_command({CONF_PATH: files.conf, ACL_PATH: files.acl}, files.data, inner, unshare_net=False)
    )
    try:
        yield sandbox.start()
    finally:
        sandbox.stop()


def test_demo_redis_users_acl_save_and_restart(demo: Sandboxed, tmp_path: Path) -> None:
    admin = demo.admin()
    assert admin.config_get("aclfile") == {"aclfile": ACL_PATH}
    assert admin.config_get("protected-mode") == {"protected-mode": "yes"}
    assert admin.config_get("requirepass") == {"requirepass": ""}
    assert admin.config_get("masterauth") == {"masterauth": ""}
    with pytest.raises(redis.AuthenticationError):
        client(demo.port, None, None).ping()
    with pytest.raises(redis.AuthenticationError):
        client(demo.port, "default", "").ping()

    # The rendered exporter user serves the real exporter, without a single ACL denial.
    raw(admin, "ACL", "LOG", "RESET")
    exporter = start_exporter(tmp_path / "exporter", demo.port, EXPORTER_USER, demo.files.exporter_password)
    try:
        metrics = parse_metrics(exporter.scrape())
        assert metrics["redis_up"] == 1 and metrics["redis_memory_used_bytes"] > 0
    finally:
        stop(exporter.proc)
    assert raw(admin, "ACL", "LOG") == []

    # The ACL file sits in the read-only config directory: a user added at runtime works until
    # the next restart but cannot be saved, so the rendered users stay the whole truth.
    other_pw = new_password()
    props = {
        "host": LOOPBACK,
        "port": demo.port,
        "admin_username": ADMIN,
        "admin_password": demo.files.admin_password,
        "username": "metrics_reader",
        "password": other_pw,
        "check_keys": [],
    }
    with pytest.raises(RedisAclError, match="ACL SAVE failed"):
        RedisAclProvider().create(props)
    assert client(demo.port, "metrics_reader", other_pw).ping()
    assert password_sha256(other_pw) not in demo.files.acl.read_text()
    # CONFIG REWRITE cannot work here (and is not needed): the config file is read-only.
    assert isinstance(raw(admin, "CONFIG", "REWRITE"), redis.ResponseError)

    demo.stop()
    demo.start()
    with pytest.raises(redis.AuthenticationError):
        client(demo.port, "metrics_reader", other_pw).ping()
    assert client(demo.port, EXPORTER_USER, demo.files.exporter_password).ping()


def test_inline_command_needs_no_config_file(tmp_path: Path) -> None:
    files = _render(tmp_path)
    port = free_port()
    inner = as_user(
        DEMO_REDIS.uid,
        DEMO_REDIS.gid,
        [*demo_redis_command(inline=True), "--port", str(port), "--bind", LOOPBACK, "--logfile", "/data/redis.log"],
    )
    sandbox = Sandboxed(files, port, bwrap_command({ACL_PATH: files.acl}, files.data, inner, unshare_net=False))
    try:
        admin = sandbox.start().admin()
        assert admin.config_get("aclfile") == {"aclfile": ACL_PATH}
        assert admin.config_get("bind") == {"bind": LOOPBACK}
        assert admin.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        assert isinstance(raw(admin, "ACL", "SAVE"), redis.ResponseError)  # read-only config dir
    finally:
        sandbox.stop()


def _private_network_probe(tmp_path: Path, acl_override: str | None = None) -> dict[str, str]:
    """Run the rendered conf verbatim (port 6379, bind * -::*) in its own network namespace and
    talk to it from a non-loopback address, as the exporter does over the Docker network."""
    files = _render(tmp_path, acl_override)
    cli = f"redis-cli -h {PRIVATE_IP} -p {DEMO_REDIS.port}"
    server = shlex.join(as_user(DEMO_REDIS.uid, DEMO_REDIS.gid, demo_redis_command()))
    script = f"""
set -u
ip link set lo up
ip addr add {PRIVATE_IP}/32 dev lo
{server} >/data/redis.out 2>&1 &
for i in $(seq 1 100); do
  case "$({cli} ping 2>&1)" in *"Could not connect"*) sleep 0.05;; *) break;; esac
done
echo "anonymous: $({cli} ping 2>&1)"
echo "admin: $(REDISCLI_AUTH="$ADMIN_PW" {cli} --user {ADMIN} ping 2>&1)"
echo "exporter: $(REDISCLI_AUTH="$EXPORTER_PW" {cli} --user {EXPORTER_USER} info server 2>&1 | grep -c redis_version)"
echo "protected: $(REDISCLI_AUTH="$ADMIN_PW" {cli} --user {ADMIN} config get protected-mode 2>&1 | tail -1)"
"""
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "ADMIN_PW": files.admin_password,
        "EXPORTER_PW": files.exporter_password,
    }
    command = bwrap_command(
        {CONF_PATH: files.conf, ACL_PATH: files.acl}, files.data, ["sh", "-c", script], unshare_net=True
    )
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=False)
    results = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    assert set(results) >= {"anonymous", "admin", "exporter", "protected"}, (done.stdout, done.stderr)
    return results


def test_protected_mode_with_the_default_user_off_serves_authenticated_remote_clients(tmp_path: Path) -> None:
    results = _private_network_probe(tmp_path)
    assert "NOAUTH" in results["anonymous"]
    assert results["admin"] == "PONG"
    assert results["exporter"] == "1"
    assert results["protected"] == "yes"


def test_protected_mode_would_lock_out_everyone_with_a_nopass_default_user(tmp_path: Path) -> None:
    """The control: why the rendered default user is `off` without `nopass`."""
    files = render_demo_redis_files(ADMIN, password_sha256("unused"))
    acl = files[ACL_PATH].replace("user default reset off resetpass", "user default reset off nopass")
    results = _private_network_probe(tmp_path, acl)
    assert "DENIED" in results["anonymous"] and "protected mode" in results["anonymous"]
    assert "DENIED" in results["admin"]
