"""The Redis ACL dynamic provider under the real engine: its users created, rotated and deleted on real Redis.

`RedisAclUser` (components/redis/provider.py) is a Pulumi dynamic provider: the engine runs it in
`pulumi-resource-pulumi-python`, which unpickles the provider from the program (and, to read, diff
and delete, from the state). It manages the exporter's user of each Redis instance the stack
*monitors* (`redisInstances`), logged in as that Redis' admin. The demo stack's four demo Redis are
the stack's own containers on its internal network: their users are rendered into their ACL files,
not managed by the provider, and the deploying machine cannot reach them. So this module's stack
names two Redis of its own on the LAN, as a user's trading Redis would be: `redis-server` (7.0,
Debian's) in two LAN namespaces, ACL users only (`default` off), an `aclfile` so `ACL SAVE` persists,
the admin's password in it only as its SHA-256. Prometheus' exporter reaches them through the
stack's egress network and firewall grants (an IP address outside the host).

What it shows, on the real Redis (read as its admin from the Redis host's own namespace):
- after `up`, each Redis has the exporter's user with exactly the rules the program declares
  (`components/redis/acl.py`: commands, no key, no channel, no selector but the declared ones, on)
  and one password hash, the SHA-256 of the generated password in the state; the user runs `INFO`
  and is refused (NOPERM) a read, a write, `CONFIG GET` and `ACL LIST`, which the admin runs
  (negative control); `ACL SAVE` wrote it to the aclfile; the exporter scrapes both (`redis_up` 1);
- a rotation, as docs/users-and-roles.md rotates a generated password (`up --replace` of the
  password resource), changes the password on that Redis only: the old one is refused, the new
  one accepted, the other Redis' user untouched, and the exporter (replaced with its new password
  file) scrapes that Redis again with a fresh `redis_up` 1;
- removing an instance from `redisInstances` deletes its user from that Redis (and its aclfile) on
  `up`; the other instance's user and scrapes stay.

Its own stack and engine under the acceptance prefix, before the shared stack starts; torn down at
the module's end. Each step prints its time and the engine's steps.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from pulumi import automation as auto
from redis.backoff import NoBackoff
from redis.retry import Retry

from components.core import catalog
from components.redis.acl import acl_rules
from harness import netns as nx
from harness import pulumi_engine as pe
from harness import standins
from harness.live import HOST_ADDRESS, TEST_UID, LanService, LiveStack
from harness.paths import HARNESS_PREFIX
from harness.stack import wait_until

STACK = "redisacl"
TRUSTED = "198.19.0.10"
ADMIN = "promshield-admin"  # the settings' default adminUsername
EXPORTER_USER = "prometheus"  # the settings' default exporterUsername
REDIS_PORT = 6379
# name -> LAN address of each monitored Redis (a namespace of its own, `<prefix>-redis-<name>`).
REDIS = {"RTS": "198.19.0.40", "RIS": "198.19.0.41"}
ROTATED, REMOVED = "RTS", "RIS"

BASE_CONFIG: dict[str, Any] = {
    "bindAddress": HOST_ADDRESS,
    "trustedCidrs": [f"{TRUSTED}/32"],
    "firewallSudo": False,
    "tls": {"dnsNames": ["promshield.test"], "ipAddresses": [HOST_ADDRESS]},
    "users": [{"name": "admin", "role": "admin"}],
    "networks": {"backendSubnet": "198.18.10.0/24", "edgeSubnet": "198.18.20.0/24", "egressSubnet": "198.18.30.0/24"},
}

REDIS_CONF = """\
bind {address}
port {port}
protected-mode no
daemonize no
dir {directory}
aclfile {directory}/users.acl
save ""
appendonly no
"""


def _config(names: tuple[str, ...]) -> dict[str, Any]:
    instances = [{"name": name, "address": f"{REDIS[name]}:{REDIS_PORT}"} for name in names]
    return {**BASE_CONFIG, "redisInstances": instances}


@dataclass
class LanRedis:
    """One monitored Redis on the LAN: its namespace, its admin's password, its files."""

    name: str
    address: str
    directory: Path
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)

    def service(self) -> LanService:
        return LanService(f"redis-{self.name.lower()}", self.address, ["redis-server", str(self.directory / "conf")])

    def write_files(self) -> None:
        self.directory.mkdir(mode=0o700)
        (self.directory / "conf").write_text(
            REDIS_CONF.format(address=self.address, port=REDIS_PORT, directory=self.directory)
        )
        admin_hash = hashlib.sha256(self.admin_password.encode()).hexdigest()
        # Only the hash on disk; the admin may do anything (it is the trading system's, not ours).
        (self.directory / "users.acl").write_text(f"user default off\nuser {ADMIN} on #{admin_hash} ~* &* +@all\n")
        for path in (self.directory, self.directory / "conf", self.directory / "users.acl"):
            os.chown(path, TEST_UID, TEST_UID)
            path.chmod(0o700 if path.is_dir() else 0o600)

    def session(self, user: str, password: str, *commands: tuple[str, ...]) -> list[Any]:
        """Log in as `user` from the Redis host's own namespace and run `commands`; each reply, or the
        Redis error it got (an authentication failure is the first element, alone)."""

        def run() -> list[Any]:
            client = redis.Redis(
                host=self.address,
                port=REDIS_PORT,
                username=user,
                password=password,
                socket_timeout=5,
                socket_connect_timeout=5,
                decode_responses=True,
                protocol=2,
                retry=Retry(NoBackoff(), 0),
            )
            replies: list[Any] = []
            try:
                client.ping()
            except redis.RedisError as error:
                return [error]
            try:
                for command in commands:
                    try:
                        replies.append(client.execute_command(*command))
                    except redis.RedisError as error:
                        replies.append(error)
            finally:
                client.close()
            return replies

        return nx.in_netns(f"{HARNESS_PREFIX}-redis-{self.name.lower()}", run)

    def admin(self, *command: str) -> Any:
        reply = self.session(ADMIN, self.admin_password, command)[0]
        if isinstance(reply, Exception):
            raise AssertionError(f"{self.name}: the admin's {command[0]} failed: {reply}")
        return reply

    def can_log_in(self, user: str, password: str) -> bool:
        reply = self.session(user, password)
        return not (reply and isinstance(reply[0], redis.AuthenticationError))

    def aclfile(self) -> str:
        return (self.directory / "users.acl").read_text()


