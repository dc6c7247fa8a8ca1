"""Readers of where samples go and when alerts fire: remote write, alert thresholds (receivers: `routing`)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from components.core.durations import duration_ms, is_duration
from components.core.settings.edge import PEM_CERTIFICATE
from components.core.settings.egress import EGRESS_KEY, read_egress_cidrs
from components.core.settings.reader import NAMESPACE, Reader, check_url
from components.core.settings.types import RemoteWrite
from components.prometheus.rules.thresholds import (
    AlertThresholds,
    threshold_config_keys,
    threshold_fields,
    threshold_problem,
)

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
