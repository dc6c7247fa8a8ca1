"""The layers: components/core/ (what every service shares) imports no service package and not the stack layer
above them; a service imports the stack layer only for type checking (its slice is taken from `Settings`)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

COMPONENTS = Path(__file__).resolve().parents[2] / "components"
SERVICES = ("alertmanager", "duckdb", "firewall", "prometheus", "proxy", "redis", "trading_sim")
ABOVE_CORE = (*SERVICES, "stack", "monitored", "redis_acl_provider")


def imports(source: str, *, runtime_only: bool = False) -> Iterator[tuple[int, str]]:
    """(line, module) of every import in `source`; `runtime_only` skips `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(source)
    skipped: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module
            # `from components import prometheus` names the package in the alias
            yield from ((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)


def upward(source: str, forbidden: tuple[str, ...], *, runtime_only: bool = False) -> list[str]:
    prefixes = tuple(f"components.{name}" for name in forbidden)
    return sorted(
        {
            f"{line}: {module}"
            for line, module in imports(source, runtime_only=runtime_only)
            if module in prefixes or module.startswith(tuple(f"{p}." for p in prefixes))
        }
    )


CORE_FILES = sorted((COMPONENTS / "core").rglob("*.py"))


def test_the_scanner_finds_an_upward_import() -> None:  # negative control: the checks below can fail
    source = "import components.redis.acl\nfrom components import prometheus\nfrom components.core import catalog\n"
    assert upward(source, ABOVE_CORE) == ["1: components.redis.acl", "2: components.prometheus"]
    guarded = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from components.stack.settings import Settings\n"
    )
    assert upward(guarded, ("stack",)) and not upward(guarded, ("stack",), runtime_only=True)


@pytest.mark.parametrize("path", CORE_FILES, ids=[str(p.relative_to(COMPONENTS)) for p in CORE_FILES])
def test_core_imports_no_service_and_not_the_stack_layer(path: Path) -> None:
    assert upward(path.read_text(), ABOVE_CORE) == []


SERVICE_FILES = sorted(p for name in SERVICES for p in (COMPONENTS / name).rglob("*.py"))


@pytest.mark.parametrize("path", SERVICE_FILES, ids=[str(p.relative_to(COMPONENTS)) for p in SERVICE_FILES])
def test_a_service_imports_the_stack_layer_only_for_type_checking(path: Path) -> None:
    assert upward(path.read_text(), ("stack", "monitored"), runtime_only=True) == []


def test_every_service_declares_its_keys_in_its_own_settings_module() -> None:
    from components.stack.keys import CONFIG_KEYS

    owners = {}
    for name in SERVICES:
        path = COMPONENTS / name / "settings.py"
        if path.exists():
            module = __import__(f"components.{name}.settings", fromlist=["KEYS"])
            owners.update({spec.key: name for spec in getattr(module, "KEYS", ())})
    assert {"duckdb": "duckdb", "redisInstances": "redis", "users": "proxy", "remoteWrite": "prometheus"}.items() <= (
        owners.items()
    )
    assert {"alertmanagerReceivers", "firewallSudo"} <= owners.keys()
    assert len(CONFIG_KEYS) == len({spec.key for spec in CONFIG_KEYS})
