"""Write `Pulumi.yaml`'s `config:` block from the config key table (components/stack/keys.py: the shared keys
and each service's).

Only the keys with a default are declared there: the Pulumi engine treats a declared key without a
default as required ("Stack 'dev' is missing configuration values ..." before the program runs, found
by the first real `pulumi up`), and offers no way to declare an optional key. Nor a key that must stay
unset in some stacks (`ConfigKey.declared`: dockerHost and bindAddress, with `hosts`): the engine
applies a declared default as if the stack had set it. The others are read and validated by the
program alike and listed in docs/configuration.md's reference.

    python -m tools.config_schema          # rewrite the block in place
    python -m tools.config_schema --check  # exit 1 when Pulumi.yaml is out of date (a unit test runs this)

The block is the last key of Pulumi.yaml; everything above it is kept as written.
"""

from __future__ import annotations

import json
import sys
import textwrap
from typing import Any

from components.core.settings.keys import ConfigKey
from components.stack.keys import CONFIG_KEYS
from testing.mock_stack import PROJECT_DIR
from tools.generated import regenerate

PULUMI_YAML = PROJECT_DIR / "Pulumi.yaml"
DECLARED_KEYS = [spec for spec in CONFIG_KEYS if spec.has_default and spec.declared]
WIDTH = 120  # .yamllint's line-length
_MARKER = "\nconfig:\n"


def _scalar(value: Any) -> str:
    """A default as YAML: flow style for lists and objects, plain for the rest."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)  # JSON is YAML flow style
    return str(value)


def _description(text: str) -> list[str]:
    one_line = "    description: '" + text.replace("'", "''") + "'"
    if len(one_line) <= WIDTH:
        return [one_line]
    # Too wide for one line: a folded block scalar reads back as the same one-line text.
    wrapped = textwrap.wrap(text, WIDTH - 6, break_long_words=False, break_on_hyphens=False)
    return ["    description: >-", *(f"      {line}" for line in wrapped)]


def _entry(spec: ConfigKey) -> list[str]:
    lines = [f"  {spec.key}:", f"    type: {spec.type}"]
    if spec.items:
        lines += ["    items:", f"      type: {spec.items}"]
    if spec.secret:
        lines.append("    secret: true")
    if spec.has_default:
        lines.append(f"    default: {_scalar(spec.default)}")
    return lines + _description(spec.description)


def render_config_block() -> str:
    """`config:` and one entry per key with a default, in table order."""
    return "config:\n" + "".join(line + "\n" for spec in DECLARED_KEYS for line in _entry(spec))


def render(text: str) -> str:
    """`text` (Pulumi.yaml) with its config block regenerated."""
    head, found, _ = text.partition(_MARKER)
    if not found:
        raise ValueError("Pulumi.yaml has no top-level `config:` block")
    return head + "\n" + render_config_block()


def main() -> int:
    return regenerate(PULUMI_YAML, render, "python -m tools.config_schema", __doc__)


if __name__ == "__main__":
    sys.exit(main())
