"""Read a stack file (Pulumi.<stack>.yaml) into the config mapping the mocks take."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from testing.mock_stack import PROJECT_DIR


def load_stack_config(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """Plain values by key (without the `promshield:` prefix). Encrypted (`secure:`) values are
    left out: under mocks the program generates what it would otherwise read from them."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        path = project_dir / "examples" / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text()) or {}
    config: dict[str, Any] = {}
    for full_key, value in (document.get("config") or {}).items():
        namespace, _, key = full_key.partition(":")
        if namespace != "promshield" or (isinstance(value, dict) and "secure" in value):
            continue
        config[key] = value
    return config


def placeholder_secrets(config: dict[str, Any]) -> dict[str, Any]:
    """Stand-ins for the secrets a stack file only names (`pulumi config set --secret`), so the
    program can run under mocks to render or test it. Never used for a real deployment."""
    secrets: dict[str, Any] = {}
    if str(config.get("dockerHost", "")).startswith("ssh://"):
        secrets["sshPrivateKey"] = (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nplaceholder\n-----END OPENSSH PRIVATE KEY-----\n"
        )
    if config.get("redis") is not None and not config.get("demo"):
        secrets["redisAdminPassword"] = "placeholder-redis-admin-password"
    for key in ("instanceManagerTargets", "tradeEngineTargets"):
        with_user = {
            t["address"]: f"placeholder-password-{i}" for i, t in enumerate(config.get(key) or []) if t.get("username")
        }
        if with_user:
            secrets[f"{key}Passwords"] = with_user
    if (config.get("remoteWrite") or {}).get("enabled"):
        secrets["remoteWritePassword"] = "placeholder-remote-write-password"
    return secrets
