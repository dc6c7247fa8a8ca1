"""Prometheus' settings: scraping, the trading targets, remote write, the alert thresholds, what a query may
cost and the query log (its config keys in `KEYS`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlparse

from components.core import catalog
from components.core.durations import duration_ms, is_duration
from components.core.settings.declare import Declared, bounded, duration, read_declared
from components.core.settings.edge import PEM_CERTIFICATE
from components.core.settings.egress import EGRESS_KEY, read_egress_cidrs
from components.core.settings.keys import ConfigKey, defaults
from components.core.settings.reader import HOST_PORT, LABEL_NAME, NAMESPACE, Reader, check_url
from components.core.settings.types import SecretValue
from components.prometheus.rules.thresholds import (
    AlertThresholds,
    threshold_config_keys,
    threshold_fields,
    threshold_problem,
)


@dataclass(frozen=True)
class RemoteWrite:
    enabled: bool
    url: str
    username: str  # "" : no basic auth (then mtls)
    password: SecretValue | None
    mtls: bool = False  # present Prometheus' stack client certificate to the store
    ca_pem: str | None = None  # a private CA the store's certificate is verified against
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. X-Scope-OrgID (Mimir), THANOS-TENANT
    queue_config: Mapping[str, Any] = field(default_factory=dict)  # Prometheus' queue_config (snake_case keys)
    drop_replica_label: bool = False  # for stores that deduplicate identical series (VictoriaMetrics)
    egress_cidrs: tuple[str, ...] = ()  # the endpoint's addresses outside the host (firewall grants)


@dataclass(frozen=True)
class ScrapeTarget:
    """One Instance Manager or Trade Engine endpoint."""

    address: str  # host:port
    scheme: str
    labels: Mapping[str, str]
    ca_pem: str | None
    username: str | None
    password: SecretValue | None  # None with demo: generated (the simulator checks its hash)
    # The endpoint's addresses outside the Docker host (an IP address in `address`, or the
    # `egressCidrs` a DNS name stands for): Prometheus may reach exactly these on the port.
    # (): the target is a container on the backend network.
    egress_cidrs: tuple[str, ...] = ()
    demo: bool = False  # the dev demo's trading simulator (demo: true and the target list unset)

    @property
    def port(self) -> int:
        return int(self.address.rpartition(":")[2])


# What one sample costs Prometheus while a query holds it (a 2.x point is 24 bytes, 3.x's 16; slices grow
# by doubling): the budget check below keeps max_samples x max_concurrency of them under half the memory.
BYTES_PER_SAMPLE = 48

QUERY_MEMORY_SHARE = 0.5

# The proxy reads a query's body into memory to check its shape (the same buffer its audit line reads).
MAX_QUERY_BODY_BYTES = 65536

# The proxy's upstream read timeout is the query timeout plus this (render), and stays under NGINX's habits.
MAX_QUERY_TIMEOUT_MS = 5 * 60_000


class QueryLimits(Declared):
    """`promshield:queryLimits`: what one query may cost - Prometheus' own limits (flags) and the request shape the
    proxy lets through."""

    max_samples: int = bounded(
        2_500_000, "--query.max-samples: samples one query may hold in memory at once.", 10_000, 50_000_000
    )
    timeout: str = duration("30s", "--query.timeout.", 1000, MAX_QUERY_TIMEOUT_MS)
    max_concurrency: int = bounded(4, "--query.max-concurrency.", 1, 64)
    concurrent_per_credential: int = bounded(
        2, "Proxy: read requests one credential may have in flight at once (below maxConcurrency).", 1, 64
    )
    lookback_delta: str = duration("5m", "--query.lookback-delta.", 1000, 3_600_000)
    max_selectors: int = bounded(64, "Proxy: `match[]` parameters per request (series, labels, federate).", 1, 10_000)
    max_subquery_steps: int = bounded(
        11_000, "Proxy: steps one subquery may evaluate (over every range it can be stretched by).", 10, 1_000_000
    )
    max_query_bytes: int = bounded(8192, "Proxy: length of the decoded `query` parameter.", 256, MAX_QUERY_BODY_BYTES)
    max_body_bytes: int = bounded(
        65536, "Proxy: request body of the Prometheus read endpoints.", 1024, MAX_QUERY_BODY_BYTES
    )


class LogLimits(Declared):
    """`promshield:logLimits`: files a request makes grow; past its size a file is rotated (checked every few
    seconds)."""

    query_log_bytes: int = bounded(16 * 1024 * 1024, "Prometheus' query log; one rotated copy is kept.", 65536, 1024**3)
    audit_log_bytes: int = bounded(
        64 * 1024 * 1024,
        "The proxy's audit log; every rotated file is kept (the record), compressed.",
        65536,
        16 * 1024**3,
    )


DEFAULT_QUERY_LIMITS = QueryLimits()
DEFAULT_LOG_LIMITS = LogLimits()


def read_query_limits(r: Reader) -> QueryLimits:
    limits = read_declared(r, "queryLimits", QueryLimits, r.structured("queryLimits", {}, dict))
    if limits.max_concurrency > 1 and limits.concurrent_per_credential >= limits.max_concurrency:
        r.problem(
            "queryLimits.concurrentPerCredential",
            limits.concurrent_per_credential,
            f"expected less than maxConcurrency ({limits.max_concurrency}): one credential could hold every "
            "query slot of Prometheus and queue everyone else's queries",
        )
    budget = int(catalog.PROMETHEUS_MEMORY_MB * 1024 * 1024 * QUERY_MEMORY_SHARE)
    needed = limits.max_samples * limits.max_concurrency * BYTES_PER_SAMPLE
    if needed > budget:
        r.problem(
            "queryLimits.maxSamples",
            limits.max_samples,
            f"x maxConcurrency ({limits.max_concurrency}) x {BYTES_PER_SAMPLE} bytes per sample is "
            f"{needed // 2**20} MiB, more than half of Prometheus' {catalog.PROMETHEUS_MEMORY_MB} MiB; expected "
            f"at most {budget // (limits.max_concurrency * BYTES_PER_SAMPLE)} samples, or a lower maxConcurrency",
        )
    return limits


def read_log_limits(r: Reader) -> LogLimits:
    return read_declared(r, "logLimits", LogLimits, r.structured("logLimits", {}, dict))


# The demo targets' own label, as a real target would carry its desk (docs/metrics-contract.md).
DEMO_TARGET_LABELS = MappingProxyType({"desk": "demo"})


def demo_trading_target(job: str) -> ScrapeTarget:
    """The dev demo's endpoint of a trading job: the simulator, over TLS (stack CA) with basic auth."""
    address = f"{catalog.TRADING_SIM.name}:{catalog.TRADING_SIM_PORTS[job]}"
    return ScrapeTarget(address, "https", DEMO_TARGET_LABELS, None, catalog.TRADING_SIM_SCRAPE_USER, None, demo=True)


