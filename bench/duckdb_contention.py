"""Measure DuckDB lock contention: the exporter reading the live file vs reading a published snapshot.

    python -m bench.duckdb_contention [--seconds 20] [--out build/duckdb_contention.json]

Four scenarios, each `--seconds` long (bounded: about 4 x seconds + 30 s in all), with real
processes: a writer (`python -m bench.duckdb_contention writer ...`) writing a batch every
20 ms, the real exporter (`exporters/duckdb/exporter.py`), and this process scraping it every
0.2 s:

| scenario | writer | exporter reads |
|---|---|---|
| live-hold | keeps its connection open | the live file (`database`, the opt-in) |
| live-per-batch | opens, writes, closes every batch | the live file |
| snapshot-hold | keeps its connection open, publishes every 0.5 s | `snapshot_dir` |
| snapshot-per-batch | opens per batch, publishes every 0.5 s before closing | `snapshot_dir` |

Reported per scenario: writer batches and failures ("Could not set lock" and the like), scrapes
and failed scrapes (HTTP error or `duckdb_up` 0), and the snapshot age seen by the scrapes
(median, max). Then the cost of one `publish_snapshot` for a metrics table of 100,000 rows
(median of 9). The tests (tests/duckdb_exporter/test_snapshot_contention.py) run the writer
mode of this module too but assert only counts, never timings.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess  # nosec B404: runs this module and the exporter with fixed arguments
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXPORTER_DIR = REPO / "exporters" / "duckdb"
sys.path.insert(0, str(EXPORTER_DIR))  # duckdb_snapshot.py is written to be vendored: import it as a file

import duckdb  # noqa: E402
from duckdb_snapshot import publish_snapshot  # noqa: E402

BATCH_SECONDS = 0.02
PUBLISH_SECONDS = 0.5
SCRAPE_SECONDS = 0.2
START_TIMEOUT = 15.0

METRICS_DDL = """
CREATE TABLE IF NOT EXISTS metrics (
    name VARCHAR NOT NULL, value DOUBLE NOT NULL, labels MAP(VARCHAR, VARCHAR),
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp);
CREATE TABLE IF NOT EXISTS trades (id BIGINT, symbol VARCHAR, quantity INTEGER, price DOUBLE);
"""


def create_live_database(path: Path) -> None:
    """The trading database: a metrics table the writer keeps up to date, and trading data."""
    with duckdb.connect(str(path)) as conn:
        conn.execute(METRICS_DDL)
        conn.execute(
            "INSERT INTO metrics (name, value) VALUES ('transaction_success_rate', 0.997), "
            "('query_p99_seconds', 0.042), ('writer_batches', 0)"
        )
        conn.execute("INSERT INTO trades SELECT i, 'ACME', 1, 10.0 FROM range(1000) t(i)")
        conn.execute("CHECKPOINT")


def write_batch(conn: duckdb.DuckDBPyConnection, batch: int) -> None:
    """One trading batch: trades in, and the writer's own figures about itself updated."""
    conn.execute("BEGIN TRANSACTION")
    conn.execute("INSERT INTO trades VALUES (?, 'ACME', 1, 10.0)", [1000 + batch])
    conn.execute("UPDATE metrics SET value = ?, updated_at = current_timestamp WHERE name = 'writer_batches'", [batch])
    conn.execute("COMMIT")


@dataclass
class WriterStats:
    batches: int = 0
    failures: int = 0
    publishes: int = 0
    publish_failures: int = 0
    publish_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the first few, for the report


