"""Revocation: the proxy caches a verified credential for AUTH_CACHE_SECONDS, never longer.

The htpasswd file the proxy reads is changed in place (as an out-of-band edit on the host
would); the old password must stop working within the documented bound, the new one must
work at once, and a wrong password is refused on every request meanwhile. Polling the old password every
second drives the proxy's background re-checks (from AUTH_REFRESH_SECONDS on, one request re-checks while
the entry is still used): a failed re-check must not keep the entry alive past AUTH_CACHE_SECONDS.
"""

from __future__ import annotations

import time

import bcrypt
import pytest

from components.core import catalog
from components.proxy.render import AUTH_CACHE_SECONDS
from harness.stack import AcceptanceStack

pytestmark = pytest.mark.acceptance

USER = "ops"
NEW_PASSWORD = "a-brand-new-password-for-ops"


def status(stack: AcceptanceStack, password: str) -> int:
    return stack.get(
        "prometheus", "/api/v1/query?query=up", user=USER, password=password, pace=False, record=False
    ).status


def test_a_changed_password_stops_working_within_the_cache_bound(stack: AcceptanceStack) -> None:
    old_password = stack.passwords[USER]
    htpasswd = stack.upload_path("proxy", catalog.PROXY_HTPASSWD_FILE)
    original = htpasswd.read_text()
    assert status(stack, old_password) == 200  # cached from here on
    new_hash = bcrypt.hashpw(NEW_PASSWORD.encode(), bcrypt.gensalt(10)).decode()
    lines = [f"{USER}:{new_hash}" if line.startswith(f"{USER}:") else line for line in original.splitlines()]
    htpasswd.write_text("\n".join(lines) + "\n")  # in place: the bind-mounted inode stays
    changed_at = time.monotonic()
    try:
        assert status(stack, NEW_PASSWORD) == 200  # a miss: checked against the new file at once
        wrong = [status(stack, "not-the-password") for _ in range(3)]
        assert wrong == [401, 401, 401]  # never cached
        revoked_after = None
        while time.monotonic() - changed_at < AUTH_CACHE_SECONDS + 15:
            if status(stack, old_password) == 401:
                revoked_after = time.monotonic() - changed_at
                break
            time.sleep(1)
        assert revoked_after is not None, f"the old password still worked {AUTH_CACHE_SECONDS + 15} s after the change"
        assert revoked_after <= AUTH_CACHE_SECONDS + 2, revoked_after
        print(f"old password refused {revoked_after:.1f} s after the change (bound {AUTH_CACHE_SECONDS} s)")
    finally:
        htpasswd.write_text(original)
