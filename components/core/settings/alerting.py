"""Readers of where samples go and when alerts fire: remote write, alert thresholds (receivers: `routing`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from components.core.settings.egress import EGRESS_KEY, read_egress_cidrs
from components.core.settings.reader import NAMESPACE, Reader, check_url
from components.core.settings.types import RemoteWrite
from components.prometheus.rules.thresholds import (
    AlertThresholds,
    threshold_config_keys,
    threshold_fields,
    threshold_problem,
)


def read_remote_write(r: Reader) -> RemoteWrite:
    raw = r.structured("remoteWrite", {}, dict)
    enabled = raw.get("enabled", False)
    url = raw.get("url", "")
    username = raw.get("username", "")
    password = r.secret("remoteWritePassword")
    if not isinstance(enabled, bool):
        r.problem("remoteWrite.enabled", enabled, "expected true or false")
        enabled = False
    if enabled:
        if isinstance(url, str) and url.startswith("http://"):
            r.problem("remoteWrite.url", url, "remote write sends every sample: expected an https:// URL")
        else:
            check_url(r, "remoteWrite.url", url, ("https",))
        if not username:
            r.problem(
                "remoteWrite.username", username, "remote write needs basic-auth credentials: set remoteWrite.username"
            )
        if password is None:
            r.problem(
                "remoteWritePassword",
                None,
                "remote write needs a password: pulumi config set --secret remoteWritePassword ...",
            )
    egress_cidrs: tuple[str, ...] = ()
    if enabled and isinstance(url, str):
        egress_cidrs = read_egress_cidrs(r, "remoteWrite", raw.get(EGRESS_KEY), urlparse(url).hostname or "")
    for unknown in sorted(set(raw) - {"enabled", "url", "username", EGRESS_KEY}):
        r.problem(
            f"remoteWrite.{unknown}", raw[unknown], f"unknown key; expected enabled, url, username or {EGRESS_KEY}"
        )
    return RemoteWrite(enabled, str(url), str(username), password, egress_cidrs)


def read_thresholds(r: Reader) -> AlertThresholds:
    raw = r.structured("alertThresholds", {}, dict)
    by_key = threshold_config_keys()
    types = threshold_fields()
    values: dict[str, Any] = {}
    for key, raw_value in raw.items():
        name = by_key.get(key)
        value = raw_value
        if name is not None and types[name] is float and isinstance(raw_value, int) and not isinstance(raw_value, bool):
            value = float(raw_value)
        problem = threshold_problem(name or key, value)
        if problem is not None:
            r.problems.append(f"{NAMESPACE}:{problem}")
            continue
        values[str(name)] = value
    return AlertThresholds(**values)