TARGET_KEYS = ("address", "scheme", "labels", "username", "caPem", EGRESS_KEY)


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


REMOTE_WRITE_FIELDS = (
    "enabled",
    "url",
    "username",
    "mtls",
    "caPem",
    "headers",
    "queue",
    "dropReplicaLabel",
    EGRESS_KEY,
)
# queue camelCase key -> (Prometheus' queue_config key, kind, low, high); kind int or a duration.
QUEUE_FIELDS: dict[str, tuple[str, str, int, int]] = {
    "capacity": ("capacity", "int", 1, 10_000_000),
    "maxShards": ("max_shards", "int", 1, 10_000),
    "minShards": ("min_shards", "int", 1, 10_000),
    "maxSamplesPerSend": ("max_samples_per_send", "int", 1, 1_000_000),
    "batchSendDeadline": ("batch_send_deadline", "duration", 0, 0),
    "minBackoff": ("min_backoff", "duration", 0, 0),
    "maxBackoff": ("max_backoff", "duration", 0, 0),
}
HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")
# Prometheus refuses these in remote_write.headers (it sets them itself); credentials have their own keys.
RESERVED_HEADERS = frozenset(
    h.lower()
    for h in (
        "Authorization",
        "Host",
        "Content-Encoding",
        "Content-Length",
        "Content-Type",
        "User-Agent",
        "Connection",
        "Keep-Alive",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "Www-Authenticate",
        "Accept-Encoding",
        "X-Prometheus-Remote-Write-Version",
        "X-Prometheus-Remote-Read-Version",
    )
)


