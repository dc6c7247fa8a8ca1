"""Prometheus durations (`5s`, `1m30s`, `15d`): the one parser the settings and the rules use."""

from __future__ import annotations

import re

# Units in Prometheus' order, each at most once (Prometheus' configuration docs, `<duration>`).
DURATION = re.compile(r"^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$")
_PART = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_UNITS_MS = {"y": 365 * 86400_000, "w": 7 * 86400_000, "d": 86400_000, "h": 3600_000, "m": 60_000, "s": 1000, "ms": 1}


def is_duration(value: object) -> bool:
    """Whether `value` is a non-empty Prometheus duration (`0s` included)."""
    return isinstance(value, str) and bool(value) and DURATION.match(value) is not None


def duration_ms(text: str) -> int:
    """Milliseconds of a Prometheus duration; ValueError if `text` is not one."""
    if not is_duration(text):
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(int(number) * _UNITS_MS[unit] for number, unit in _PART.findall(text))


def duration_seconds(text: str) -> float:
    """Seconds of a Prometheus duration such as `90s` or `1h30m`; ValueError if malformed."""
    return duration_ms(text) / 1000


# Alertmanager's flags take a Go duration: no days, weeks or years.
GO_DURATION = re.compile(r"^(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$")


def is_go_duration(value: object) -> bool:
    """A Prometheus duration Go's time.ParseDuration also reads (`250ms`, `1m30s`; not `1d`)."""
    return is_duration(value) and GO_DURATION.match(str(value)) is not None


def shown_ms(ms: int) -> str:
    """`300000` -> `5m`, `2000` -> `2s`, `250` -> `250ms`."""
    if ms % 60_000 == 0:
        return f"{ms // 60_000}m"
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"
