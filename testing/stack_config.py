"""Read a stack file (Pulumi.<stack>.yaml) or a test scenario (tests/stacks/<name>.yaml) into the config
mapping the mocks take."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.core.settings import SettingsError
from testing.mock_stack import PROJECT_DIR, RecordedStack, run_program


def stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> Path:
    """The stack's file: Pulumi.<stack>.yaml in the project, else in examples/. Unknown stack: a SettingsError
    naming where it looked and the stacks that exist."""
    candidates = [project_dir / f"Pulumi.{stack}.yaml", project_dir / "examples" / f"Pulumi.{stack}.yaml"]
    for path in candidates:
        if path.exists():
            return path
    known = sorted({p.name[len("Pulumi.") : -len(".yaml")] for d in candidates for p in d.parent.glob("Pulumi.*.yaml")})
    looked = " or ".join(str(path.relative_to(project_dir)) for path in candidates)
    raise SettingsError(
        [f"no stack {stack!r}: looked for {looked}; the stacks that exist: {', '.join(known) or 'none'}"]
    )


def read_yaml(path: Path) -> Any:
    """A YAML file's document; a syntax error is a SettingsError naming the file, line and column."""
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise SettingsError([f"{where}: not valid YAML: {problem}"]) from None


def load_stack_config(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """Plain values by key (without the `promshield:` prefix). Encrypted (`secure:`) values are
    left out: under mocks the program generates what it would otherwise read from them."""
    document = read_yaml(stack_file(stack, project_dir)) or {}
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
    engines = [config.get("dockerHost", "")] + [h.get("dockerHost", "") for h in config.get("hosts") or []]
    if any(str(engine).startswith("ssh://") for engine in engines):
        secrets["sshPrivateKey"] = (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nplaceholder\n-----END OPENSSH PRIVATE KEY-----\n"
        )
    redis_names = [i["name"] for i in config.get("redisInstances") or [] if isinstance(i, dict) and "name" in i]
    if redis_names:
        secrets["redisAdminPasswords"] = {name: f"placeholder-redis-admin-password-{name}" for name in redis_names}
    for key in ("instanceManagerTargets", "tradeEngineTargets"):
        with_user = {
            t["address"]: f"placeholder-password-{i}" for i, t in enumerate(config.get(key) or []) if t.get("username")
        }
        if with_user:
            secrets[f"{key}Passwords"] = with_user
    receivers = {
        r["name"]: f"https://hooks.slack.example/placeholder-{r['name']}"
        if "slack" in r
        else f"placeholder-{r['name']}"
        for r in config.get("alertmanagerReceivers") or []
        if isinstance(r, dict) and "webhookUrl" not in r
    }
    if receivers:
        secrets["alertmanagerReceiverSecrets"] = receivers
    remote_write = config.get("remoteWrite") or {}
    if remote_write.get("enabled") and remote_write.get("username"):  # mtls alone takes no password
        secrets["remoteWritePassword"] = "placeholder-remote-write-password"
    return secrets


SCENARIOS_DIR = PROJECT_DIR / "tests" / "stacks"


@dataclass(frozen=True)
class Scenario:
    """A stack the tests run (tests/stacks/<name>.yaml): a stack file, plus config and secrets."""

    name: str
    stack: str
    config: dict[str, Any]  # plain and secret values together, as run_program takes them
    secret_keys: tuple[str, ...]

    def run(self) -> RecordedStack:
        return run_program(self.config, stack=self.stack, secret_keys=self.secret_keys)


def load_scenario(name: str, directory: Path = SCENARIOS_DIR) -> Scenario:
    """`base` names the stack file it starts from (none: the defaults); `config` and `secrets` are added to it, and with
    `placeholder_secrets: true` so are stand-ins for the secrets the stack file only names."""
    document = read_yaml(directory / f"{name}.yaml") or {}
    base = load_stack_config(document["base"]) if document.get("base") else {}
    config = {**base, **(document.get("config") or {})}
    secrets = placeholder_secrets(config) if document.get("placeholder_secrets") else {}
    secrets.update(document.get("secrets") or {})
    return Scenario(name, str(document.get("stack", name)), {**config, **secrets}, tuple(secrets))
