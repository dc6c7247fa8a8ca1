"""Readers of what is run and scraped: images, scrape targets, the monitored Redis and DuckDB."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from components.core import catalog
from components.core.settings.egress import EGRESS_KEY, read_egress_cidrs
from components.core.settings.reader import NAMESPACE, Reader
from components.core.settings.types import DuckDbSettings, RedisSettings, ScrapeTarget, SecretValue
from components.core.settings.users import USER_NAME

DEFAULT_PROBE_QUERIES = {"metrics_rows": "SELECT count(*) FROM metrics"}
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
HOST_PORT = re.compile(r"^(?P<host>[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(?P<port>\d{1,5})$")
IMAGE_REF = re.compile(
    r"^[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@sha256:[0-9a-f]{64})?$"
)
PINNED_TAG = re.compile(r"^v?\d+\.\d+")  # names a release; `latest`, `7` or `alpine` float
DUCKDB_SIZE = re.compile(r"^\d+(?:\.\d+)?\s*(?:B|KB|MB|GB|KiB|MiB|GiB)$")
SQL_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_images(r: Reader) -> Mapping[str, str]:
    raw = r.structured("images", {}, dict)
    images = dict(catalog.DEFAULT_IMAGES)
    r.unknown_keys("images", raw, catalog.DEFAULT_IMAGES)
    for key, ref in raw.items():
        if key not in catalog.DEFAULT_IMAGES:
            continue
        match = IMAGE_REF.match(ref) if isinstance(ref, str) else None
        if match is None:
            r.problem(f"images.{key}", ref, "expected an image reference such as prom/prometheus:v3.5.0")
            continue
        tag = match.group("tag")
        if "@sha256:" not in ref and (tag is None or not PINNED_TAG.match(tag)):
            r.problem(
                f"images.{key}",
                ref,
                "expected a pinned version tag (at least major.minor, e.g. v3.5.0) or @sha256 digest, never latest, "
                "untagged or floating",
            )
            continue
        images[key] = ref
    return MappingProxyType(images)


# The demo targets' own label, as a real target would carry its desk (docs/metrics-contract.md).
DEMO_TARGET_LABELS = MappingProxyType({"desk": "demo"})


def demo_trading_target(job: str) -> ScrapeTarget:
    """The dev demo's endpoint of a trading job: the simulator, over TLS (stack CA) with basic auth."""
    address = f"{catalog.TRADING_SIM.name}:{catalog.TRADING_SIM_PORTS[job]}"
    return ScrapeTarget(address, "https", DEMO_TARGET_LABELS, None, catalog.TRADING_SIM_SCRAPE_USER, None, demo=True)


TARGET_KEYS = ("address", "scheme", "labels", "username", "caPem", EGRESS_KEY)
REDIS_KEYS = ("name", "address", "tls", "tlsCaPem", "adminUsername", "exporterUsername", "checkKeys", EGRESS_KEY)
DUCKDB_KEYS = (
    "snapshotDir",
    "databasePath",
    "readLiveFile",
    "metricsTable",
    "probeQueries",
    "memoryLimit",
    "threads",
)


def read_targets(r: Reader, key: str, job: str, demo: bool) -> tuple[ScrapeTarget, ...]:
    """A trading job's targets (`key`, its passwords in `<key>Passwords`); with `demo` and `key`
    unset, the simulator's endpoint of `job`."""
    raw = r.structured(key, None, list)
    passwords = r.structured(f"{key}Passwords", {}, dict)
    if raw is None:
        for address in passwords:
            r.problem(f"{key}Passwords", address, f"has a password for a target not listed in {NAMESPACE}:{key}")
        return (demo_trading_target(job),) if demo else ()
    targets: list[ScrapeTarget] = []
    addresses: set[str] = set()
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("address"), str):
            r.problem(key, entry, 'expected objects like {"address": "host:port", "scheme": "https"}')
            continue
        address = entry["address"]
        r.unknown_keys(f"{key}[{address}]", entry, TARGET_KEYS, f"--path '{key}Passwords[\"{address}\"]'")
        match = HOST_PORT.match(address)
        if match is None or not 1 <= int(match.group("port")) <= 65535:
            r.problem(f"{key}[].address", address, "expected host:port with a port 1-65535")
            continue
        if address in addresses:
            r.problem(f"{key}[].address", address, "duplicate target")
            continue
        addresses.add(address)
        scheme = entry.get("scheme", "http")
        if scheme not in ("http", "https"):
            r.problem(f"{key}[{address}].scheme", scheme, "expected http or https")
            continue
        labels = entry.get("labels", {})
        if not isinstance(labels, dict) or not all(
            isinstance(k, str) and LABEL_NAME.match(k) and not k.startswith("__") for k in labels
        ):
            r.problem(
                f"{key}[{address}].labels",
                labels,
                "expected a map of Prometheus label names (letters, digits, _) to strings",
            )
            labels = {}
        username = entry.get("username")
        password = passwords.get(address)
        if (username is None) != (password is None):
            r.problem(
                f"{key}Passwords",
                address,
                "basic auth needs both the target's username and its password (set with --secret)",
            )
            username = password = None
        if password is not None and scheme != "https":
            r.problem(f"{key}[{address}].scheme", scheme, "a target with a password must be scraped over https")
        ca_pem = entry.get("caPem")
        if ca_pem is not None and "BEGIN CERTIFICATE" not in str(ca_pem):
            r.problem(f"{key}[{address}].caPem", "<pem>", "expected a PEM CA certificate")
            ca_pem = None
        egress_cidrs = read_egress_cidrs(r, f"{key}[{address}]", entry.get(EGRESS_KEY), match.group("host"))
        targets.append(
            ScrapeTarget(
                address,
                scheme,
                MappingProxyType({str(k): str(v) for k, v in labels.items()}),
                ca_pem,
                username,
                SecretValue(password) if password else None,
                egress_cidrs,
            )
        )
    return tuple(targets)


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


