"""Regenerate the generated sections of README.md and the docs pages from their single sources of truth.

    python -m tools.readme          # rewrite the sections in place
    python -m tools.readme --check  # exit 1 when a page is out of date (a unit test runs this)

Sections are delimited by `<!-- BEGIN name -->` / `<!-- END name -->` markers; `DOCUMENTS` says which
page holds which sections (the roles table is in the README and on the users-and-roles page).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

from components.prometheus.rules import render_runbook_markdown
from components.prometheus.rules.thresholds import THRESHOLD_CONFIG_PREFIX, AlertThresholds, config_key
from components.proxy import rbac
from components.stack.keys import CONFIG_KEYS
from testing.mock_stack import PROJECT_DIR

README = PROJECT_DIR / "README.md"
DOCS = PROJECT_DIR / "docs"
CONFIGURATION = DOCS / "configuration.md"
RUNBOOKS = DOCS / "runbooks.md"
ALERTING = DOCS / "alerting.md"
USERS_AND_ROLES = DOCS / "users-and-roles.md"


def _shown(value: object) -> str:
    """A default as the reference shows it: lists as JSON, booleans in YAML's spelling."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def config_reference() -> str:
    """The configuration reference, from the config key table (as Pulumi.yaml is)."""
    lines = ["| key | type | default | secret | description |", "|---|---|---|---|---|"]
    for spec in CONFIG_KEYS:
        shown = f"`{_shown(spec.default)}`" if spec.has_default else ""
        description = spec.description.replace("|", "\\|")
        lines.append(f"| `{spec.key}` | {spec.type} | {shown} | {'yes' if spec.secret else ''} | {description} |")
    return "\n".join(lines)


def threshold_reference() -> str:
    """Every `alertThresholds` key with its default and meaning, from the AlertThresholds fields."""
    lines = ["| key | default | meaning |", "|---|---|---|"]
    for spec in fields(AlertThresholds):
        key = f"{THRESHOLD_CONFIG_PREFIX}.{config_key(spec.name)}"
        lines.append(f"| `{key}` | `{_shown(spec.default)}` | {spec.metadata['description']} |")
    return "\n".join(lines)


def runbooks() -> str:
    text = render_runbook_markdown()
    return text.split("\n", 1)[1].strip() if text.startswith("## ") else text.strip()


SECTIONS: dict[str, Callable[[], str]] = {
    "roles": rbac.roles_table_markdown,
    "config": config_reference,
    "runbooks": runbooks,
    "thresholds": threshold_reference,
}

DOCUMENTS: dict[Path, tuple[str, ...]] = {
    README: ("roles",),
    USERS_AND_ROLES: ("roles",),
    CONFIGURATION: ("config",),
    RUNBOOKS: ("runbooks",),
    ALERTING: ("thresholds",),
}


def render(text: str, names: tuple[str, ...] = ("roles",), page: str = "README.md") -> str:
    """`text` with each named section rebuilt from its source."""
    for name in names:
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n)(?:.*?\n)?(<!-- END {name} -->)", re.DOTALL)
        match = pattern.search(text)
        if match is None:
            raise ValueError(f"{page} has no <!-- BEGIN {name} --> section")
        text = text[: match.start()] + match.group(1) + SECTIONS[name]() + "\n" + match.group(2) + text[match.end() :]
    return text


def stale() -> list[Path]:
    """The pages whose generated sections differ from their sources."""
    return [path for path, names in DOCUMENTS.items() if render(path.read_text(), names, path.name) != path.read_text()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 when a page is out of date")
    args = parser.parse_args()
    if args.check:
        for path in stale():
            print(f"{path.relative_to(PROJECT_DIR)} is out of date: run `python -m tools.readme`", file=sys.stderr)
        return 1 if stale() else 0
    for path, names in DOCUMENTS.items():
        path.write_text(render(path.read_text(), names, path.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
