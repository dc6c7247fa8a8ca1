"""The trading simulator as a real process on loopback, with a throwaway CA and the files the stack renders."""

from __future__ import annotations

import importlib.util
import json
import secrets
import socket
import subprocess  # nosec B404
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from components.core import catalog
from components.trading_sim import render
from harness.testpki import issue_server_pki

SIM_DIR = Path(__file__).resolve().parents[2] / "exporters" / "trading_sim"
# The simulator is a standalone script (uploaded as one file), not a package of the program: loaded by
# path under its own module name (`trading_sim` alone would be this test package).
_spec = importlib.util.spec_from_file_location("trading_sim_app", SIM_DIR / "trading_sim.py")
assert _spec is not None and _spec.loader is not None
sys.modules["trading_sim_app"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sys.modules["trading_sim_app"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_tls(directory: Path, name: str) -> None:
    pki = issue_server_pki("trading-sim test CA", [name])
    (directory / catalog.TLS_CA_FILE).write_text(pki.ca_pem)
    (directory / catalog.TLS_CERT_FILE).write_text(pki.cert_pem)
    key_file = directory.parent / "secrets" / catalog.TLS_KEY_FILE  # as the stack places it (secrets_dir)
    key_file.write_text(pki.key_pem)
    key_file.chmod(0o400)


@dataclass
class RunningSim:
    config_file: Path
    config: dict
    passwords: dict[str, str]
    process: subprocess.Popen[str]

    def port(self, job: str) -> int:
        return int(self.config["ports"][job])

    def cli(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-B", str(SIM_DIR / "trading_sim.py"), "--config", str(self.config_file), *arguments]
        return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)  # nosec B603


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSim]:
    """The simulator with the stack's rendered config, its paths moved into a temp directory."""
    root = tmp_path_factory.mktemp("trading-sim")
    (root / "tls").mkdir()
    (root / "secrets").mkdir()
    make_tls(root / "tls", catalog.TRADING_SIM.name)
    passwords = {job: secrets.token_urlsafe(24) for job in catalog.TRADING_SIM_PORTS}
    auth = root / "secrets" / "auth.json"
    auth.write_text(render.render_auth_file(passwords))
    auth.chmod(0o400)
    rendered = render.render_config().replace(catalog.TRADING_SIM.secrets_dir, str(root / "secrets"))
    config = json.loads(rendered.replace(catalog.TRADING_SIM.config_dir, str(root)))
    config["ports"] = {job: _free_port() for job in config["ports"]}
    config["control_port"] = _free_port()
    config_file = root / "config.json"
    config_file.write_text(json.dumps(config))
    argv = [sys.executable, "-B", str(SIM_DIR / "trading_sim.py"), "--config", str(config_file), "serve"]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # nosec B603
    running = RunningSim(config_file, config, passwords, process)
    try:
        deadline = time.monotonic() + 15
        while running.cli("check").returncode != 0:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, running.cli("check").stderr
            time.sleep(0.2)
        yield running
    finally:
        process.terminate()
        process.wait(timeout=10)