def read_remote_write(r: Reader) -> RemoteWrite:
    raw = r.structured("remoteWrite", {}, dict)
    enabled = raw.get("enabled", False)
    url = raw.get("url", "")
    username = raw.get("username", "")
    mtls = raw.get("mtls", False)
    drop_replica = raw.get("dropReplicaLabel", False)
    password = r.secret("remoteWritePassword")
    r.unknown_keys("remoteWrite", raw, REMOTE_WRITE_FIELDS, "remoteWritePassword")
    for key, flag in (("enabled", enabled), ("mtls", mtls), ("dropReplicaLabel", drop_replica)):
        if not isinstance(flag, bool):
            r.problem(f"remoteWrite.{key}", flag, "expected true or false")
    enabled, mtls, drop_replica = (v if isinstance(v, bool) else False for v in (enabled, mtls, drop_replica))
    if not isinstance(username, str):
        r.problem("remoteWrite.username", username, "expected a user name (a string)")
        username = ""
    ca_pem = _remote_write_ca(r, raw.get("caPem"))
    headers = _remote_write_headers(r, raw.get("headers", {}))
    queue = _remote_write_queue(r, raw.get("queue", {}))
    if enabled:
        if isinstance(url, str) and url.startswith("http://"):
            r.problem("remoteWrite.url", url, "remote write sends every sample: expected an https:// URL")
        else:
            check_url(r, "remoteWrite.url", url, ("https",))
        if not username and not mtls:
            r.problem(
                "remoteWrite.username",
                username,
                "remote write needs basic-auth credentials: set remoteWrite.username (or remoteWrite.mtls true "
                "for a store that accepts the stack's client certificate)",
            )
        if username and password is None:
            r.problem(
                "remoteWritePassword",
                None,
                "remote write needs a password: pulumi config set --secret remoteWritePassword ...",
            )
        if not username and password is not None:
            r.problem(
                "remoteWritePassword",
                password,
                "is set but remoteWrite.username is not: set the user it belongs to, or unset the password",
            )
    egress_cidrs: tuple[str, ...] = ()
    if enabled and isinstance(url, str):
        egress_cidrs = read_egress_cidrs(r, "remoteWrite", raw.get(EGRESS_KEY), urlparse(url).hostname or "")
    return RemoteWrite(
        enabled,
        str(url),
        username,
        password,
        egress_cidrs=egress_cidrs,
        mtls=mtls,
        ca_pem=ca_pem,
        headers=headers,
        queue_config=queue,
        drop_replica_label=drop_replica,
    )


def _remote_write_ca(r: Reader, pem: Any) -> str | None:
    if pem is None:
        return None
    if not isinstance(pem, str) or not PEM_CERTIFICATE.fullmatch(pem.strip()):
        shown = pem[:40] if isinstance(pem, str) else pem
        r.problem(
            "remoteWrite.caPem", shown, "expected the store's CA certificate(s) in PEM (-----BEGIN CERTIFICATE-----)"
        )
        return None
    return pem.strip() + "\n"


