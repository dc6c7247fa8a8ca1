"""Regenerate README.md's generated sections from their single sources of truth.

    python -m tools.readme          # rewrite the sections in place
    python -m tools.readme --check  # exit 1 when README.md is out of date (a unit test runs this)

Sections are delimited by `<!-- BEGIN name -->` / `<!-- END name -->` markers.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable

from components.prometheus.rules import render_runbook_markdown
from components.proxy import rbac
from components.stack.keys import CONFIG_KEYS
from testing.mock_stack import PROJECT_DIR
from tools.generated import regenerate

README = PROJECT_DIR / "README.md"


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


def runbooks() -> str:
    text = render_runbook_markdown()
    return text.split("\n", 1)[1].strip() if text.startswith("## ") else text.strip()


SECTIONS: dict[str, Callable[[], str]] = {
    "roles": rbac.roles_table_markdown,
    "config": config_reference,
    "runbooks": runbooks,
}


def render(text: str) -> str:
    for name, build in SECTIONS.items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n)(?:.*?\n)?(<!-- END {name} -->)", re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"README.md has no <!-- BEGIN {name} --> section")
        match = pattern.search(text)
        assert match is not None  # noqa: S101 - checked just above
        text = text[: match.start()] + match.group(1) + build() + "\n" + match.group(2) + text[match.end() :]
    return text


def main() -> int:
    return regenerate(README, render, "python -m tools.readme", __doc__)


if __name__ == "__main__":
    sys.exit(main())
