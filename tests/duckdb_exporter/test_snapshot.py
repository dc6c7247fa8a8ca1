"""The snapshot helper (exporters/duckdb/duckdb_snapshot.py) on real files, and the real exporter
reading what it publishes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import duckdb
import pytest
from duckdb_exporter_testlib import EXPORTER_DIR, Exporter, names, value

pytestmark = pytest.mark.timeout(60)

StartExporter = Callable[..., Exporter]
HELPER = EXPORTER_DIR / "duckdb_snapshot.py"


@pytest.fixture(scope="session")
def helper() -> ModuleType:
    import duckdb_snapshot  # the file itself, as a team vendoring it would import it (conftest's path)

    return duckdb_snapshot


@pytest.fixture
def live(tmp_path: Path, demo_module: ModuleType) -> Path:
    """The writer's database (demo data: a metrics table and a trades table) in a directory of its own."""
    directory = tmp_path / "live"
    directory.mkdir()
    path = directory / "trading.duckdb"
    demo_module.create_demo_db(path)
    return path


@pytest.fixture
def out(tmp_path: Path) -> Path:
    directory = tmp_path / "snapshot"
    directory.mkdir()
    return directory


def snapshot_config(directory: Path, **extra: object) -> dict[str, object]:
    return {"snapshot_dir": os.fspath(directory), "listen_address": "127.0.0.1", "port": 0, **extra}