def run_writer(
    mode: str, live: Path, out: Path | None, seconds: float, publish_every: float = PUBLISH_SECONDS
) -> WriterStats:
    """Write a batch every BATCH_SECONDS for `seconds`; publish every `publish_every` s when `out` is set.

    `hold`: one connection for the whole run. `per-batch`: open, write (and publish when due),
    close, every batch. A failed open or write is a writer failure.
    """
    stats = WriterStats()
    deadline = time.monotonic() + seconds
    last_publish = 0.0
    held = duckdb.connect(str(live)) if mode == "hold" else None
    print("ready", flush=True)

    def note(kind: str, exc: BaseException) -> None:
        if len(stats.errors) < 5:
            stats.errors.append(f"{kind}: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}")

    while time.monotonic() < deadline:
        started = time.monotonic()
        stats.batches += 1
        try:
            conn = held or duckdb.connect(str(live))
        except duckdb.Error as exc:
            stats.failures += 1
            note("open", exc)
        else:
            try:
                write_batch(conn, stats.batches)
            except duckdb.Error as exc:
                stats.failures += 1
                note("write", exc)
            if out is not None and started - last_publish >= publish_every:
                last_publish = started
                try:
                    publish_snapshot(conn, out)
                except Exception as exc:  # every failure is counted and reported, whatever it is
                    stats.publish_failures += 1
                    note("publish", exc)
                else:
                    stats.publishes += 1
                    stats.publish_ms.append((time.monotonic() - started) * 1000)
            if held is None:
                conn.close()
        time.sleep(max(0.0, BATCH_SECONDS - (time.monotonic() - started)))
    if held is not None:
        held.close()
    return stats


@dataclass
class ScrapeStats:
    scrapes: int = 0
    failures: int = 0
    ages: list[float] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)


