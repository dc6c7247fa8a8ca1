"""Publish a snapshot of chosen DuckDB tables for the promshield exporter to read.

DuckDB allows one read-write process *or* any number of read-only ones per file, so a
monitoring process that opens the trading database makes the writer's opens fail (and fails
itself while the writer holds the file). Instead the writer copies the tables monitoring may
see into a separate file, from inside its own connection, and the exporter reads only that:

    import duckdb_snapshot
    conn = duckdb.connect("/srv/trading/trading.duckdb")      # the writer's own connection
    duckdb_snapshot.publish_snapshot(conn, "/srv/trading/monitoring")   # e.g. after each batch

Standard library and ``duckdb`` only, so teams can vendor this one file. A publish:

1. removes temporary files a crashed publish left behind (``.snapshot-*.tmp``);
2. ``ATTACH``es a new temporary file in the directory and, in one transaction of the writer's
   connection, copies each named table (``CREATE TABLE snap.<t> AS SELECT * FROM main.<t>``)
   and writes the ``_snapshot`` table (one row: ``created_at_seconds``, the Unix time the copy
   began, ``tables``, ``duckdb_version``), then ``DETACH``es it (no WAL is left);
3. fsyncs the file, renames it over ``<directory>/snapshot.duckdb`` (atomic on POSIX) and
   fsyncs the directory.

A crash at any point leaves the previous ``snapshot.duckdb`` intact (the rename is the only
step that touches it), plus at most one temporary file that the next publish removes. One
publisher per directory: a second one would remove the first one's temporary file.

As a command (for a writer that opens the file per batch, a cron job or seeding a demo)::

    python duckdb_snapshot.py --database LIVE.duckdb --out DIR [--tables metrics] [--every SECONDS]

The command is a second process: it opens the live file read-only for the length of one copy,
so a writer that keeps the file open makes it fail (it logs and retries at the next interval)
and a writer opening the file during a copy fails. Prefer calling ``publish_snapshot`` from the
writer itself.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import secrets
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb

SNAPSHOT_FILE = "snapshot.duckdb"
META_TABLE = "_snapshot"
TEMP_PREFIX = ".snapshot-"
TEMP_SUFFIX = ".tmp"
DEFAULT_TABLES = ("metrics",)

LOG = logging.getLogger("duckdb_snapshot")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SnapshotError(RuntimeError):
    """The publish did not happen; the previous snapshot is untouched."""


def _validated_tables(tables: Iterable[str]) -> tuple[str, ...]:
    names = tuple(tables)
    if isinstance(tables, str) or not names:
        raise ValueError("tables: expected a non-empty sequence of table names, e.g. ('metrics',)")
    for name in names:
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise ValueError(f"tables: {name!r} is not a plain table name (letters, digits, _)")
        if name.lower() == META_TABLE:
            raise ValueError(f"tables: {META_TABLE} is the snapshot's own metadata table")
    if len({name.lower() for name in names}) != len(names):
        raise ValueError(f"tables: duplicate names in {names!r}")
    return names


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Remove what a crashed publish left in ``directory`` (its temporary file and any WAL)."""
    removed = []
    for path in directory.iterdir():
        if path.name.startswith(TEMP_PREFIX) and TEMP_SUFFIX in path.name:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def _fsync_path(path: Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if directory else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def publish_snapshot(
    connection: duckdb.DuckDBPyConnection,
    directory: str | os.PathLike[str],
    tables: Sequence[str] = DEFAULT_TABLES,
) -> Path:
    """Copy ``tables`` from the connection's database into ``<directory>/snapshot.duckdb``.

    Runs inside the caller's connection (no other process opens the live file) and must not be
    called inside an open transaction. Returns the snapshot's path. Raises ``SnapshotError``
    (the previous snapshot stays) when a table is missing or the copy fails.
    """
    names = _validated_tables(tables)
    target_dir = Path(directory)
    if not target_dir.is_dir():
        raise SnapshotError(f"{target_dir}: not a directory")
    remove_stale_temporaries(target_dir)
    token = secrets.token_hex(8)
    temp = target_dir / f"{TEMP_PREFIX}{os.getpid()}-{token}{TEMP_SUFFIX}"
    alias = f"promshield_snapshot_{token}"
    created_at = time.time()  # the copy reads the data as of (just after) this instant
    try:
        connection.execute(f"ATTACH {_sql_string(str(temp))} AS {alias}")
    except duckdb.Error as exc:
        remove_stale_temporaries(target_dir)
        raise SnapshotError(f"cannot create {temp}: {exc}") from exc
    attached = True
    try:
        try:
            connection.execute("BEGIN TRANSACTION")
        except duckdb.TransactionException as exc:
            raise SnapshotError("publish_snapshot must not be called inside an open transaction") from exc
        try:
            for name in names:  # identifiers validated by _IDENTIFIER, then quoted
                copy = f'CREATE TABLE {alias}."{name}" AS SELECT * FROM main."{name}"'  # noqa: S608  # nosec B608
                connection.execute(copy)
            connection.execute(
                f"CREATE TABLE {alias}.{META_TABLE} "
                "(created_at_seconds DOUBLE NOT NULL, tables VARCHAR NOT NULL, duckdb_version VARCHAR NOT NULL)"
            )
            connection.execute(
                f"INSERT INTO {alias}.{META_TABLE} VALUES (?, ?, ?)",  # noqa: S608  # nosec B608
                [created_at, ",".join(names), duckdb.__version__],
            )
            connection.execute("COMMIT")
        except duckdb.Error as exc:
            with contextlib.suppress(duckdb.Error):
                connection.execute("ROLLBACK")
            raise SnapshotError(f"copy failed: {exc}") from exc
        connection.execute(f"DETACH {alias}")  # closes the file; with no WAL left beside it
        attached = False
        _fsync_path(temp)
        final = target_dir / SNAPSHOT_FILE
        os.replace(temp, final)  # the one step that changes what readers see
        _fsync_path(target_dir, directory=True)  # the rename itself survives a power loss
        return final
    finally:
        if attached:
            with contextlib.suppress(duckdb.Error):
                connection.execute(f"DETACH {alias}")
        remove_stale_temporaries(target_dir)


def publish_from_file(database: Path, out: Path, tables: Sequence[str]) -> Path:
    """Open ``database`` read-only for one copy (the command's way: a second process)."""
    with duckdb.connect(":memory:") as conn:
        conn.execute(f"ATTACH {_sql_string(str(database))} AS live (READ_ONLY)")
        conn.execute("USE live")
        return publish_snapshot(conn, out, tables)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Publish a snapshot of DuckDB tables for the promshield exporter.")
    parser.add_argument("--database", type=Path, required=True, help="the live .duckdb file (opened read-only)")
    parser.add_argument("--out", type=Path, required=True, help="directory receiving snapshot.duckdb")
    parser.add_argument("--tables", default=",".join(DEFAULT_TABLES), help="comma-separated tables to copy")
    parser.add_argument("--every", type=float, default=0.0, help="publish every SECONDS until stopped (0: once)")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    tables = tuple(name.strip() for name in args.tables.split(",") if name.strip())
    try:
        _validated_tables(tables)
    except ValueError as exc:
        LOG.error("%s", exc)
        return 2
    while True:
        started = time.monotonic()
        try:
            path = publish_from_file(args.database, args.out, tables)
        except (SnapshotError, duckdb.Error, OSError) as exc:
            LOG.warning("publish failed: %s", (str(exc).splitlines() or [""])[0][:300])
            if args.every <= 0:
                return 1
        else:
            LOG.info("published %s in %.1f ms", path, (time.monotonic() - started) * 1000)
            if args.every <= 0:
                return 0
        time.sleep(max(0.0, args.every - (time.monotonic() - started)))


if __name__ == "__main__":
    sys.exit(main())