def tables_of(path: Path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return {row[0] for row in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def test_publish_copies_only_the_named_tables_and_records_its_time(helper: ModuleType, live: Path, out: Path) -> None:
    before = time.time()
    with duckdb.connect(str(live)) as conn:
        path = helper.publish_snapshot(conn, out)
        # the writer's connection is still usable and unchanged
        assert conn.execute("SELECT count(*) FROM trades").fetchone() == (3,)
        attached = {row[0] for row in conn.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
        assert not any(name.startswith("promshield_snapshot") for name in attached), "the temporary file was detached"
    assert path == out / "snapshot.duckdb"
    assert sorted(p.name for p in out.iterdir()) == ["snapshot.duckdb"], "no temporary file or WAL is left"
    assert tables_of(path) == {"metrics", "_snapshot"}, "trading data (trades) must not be published"
    with duckdb.connect(str(path), read_only=True) as snap:
        created_at, tables, version = snap.execute("SELECT * FROM _snapshot").fetchall()[0]
        assert snap.execute("SELECT count(*) FROM metrics").fetchone() == (7,)
    assert before <= created_at <= time.time()
    assert (tables, version) == ("metrics", duckdb.__version__)


def test_each_publish_replaces_the_file_atomically(helper: ModuleType, live: Path, out: Path) -> None:
    with duckdb.connect(str(live)) as conn:
        first = helper.publish_snapshot(conn, out)
        inode = first.stat().st_ino
        reader = duckdb.connect(str(first), read_only=True)  # a scrape in progress keeps its file
        conn.execute("UPDATE metrics SET value = 0.5 WHERE name = 'transaction_success_rate'")
        helper.publish_snapshot(conn, out)
    assert first.stat().st_ino != inode, "a new file was renamed into place"
    assert reader.execute("SELECT value FROM metrics WHERE name = 'transaction_success_rate'").fetchone() == (0.997,)
    reader.close()
    with duckdb.connect(str(first), read_only=True) as snap:
        assert snap.execute("SELECT value FROM metrics WHERE name = 'transaction_success_rate'").fetchone() == (0.5,)


def test_a_failed_publish_keeps_the_previous_snapshot(helper: ModuleType, live: Path, out: Path) -> None:
    with duckdb.connect(str(live)) as conn:
        path = helper.publish_snapshot(conn, out)
        content = path.read_bytes()
        with pytest.raises(helper.SnapshotError, match="copy failed"):
            helper.publish_snapshot(conn, out, ("metrics", "no_such_table"))
        conn.execute("BEGIN TRANSACTION")
        with pytest.raises(helper.SnapshotError, match="open transaction"):
            helper.publish_snapshot(conn, out)
        conn.execute("ROLLBACK")
        for bad in ([], "metrics", ["_snapshot"], ["metrics; DROP TABLE trades"], ["metrics", "METRICS"]):
            with pytest.raises(ValueError, match="tables"):
                helper.publish_snapshot(conn, out, bad)
        assert conn.execute("SELECT count(*) FROM trades").fetchone() == (3,)
    assert path.read_bytes() == content
    assert sorted(p.name for p in out.iterdir()) == ["snapshot.duckdb"]


def test_leftovers_of_a_crashed_publish_are_removed(helper: ModuleType, live: Path, out: Path) -> None:
    leftovers = [out / ".snapshot-123-abc.tmp", out / ".snapshot-123-abc.tmp.wal"]
    for path in leftovers:
        path.write_bytes(b"half a database")
    (out / "unrelated.txt").write_text("kept")
    with duckdb.connect(str(live)) as conn:
        helper.publish_snapshot(conn, out)
    assert sorted(p.name for p in out.iterdir()) == ["snapshot.duckdb", "unrelated.txt"]


def test_the_command_publishes_once_and_refuses_bad_tables(live: Path, out: Path) -> None:
    run = [sys.executable, str(HELPER), "--database", str(live), "--out", str(out)]
    done = subprocess.run([*run, "--tables", "metrics,trades"], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert tables_of(out / "snapshot.duckdb") == {"metrics", "trades", "_snapshot"}
    bad = subprocess.run([*run, "--tables", "x;y"], capture_output=True, text=True, timeout=30, check=False)
    assert bad.returncode == 2 and "not a plain table name" in bad.stderr
    missing = subprocess.run([*run, "--tables", "nope"], capture_output=True, text=True, timeout=30, check=False)
    assert missing.returncode == 1 and "publish failed" in missing.stderr


def test_exporter_reads_the_snapshot_and_its_age(
    helper: ModuleType, live: Path, out: Path, start_exporter: StartExporter
) -> None:
    with duckdb.connect(str(live)) as conn:
        helper.publish_snapshot(conn, out)
    exporter = start_exporter(snapshot_config(out))
    time.sleep(0.3)
    samples = exporter.scrape()
    assert value(samples, "duckdb_up") == 1
    assert value(samples, "duckdb_metric_transaction_success_rate") == pytest.approx(0.997)
    assert value(samples, "duckdb_metric_query_p99_seconds") == pytest.approx(0.042)
    assert 0.3 <= value(samples, "duckdb_snapshot_age_seconds") < 30
    assert value(samples, "duckdb_probe_success", probe="metrics_count") == 1
    assert value(samples, "duckdb_exporter_info", duckdb_version=duckdb.__version__, source="snapshot") == 1
    assert value(samples, "duckdb_database_size_bytes") == (out / "snapshot.duckdb").stat().st_size
    # A probe can only see what was published: the trading data is not there.
    assert "scrape errors" not in exporter.log()


def test_exporter_before_the_first_publish_and_with_a_foreign_file(
    helper: ModuleType, live: Path, out: Path, start_exporter: StartExporter, demo_module: ModuleType
) -> None:
    probe = [{"name": "trades", "sql": "SELECT count(*) FROM trades"}]
    exporter = start_exporter(snapshot_config(out, probe_queries=probe))
    missing = exporter.scrape()
    assert value(missing, "duckdb_up") == 0
    assert value(missing, "duckdb_up_reason", reason="missing") == 1
    assert "duckdb_snapshot_age_seconds" not in names(missing)
    assert list(out.iterdir()) == [], "a read-only open must not create the file"

    # A copy of the live file dropped in is not a snapshot (no _snapshot table): refused.
    demo_module.create_demo_db(out / "snapshot.duckdb")
    foreign = exporter.scrape()
    assert value(foreign, "duckdb_up") == 0
    assert value(foreign, "duckdb_up_reason", reason="snapshot_metadata") == 1
    assert "duckdb_metric_transaction_success_rate" not in names(foreign)

    with duckdb.connect(str(live)) as conn:
        helper.publish_snapshot(conn, out)
    published = exporter.scrape()
    assert value(published, "duckdb_up") == 1
    # The trades table was not published, so a probe reading it fails: the exporter sees no trading data.
    assert value(published, "duckdb_probe_success", probe="trades") == 0
    assert value(published, "duckdb_query_errors_total", probe="trades", reason="catalog") == 1


def test_the_demo_seeder_publishes_a_snapshot_only(tmp_path: Path, start_exporter: StartExporter) -> None:
    demo = tmp_path / "demo"
    demo.mkdir()
    command = [sys.executable, str(EXPORTER_DIR / "make_demo_db.py"), "--snapshot-dir", str(demo), "--if-missing"]
    for expected in ("created", "kept existing"):
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
        assert done.returncode == 0 and done.stdout.startswith(expected), done.stderr
    assert sorted(p.name for p in demo.iterdir()) == ["snapshot.duckdb"]
    assert tables_of(demo / "snapshot.duckdb") == {"metrics", "_snapshot"}
    samples = start_exporter(snapshot_config(demo)).scrape()
    assert value(samples, "duckdb_up") == 1
    assert value(samples, "duckdb_metric_open_positions", desk="fx") == 17


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "set exactly one of snapshot_dir"),
        ({"snapshot_dir": "/data", "database": "/data/x.duckdb"}, "set exactly one of snapshot_dir"),
        ({"snapshot_dir": "data"}, "snapshot_dir: must be an absolute path"),
        ({"snapshot_dir": "/data", "snapshot": False}, "snapshot: unknown key"),
    ],
)
def test_snapshot_config_errors(exporter_module: ModuleType, raw: dict[str, object], message: str) -> None:
    with pytest.raises(exporter_module.ConfigError, match=message):
        exporter_module.parse_settings(raw)