def _remote_write_headers(r: Reader, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        r.problem(
            "remoteWrite.headers", raw, 'expected an object of header names to values, e.g. {"X-Scope-OrgID": "desk"}'
        )
        return {}
    headers: dict[str, str] = {}
    for name, value in raw.items():
        key = f"remoteWrite.headers.{name}"
        if not HEADER_NAME.match(str(name)):
            r.problem(key, value, "expected a header name of letters, digits and '-'")
        elif str(name).lower() in RESERVED_HEADERS:
            r.problem(
                key,
                "<not shown>",
                "is a header Prometheus sets itself or a credential; credentials go in remoteWritePassword "
                "(basic auth) or remoteWrite.mtls",
            )
        elif not isinstance(value, str) or not value or any(ord(c) < 32 or ord(c) == 127 for c in value):
            r.problem(key, value, "expected a non-empty printable string")
        else:
            headers[str(name)] = value
    return headers


def _remote_write_queue(r: Reader, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        r.problem("remoteWrite.queue", raw, f"expected an object with {', '.join(QUEUE_FIELDS)}")
        return {}
    queue: dict[str, Any] = {}
    r.unknown_keys("remoteWrite.queue", raw, QUEUE_FIELDS)
    for name, value in raw.items():
        key = f"remoteWrite.queue.{name}"
        if name not in QUEUE_FIELDS:
            continue
        target, kind, low, high = QUEUE_FIELDS[name]
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                r.problem(key, value, f"expected an integer between {low} and {high}")
                continue
        elif not isinstance(value, str) or not is_duration(value) or duration_ms(value) == 0:
            r.problem(key, value, "expected a Prometheus duration such as 30ms, 5s or 1m")
            continue
        queue[target] = value
    if queue.get("min_shards", 1) > queue.get("max_shards", queue.get("min_shards", 1)):
        r.problem(
            "remoteWrite.queue.minShards", queue["min_shards"], f"expected at most maxShards ({queue['max_shards']})"
        )
    backoff = (queue.get("min_backoff"), queue.get("max_backoff"))
    if backoff[0] and backoff[1] and duration_ms(backoff[0]) > duration_ms(backoff[1]):
        r.problem("remoteWrite.queue.minBackoff", backoff[0], f"expected at most maxBackoff ({backoff[1]})")
    return queue


def read_thresholds(r: Reader) -> AlertThresholds:
    raw = r.structured("alertThresholds", {}, dict)
    by_key = threshold_config_keys()
    types = threshold_fields()
    values: dict[str, Any] = {}
    r.unknown_keys("alertThresholds", raw, by_key)
    for key, raw_value in raw.items():
        name = by_key.get(key)
        if name is None:
            continue
        value = raw_value
        if name is not None and types[name] is float and isinstance(raw_value, int) and not isinstance(raw_value, bool):
            value = float(raw_value)
        problem = threshold_problem(name or key, value)
        if problem is not None:
            r.problems.append(f"{NAMESPACE}:{problem}")
            continue
        values[str(name)] = value
    return AlertThresholds(**values)


# This service's config keys, declared once (components/stack/keys.py joins every service's).
KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("scrapeInterval", "string", default="5s", description="Global scrape interval."),
    ConfigKey("scrapeTimeout", "string", default="3s", description="Global scrape timeout (at most scrapeInterval)."),
    ConfigKey("evaluationInterval", "string", default="5s", description="Rule evaluation interval."),
    ConfigKey("retentionTime", "string", default="15d", description="Prometheus TSDB retention."),
    ConfigKey(
        "queryLimits",
        "object",
        model=QueryLimits,
        description=(
            'What one query may cost: {"maxSamples": 2500000, "timeout": "30s", "maxConcurrency": 4, '
            '"lookbackDelta": "5m", "concurrentPerCredential": 2, "maxSelectors": 64, "maxSubquerySteps": 11000, '
            '"maxQueryBytes": 8192, "maxBodyBytes": 65536}. maxSamples, timeout, maxConcurrency and lookbackDelta '
            "are Prometheus' --query.* flags (maxSamples x maxConcurrency x 48 bytes must fit half its memory). "
            "The proxy answers 429 to a credential with more than concurrentPerCredential (< maxConcurrency) read "
            "requests in flight; 400 to more match[] than maxSelectors, a subquery of more than maxSubquerySteps "
            "steps (its range, stretched by every subquery range around it, over its resolution), a query longer "
            "than maxQueryBytes or a POST body that is not a form; 413 to a body over maxBodyBytes."
        ),
    ),
    ConfigKey(
        "logLimits",
        "object",
        model=LogLimits,
        description=(
            '{"queryLogBytes": 16777216, "auditLogBytes": 67108864}: Prometheus\' query log is copied to query.log.1 '
            "and emptied past queryLogBytes (one old copy kept); the audit log is rotated past auditLogBytes (every "
            "rotated file kept, gzipped: the record; the alert ProxyAuditVolumeFilling fires before its volume is "
            "full, alertThresholds.auditVolumeFreeRatio)."
        ),
    ),
    ConfigKey(
        "remoteWrite",
        "object",
        description=(
            'Off by default. {"enabled": true, "url": "https://...", "username": "...", "mtls": false, "caPem": "...", '
            '"headers": {"X-Scope-OrgID": "desk"}, "queue": {"capacity": 10000, "maxShards": 50, "minShards": 1, '
            '"maxSamplesPerSend": 2000, "batchSendDeadline": "5s", "minBackoff": "30ms", "maxBackoff": "5s"}, '
            '"dropReplicaLabel": false, "egressCidrs": [...]}; basic-auth password in remoteWritePassword; "mtls" '
            "presents Prometheus' stack client certificate (the store trusts the stack CA); egressCidrs: the "
            "endpoint's addresses when its URL names a host outside the Docker host by DNS name (an IP in the URL "
            'stands for itself). See README, "Remote write".'
        ),
    ),
    ConfigKey(
        "remoteWritePassword",
        "string",
        secret=True,
        description="Basic-auth password for remote write. Set with --secret.",
    ),
    ConfigKey(
        "enableAdminApi",
        "boolean",
        default=False,
        description="Enable Prometheus' TSDB admin API (admin role only, through the proxy).",
    ),
    ConfigKey(
        "instanceManagerTargets",
        "array",
        items="object",
        description=(
            'Instance Manager endpoints: [{"address": "im-1:9400", "scheme": "https", "labels": {...}, "caPem": "...", '
            '"username": "...", "egressCidrs": ["10.0.5.20/32"]}]. An address outside the Docker host is an IP, or a '
            "DNS name with the egressCidrs it resolves into (the firewall grants Prometheus exactly those on the "
            "target's port); a name without egressCidrs is a container on the backend network."
        ),
    ),
    ConfigKey(
        "instanceManagerTargetsPasswords",
        "object",
        secret=True,
        description="Basic-auth passwords for Instance Manager targets, by address.",
    ),
    ConfigKey(
        "tradeEngineTargets",
        "array",
        items="object",
        description="Trade Engine endpoints, same shape as instanceManagerTargets.",
    ),
    ConfigKey(
        "tradeEngineTargetsPasswords",
        "object",
        secret=True,
        description="Basic-auth passwords for Trade Engine targets, by address.",
    ),
    ConfigKey(
        "alertThresholds", "object", description='Alert thresholds by camelCase name (see README, "Alert thresholds").'
    ),
)
DEFAULTS = defaults(KEYS)
