"""`make render`: write every file the stack would upload, per container, to build/<stack>/.

The program runs under mocks (the same code path as `pulumi up`); each container's uploads are
written at their container paths. Secret files (Pulumi secrets or 0400: keys, hashes,
passwords, receiver credentials) are written as a placeholder line naming their mode and owner,
never their content or length. Values the mocks generate afresh on every run (certificates,
generated passwords, digests) are written as placeholders naming their resource
(testing/generated.py), so two renders of the same program are identical and the diff of a base
and a head render (`python -m tools.render_diff`) shows only what the change does.
`containers.json` lists each container's image, command, user, networks, ports and hardening so
a reviewer sees what will run. `grafana/` holds the Grafana dashboards and their provisioning folder
(components/dashboards/grafana.py, docs/dashboards.md). A multi-host stack is written per host, under
build/<stack>/<docker provider>/ (`docker`, `docker-<host>`): the Docker names repeat on every host.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.core.catalog import MODE_SECRET
from components.dashboards.grafana import GRAFANA_USER, render_grafana_files
from components.dashboards.panels import dashboards
from components.proxy.rbac import READ_ONLY
from components.stack.settings import load_settings
from testing.generated import Placeholders
from testing.mock_stack import RecordedStack, Registered, run_program
from testing.stack_config import load_stack_config, placeholder_secrets
from tools import cli


def secret_placeholder(upload: dict[str, Any]) -> str:
    return f"<secret: mode {upload['permissions']}, owner {upload['owner']}:{upload['group']}; content not rendered>\n"


def container_summary(containers: Mapping[str, Registered]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, container in sorted(containers.items()):
        spec = container.inputs
        summary[name] = {
            key: spec.get(key)
            for key in (
                "image",
                "command",
                "user",
                "readOnly",
                "capabilities",
                "securityOpts",
                "memory",
                "restart",
                "tmpfs",
                "ports",
                "networksAdvanced",
                "volumes",
                "healthcheck",
            )
        }
    return summary


def host_providers(stack: RecordedStack) -> list[str]:
    """The docker providers of a multi-host stack (one per host); empty for a one-host stack."""
    providers = sorted(r.name for r in stack.of_type("pulumi:providers:docker"))
    return providers if len(providers) > 1 else []


def write_render(stack: RecordedStack, out: Path) -> list[Path]:
    if out.exists():
        shutil.rmtree(out)
    placeholders = Placeholders(stack)
    providers = host_providers(stack)
    if not providers:
        return _write_host(stack, placeholders, out, None)
    return [path for provider in providers for path in _write_host(stack, placeholders, out / provider, provider)]


def _write_host(stack: RecordedStack, placeholders: Placeholders, out: Path, provider: str | None) -> list[Path]:
    written: list[Path] = []
    containers = stack.containers() if provider is None else stack.host_containers(provider)
    for name in sorted(containers):
        for path, upload in sorted(stack.container_files(name, provider).items()):
            target = out / name / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.touch(mode=0o600)
            if upload["secret"] or int(upload["permissions"], 8) == MODE_SECRET:
                target.write_text(secret_placeholder(upload))
            else:
                target.write_text(placeholders.text(upload["content"]))
            written.append(target)
    summary = out / "containers.json"
    text = json.dumps(placeholders.value(container_summary(containers)), indent=2, sort_keys=True) + "\n"
    summary.write_text(text)
    written.append(summary)
    return written


def write_grafana(config: Mapping[str, Any], stack: str, out: Path) -> list[Path]:
    """The Grafana dashboards and provisioning folder (docs/dashboards.md), from the same panels as the consoles."""
    values = {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}
    settings = load_settings(values.get, stack, values.keys())
    written: list[Path] = []
    url = settings.external_url(settings.prometheus_port)
    for path, text in render_grafana_files(dashboards(settings.alert_thresholds), url).items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        written.append(target)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    out = args.out or Path("build") / args.stack
    config = load_stack_config(args.stack)
    secrets = placeholder_secrets(config)  # the stack file only names its secrets
    stack = run_program({**secrets, **config}, stack=args.stack, secret_keys=tuple(secrets))
    files = write_render(stack, out)
    files += write_grafana({**secrets, **config}, args.stack, out / "grafana")
    print(f"wrote {len(files)} files for stack {args.stack} to {out}/")
    if stack.exports.get("users", {}).get(GRAFANA_USER) != READ_ONLY:
        print(f"note: stack {args.stack} has no read-only user '{GRAFANA_USER}', the Grafana datasource's account")


if __name__ == "__main__":
    sys.exit(cli.run(main))
