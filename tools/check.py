"""`make check STACK=<name>`: a stack's settings, then its rendered files through the real validators.

    python -m tools.check --stack dev

1. The stack file (`Pulumi.<stack>.yaml`, else `examples/Pulumi.<stack>.yaml`) is read and its settings
   validated by the program's own reader: every problem at once, each naming its key.
2. The program runs under mocks (the same code path as `pulumi up`, as `make render` does) and each
   container's files are written, with real content, at their container paths into a temporary tree.
   The secrets the stack file only names (`secure:` values, `pulumi config set --secret`) are never
   decrypted: placeholders stand in, as for `make render`; certificates and keys are real test ones.
3. Each validator runs on those files in a bwrap view of the container (tools/container_view.py), so
   the paths inside the files resolve as deployed: `promtool check config`, `promtool check rules`,
   `promtool check web-config`, `amtool check-config`, `nginx -t`, and gixy on the NGINX config.

It prints one table (tool, file, ok/failed/skipped), the output of what failed, and exits 1 when
anything failed (2 when the stack does not exist). Files are named as `make render` writes them:
`<container>/<path in the container>` under build/<stack>/.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import subprocess  # runs gixy, the project's own validator  # nosec B404
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.core import catalog
from components.core.settings import SettingsError
from components.stack.settings import Settings, load_settings
from testing.mock_stack import PROJECT_DIR, RecordedStack, config_values, run_program
from testing.stack_config import load_stack_config, placeholder_secrets
from tools.container_view import materialize, run_in_view

GIXY = Path(sys.executable).parent / "gixy"
INSTALL_HINT = "install it: bash scripts/install-system-deps.sh (make deps)"


@dataclass
class Result:
    tool: str
    file: str
    status: str  # ok, failed, skipped
    detail: str = ""


def stack_files(project_dir: Path) -> dict[str, Path]:
    """Every stack a user can name: Pulumi.<name>.yaml at the root, then examples/."""
    found: dict[str, Path] = {}
    for directory in (project_dir, project_dir / "examples"):
        for path in sorted(directory.glob("Pulumi.*.yaml")):
            found.setdefault(path.name.removeprefix("Pulumi.").removesuffix(".yaml"), path)
    return found


def find_stack(stack: str, project_dir: Path) -> Path | str:
    """The stack's file, or the message naming where it was looked for and the stacks there are."""
    stacks = stack_files(project_dir)
    if stack in stacks:
        return stacks[stack]
    looked = [project_dir / f"Pulumi.{stack}.yaml", project_dir / "examples" / f"Pulumi.{stack}.yaml"]
    shown = " or ".join(str(_relative(p, project_dir)) for p in looked)
    existing = ", ".join(sorted(stacks)) or "none"
    return f"no stack {stack!r}: looked for {shown}; the stacks there are: {existing}"


def _relative(path: Path, base: Path) -> Path:
    try:
        return path.relative_to(base)
    except ValueError:
        return path


def check_settings(config: dict[str, Any], secrets: dict[str, Any], stack: str) -> tuple[Settings | None, Result]:
    raw = {key.split(":", 1)[1]: value for key, value in config_values({**secrets, **config}).items()}
    try:
        settings = load_settings(raw.get, stack, raw.keys())
    except SettingsError as error:
        return None, Result("settings", f"Pulumi.{stack}.yaml", "failed", str(error))
    return settings, Result("settings", f"Pulumi.{stack}.yaml", "ok")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The mocks' engine chatter stays out of the summary (problems come back as exceptions)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def host_providers(stack: RecordedStack) -> list[str | None]:
    providers = sorted(r.name for r in stack.of_type("pulumi:providers:docker"))
    return list(providers) if len(providers) > 1 else [None]


def _view_result(tool: str, shown: str, root: Path, argv: list[str], **view: Any) -> Result:
    try:
        done = run_in_view(root, argv, **view)
    except subprocess.TimeoutExpired:
        return Result(tool, shown, "failed", f"{' '.join(argv)}: no answer within 60 s")
    output = (done.stdout + done.stderr).strip()
    return Result(tool, shown, "ok" if done.returncode == 0 else "failed", "" if done.returncode == 0 else output)


def missing_tools() -> dict[str, str]:
    """The validators this machine lacks, by tool, with what to do."""
    missing = {name: INSTALL_HINT for name in ("bwrap", "promtool", "amtool") if shutil.which(name) is None}
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        missing["nginx"] = INSTALL_HINT
    if not GIXY.exists():
        missing["gixy"] = "install it: make venv (requirements-dev.txt)"
    return missing


