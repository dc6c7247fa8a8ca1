"""The firewall's settings: whether its commands run through sudo (`firewallSudo`; config key in `KEYS`)."""

from __future__ import annotations

from components.core.settings.keys import ConfigKey, defaults
from components.core.settings.reader import Reader

# This service's config keys, declared once (components/stack/keys.py joins every service's).
KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(
        "firewallSudo",
        "boolean",
        description="Run the firewall commands through `sudo -n` (default true for a local engine, false over SSH).",
    ),
)
DEFAULTS = defaults(KEYS)


def read_firewall_sudo(r: Reader) -> bool | None:
    """`firewallSudo` when the stack sets it (read once, so a bad value is one problem)."""
    return None if r.raw("firewallSudo") is None else r.boolean("firewallSudo", True)