@dataclass
class Deployed:
    engine: pe.EngineStack
    redis: dict[str, LanRedis]
    timings: dict[str, float] = field(default_factory=dict)

    def configure(self, names: tuple[str, ...]) -> None:
        secret = {f"redisAdminPasswords.{name}": self.redis[name].admin_password for name in names}
        config = {**_config(names), "dockerHost": self.engine.topo.engine.host}
        self.engine.stack = self.engine.project.stack(STACK, config, secret)

    def timed_up(self, title: str, **kwargs: Any) -> pe.StepRecorder:
        started = time.monotonic()
        steps = self.engine.up(title, **kwargs)
        self.timings[title] = round(time.monotonic() - started, 1)
        return steps

    def exporter_password(self, name: str) -> str:
        """The generated password of instance `name`'s exporter user, from the decrypted state."""
        wanted = f"redis-{name.lower()}-exporter-password"
        for resource in self.engine.state_resources(show_secrets=True):
            if resource["urn"].endswith(f"::{wanted}"):
                result = resource["outputs"]["result"]
                # --show-secrets prints a secret as {<sig>: ..., "plaintext": <its JSON>}
                return str(json.loads(result["plaintext"]) if isinstance(result, dict) else result)
        raise AssertionError(f"no {wanted} in the state")

    def urn(self, suffix: str) -> str:
        return next(r["urn"] for r in self.engine.state_resources() if r["urn"].endswith(f"::{suffix}"))

    def scraped_since(self, name: str, since: float) -> bool:
        """A `redis_up` 1 of instance `name` sampled after `since` (the exporter logged in)."""
        query = f'timestamp(redis_up{{redis_instance="{name}"}} == 1)'
        result = self.engine.query(query)
        return bool(result) and float(result[0]["value"][1]) > since


