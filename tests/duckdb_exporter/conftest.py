"""Fixtures for the DuckDB exporter tests: real DuckDB files, the real exporter process."""

from __future__ import annotations

import json
import select
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

# duckdb_exporter_testlib must import in any pytest import mode; the exporter and the demo builder
# import duckdb_snapshot from their own directory (as `python /app/exporter.py` does).
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "exporters" / "duckdb"))

from duckdb_exporter_testlib import (
    EXPORTER,
    EXPORTER_DIR,
    START_TIMEOUT,
    WRITER_CODE,
    Exporter,
    Pki,
    Writer,
    load_module,
    make_pki,
)


@pytest.fixture(scope="session")
def exporter_module() -> ModuleType:
    return load_module("duckdb_exporter_under_test", EXPORTER)


@pytest.fixture(scope="session")
def demo_module() -> ModuleType:
    return load_module("duckdb_make_demo_db_under_test", EXPORTER_DIR / "make_demo_db.py")


@pytest.fixture
def demo_db(tmp_path: Path, demo_module: ModuleType) -> Path:
    """A fresh demo database built from demo_seed.sql, alone in its own directory."""
    directory = tmp_path / "data"
    directory.mkdir()
    path = directory / "demo.duckdb"
    demo_module.create_demo_db(path)
    return path


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def start_exporter(tmp_path: Path) -> Iterator[Callable[..., Exporter]]:
    """Factory: start_exporter(config) -> a running Exporter; every one is killed at the end."""
    started: list[Exporter] = []

    def start(config: dict[str, Any], *, wait: bool = True) -> Exporter:
        index = len(started)
        # JSON here; the YAML test writes its own file and uses start.with_file.
        config_path = tmp_path / f"config-{index}.json"
        config_path.write_text(json.dumps(config), encoding="utf-8")
        return start_with_file(config_path, tls="tls" in config, wait=wait)

    def start_with_file(config_path: Path, *, tls: bool = False, wait: bool = True) -> Exporter:
        log_path = tmp_path / f"exporter-{len(started)}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [sys.executable, str(EXPORTER), "--config", str(config_path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log_file,
                cwd=tmp_path,
            )
        exporter = Exporter(process, log_path, tls=tls)
        started.append(exporter)
        if wait:
            exporter.wait_listening()
        return exporter

    start.with_file = start_with_file  # type: ignore[attr-defined]
    try:
        yield start
    finally:
        for exporter in started:
            if exporter.process.poll() is None:
                exporter.process.kill()
            exporter.process.wait(timeout=10)


@pytest.fixture
def start_writer() -> Iterator[Callable[[Path], Writer]]:
    """Factory: start_writer(path) -> a process holding the file open read-write."""
    writers: list[Writer] = []

    def start(path: Path) -> Writer:
        process = subprocess.Popen(
            [sys.executable, "-c", WRITER_CODE, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        writer = Writer(process)
        writers.append(writer)
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
        line = process.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            writer.stop()
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise AssertionError(f"writer did not start: {line!r} {stderr}")
        return writer

    try:
        yield start
    finally:
        for writer in writers:
            writer.stop()
