"""Typed access to raw config strings, recording every problem instead of stopping at the first."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlparse

import pulumi

from components.core import catalog
from components.core.durations import duration_ms, is_duration
from components.core.settings.types import SecretValue

NAMESPACE = catalog.PROJECT


class SettingsError(pulumi.RunError, ValueError):
    """All configuration problems of a stack, one per line.

    A `pulumi.RunError`: raised from the program, `pulumi preview`/`up` print the message alone (no traceback);
    the tools (tools/cli.py) do the same."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        listing = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} configuration problem(s); nothing was created:\n{listing}")


ConfigReader = Callable[[str], "str | None"]


class Reader:
    """Typed access to raw config strings, recording every problem instead of stopping."""

    def __init__(self, read: ConfigReader) -> None:
        self._read = read
        self.problems: list[str] = []

    def problem(self, key: str, value: object, expected: str) -> None:
        shown = "<secret>" if isinstance(value, SecretValue) else json.dumps(value, default=str)
        self.problems.append(f"{NAMESPACE}:{key} = {shown}: {expected}")

    def raw(self, key: str) -> str | None:
        return self._read(key)

    def string(self, key: str, default: str) -> str:
        value = self._read(key)
        return default if value is None else value

    def optional_string(self, key: str) -> str | None:
        return self._read(key)

    def secret(self, key: str) -> SecretValue | None:
        value = self._read(key)
        return None if value in (None, "") else SecretValue(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self._read(key)
        if value is None:
            return default
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.problem(key, value, "expected true or false")
        return default

    def integer(self, key: str, default: int, low: int, high: int, what: str = "an integer") -> int:
        value = self._read(key)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            self.problem(key, value, f"expected {what} between {low} and {high}")
            return default
        if not low <= number <= high:
            self.problem(key, number, f"expected {what} between {low} and {high}")
            return default
        return number

    def structured(self, key: str, default: Any, kind: type) -> Any:
        value = self._read(key)
        if value is None:
            return default
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            self.problem(key, value, f"expected a JSON {kind.__name__}")
            return default
        if not isinstance(parsed, kind):
            self.problem(key, parsed, f"expected a JSON {kind.__name__}")
            return default
        return parsed


def check_port(r: Reader, key: str, default: int) -> int:
    return r.integer(key, default, 1, 65535, "a TCP port")


def check_duration(r: Reader, key: str, default: str) -> str:
    value = r.string(key, default)
    if not is_duration(value) or duration_ms(value) == 0:
        r.problem(key, value, "expected a Prometheus duration such as 5s, 1m or 15d")
        return default
    return value


def check_url(r: Reader, key: str, url: object, schemes: tuple[str, ...]) -> bool:
    if not isinstance(url, str):
        r.problem(key, url, f"expected a URL ({' or '.join(schemes)})")
        return False
    parsed = urlparse(url)
    if parsed.scheme not in schemes or not parsed.hostname:
        r.problem(key, url, f"expected a {' or '.join(schemes)} URL with a host")
        return False
    if parsed.username or parsed.password:
        r.problem(key, "<url with credentials>", "expected no credentials inside the URL; use the dedicated secret key")
        return False
    return True
