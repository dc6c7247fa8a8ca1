"""The one deployed stack every acceptance test attacks (session-scoped: started once).

Test modules run in file order (test_10_... to test_90_...): the destructive fault tests are
last, the audit test just before them. `make acceptance` runs them all.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.acceptance.stack import AcceptanceStack

TOOLS = ("bwrap", "ip", "iptables", "iptables-restore", "nginx", "prometheus", "prometheus-alertmanager", "setpriv", "nsenter", "curl", "openssl")


def _missing() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


@pytest.fixture(scope="session")
def stack() -> Iterator[AcceptanceStack]:
    if os.geteuid() != 0:
        pytest.skip("the acceptance stack needs root (network namespaces, bwrap, iptables)")
    missing = _missing()
    if missing:
        pytest.skip(f"missing tools (scripts/acceptance-deps.sh installs them): {', '.join(missing)}")
    with AcceptanceStack.start() as running:
        yield running
