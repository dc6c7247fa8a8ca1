"""The one deployed stack every acceptance test attacks: started once, for the first test that
needs it, torn down right after the last test that needs it (so `make test` does not keep it
running through the other suites, nor beside the multi-host stack of test_95), and in any case at
the end of the session.

Test modules run in file order (test_10_... to test_90_...): the destructive fault tests are
last, the audit test just before them. `make acceptance` runs them all.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.stack import AcceptanceStack

TOOLS = ("ip", "iptables", "iptables-restore", "nsenter", "dockerd", "docker", "mmdebstrap", "curl", "openssl")
HERE = Path(__file__).resolve().parent
_running: list[contextlib.AbstractContextManager[AcceptanceStack]] = []


def _missing() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _tear_down() -> None:
    while _running:
        _running.pop().__exit__(None, None, None)
        print(
            f"\n[acceptance] stack torn down; logs kept under {HERE.parents[1] / 'build' / 'acceptance'}",
            file=sys.stderr,
        )


@pytest.fixture(scope="session")
def stack() -> Iterator[AcceptanceStack]:
    if os.geteuid() != 0:
        pytest.skip("the acceptance stack needs root (network namespaces, dockerd, iptables)")
    missing = _missing()
    if missing:
        pytest.skip(f"missing tools (scripts/acceptance-deps.sh installs them): {', '.join(missing)}")
    started = AcceptanceStack.start()
    running = started.__enter__()
    _running.append(started)
    try:
        yield running
    finally:
        _tear_down()


def _needed_later(item: pytest.Item) -> bool:
    """Whether a test after `item` in this session uses the stack (directly or through a fixture)."""
    items = item.session.items
    later = items[items.index(item) + 1 :] if item in items else []
    return any("stack" in getattr(other, "fixturenames", ()) for other in later)


@pytest.hookimpl(trylast=True)  # after the test's own fixtures are torn down (they may still use the stack)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the last test that uses it: the stack goes (its fixture's own teardown, at the end of
    the session, then has nothing left to do)."""
    if _running and (nextitem is None or not _needed_later(item)):
        _tear_down()
