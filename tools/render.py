"""`make render`: write every file the stack would upload, per container, to build/<stack>/.

The program runs under mocks (the same code path as `pulumi up`); each container's uploads are
written at their container paths. Files with secret modes (0400: keys, password hashes) are
written as a placeholder line, never their content. `containers.json` lists each container's
image, command, user, networks, ports and hardening so a reviewer sees what will run. A multi-host
stack is written per host: build/<stack>/<docker provider>/ (`docker`, `docker-<host>`).
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.core.catalog import MODE_SECRET
from testing.mock_stack import RecordedStack, Registered, run_program
from testing.stack_config import load_stack_config, placeholder_secrets


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
    """Every container's files under out/<container>/, or out/<provider>/<container>/ for each host of a
    multi-host stack (the Docker names repeat on every host)."""
    if out.exists():
        shutil.rmtree(out)
    providers = host_providers(stack)
    if not providers:
        return _write_host(stack, out, None)
    return [path for provider in providers for path in _write_host(stack, out / provider, provider)]


def _write_host(stack: RecordedStack, out: Path, provider: str | None) -> list[Path]:
    written: list[Path] = []
    containers = stack.containers() if provider is None else stack.host_containers(provider)
    for name in sorted(containers):
        for path, upload in sorted(stack.container_files(name, provider).items()):
            target = out / name / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            if int(upload["permissions"], 8) == MODE_SECRET:
                target.write_text(
                    f"<secret: {len(upload['content'])} characters, mode {upload['permissions']}, owner "
                    f"{upload['owner']}>\n"
                )
            else:
                target.write_text(upload["content"])
            target.chmod(0o600)
            written.append(target)
    summary = out / "containers.json"
    summary.write_text(json.dumps(container_summary(containers), indent=2, sort_keys=True) + "\n")
    written.append(summary)
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
    print(f"wrote {len(files)} files for stack {args.stack} to {out}/")


if __name__ == "__main__":
    main()
