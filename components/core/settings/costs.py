"""Readers of what one request may cost: `queryLimits`, `silenceLimits` and `logLimits`.

Each is an object of optional keys; a bad value is reported with its key, the value and the range
expected, and the default is kept so every other problem is still found."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from components.core import catalog
from components.core.durations import duration_ms, is_duration
from components.core.settings.reader import Reader
from components.core.settings.types import (
    DEFAULT_LOG_LIMITS,
    DEFAULT_QUERY_LIMITS,
    DEFAULT_SILENCE_LIMITS,
    LogLimits,
    QueryLimits,
    SilenceLimits,
)

# What one sample costs Prometheus while a query holds it (a 2.x point is 24 bytes, 3.x's 16; slices grow
# by doubling): the budget check below keeps max_samples x max_concurrency of them under half the memory.
BYTES_PER_SAMPLE = 48
QUERY_MEMORY_SHARE = 0.5
# The proxy reads a query's body into memory to check its shape (the same buffer its audit line reads).
MAX_QUERY_BODY_BYTES = 65536
# The proxy's upstream read timeout is the query timeout plus this (render), and stays under NGINX's habits.
MAX_QUERY_TIMEOUT_MS = 5 * 60_000
# Alertmanager takes a Go duration: no days, weeks or years.
GO_DURATION = re.compile(r"^(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$")

QUERY_KEYS = {
    "maxSamples": "max_samples",
    "timeout": "timeout",
    "maxConcurrency": "max_concurrency",
    "concurrentPerCredential": "concurrent_per_credential",
    "lookbackDelta": "lookback_delta",
    "maxSelectors": "max_selectors",
    "maxSubquerySteps": "max_subquery_steps",
    "maxQueryBytes": "max_query_bytes",
    "maxBodyBytes": "max_body_bytes",
}
SILENCE_KEYS = {
    "maxBodyBytes": "max_body_bytes",
    "perMinute": "per_minute",
    "burst": "burst",
    "snapshotInterval": "snapshot_interval",
}
LOG_KEYS = {
    "queryLogBytes": "query_log_bytes",
    "auditLogBytes": "audit_log_bytes",
}


class _Section:
    """One object setting: its raw keys read with bounds, problems under `<key>.<field>`."""

    def __init__(self, r: Reader, key: str, known: Mapping[str, str]) -> None:
        self.r = r
        self.key = key
        self.raw: dict[str, Any] = r.structured(key, {}, dict)
        r.unknown_keys(key, self.raw, known)

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self.raw.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.r.problem(f"{self.key}.{name}", value, f"expected an integer between {low} and {high}")
            return default
        return value

    def duration(self, name: str, default: str, low_ms: int, high_ms: int, check: Callable[[object], bool]) -> str:
        value = self.raw.get(name, default)
        if not check(value) or not low_ms <= duration_ms(str(value)) <= high_ms:
            self.r.problem(
                f"{self.key}.{name}",
                value,
                f"expected a duration between {_shown(low_ms)} and {_shown(high_ms)}, such as {default}",
            )
            return default
        return str(value)


def _shown(ms: int) -> str:
    if ms % 60_000 == 0:
        return f"{ms // 60_000}m"
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def _go_duration(value: object) -> bool:
    return is_duration(value) and GO_DURATION.match(str(value)) is not None


def read_query_limits(r: Reader) -> QueryLimits:
    s = _Section(r, "queryLimits", QUERY_KEYS)
    d = DEFAULT_QUERY_LIMITS
    limits = QueryLimits(
        max_samples=s.integer("maxSamples", d.max_samples, 10_000, 50_000_000),
        timeout=s.duration("timeout", d.timeout, 1000, MAX_QUERY_TIMEOUT_MS, is_duration),
        max_concurrency=s.integer("maxConcurrency", d.max_concurrency, 1, 64),
        concurrent_per_credential=s.integer("concurrentPerCredential", d.concurrent_per_credential, 1, 64),
        lookback_delta=s.duration("lookbackDelta", d.lookback_delta, 1000, 3_600_000, is_duration),
        max_selectors=s.integer("maxSelectors", d.max_selectors, 1, 10_000),
        max_subquery_steps=s.integer("maxSubquerySteps", d.max_subquery_steps, 10, 1_000_000),
        max_query_bytes=s.integer("maxQueryBytes", d.max_query_bytes, 256, MAX_QUERY_BODY_BYTES),
        max_body_bytes=s.integer("maxBodyBytes", d.max_body_bytes, 1024, MAX_QUERY_BODY_BYTES),
    )
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


def read_silence_limits(r: Reader) -> SilenceLimits:
    s = _Section(r, "silenceLimits", SILENCE_KEYS)
    d = DEFAULT_SILENCE_LIMITS
    return SilenceLimits(
        max_body_bytes=s.integer("maxBodyBytes", d.max_body_bytes, 512, 65536),
        per_minute=s.integer("perMinute", d.per_minute, 1, 600),
        burst=s.integer("burst", d.burst, 0, 1000),
        snapshot_interval=s.duration("snapshotInterval", d.snapshot_interval, 100, 15 * 60_000, _go_duration),
    )


def read_log_limits(r: Reader) -> LogLimits:
    s = _Section(r, "logLimits", LOG_KEYS)
    d = DEFAULT_LOG_LIMITS
    return LogLimits(
        query_log_bytes=s.integer("queryLogBytes", d.query_log_bytes, 65536, 1024**3),
        audit_log_bytes=s.integer("auditLogBytes", d.audit_log_bytes, 65536, 16 * 1024**3),
    )
