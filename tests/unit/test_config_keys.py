"""One table of config keys (components/stack/keys.py): Pulumi.yaml's `config:` block, the
README reference and the reader's known keys come from it, and the defaults Pulumi.yaml declares are
the ones the code applies."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from components.stack.keys import CONFIG_KEYS, KNOWN_KEYS, SECRET_KEYS
from components.stack.settings import load_settings
from tools import config_schema

SCHEMA: dict[str, dict[str, Any]] = yaml.safe_load(config_schema.PULUMI_YAML.read_text())["config"]
WITH_DEFAULTS = sorted(key for key, spec in SCHEMA.items() if "default" in spec)


def test_pulumi_yaml_config_block_is_generated_from_the_table() -> None:
    current = config_schema.PULUMI_YAML.read_text()
    assert config_schema.render(current) == current, "run `python -m tools.config_schema`"


def test_pulumi_yaml_declares_no_key_the_engine_would_require() -> None:
    """The engine refuses to run a stack lacking any declared key that has no default: only keys with a
    default are declared (the real `pulumi up` failed on all 29 optional ones before this)."""
    assert all("default" in spec for spec in SCHEMA.values())
    assert list(SCHEMA) == [spec.key for spec in CONFIG_KEYS if spec.has_default and spec.declared]


def test_pulumi_yaml_reads_back_as_the_table() -> None:
    for spec in (spec for spec in CONFIG_KEYS if spec.has_default and spec.declared):
        declared = SCHEMA[spec.key]
        assert declared["type"] == spec.type, spec.key
        assert declared["description"] == spec.description, spec.key
        assert bool(declared.get("secret")) is spec.secret, spec.key
        assert declared.get("items", {}).get("type") == spec.items, spec.key
        assert ("default" in declared) is spec.has_default, spec.key
        if spec.has_default:
            assert declared["default"] == spec.default, spec.key


def test_known_and_secret_keys_come_from_the_table() -> None:
    assert set(KNOWN_KEYS) == {spec.key for spec in CONFIG_KEYS}
    assert set(SECRET_KEYS) == {spec.key for spec in CONFIG_KEYS if spec.secret}


def _as_config(value: Any) -> str:
    """A value as `pulumi config` hands it to the program: a string, JSON for lists and objects."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


@pytest.mark.parametrize("key", WITH_DEFAULTS)
def test_pulumi_yaml_defaults_are_the_code_defaults(key: str) -> None:
    """Setting a key to the default Pulumi.yaml declares changes nothing: the code applies the same."""
    unset = load_settings(lambda _: None, "dev")
    explicit = load_settings(lambda k: _as_config(SCHEMA[key]["default"]) if k == key else None, "dev", [key])
    assert explicit == unset


def test_the_settings_reference_is_generated_from_the_declarations() -> None:
    from tools import settings_reference

    page = settings_reference.PAGE.read_text()
    assert page == settings_reference.render(), "run `python -m tools.settings_reference`"
    assert "| `duckdb.snapshotDir` |" in settings_reference.PAGE.read_text()


def test_a_declared_section_reads_its_defaults_from_the_declaration() -> None:
    from components.duckdb.settings import DuckDbConfig

    settings = load_settings({"duckdb": json.dumps({"snapshotDir": "/srv/s"})}.get, "t", ["duckdb"])
    assert settings.duckdb is not None
    declared = DuckDbConfig()
    assert (settings.duckdb.metrics_table, settings.duckdb.memory_limit, settings.duckdb.threads) == (
        declared.metrics_table,
        declared.memory_limit,
        declared.threads,
    )