def sample(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def failed_reason(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("duckdb_up_reason{") and line.endswith(" 1.0"):
            return line.split('"')[1]
    return "unknown"


def scrape_loop(url: str, seconds: float, stats: ScrapeStats, stop: threading.Event | None = None) -> None:
    """Scrape `url` (a local exporter) every SCRAPE_SECONDS for `seconds` (or until `stop`); count what fails."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"{url}: expected a local exporter, http://127.0.0.1:<port>/metrics")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (stop and stop.is_set()):
        started = time.monotonic()
        stats.scrapes += 1
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310  # nosec B310 - checked above
                text = response.read().decode()
        except OSError as exc:
            stats.failures += 1
            stats.reasons[type(exc).__name__] = stats.reasons.get(type(exc).__name__, 0) + 1
        else:
            if sample(text, "duckdb_up") != 1:
                stats.failures += 1
                reason = failed_reason(text)
                stats.reasons[reason] = stats.reasons.get(reason, 0) + 1
            age = sample(text, "duckdb_snapshot_age_seconds")
            if age is not None:
                stats.ages.append(age)
        time.sleep(max(0.0, SCRAPE_SECONDS - (time.monotonic() - started)))


class ExporterProcess:
    """The real exporter on 127.0.0.1, a free port, plain HTTP."""

    def __init__(self, config: dict[str, Any], workdir: Path) -> None:
        self.config_path = workdir / "exporter.json"
        self.log_path = workdir / "exporter.log"
        self.config_path.write_text(json.dumps({"listen_address": "127.0.0.1", "port": 0, **config}))
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # nosec B603
                [sys.executable, str(EXPORTER_DIR / "exporter.py"), "--config", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self.port = self._wait_port()

    def _wait_port(self) -> int:
        marker = "listening on 127.0.0.1:"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            for line in self.log_path.read_text(errors="replace").splitlines():
                if marker in line:
                    return int(line.split(marker)[1].split()[0])
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"exporter did not start: {self.log_path.read_text(errors='replace')}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/metrics"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def writer_command(
    mode: str, live: Path, out: Path | None, seconds: float, publish_every: float = PUBLISH_SECONDS
) -> list[str]:
    command = [sys.executable, "-m", "bench.duckdb_contention", "writer", mode, str(live), "--seconds", str(seconds)]
    return command + (["--out", str(out), "--publish-every", str(publish_every)] if out is not None else [])


def start_writer(command: Sequence[str]) -> subprocess.Popen[str]:
    """Start a writer; return once it has opened what it holds (it prints `ready`)."""
    process = subprocess.Popen(  # nosec B603
        list(command), cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    line = process.stdout.readline() if process.stdout is not None else ""
    if line.strip() != "ready":
        process.kill()
        raise RuntimeError(f"writer did not start: {line!r} {process.communicate(timeout=10)[1]}")
    return process


def finish_writer(process: subprocess.Popen[str], timeout: float) -> WriterStats:
    stdout, stderr = process.communicate(timeout=timeout)
    if process.returncode != 0:
        raise RuntimeError(f"writer exited {process.returncode}: {stderr}")
    return WriterStats(**json.loads(stdout.strip().splitlines()[-1]))


def scenario(name: str, seconds: float) -> dict[str, Any]:
    mode = "hold" if name.endswith("hold") else "per-batch"
    snapshot = name.startswith("snapshot")
    with tempfile.TemporaryDirectory(prefix=f"duckdb-{name}-") as tmp:
        live_dir, snap_dir = Path(tmp) / "live", Path(tmp) / "snapshot"
        live_dir.mkdir()
        snap_dir.mkdir()
        live = live_dir / "trading.duckdb"
        create_live_database(live)
        if snapshot:
            with duckdb.connect(str(live)) as conn:  # the first publish, before the exporter starts
                publish_snapshot(conn, snap_dir)
        exporter = ExporterProcess({"snapshot_dir": str(snap_dir)} if snapshot else {"database": str(live)}, Path(tmp))
        try:
            writer = start_writer(writer_command(mode, live, snap_dir if snapshot else None, seconds))
            scrapes = ScrapeStats()
            scrape_loop(exporter.url, seconds, scrapes)
            written = finish_writer(writer, timeout=seconds + 30)
        finally:
            exporter.stop()
    ages = sorted(scrapes.ages)
    publish_ms = sorted(written.publish_ms)
    return {
        "scenario": name,
        "writer_batches": written.batches,
        "writer_failures": written.failures,
        "publishes": written.publishes,
        "publish_failures": written.publish_failures,
        "publish_ms_median": round(statistics.median(publish_ms), 1) if publish_ms else None,
        "scrapes": scrapes.scrapes,
        "failed_scrapes": scrapes.failures,
        "failed_scrape_reasons": scrapes.reasons,
        "snapshot_age_median_s": round(statistics.median(ages), 3) if ages else None,
        "snapshot_age_max_s": round(ages[-1], 3) if ages else None,
        "writer_errors": written.errors,
    }


def publish_cost(rows: int = 100_000, runs: int = 9) -> dict[str, Any]:
    """Milliseconds of one publish_snapshot of a `rows`-row metrics table (median of `runs`)."""
    with tempfile.TemporaryDirectory(prefix="duckdb-publish-cost-") as tmp:
        live, out = Path(tmp) / "trading.duckdb", Path(tmp) / "snapshot"
        out.mkdir()
        with duckdb.connect(str(live)) as conn:
            conn.execute(METRICS_DDL)
            conn.execute(
                "INSERT INTO metrics (name, value, labels) SELECT 'metric_' || (i % 1000), i, "
                "MAP {'shard': (i // 1000)::VARCHAR} FROM range(?) t(i)",
                [rows],
            )
            timings = []
            for _ in range(runs):
                started = time.perf_counter()
                path = publish_snapshot(conn, out)
                timings.append((time.perf_counter() - started) * 1000)
            size = path.stat().st_size
    return {
        "rows": rows,
        "runs": runs,
        "median_ms": round(statistics.median(timings), 1),
        "min_ms": round(min(timings), 1),
        "max_ms": round(max(timings), 1),
        "snapshot_bytes": size,
    }


SCENARIOS = ("live-hold", "live-per-batch", "snapshot-hold", "snapshot-per-batch")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command")
    writer = sub.add_parser("writer", help="run one writer (prints its counts as JSON)")
    writer.add_argument("mode", choices=("hold", "per-batch"))
    writer.add_argument("live", type=Path)
    writer.add_argument("--out", type=Path, help="publish a snapshot here every 0.5 s")
    writer.add_argument("--seconds", type=float, default=20.0)
    writer.add_argument("--publish-every", type=float, default=PUBLISH_SECONDS, help="0: after every batch")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each scenario (at most 60)")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    if args.command == "writer":
        stats = run_writer(args.mode, args.live, args.out, min(args.seconds, 120.0), args.publish_every)
        print(json.dumps(asdict(stats)), flush=True)
        return 0
    seconds = min(max(args.seconds, 1.0), 60.0)
    results: dict[str, Any] = {"seconds": seconds, "cpus": os.cpu_count(), "duckdb": duckdb.__version__}
    results["scenarios"] = [scenario(name, seconds) for name in SCENARIOS]
    results["publish_cost"] = publish_cost()
    text = json.dumps(results, indent=2)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
