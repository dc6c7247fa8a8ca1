"""In-process checks: the hardened connection itself, and the metrics-table row rules.

The process tests show probes are refused; these show the *connection* refuses the same
statements even with the exporter's SELECT-only guard out of the way.
"""

from __future__ import annotations

import ipaddress
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import duckdb
import pytest
from duckdb_exporter_testlib import tree_digest


@pytest.fixture
def settings(exporter_module: ModuleType, demo_db: Path) -> object:
    return exporter_module.parse_settings({"database": str(demo_db)})


@pytest.fixture
def side_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "side"
    directory.mkdir()
    return directory


STATEMENTS = {
    # sql (formatted with side=<a scratch dir>): the reason classify_query_error gives
    "CREATE TABLE x AS SELECT 1": "read_only",
    "INSERT INTO metrics (name, value) VALUES ('evil', 1)": "read_only",
    "DELETE FROM metrics": "read_only",
    "DROP TABLE metrics": "read_only",
    "CREATE VIEW v AS SELECT 1": "read_only",
    "COPY metrics TO '{side}/x.csv'": "external_access",
    "EXPORT DATABASE '{side}/export'": "external_access",
    "ATTACH '{side}/other.duckdb' AS other": "external_access",
    "INSTALL httpfs": "external_access",
    "LOAD httpfs": "external_access",
    "SELECT * FROM read_csv('/etc/passwd')": "external_access",
    "SELECT * FROM read_text('/etc/hostname')": "external_access",
    "SET enable_external_access = true": "config_locked",
    "SET lock_configuration = false": "config_locked",
    "RESET lock_configuration": "config_locked",
    "PRAGMA enable_external_access = true": "config_locked",
    "SET memory_limit = '8GB'": "config_locked",
    "SET threads = 16": "config_locked",
    "SET temp_directory = '{side}'": "config_locked",
}


@pytest.mark.parametrize("sql", list(STATEMENTS))
def test_hardened_connection_refuses(
    exporter_module: ModuleType,
    settings: object,
    demo_db: Path,
    side_dir: Path,
    sql: str,
) -> None:
    before = tree_digest(demo_db.parent)
    conn = exporter_module.open_read_only(settings)
    try:
        with pytest.raises(duckdb.Error) as refused:
            conn.execute(sql.format(side=side_dir)).fetchall()
        assert exporter_module.classify_query_error(refused.value) == STATEMENTS[sql]
        # Whatever was attempted, file access stays off afterwards.
        with pytest.raises(duckdb.PermissionException):
            conn.execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()
    finally:
        conn.close()
    assert tree_digest(demo_db.parent) == before
    assert list(side_dir.iterdir()) == []


def test_hardened_settings_are_in_force(exporter_module: ModuleType, settings: object) -> None:
    conn = exporter_module.open_read_only(settings)
    try:
        rows = conn.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ("
            "'enable_external_access', 'lock_configuration', 'allow_community_extensions',"
            "'autoload_known_extensions', 'autoinstall_known_extensions',"
            "'allow_persistent_secrets', 'threads', 'memory_limit', 'access_mode')"
        ).fetchall()
    finally:
        conn.close()
    got = dict(rows)
    assert got["enable_external_access"] == "false"
    assert got["lock_configuration"] == "true"
    assert got["allow_community_extensions"] == "false"
    assert got["autoload_known_extensions"] == "false"
    assert got["autoinstall_known_extensions"] == "false"
    assert got["allow_persistent_secrets"] == "false"
    assert got["threads"] == "1"
    assert got["access_mode"] == "read_only"
    assert got["memory_limit"].endswith("MiB") and float(got["memory_limit"].split()[0]) < 65


def test_only_single_selects_pass_the_guard(exporter_module: ModuleType, settings: object) -> None:
    conn = exporter_module.open_read_only(settings)
    try:
        for sql in [
            "SELECT 1",
            "WITH a AS (SELECT 1) SELECT * FROM a",
            "FROM metrics",
            "VALUES (1)",
        ]:
            assert exporter_module.is_single_select(conn, sql), sql
        for sql in [
            "SELECT 1; SELECT 2",
            "PRAGMA database_size",
            "CALL pragma_version()",
            "CREATE TEMP TABLE t AS SELECT 1",
            "EXPLAIN SELECT 1",
            "SET threads = 1",
        ]:
            assert not exporter_module.is_single_select(conn, sql), sql
    finally:
        conn.close()


def test_rows_become_sanitized_gauges(exporter_module: ModuleType) -> None:
    columns = ["NAME", "Value", "labels", "updated_at"]
    rows = [
        ("transaction.success-rate", 0.5, None, None),
        ("p99", Decimal("0.25"), '{"desk": "fx", "bad-key": 2}', None),
        ("p99", 0.75, {"desk": "eq"}, None),
        ("p99", 0.9, {"desk": "eq"}, None),  # duplicate name + labels
        ("no_value", None, None, None),
        ("text_value", "1.0", None, None),
        ("bad_labels", 1, "not json", None),
        ("reserved", 1, {"__name__": "x"}, None),
        (None, 1, None, None),
        ("over_the_limit", 1, None, None),
    ]
    table = exporter_module.parse_rows(columns, rows, max_rows=9)
    assert table.samples == {
        "duckdb_metric_transaction_success_rate": [({}, 0.5)],
        "duckdb_metric_p99": [
            ({"desk": "fx", "bad_key": "2"}, 0.25),
            ({"desk": "eq"}, 0.75),
        ],
    }
    assert table.status == {"exported": 3, "invalid": 5, "duplicate": 1}
    assert table.truncated is True
    with pytest.raises(KeyError):
        exporter_module.parse_rows(["name", "amount"], [("x", 1)], max_rows=10)


def test_defaults_and_table_quoting(exporter_module: ModuleType) -> None:
    settings = exporter_module.parse_settings({"database": "/data/x.duckdb", "metrics_table": "ops.metrics"})
    assert settings.port == 9188 and ipaddress.ip_address(settings.listen_address).is_unspecified
    assert settings.memory_limit == "64MB" and settings.threads == 1 and settings.tls is None
    assert [(p.name, p.sql) for p in settings.probe_queries] == [
        ("metrics_count", 'SELECT count(*) FROM "ops"."metrics"')
    ]
    with pytest.raises(exporter_module.ConfigError, match="metrics_table"):
        exporter_module.parse_settings({"database": "/x", "metrics_table": "m; DROP TABLE m"})
