"""Typed access to raw config strings, recording every problem instead of stopping at the first."""

from __future__ import annotations

import difflib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
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
# Shapes several sections check: a host:port address, a Prometheus label name.
HOST_PORT = re.compile(r"^(?P<host>[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(?P<port>\d{1,5})$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

# Words a key that holds a secret is named with: its camelCase words and word pairs are compared loosely, so
# `pasword` and `routingKey` count (a bare `key`, as in checkKeys, does not).
SECRET_WORDS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "hash",
    "credential",
    "apikey",
    "privatekey",
    "routingkey",
    "sshkey",
    "accesskey",
)
# Values that are secrets whatever their key: private keys and password hashes (htpasswd, bcrypt, crypt).
SECRET_VALUE = re.compile(r"PRIVATE KEY-----|^\$(2[abxy]|apr1|1|5|6|argon2id?)\$|^\{SHA\}")


def looks_secret(key: str) -> bool:
    """A key named like a secret (`password`, `apiToken`, `pasword`, `privateKey`, `routingKey`)."""
    words = [w.lower() for w in re.findall(r"[a-z0-9]+|[A-Z][a-z0-9]*", key)]
    candidates = [*words, *(a + b for a, b in itertools.pairwise(words)), key.lower()]
    return any(difflib.get_close_matches(word, SECRET_WORDS, n=1, cutoff=0.8) for word in candidates)


def unknown_key(path: str, known: Iterable[str], secret_hint: str | None = None) -> str:
    """The one shape of an unknown-key problem, at any depth: the key path and the closest valid key
    (or the valid keys); a key named like a secret says how to set it as a secret instead. The value is
    not shown: it may be that secret."""
    parent, _, key = path.rpartition(".")
    prefix = f"{NAMESPACE}:{parent}." if parent else f"{NAMESPACE}:"
    known = sorted(known)
    guess = difflib.get_close_matches(key, known, n=1)
    if guess and not looks_secret(guess[0]):
        return f"{NAMESPACE}:{path} is not a promshield setting; did you mean {prefix}{guess[0]}?"
    if looks_secret(key):
        how = secret_hint or (f"--path '{guess[0]}.<name>'" if guess else "<the secret's key> ...")
        return (
            f"{NAMESPACE}:{path} is not a promshield setting and looks like a secret in plain config: "
            f"remove it and set the secret with `pulumi config set --secret {how}`"
        )
    if guess:
        return f"{NAMESPACE}:{path} is not a promshield setting; did you mean {prefix}{guess[0]}?"
    if len(known) > 12:
        closest = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
        hint = f"the closest is {prefix}{closest[0]}; " if closest else ""
        return (
            f"{NAMESPACE}:{path} is not a promshield setting; {hint}"
            "see the configuration reference in docs/configuration.md"
        )
    return f"{NAMESPACE}:{path} is not a promshield setting; expected one of {', '.join(known)}"


class Reader:
    """Typed access to raw config strings, recording every problem instead of stopping."""

    def __init__(self, read: ConfigReader) -> None:
        self._read = read
        self.problems: list[str] = []
        self.suggested: set[str] = set()  # keys an unknown key was taken for (`did you mean`)
        self.plain_secrets: set[str] = set()  # paths of plain values that are private keys or password hashes

    def problem(self, key: str, value: object, expected: str) -> None:
        if value is None and key in self.suggested:
            return  # missing because misspelt: the unknown key's problem already names it
        if any(path == key or path.startswith((f"{key}.", f"{key}[")) for path in self.plain_secrets):
            return  # a secret in plain config: reported once, without the value (`check_plain_secrets`)
        shown = "<secret>" if isinstance(value, SecretValue) else json.dumps(value, default=str)
        self.problems.append(f"{NAMESPACE}:{key} = {shown}: {expected}")

    def unknown_keys(
        self, path: str, raw: Mapping[str, Any], known: Iterable[str], secret_hint: str | None = None
    ) -> None:
        """One problem per key of the object at `path` that is not in `known` (see `unknown_key`)."""
        known = tuple(known)
        for key in sorted(set(raw) - set(known)):
            self.problems.append(unknown_key(f"{path}.{key}", known, secret_hint))
            self.suggested.update(f"{path}.{guess}" for guess in difflib.get_close_matches(key, known, n=1))

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
