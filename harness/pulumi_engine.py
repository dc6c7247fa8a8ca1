"""The real Pulumi engine, driven through the Automation API, deploying into a harness engine.

`PulumiProject` is a throw-away copy of the project's entry points (links to `__main__.py`,
`components/`, `exporters/`, `policy/`, `.venv`; its own `Pulumi.yaml` copy) with a file backend and
a passphrase of its own in a temporary folder, so the state, the stack files and the secrets never
touch the checkout. Every `pulumi` the Automation API starts runs inside the Docker host's network
namespace (a two-line wrapper around the real CLI: `nsenter --net=<namespace> pulumi "$@"`), so
the program's `command:local` firewall scripts act on that namespace's `DOCKER-USER` chain, exactly
as they would on a user's Docker host. The CLI and its plugins are the ones `toolchain/build.sh`
built (`.pulumi-bin`, `.pulumi-home`), or the user's own when `pulumi` is on PATH.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from components.core.catalog import PROJECT

from .paths import REPO_ROOT, venv_dir

PROJECT_ENTRIES = ("__main__.py", "components", "exporters", "policy", "requirements.txt")


class ToolchainMissing(RuntimeError):
    """No Pulumi CLI: neither on PATH nor built by `make deps` (toolchain/build.sh)."""


def toolchain_bin() -> Path:
    """The folder holding `pulumi` and its language host: the project's build, else PATH's."""
    built = REPO_ROOT / ".pulumi-bin"
    if (built / "pulumi").exists():
        return built.resolve()
    found = shutil.which("pulumi")
    if found:
        return Path(found).resolve().parent
    raise ToolchainMissing("no pulumi CLI: run `make deps` (it builds one into .pulumi-bin) or install Pulumi")


def toolchain_env() -> dict[str, str]:
    """What every Pulumi command here runs with: the toolchain and venv first on PATH, the
    project-local plugin home, no update check, no plugin download."""
    path = os.pathsep.join([str(toolchain_bin()), str(venv_dir() / "bin"), os.environ.get("PATH", "")])
    env = {
        "PATH": path,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
    }
    home = REPO_ROOT / ".pulumi-home"
    if home.is_dir():
        env["PULUMI_HOME"] = str(home)
    return env


def secret_config(value: Any) -> auto.ConfigValue:
    return auto.ConfigValue(value if isinstance(value, str) else json.dumps(value), secret=True)


@dataclass
class PulumiProject:
    """The project in a temporary folder with its own file backend; `stack()` selects or makes one."""

    netns: str | None  # the Docker host namespace every `pulumi` runs in (None: this one)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="promshield-pulumi-")))
    passphrase: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. SSH_AUTH_SOCK for ssh:// hosts

    def __post_init__(self) -> None:
        self.work_dir = self.root / "project"
        self.state_dir = self.root / "state"
        self.cli_dir = self.root / "cli"
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.mkdir(exist_ok=True)
        for entry in PROJECT_ENTRIES:
            link = self.work_dir / entry
            if not link.exists():
                link.symlink_to(REPO_ROOT / entry)
        project = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())
        project["runtime"]["options"]["virtualenv"] = str(venv_dir())
        (self.work_dir / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
        self._write_cli_wrapper()

    def _write_cli_wrapper(self) -> None:
        real = toolchain_bin() / "pulumi"
        (self.cli_dir / "bin").mkdir(parents=True, exist_ok=True)
        wrapper = self.cli_dir / "bin" / "pulumi"
        enter = f"nsenter --net=/run/netns/{self.netns} " if self.netns else ""
        wrapper.write_text(f'#!/bin/sh\nexec {enter}"{real}" "$@"\n')
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

    @property
    def env(self) -> dict[str, str]:
        return {
            **toolchain_env(),
            "PULUMI_BACKEND_URL": f"file://{self.state_dir}",
            "PULUMI_CONFIG_PASSPHRASE": self.passphrase,
            **self.extra_env,
        }

    def workspace_options(self) -> auto.LocalWorkspaceOptions:
        return auto.LocalWorkspaceOptions(
            work_dir=str(self.work_dir),
            env_vars=self.env,
            secrets_provider="passphrase",
            pulumi_command=auto.PulumiCommand(root=str(self.cli_dir), skip_version_check=True),
        )

    def stack(self, name: str, config: Mapping[str, Any], secret: Mapping[str, Any] | None = None) -> auto.Stack:
        """Select (or create) stack `name` with exactly `config` (plain: written into its stack file, so
        a preview diff shows it) and `secret` (encrypted by the passphrase, keys as `a.b` paths)."""
        stack = auto.create_or_select_stack(name, work_dir=str(self.work_dir), opts=self.workspace_options())
        stack_file = self.work_dir / f"Pulumi.{name}.yaml"
        document = (yaml.safe_load(stack_file.read_text()) if stack_file.exists() else None) or {}
        encrypted = {k: v for k, v in (document.get("config") or {}).items() if isinstance(v, dict) and "secure" in v}
        document["config"] = {**{f"{PROJECT}:{key}": value for key, value in config.items()}, **encrypted}
        stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
        if secret:
            stack.set_all_config({f"{PROJECT}:{k}": secret_config(v) for k, v in secret.items()}, path=True)
        return stack

    def export(self, stack: auto.Stack, *, show_secrets: bool = False) -> dict[str, Any]:
        """`pulumi stack export` (ciphertext for secrets unless `show_secrets`)."""
        command = ["stack", "export", "--stack", stack.name]
        if show_secrets:
            command.append("--show-secrets")
        result = stack.workspace.pulumi_command.run(command, str(self.work_dir), self.env)
        document: dict[str, Any] = json.loads(result.stdout)
        return document

    def run(self, stack: auto.Stack, *args: str) -> auto.CommandResult:
        """Any other `pulumi` command for `stack` (e.g. `preview --diff` as a reviewer runs it)."""
        command = [*args, "--stack", stack.name, "--non-interactive", "--color", "never"]
        return stack.workspace.pulumi_command.run(command, str(self.work_dir), self.env)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def project(netns: str | None) -> Iterator[PulumiProject]:
    made = PulumiProject(netns)
    try:
        yield made
    finally:
        made.close()


def changes(summary: auto.UpdateSummary | None) -> dict[str, int]:
    """The resource changes of an operation, without the unchanged ones."""
    counts = dict((summary.resource_changes if summary else None) or {})
    return {op: count for op, count in counts.items() if op != "same" and count}