def _expected_getuser(password: str) -> dict[str, Any]:
    """What `ACL GETUSER` of the exporter's user must show: the declared rules, one password hash."""
    rules = acl_rules([])
    return {
        "flags": ["on", "sanitize-payload"],  # `reset` gives Redis' default sanitize-payload (RESTORE checks)
        "passwords": [hashlib.sha256(password.encode()).hexdigest()],
        "commands": frozenset(r for r in rules if r.startswith(("+", "-"))),
        "keys": "",
        "channels": "",
        "selectors": [],
    }


def _getuser(lan: LanRedis) -> dict[str, Any] | None:
    reply = lan.admin("ACL", "GETUSER", EXPORTER_USER)
    if reply is None:
        return None
    data = reply if isinstance(reply, dict) else {str(reply[i]): reply[i + 1] for i in range(0, len(reply) - 1, 2)}
    return {
        "flags": sorted(data["flags"]),
        "passwords": list(data["passwords"]),
        "commands": frozenset(str(data["commands"]).split()),
        "keys": data["keys"],
        "channels": data["channels"],
        "selectors": list(data["selectors"]),
    }


@pytest.fixture(scope="module")
def deployed() -> Iterator[Deployed]:
    if os.geteuid() != 0:
        pytest.skip("the real-engine deployment needs root (network namespaces, dockerd, iptables)")
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is missing (scripts/acceptance-deps.sh installs it)")
    try:
        pe.toolchain_bin()
    except pe.ToolchainMissing as missing:
        pytest.fail(str(missing))
    started = time.monotonic()
    files = Path(tempfile.mkdtemp(prefix="promshield-redisacl-"))
    files.chmod(0o711)  # each Redis (uid TEST_UID) reaches only its own 0700 directory
    lans = {name: LanRedis(name, address, files / name.lower()) for name, address in REDIS.items()}
    for lan in lans.values():
        lan.write_files()
    topo = LiveStack(prefix=HARNESS_PREFIX, clients={"trusted": TRUSTED}, services=[r.service() for r in lans.values()])
    try:
        with topo, pe.project(topo.host_ns) as project:
            standins.ensure_images(topo.engine.client(), sorted(set(catalog.DEFAULT_IMAGES.values())))
            for lan in lans.values():
                wait_until(functools.partial(lan.admin, "PING"), timeout=20, interval=0.5, what=f"{lan.name} up")
            engine = pe.EngineStack(topo, project, project.stack(STACK, {}), HOST_ADDRESS)
            deployment = Deployed(engine, lans, {"engine and Redis ready": round(time.monotonic() - started, 1)})
            deployment.configure(tuple(REDIS))
            try:
                yield deployment
            finally:
                topo.save_logs()
                mark = time.monotonic()
                try:
                    engine.stack.destroy(color="never")
                except auto.CommandError as error:
                    print(f"[engine] destroy at teardown failed: {error}")
                deployment.timings["destroy"] = round(time.monotonic() - mark, 1)
                deployment.timings["module"] = round(time.monotonic() - started, 1)
                print(f"[redis-acl] timings (s): {deployment.timings}")
    finally:
        shutil.rmtree(files, ignore_errors=True)


