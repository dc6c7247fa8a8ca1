"""Writers and the exporter side by side, as real processes on real files: with a published
snapshot neither side ever fails, the exporter never opens the live file, and killing the
writer mid-publish never leaves an unreadable snapshot.

The writers are `python -m bench.duckdb_contention writer ...` (the measuring script's own,
bench/duckdb_contention.py); these tests assert counts only, never timings.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from duckdb_exporter_testlib import Exporter, value

from bench.duckdb_contention import (
    ScrapeStats,
    create_live_database,
    finish_writer,
    publish_snapshot,
    scrape_loop,
    start_writer,
    writer_command,
)

StartExporter = Callable[..., Exporter]
SECONDS = 20.0
KILLS = 20


def snapshot_config(directory: Path) -> dict[str, object]:
    return {"snapshot_dir": os.fspath(directory), "listen_address": "127.0.0.1", "port": 0}


def live_and_snapshot_dirs(root: Path) -> tuple[Path, Path]:
    """The writer's database in one directory, the snapshot (all the exporter is given) in another."""
    live_dir, snap_dir = root / "live", root / "snapshot"
    live_dir.mkdir(parents=True)
    snap_dir.mkdir()
    live = live_dir / "trading.duckdb"
    create_live_database(live)
    with duckdb.connect(str(live)) as conn:
        publish_snapshot(conn, snap_dir)  # the first publish, before the exporter starts
    return live, snap_dir


class OpenFileWatcher(threading.Thread):
    """Samples the exporter's open files (/proc/<pid>/fd) and its directory until stopped."""

    def __init__(self, pid: int, live_dir: Path, snap_dir: Path) -> None:
        super().__init__(daemon=True)
        self.pid, self.live_dir, self.snap_dir = pid, live_dir.resolve(), snap_dir
        self.stop = threading.Event()
        self.samples = 0
        self.opened_live: set[str] = set()
        self.seen_in_snapshot_dir: set[str] = set()

    def run(self) -> None:
        fd_dir = Path(f"/proc/{self.pid}/fd")
        while not self.stop.is_set():
            for fd in list(fd_dir.iterdir()) if fd_dir.exists() else []:
                try:
                    target = os.readlink(fd)
                except OSError:  # closed meanwhile
                    continue
                if target.startswith(str(self.live_dir)):
                    self.opened_live.add(target)
            self.seen_in_snapshot_dir.update(p.name for p in self.snap_dir.iterdir())
            self.samples += 1
            self.stop.wait(0.01)


@pytest.mark.timeout(120)
def test_writers_and_exporter_never_fail_each_other(tmp_path: Path, start_exporter: StartExporter) -> None:
    """A writer keeping its connection open and one opening per batch (each writing every 20 ms and
    publishing every 0.5 s), each beside an exporter scraped every 0.2 s, all at once for 20 s."""
    runs = []
    for mode in ("hold", "per-batch"):
        live, snap_dir = live_and_snapshot_dirs(tmp_path / mode)
        exporter = start_exporter(snapshot_config(snap_dir))
        watcher = OpenFileWatcher(exporter.process.pid, live.parent, snap_dir)
        runs.append((mode, live, snap_dir, exporter, watcher, ScrapeStats()))
    writers = [start_writer(writer_command(mode, live, snap_dir, SECONDS)) for mode, live, snap_dir, *_ in runs]
    scrapers = [threading.Thread(target=scrape_loop, args=(run[3].url, SECONDS, run[5]), daemon=True) for run in runs]
    for thread in [*scrapers, *(run[4] for run in runs)]:
        thread.start()
    results = [finish_writer(writer, timeout=SECONDS + 60) for writer in writers]
    for thread in scrapers:
        thread.join(timeout=30)
    for run in runs:
        run[4].stop.set()
        run[4].join(timeout=10)

    for (mode, live, _snap_dir, exporter, watcher, scrapes), written in zip(runs, results, strict=True):
        where = f"{mode}: writer {written}, scrapes {scrapes}"
        # Enough overlap to have meant something. The floors are far below the 20 s schedule (up to
        # 1,000 batches, 40 publishes, 100 scrapes) because a host at load 13 managed 33 batches.
        assert written.batches >= 20 and written.publishes >= 5, where
        assert written.failures == 0 and written.publish_failures == 0, where
        assert scrapes.scrapes >= 10, where
        assert scrapes.failures == 0, where
        assert len(scrapes.ages) == scrapes.scrapes, where
        # The live file is not in the exporter's directory and never among its open files.
        assert watcher.samples > 100
        assert live.name not in watcher.seen_in_snapshot_dir, where
        assert watcher.seen_in_snapshot_dir <= {"snapshot.duckdb"} | {
            name for name in watcher.seen_in_snapshot_dir if name.startswith(".snapshot-")
        }, watcher.seen_in_snapshot_dir
        assert watcher.opened_live == set(), where
        assert str(live.parent) not in exporter.log()
        # What was published last is what the exporter serves: the writer's own batch count.
        samples = exporter.scrape()
        assert value(samples, "duckdb_metric_writer_batches") >= written.batches - 50, where


@pytest.mark.timeout(180)
def test_kill_9_mid_publish_never_leaves_an_unreadable_snapshot(tmp_path: Path, start_exporter: StartExporter) -> None:
    """A writer publishing back to back (a 50,000-row metrics table) is SIGKILLed after a random
    delay, 20 times: every time the snapshot opens and is whole, and the exporter serves it."""
    live, snap_dir = live_and_snapshot_dirs(tmp_path)
    with duckdb.connect(str(live)) as conn:
        conn.execute("INSERT INTO metrics (name, value) SELECT 'bulk_' || i, i FROM range(50000) t(i)")
        # On a loaded machine a kill can come before the writer's first publish completes: the
        # previous snapshot then stays, so it must already hold the whole table.
        publish_snapshot(conn, snap_dir)
    rows = 50003
    exporter = start_exporter(snapshot_config(snap_dir))
    rng = random.Random(14)  # nosec B311 - test delays, not cryptography
    killed_mid_publish = 0
    last_created = 0.0
    for attempt in range(KILLS):
        writer = start_writer(writer_command("hold", live, snap_dir, 30, publish_every=0))
        time.sleep(rng.uniform(0.05, 0.6))
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
        leftovers = [p.name for p in snap_dir.iterdir() if p.name != "snapshot.duckdb"]
        killed_mid_publish += bool(leftovers)
        with duckdb.connect(str(snap_dir / "snapshot.duckdb"), read_only=True) as snap:
            assert snap.execute("SELECT count(*) FROM metrics").fetchone() == (rows,), attempt
            created = snap.execute("SELECT created_at_seconds FROM _snapshot").fetchone()
        assert created is not None and created[0] >= last_created, attempt  # never an older snapshot
        last_created = created[0]
        samples = exporter.scrape()
        assert value(samples, "duckdb_up") == 1, attempt
        assert value(samples, "duckdb_metrics_table_rows", status="exported") == 1000  # max_rows
    print(f"{killed_mid_publish} of {KILLS} kills landed inside a publish (left a temporary file)")
    # Most kills land inside a publish (it takes most of the writer's time): the test did hit them.
    assert killed_mid_publish >= KILLS // 4, killed_mid_publish
    # The next publish removes what the killed ones left behind.
    with duckdb.connect(str(live)) as conn:
        publish_snapshot(conn, snap_dir)
    assert [p.name for p in snap_dir.iterdir()] == ["snapshot.duckdb"]
