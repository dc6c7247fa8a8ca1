"""The real exporter process against real DuckDB files, scraped over HTTP(S)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from duckdb_exporter_testlib import (
    EXPORTER,
    Exporter,
    Pki,
    Writer,
    base_config,
    client_context,
    names,
    tree_digest,
    value,
)

pytestmark = pytest.mark.timeout(60)

StartExporter = Callable[..., Exporter]


def test_demo_database_is_exported(demo_db: Path, start_exporter: StartExporter) -> None:
    exporter = start_exporter(base_config(demo_db))
    first = exporter.scrape()
    second = exporter.scrape()

    assert value(second, "duckdb_up") == 1
    assert all(value(second, "duckdb_up_reason", reason=r) == 0 for r in ("locked", "missing"))
    assert value(second, "duckdb_metric_transaction_success_rate") == pytest.approx(0.997)
    assert value(second, "duckdb_metric_query_p99_seconds") == pytest.approx(0.042)
    assert value(second, "duckdb_metric_trades_executed") == 125000
    assert value(second, "duckdb_metric_open_positions", desk="equities") == 42
    assert value(second, "duckdb_metric_open_positions", desk="fx") == 17
    assert value(second, "duckdb_metrics_table_rows", status="exported") == 7
    assert value(second, "duckdb_database_size_bytes") == demo_db.stat().st_size
    assert time.time() - value(second, "duckdb_last_success_timestamp_seconds") < 30
    # The default probe ran once per scrape and is in the histogram.
    assert value(first, "duckdb_probe_duration_seconds_count", probe="metrics_count") == 1
    assert value(second, "duckdb_probe_duration_seconds_count", probe="metrics_count") == 2
    assert (
        value(
            second,
            "duckdb_probe_duration_seconds_bucket",
            probe="metrics_count",
            le="+Inf",
        )
        == 2
    )
    assert value(second, "duckdb_probe_success", probe="metrics_count") == 1
    assert value(second, "duckdb_query_errors_total", probe="metrics_count", reason="error") == 0
    assert not any(name.endswith("_created") for name in names(second))
    assert "scrape errors" not in exporter.log()
    # SIGTERM (docker stop) ends it cleanly.
    assert exporter.stop() == 0


def test_scrape_releases_the_file(
    demo_db: Path, start_exporter: StartExporter, start_writer: Callable[[Path], Writer]
) -> None:
    exporter = start_exporter(base_config(demo_db))
    assert value(exporter.scrape(), "duckdb_up") == 1
    # Between scrapes the exporter holds no lock: a writer can open the file read-write.
    writer = start_writer(demo_db)
    writer.stop()


def test_locked_by_writer_then_recovers(
    demo_db: Path, start_exporter: StartExporter, start_writer: Callable[[Path], Writer]
) -> None:
    exporter = start_exporter(base_config(demo_db))
    writer = start_writer(demo_db)

    started = time.monotonic()
    locked = exporter.scrape()
    assert time.monotonic() - started < 3, "a locked file must not block the scrape"
    assert value(locked, "duckdb_up") == 0
    assert value(locked, "duckdb_up_reason", reason="locked") == 1
    assert value(locked, "duckdb_up_reason", reason="corrupt") == 0
    assert value(locked, "duckdb_probe_success", probe="metrics_count") == 0
    assert "duckdb_metric_transaction_success_rate" not in names(locked)
    assert "reason=locked" in exporter.log()

    writer.stop()
    recovered = exporter.scrape()
    assert value(recovered, "duckdb_up") == 1
    assert value(recovered, "duckdb_up_reason", reason="locked") == 0
    assert value(recovered, "duckdb_metric_transaction_success_rate") == pytest.approx(0.997)


def test_missing_file_then_created(tmp_path: Path, demo_module: object, start_exporter: StartExporter) -> None:
    path = tmp_path / "later.duckdb"
    exporter = start_exporter(base_config(path))

    missing = exporter.scrape()
    assert value(missing, "duckdb_up") == 0
    assert value(missing, "duckdb_up_reason", reason="missing") == 1
    assert "duckdb_database_size_bytes" not in names(missing)
    assert not path.exists(), "a read-only open must not create the file"
    assert exporter.log().count("reason=missing") == 1  # one line per failed scrape

    demo_module.create_demo_db(path)  # type: ignore[attr-defined]
    present = exporter.scrape()
    assert value(present, "duckdb_up") == 1
    assert value(present, "duckdb_up_reason", reason="missing") == 0


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(256 * 1024))


def _damaged_block(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for offset in range(3 * 4096, len(data)):  # keep the headers, spoil every block
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_random_bytes, _damaged_block], ids=["random", "checksum"])
def test_corrupt_file(demo_db: Path, start_exporter: StartExporter, damage: Callable[[Path], None]) -> None:
    damage(demo_db)
    before = tree_digest(demo_db.parent)
    exporter = start_exporter(base_config(demo_db))

    for _ in range(2):  # keeps serving
        samples = exporter.scrape()
        assert value(samples, "duckdb_up") == 0
        assert value(samples, "duckdb_up_reason", reason="corrupt") == 1
    assert exporter.process.poll() is None
    assert tree_digest(demo_db.parent) == before


WRITE_ATTEMPTS = {
    # name: (sql, reason it is refused with)
    "create_table": ("CREATE TABLE x AS SELECT 1", "not_a_select"),
    "insert": ("INSERT INTO metrics (name, value) VALUES ('evil', 1)", "not_a_select"),
    "update": ("UPDATE metrics SET value = 0", "not_a_select"),
    "copy_out": ("COPY metrics TO '{out}'", "not_a_select"),
    "export": ("EXPORT DATABASE '{outdir}'", "not_a_select"),
    "attach": ("ATTACH '{attach}' AS other", "not_a_select"),
    "install": ("INSTALL httpfs", "not_a_select"),
    "set_access": ("SET enable_external_access = true", "not_a_select"),
    "checkpoint": ("CHECKPOINT", "not_a_select"),
    "stacked": ("SELECT 1; DROP TABLE metrics", "not_a_select"),
    "read_csv": ("SELECT * FROM read_csv('/etc/passwd')", "external_access"),
    "read_text": ("SELECT * FROM read_text('/etc/hostname')", "external_access"),
    "glob": ("SELECT * FROM glob('/etc/*')", "external_access"),
    "select_into_copy": ("SELECT * FROM (COPY metrics TO '{out}')", "syntax"),
}


def test_write_attempts_are_refused_and_counted(demo_db: Path, tmp_path: Path, start_exporter: StartExporter) -> None:
    out = tmp_path / "out"
    out.mkdir()
    paths = {
        "out": out / "x.csv",
        "outdir": out / "export",
        "attach": out / "other.duckdb",
    }
    probes = [{"name": "metrics_count", "sql": "SELECT count(*) FROM metrics"}]
    probes += [{"name": name, "sql": sql.format(**paths)} for name, (sql, _) in WRITE_ATTEMPTS.items()]
    before = tree_digest(demo_db.parent)
    exporter = start_exporter(base_config(demo_db, probe_queries=probes))

    exporter.scrape()
    samples = exporter.scrape()

    assert value(samples, "duckdb_up") == 1
    assert value(samples, "duckdb_probe_success", probe="metrics_count") == 1
    for name, (_, reason) in WRITE_ATTEMPTS.items():
        assert value(samples, "duckdb_probe_success", probe=name) == 0, name
        assert value(samples, "duckdb_query_errors_total", probe=name, reason=reason) == 2, name
    assert tree_digest(demo_db.parent) == before, "the database directory changed"
    assert list(out.iterdir()) == [], "a probe wrote a file"
    with duckdb.connect(str(demo_db), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM metrics").fetchone() == (7,)
    scrape_lines = [line for line in exporter.log().splitlines() if "scrape errors" in line]
    assert len(scrape_lines) == 2  # one line per scrape, not per probe
    assert "insert:not_a_select" in scrape_lines[0]


def test_logs_never_contain_values(demo_db: Path, start_exporter: StartExporter) -> None:
    with duckdb.connect(str(demo_db)) as conn:
        conn.execute("CREATE TABLE secrets AS SELECT 'hunter2-s3cr3t' AS s")
        conn.execute("CHECKPOINT")
    # The conversion error's message quotes the value; the exporter must not log it.
    probe = {"name": "leaky", "sql": "SELECT CAST(s AS INTEGER) FROM secrets"}
    exporter = start_exporter(base_config(demo_db, probe_queries=[probe]))
    samples = exporter.scrape()
    assert value(samples, "duckdb_query_errors_total", probe="leaky", reason="error") == 1
    log = exporter.log()
    assert "leaky:error" in log
    assert "hunter2" not in log


def test_slow_probe_is_interrupted(demo_db: Path, start_exporter: StartExporter) -> None:
    slow = "SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b"
    config = base_config(
        demo_db,
        query_timeout_seconds=0.5,
        probe_queries=[
            {"name": "slow", "sql": slow},
            {"name": "fast", "sql": "SELECT 1"},
        ],
    )
    exporter = start_exporter(config)
    started = time.monotonic()
    samples = exporter.scrape()
    assert time.monotonic() - started < 4
    assert value(samples, "duckdb_up") == 1
    assert value(samples, "duckdb_query_errors_total", probe="slow", reason="timeout") == 1
    assert value(samples, "duckdb_probe_duration_seconds_sum", probe="slow") >= 0.5
    # The query after the interrupted one still runs.
    assert value(samples, "duckdb_probe_success", probe="fast") == 1


def test_yaml_config_and_missing_metrics_table(tmp_path: Path, start_exporter: StartExporter) -> None:
    path = tmp_path / "plain.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE other AS SELECT 1 AS x")
    config = tmp_path / "config.yml"
    lines = [
        f"database: {path}",
        "listen_address: 127.0.0.1",
        "port: 0",
        "probe_queries:",
        "  - name: other",
        "    sql: SELECT count(*) FROM other",
    ]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    exporter = start_exporter.with_file(config)  # type: ignore[attr-defined]
    samples = exporter.scrape()
    assert value(samples, "duckdb_up") == 0
    assert value(samples, "duckdb_up_reason", reason="metrics_table") == 1
    assert value(samples, "duckdb_probe_success", probe="other") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("database: relative.duckdb\n", "database: must be an absolute path"),
        ("database: /x.duckdb\nbogus: 1\n", "bogus: unknown key"),
        ("database: /x.duckdb\nmemory_limit: lots\n", "memory_limit/threads"),
        (
            "database: /x.duckdb\nprobe_queries: [{name: 'a b', sql: 'SELECT 1'}]\n",
            "name",
        ),
        ("database: /x.duckdb\ntls: {cert_file: /a}\n", "tls: must have exactly"),
    ],
)
def test_bad_config_exits_with_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "bad.yml"
    config.write_text(content, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(EXPORTER), "--config", str(config)],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- TLS ------------------------------------------------------------------------------------


def _tls_config(demo_db: Path, pki: Pki) -> dict[str, object]:
    return base_config(
        demo_db,
        tls={
            "cert_file": str(pki.server_cert),
            "key_file": str(pki.server_key),
            "client_ca_file": str(pki.ca_cert),
        },
    )


def test_tls_requires_a_client_certificate_from_the_ca(demo_db: Path, pki: Pki, start_exporter: StartExporter) -> None:
    exporter = start_exporter(_tls_config(demo_db, pki))

    with pytest.raises(OSError):  # no client certificate
        exporter.get(client_context(pki))
    with pytest.raises(OSError):  # a certificate from another CA
        exporter.get(client_context(pki, pki.rogue_cert, pki.rogue_key))
    with pytest.raises(OSError):  # plain HTTP on the TLS port
        Exporter(exporter.process, exporter.log_path, tls=False, port=exporter.port).get()

    samples = exporter.scrape(client_context(pki, pki.client_cert, pki.client_key))
    assert value(samples, "duckdb_up") == 1
    assert value(samples, "duckdb_metric_transaction_success_rate") == pytest.approx(0.997)
    assert "tls handshake refused" in exporter.log()


def test_tls_stalled_handshake_does_not_block_scrapes(demo_db: Path, pki: Pki, start_exporter: StartExporter) -> None:
    exporter = start_exporter(_tls_config(demo_db, pki))
    # A client that connects and never says anything must not stall everyone else.
    with socket.create_connection(("127.0.0.1", exporter.port), timeout=5):
        started = time.monotonic()
        samples = exporter.scrape(client_context(pki, pki.client_cert, pki.client_key))
        assert time.monotonic() - started < 3
    assert value(samples, "duckdb_up") == 1