def test_up_creates_each_least_privilege_user_on_its_redis(deployed: Deployed) -> None:
    for lan in deployed.redis.values():
        assert _getuser(lan) is None, f"{lan.name}: the exporter's user exists before up"
    steps = deployed.timed_up("first up")
    users = [s for s in steps.steps() if s.type == "pulumi-python:dynamic/redis:RedisAclUser"]
    assert sorted((s.op, s.name) for s in users) == [
        ("create", f"redis-{name.lower()}-exporter-user") for name in sorted(REDIS)
    ], users
    for name, lan in deployed.redis.items():
        password = deployed.exporter_password(name)
        assert _getuser(lan) == _expected_getuser(password), f"{name}: not exactly the declared ACL"
        acl_list = [line for line in lan.admin("ACL", "LIST") if line.startswith(f"user {EXPORTER_USER} ")]
        print(f"[redis-acl] {name}: {acl_list[0].replace(hashlib.sha256(password.encode()).hexdigest(), '<sha256>')}")
        assert "resetchannels -@all" in acl_list[0] and "~" not in acl_list[0], acl_list
        assert f"user {EXPORTER_USER} " in lan.aclfile(), f"{name}: ACL SAVE did not persist the user"
        refused = (("GET", "orders:1"), ("SET", "orders:1", "x"), ("CONFIG", "GET", "requirepass"), ("ACL", "LIST"))
        replies = lan.session(EXPORTER_USER, password, ("INFO", "server"), *refused)
        assert isinstance(replies[0], dict) and replies[0].get("redis_version"), replies[0]
        for command, reply in zip(refused, replies[1:], strict=True):
            assert isinstance(reply, redis.exceptions.NoPermissionError), f"{name}: {command[0]} allowed: {reply!r}"
        # Negative control: the same commands are refused for the user's ACL, not for being unknown or broken.
        controls = lan.session(ADMIN, lan.admin_password, *refused)
        assert not [r for r in controls if isinstance(r, Exception)], controls
        lan.admin("DEL", "orders:1")
    persisted = [
        r["outputs"].get("persisted")
        for r in deployed.engine.state_resources()
        if r["type"] == "pulumi-python:dynamic/redis:RedisAclUser"
    ]
    assert persisted == [True, True], persisted
    since = time.time()
    for name in REDIS:
        wait_until(
            functools.partial(deployed.scraped_since, name, since), timeout=60, interval=2, what=f"{name} scraped"
        )


def test_rotation_changes_the_password_on_its_redis_only(deployed: Deployed) -> None:
    rotated, other = deployed.redis[ROTATED], deployed.redis[REMOVED]
    old = deployed.exporter_password(ROTATED)
    other_before = _getuser(other)
    exporter = catalog.container_name(STACK, catalog.REDIS_EXPORTER)
    exporter_before = deployed.engine.containers()[exporter].id
    password_urn = deployed.urn(f"redis-{ROTATED.lower()}-exporter-password")
    since = time.time()
    steps = deployed.timed_up("rotation up", replace=[password_urn])
    changed = {(s.op, s.name) for s in steps.steps()}
    assert ("replace", f"redis-{ROTATED.lower()}-exporter-password") in changed, changed
    assert ("update", f"redis-{ROTATED.lower()}-exporter-user") in changed, changed
    assert not [c for c in changed if c[1] == f"redis-{REMOVED.lower()}-exporter-user"], changed
    new = deployed.exporter_password(ROTATED)
    assert new != old
    assert _getuser(rotated) == _expected_getuser(new)
    assert not rotated.can_log_in(EXPORTER_USER, old), "the old password still logs in"
    assert rotated.can_log_in(EXPORTER_USER, new), "the new password does not log in"
    assert _getuser(other) == other_before, f"{REMOVED}'s user changed by {ROTATED}'s rotation"
    assert deployed.engine.containers()[exporter].id != exporter_before, "the exporter kept its old password file"
    for name in REDIS:
        wait_until(
            functools.partial(deployed.scraped_since, name, since), timeout=60, interval=2, what=f"{name} scraped"
        )


def test_removing_an_instance_deletes_its_user(deployed: Deployed) -> None:
    kept, removed = deployed.redis[ROTATED], deployed.redis[REMOVED]
    kept_before = _getuser(kept)
    assert _getuser(removed) is not None
    deployed.configure((ROTATED,))
    steps = deployed.timed_up("removal up")
    users = [(s.op, s.name) for s in steps.steps() if s.type == "pulumi-python:dynamic/redis:RedisAclUser"]
    assert users == [("delete", f"redis-{REMOVED.lower()}-exporter-user")], users
    assert _getuser(removed) is None, f"{REMOVED}: the user is still there"
    assert f"user {EXPORTER_USER} " not in removed.aclfile(), f"{REMOVED}: the user is still in its aclfile"
    assert removed.admin("ACL", "WHOAMI") == ADMIN, "control: the admin still logs in"
    assert _getuser(kept) == kept_before
    since = time.time()
    wait_until(lambda: deployed.scraped_since(ROTATED, since), timeout=60, interval=2, what=f"{ROTATED} scraped")