def validate_host(
    stack: RecordedStack, settings: Settings, provider: str | None, work: Path, prefix: str
) -> list[Result]:
    """Every validator on one host's containers (`prefix`: the host's directory in build/<stack>/)."""
    missing = missing_tools()
    results: list[Result] = []

    def run(tool: str, container: str, path: str, check: Callable[[Path], Result]) -> None:
        shown = f"{prefix}{container}{path}"
        needs = [name for name in ("bwrap", tool.split(maxsplit=1)[0]) if name in missing]
        if needs:
            results.append(Result(tool, shown, "skipped", f"{needs[-1]} not found: {missing[needs[-1]]}"))
            return
        root = work / (provider or "host") / container / "root"
        if not root.exists():
            materialize(stack, container, root, provider)
        results.append(check(root))

    prometheus = catalog.container_name(stack.stack, catalog.PROMETHEUS)
    alertmanager = catalog.container_name(stack.stack, catalog.ALERTMANAGER)
    proxy = catalog.container_name(stack.stack, catalog.PROXY)

    def in_view(tool: str, container: str, path: str, argv: list[str], **view: Any) -> None:
        run(tool, container, path, lambda root: _view_result(tool, f"{prefix}{container}{path}", root, argv, **view))

    config = catalog.PROMETHEUS_CONFIG_FILE
    in_view("promtool check config", prometheus, config, ["promtool", "check", "config", config])
    prometheus_files = stack.container_files(prometheus, provider)
    for rules in sorted(p for p in prometheus_files if p.startswith(catalog.PROMETHEUS_RULES_DIR + "/")):
        in_view("promtool check rules", prometheus, rules, ["promtool", "check", "rules", rules])
    webs = ((prometheus, catalog.PROMETHEUS_WEB_CONFIG_FILE), (alertmanager, catalog.ALERTMANAGER_WEB_CONFIG_FILE))
    for container, web in webs:
        in_view("promtool check web-config", container, web, ["promtool", "check", "web-config", web])
    am_config = catalog.ALERTMANAGER_CONFIG_FILE
    in_view("amtool check-config", alertmanager, am_config, ["amtool", "check-config", am_config])

    nginx_conf = catalog.PROXY_CONFIG_FILE
    backends = settings.networks.backend_addresses.items()
    hosts = "127.0.0.1 localhost\n" + "".join(f"{ip} {name}\n" for name, ip in backends)
    in_view(
        "nginx -t",
        proxy,
        nginx_conf,
        ["nginx", "-t", "-c", nginx_conf],
        hosts=hosts,
        writable=(catalog.PROXY.data_dir,),
    )

    def gixy(root: Path) -> Result:
        shown = f"{prefix}{proxy}{nginx_conf}"
        version = catalog.image_version(settings.images["proxy"])  # also the pinned NGINX's known CVEs
        argv = [str(GIXY), "--nginx-version", version, "-f", "text", str(root / nginx_conf.lstrip("/"))]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)  # nosec B603
        output = (done.stdout + done.stderr).strip()
        return Result("gixy", shown, "ok" if done.returncode == 0 else "failed", "" if done.returncode == 0 else output)

    run("gixy", proxy, nginx_conf, gixy)
    return results


def check(stack_name: str, project_dir: Path = PROJECT_DIR) -> tuple[int, list[Result], str]:
    """(exit code, results, a message for when there is no table)."""
    found = find_stack(stack_name, project_dir)
    if isinstance(found, str):
        return 2, [], found
    try:
        config = load_stack_config(stack_name, project_dir)
    except (yaml.YAMLError, AttributeError, TypeError) as error:
        return 1, [Result("settings", str(_relative(found, project_dir)), "failed", f"not a stack file: {error}")], ""
    secrets = placeholder_secrets(config)
    settings, result = check_settings(config, secrets, stack_name)
    result.file = str(_relative(found, project_dir))
    if settings is None:
        return 1, [result], ""
    results = [result]
    try:
        with _quiet():
            stack = run_program({**secrets, **config}, stack=stack_name, secret_keys=tuple(secrets))
    except Exception as error:  # the program's own failure, shown as one line: never a traceback
        results.append(Result("render", "__main__.py under mocks", "failed", f"{type(error).__name__}: {error}"))
        return 1, results, ""
    results.append(Result("render", "__main__.py under mocks", "ok"))
    providers = host_providers(stack)
    with tempfile.TemporaryDirectory(prefix="promshield-check-") as work:
        for provider in providers:
            prefix = f"{provider}/" if provider else ""
            results += validate_host(stack, settings, provider, Path(work), prefix)
    failed = any(r.status != "ok" for r in results)
    return (1 if failed else 0), results, ""


def table(results: list[Result]) -> str:
    rows = [("tool", "file", "result"), *((r.tool, r.file, r.status) for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(stack_name: str, results: list[Result]) -> str:
    parts = []
    for r in results:
        if r.status != "ok" and r.detail:
            detail = "\n".join(f"    {line}" for line in r.detail.splitlines()[-40:])
            parts.append(f"{r.tool} {r.status}: {r.file}\n{detail}\n")
    parts.append(f"files as `make render` writes them under build/{stack_name}/:\n")
    parts.append(table(results))
    bad = [r for r in results if r.status != "ok"]
    verdict = "passed" if not bad else f"{len(bad)} of {len(results)} checks did not pass"
    parts.append(f"\nstack {stack_name}: {len(results)} checks, {verdict}")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default="dev", help="the stack to check (Pulumi.<stack>.yaml)")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    code, results, message = check(args.stack, args.project_dir)
    if message:
        print(f"error: {message}", file=sys.stderr)
        return code
    print(report(args.stack, results))
    return code


if __name__ == "__main__":
    sys.exit(main())