def read_duckdb(r: Reader, demo: bool) -> DuckDbSettings | None:
    raw = r.structured("duckdb", None, dict)
    if raw is None and not demo:
        return None
    is_demo = raw is None
    raw = raw or {}
    r.unknown_keys("duckdb", raw, DUCKDB_KEYS)
    snapshot_dir, path = _duckdb_source(r, raw, is_demo)
    table = raw.get("metricsTable", "metrics")
    if not isinstance(table, str) or not SQL_IDENTIFIER.match(table):
        r.problem("duckdb.metricsTable", table, "expected a table or view name (letters, digits, _)")
        table = "metrics"
    probes = raw.get("probeQueries", DEFAULT_PROBE_QUERIES)
    if (
        not isinstance(probes, dict)
        or not probes
        or not all(
            isinstance(k, str) and LABEL_NAME.match(k) and isinstance(v, str) and v.strip() for k, v in probes.items()
        )
    ):
        r.problem(
            "duckdb.probeQueries",
            probes,
            'expected a map of probe name to SQL, e.g. {"metrics_rows": "SELECT count(*) FROM metrics"}',
        )
        probes = DEFAULT_PROBE_QUERIES
    memory = raw.get("memoryLimit", "64MB")
    if not isinstance(memory, str) or not DUCKDB_SIZE.match(memory):
        r.problem("duckdb.memoryLimit", memory, "expected a size such as 64MB")
        memory = "64MB"
    threads = raw.get("threads", 1)
    if not isinstance(threads, int) or not 1 <= threads <= 16:
        r.problem("duckdb.threads", threads, "expected an integer between 1 and 16")
        threads = 1
    return DuckDbSettings(snapshot_dir, path, table, MappingProxyType(dict(probes)), memory, threads, demo=is_demo)


def _duckdb_source(r: Reader, raw: Mapping[str, object], is_demo: bool) -> tuple[str | None, str | None]:
    """(snapshotDir, databasePath): the published snapshot's directory, or the live file (opt-in)."""
    if is_demo:
        return None, None  # the stack seeds a demo volume with a snapshot
    snapshot_dir = raw.get("snapshotDir")
    path = raw.get("databasePath")
    live = raw.get("readLiveFile", False)
    if not isinstance(live, bool):
        r.problem("duckdb.readLiveFile", live, "expected true or false")
        live = False
    if live:
        if snapshot_dir is not None:
            r.problem(
                "duckdb.snapshotDir",
                snapshot_dir,
                "set either snapshotDir (the published snapshot) or readLiveFile with databasePath, not both",
            )
        if not isinstance(path, str) or not path.startswith("/"):
            r.problem(
                "duckdb.databasePath",
                path,
                "readLiveFile needs the absolute host path of the live DuckDB file (databasePath)",
            )
            path = "/invalid"
        return None, path
    if path is not None:
        r.problem(
            "duckdb.databasePath",
            path,
            "reading the live file fights the writer for DuckDB's lock: publish a snapshot with "
            "exporters/duckdb/duckdb_snapshot.py and set snapshotDir, or opt in with readLiveFile: true",
        )
        return "/invalid", None  # one problem: the missing snapshotDir is the same mistake
    if not isinstance(snapshot_dir, str) or not snapshot_dir.startswith("/"):
        r.problem(
            "duckdb.snapshotDir",
            snapshot_dir,
            "expected the absolute host directory the writer publishes snapshot.duckdb into",
        )
        snapshot_dir = "/invalid"
    return snapshot_dir, None
