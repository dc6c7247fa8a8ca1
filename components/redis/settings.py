"""The monitored Redis instances (`redisInstances`, `redisAdminPasswords`; config keys in `KEYS`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from components.core import catalog
from components.core.settings.egress import EGRESS_KEY, read_egress_cidrs
from components.core.settings.keys import ConfigKey, defaults
from components.core.settings.reader import HOST_PORT, Reader
from components.core.settings.types import SecretValue
from components.proxy.settings import USER_NAME

# This service's config keys, declared once (components/stack/keys.py joins every service's).
KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(
        "redisInstances",
        "array",
        items="object",
        description=(
            'The monitored Redis instances: [{"name": "RTS", "address": "redis-rts:6379", "tls": false, '
            '"adminUsername": "...", "exporterUsername": "prometheus", "checkKeys": [], "egressCidrs": [...]}]; '
            '"name" is unique and becomes the `redis_instance` label. Each gets its own exporter ACL user and '
            "generated password. A Redis outside the Docker host has an IP address or egressCidrs (as "
            "instanceManagerTargets)."
        ),
    ),
    ConfigKey(
        "redisAdminPasswords",
        "object",
        secret=True,
        description=(
            "Password of each instance's admin user (the one that manages the exporter's ACL user) by instance "
            "name: `pulumi config set --secret --path 'redisAdminPasswords.RTS' ...`."
        ),
    ),
)
DEFAULTS = defaults(KEYS)


@dataclass(frozen=True)
class RedisSettings:
    """One monitored Redis instance (an entry of `redisInstances`). With `demo` the dev stack deploys it."""

    address: str  # host:port
    tls: bool
    tls_ca_pem: str | None
    admin_username: str
    admin_password: SecretValue | None  # None with demo: generated
    exporter_username: str
    check_keys: tuple[str, ...]
    instance_label: str  # the entry's `name`: the `redis_instance` label of its series and alerts
    demo: bool = False  # the stack deploys this Redis itself (demo: true and no redisInstances)
    egress_cidrs: tuple[str, ...] = ()  # outside the host: what the exporter may reach (as ScrapeTarget's)

    @property
    def name(self) -> str:
        return self.instance_label

    @property
    def port(self) -> int:
        return int(self.address.rpartition(":")[2])


REDIS_KEYS = ("name", "address", "tls", "tlsCaPem", "adminUsername", "exporterUsername", "checkKeys", EGRESS_KEY)

REDIS_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")

# The dev stack's demo: the four instances of the trading system, each its own demo Redis.
DEMO_REDIS_NAMES = ("RTS", "RIS", "RTSS", "RTRS")


def demo_redis_address(name: str) -> str:
    """The demo Redis of instance `name` on the backend network (`demo-redis-rts:6379`)."""
    return f"{catalog.DEMO_REDIS.name}-{name.lower()}:{catalog.DEMO_REDIS.port}"


def read_redis_instances(r: Reader, demo: bool) -> tuple[RedisSettings, ...]:
    """`redisInstances` and `redisAdminPasswords`; with `demo` and no instances, the four demo ones."""
    raw = r.structured("redisInstances", None, list)
    passwords = r.structured("redisAdminPasswords", {}, dict)
    if raw is None:
        for name in passwords:
            r.problem("redisAdminPasswords", name, "has a password for a Redis instance not listed in redisInstances")
        if not demo:
            return ()
        return tuple(
            RedisSettings(demo_redis_address(n), False, None, "promshield-admin", None, "prometheus", (), n, demo=True)
            for n in DEMO_REDIS_NAMES
        )
    instances: list[RedisSettings] = []
    names: set[str] = set()
    addresses: set[str] = set()
    for entry in raw:
        instance = _redis_instance(r, entry, passwords, names, addresses)
        if instance is not None:
            instances.append(instance)
    for name in passwords:
        if name not in names:
            r.problem("redisAdminPasswords", name, "has a password for a Redis instance not listed in redisInstances")
    exporter_users = sorted({i.exporter_username for i in instances})
    if len(exporter_users) > 1:
        # One multi-target exporter logs in with one `--redis.user` (Debian's 1.45 ignores a user in
        # the target URI); each instance still has its own user on its own server, own password.
        r.problem(
            "redisInstances[].exporterUsername",
            exporter_users,
            "the one redis_exporter logs in to every instance under one user name; expected the same "
            "exporterUsername on every instance (each gets its own password)",
        )
    return tuple(instances)


def _redis_instance(
    r: Reader, entry: object, passwords: Mapping[str, object], names: set[str], addresses: set[str]
) -> RedisSettings | None:
    """One entry of `redisInstances`, or None (its problems reported) when it cannot be used."""
    if not isinstance(entry, dict):
        r.problem("redisInstances", entry, 'expected objects like {"name": "RTS", "address": "redis-rts:6379"}')
        return None
    name = entry.get("name")
    if not isinstance(name, str) or not REDIS_NAME.match(name):
        r.problem("redisInstances[].name", name, "expected a name such as RTS: a letter, then letters, digits, _ or -")
        return None
    if name in names:
        r.problem("redisInstances[].name", name, "duplicate Redis instance: each name must appear once")
        return None
    names.add(name)
    key = f"redisInstances[{name}]"
    r.unknown_keys(key, entry, REDIS_KEYS, f"--path 'redisAdminPasswords.{name}'")
    address = entry.get("address")
    if (
        not isinstance(address, str)
        or not HOST_PORT.match(address)
        or not 1 <= int(address.rpartition(":")[2]) <= 65535
    ):
        r.problem(f"{key}.address", address, "expected host:port of the Redis to monitor")
        address = f"invalid-{name.lower()}:6379"
    elif address in addresses:
        r.problem(f"{key}.address", address, "another Redis instance has this address; expected one entry per Redis")
    addresses.add(address)
    password = passwords.get(name)
    if password is None:
        r.problem(
            f"redisAdminPasswords.{name}",
            None,
            "managing the exporter's ACL user needs the instance's Redis admin password: pulumi config set "
            f"--secret --path 'redisAdminPasswords.{name}' ...",
        )
    elif not isinstance(password, str) or not password:
        r.problem(f"redisAdminPasswords.{name}", SecretValue(str(password)), "expected a non-empty string")
        password = None
    check_keys = entry.get("checkKeys", [])
    if not isinstance(check_keys, list) or not all(isinstance(k, str) and k and " " not in k for k in check_keys):
        r.problem(f"{key}.checkKeys", check_keys, 'expected a list of key patterns without spaces, e.g. ["orders:*"]')
        check_keys = []
    users = {}
    for user_key, default in (("adminUsername", "promshield-admin"), ("exporterUsername", "prometheus")):
        users[user_key] = str(entry.get(user_key, default))
        if not USER_NAME.match(users[user_key]):
            r.problem(
                f"{key}.{user_key}",
                entry.get(user_key),
                "expected a Redis user name: lowercase letters, digits, '.', '_' or '-'",
            )
    if users["adminUsername"] == users["exporterUsername"]:
        r.problem(f"{key}.exporterUsername", users["exporterUsername"], "must differ from adminUsername")
    tls = entry.get("tls", False)
    if not isinstance(tls, bool):
        r.problem(f"{key}.tls", tls, "expected true or false")
        tls = False
    ca_pem = entry.get("tlsCaPem")
    if ca_pem is not None and "BEGIN CERTIFICATE" not in str(ca_pem):
        r.problem(f"{key}.tlsCaPem", "<pem>", "expected a PEM CA certificate")
        ca_pem = None
    return RedisSettings(
        address=address,
        tls=tls,
        tls_ca_pem=ca_pem,
        admin_username=users["adminUsername"],
        admin_password=SecretValue(password) if isinstance(password, str) else None,
        exporter_username=users["exporterUsername"],
        check_keys=tuple(check_keys),
        instance_label=name,
        egress_cidrs=read_egress_cidrs(r, key, entry.get(EGRESS_KEY), address.rpartition(":")[0]),
    )
