"""Pure rendering of the trading simulator's files and commands (exporters/trading_sim/trading_sim.py reads them).

The simulator's code is not built into an image: it is standard-library Python, uploaded with its
config into the service's config volume and run by the pinned Python image, like any other file
the carrier delivers (so a changed simulator replaces the container through its files' digest).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from components.core import catalog

SERVICE = catalog.TRADING_SIM
SOURCE = Path(__file__).resolve().parents[2] / "exporters" / "trading_sim" / "trading_sim.py"
SCRIPT_FILE = f"{SERVICE.config_dir}/trading_sim.py"
CONFIG_FILE = f"{SERVICE.config_dir}/config.json"
AUTH_FILE = f"{SERVICE.secrets_dir}/auth.json"  # the secrets carrier's volume
PYTHON = "python3"  # on PATH in the python image (and in its stand-in)


def simulator_source() -> str:
    return SOURCE.read_text(encoding="utf-8")


def render_config() -> str:
    """Ports by job, the loopback control port, the TLS files and the credentials file (no secret)."""
    tls_dir = SERVICE.tls_dir
    return json.dumps(
        {
            "ports": dict(catalog.TRADING_SIM_PORTS),
            "control_port": catalog.TRADING_SIM_CONTROL_PORT,
            "server_name": SERVICE.name,
            "auth_file": AUTH_FILE,
            "tls": {
                "cert_file": f"{tls_dir}/{catalog.TLS_CERT_FILE}",
                "key_file": SERVICE.key_file,
                "ca_file": f"{tls_dir}/{catalog.TLS_CA_FILE}",
            },
        },
        indent=2,
        sort_keys=True,
    )


def password_sha256(password: str) -> str:
    """What the simulator compares a presented password against. Unsalted, so it is stable across
    runs (no diff on every preview), and safe because the passwords are long random strings."""
    return hashlib.sha256(password.encode()).hexdigest()


def render_auth_file(passwords: Mapping[str, str]) -> str:
    """Each endpoint's (by job) basic-auth user and the SHA-256 of its password: a secret file (0400)."""
    return json.dumps(
        {
            job: {"username": catalog.TRADING_SIM_SCRAPE_USER, "password_sha256": password_sha256(password)}
            for job, password in sorted(passwords.items())
        },
        indent=2,
    )


def simulator_command(*arguments: str) -> list[str]:
    """`python3 -B trading_sim.py --config ... <arguments>` (-B: the config volume is read-only)."""
    return [PYTHON, "-B", SCRIPT_FILE, "--config", CONFIG_FILE, *arguments]


def control_command(container: str, *arguments: str) -> list[str]:
    """How an operator (or the acceptance suite) switches scenarios: `docker exec` into the
    container, where the control port listens on 127.0.0.1 only."""
    return ["docker", "exec", container, *simulator_command(*arguments)]
