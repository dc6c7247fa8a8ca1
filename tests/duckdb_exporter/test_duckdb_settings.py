"""The stack's DuckDB settings reach the real exporter: what components/duckdb renders, exporters/duckdb parses."""

from __future__ import annotations

import json
from types import ModuleType

import yaml

from components.duckdb.render import render_exporter_config
from components.stack.settings import load_settings


def _rendered(duckdb: dict[str, object]) -> dict[str, object]:
    raw = {"duckdb": json.dumps({"snapshotDir": "/srv/trading/duckdb-snapshots", **duckdb})}
    settings = load_settings(raw.get, "test", raw.keys())
    assert settings.duckdb is not None
    parsed = yaml.safe_load(render_exporter_config(settings.duckdb))
    assert isinstance(parsed, dict)
    return parsed


def test_query_timeout_reaches_the_exporter(exporter_module: ModuleType) -> None:
    rendered = _rendered({"queryTimeoutSeconds": 7.5})
    assert exporter_module.parse_settings(rendered).query_timeout_seconds == 7.5


def test_without_query_timeout_the_exporter_keeps_its_default(exporter_module: ModuleType) -> None:
    rendered = _rendered({})
    assert "query_timeout_seconds" not in rendered  # the stacks that do not set it render exactly as before
    assert exporter_module.parse_settings(rendered).query_timeout_seconds == 2.0
