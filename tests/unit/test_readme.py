"""The README's generated sections (roles, configuration, runbooks) match their sources."""

from __future__ import annotations

import re
from pathlib import Path

from tools import readme

ROOT = Path(__file__).resolve().parents[2]


def test_generated_sections_are_current() -> None:
    current = readme.README.read_text()
    assert readme.render(current) == current, "run `python -m tools.readme`"


def test_every_config_key_is_documented() -> None:
    """The README's reference lists every key (Pulumi.yaml declares only those with a default:
    tests/unit/test_config_keys.py)."""
    from components.stack.keys import KNOWN_KEYS

    text = readme.README.read_text()
    assert all(f"`{key}`" in text for key in KNOWN_KEYS)


def test_readme_names_the_two_commands_and_ci_runs_make_test() -> None:
    text = readme.README.read_text()
    assert "make up" in text and "make test" in text
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.MULTILINE)


def test_every_alert_has_a_runbook_anchor_in_the_readme() -> None:
    from components.prometheus.rules import alert_names

    text = readme.README.read_text()
    for name in alert_names():
        assert f"### Runbook: {name}" in text, name


def test_the_readme_shows_the_error_the_code_prints() -> None:
    """The configuration reference's example is the program's own output for those three mistakes."""
    import json

    from components.core.settings import SettingsError
    from components.stack.settings import load_settings

    config = {
        "prometheusPort": "70000",
        "bindAddress": "0.0.0.0",
        "images": json.dumps({"prometheus": "prom/prometheus:latest"}),
    }
    try:
        load_settings(config.get, "dev", config.keys())
    except SettingsError as error:
        printed = f"error: {error}"
    assert f"```\n{printed}\n```" in readme.README.read_text()


def test_the_configuration_table_shows_the_code_defaults() -> None:
    """Each default in the README's table is the value the program uses when the key is unset
    (read back from `Settings`), spelt as one token: no YAML document-end marker, no newline."""
    import json

    from components.stack.settings import load_settings

    text = readme.README.read_text()
    table = text[text.index("<!-- BEGIN config -->") : text.index("<!-- END config -->")]
    rows = re.findall(r"^\| `(\w+)` \| \w+ \| `([^`]*)` \|", table, flags=re.MULTILINE)
    assert len(rows) >= 10
    unset = load_settings(lambda _key: None, "readme")
    for key, shown in rows:
        assert "..." not in shown and "\\n" not in shown, (key, shown)
        used = getattr(unset, re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower())
        expected = json.dumps(list(used)) if isinstance(used, tuple) else readme._shown(used)
        assert shown == expected, f"README says {key} defaults to {shown}, the code uses {expected}"
