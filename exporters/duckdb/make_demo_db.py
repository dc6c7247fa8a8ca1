"""Create the demo DuckDB database from demo_seed.sql, or publish a snapshot of it.

    python make_demo_db.py /data/demo.duckdb [--sql demo_seed.sql] [--force]
    python make_demo_db.py --snapshot-dir /data [--if-missing]

The first form writes the demo database itself (refusing to overwrite an existing file unless
--force is given); the seed ends with a CHECKPOINT, so the result is a single self-contained
file (no .wal left behind). The second form is what the dev stack's one-shot seeder runs: it
builds the demo database in memory and publishes only its `metrics` table, with
duckdb_snapshot.py, as `<dir>/snapshot.duckdb`, so the demo volume holds what a real writer
would publish and nothing else. It is static demo data: nothing republishes it, so its
`duckdb_snapshot_age_seconds` grows from the first deployment on.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb
from duckdb_snapshot import SNAPSHOT_FILE, SnapshotError, publish_snapshot

DEFAULT_SQL = Path(__file__).with_name("demo_seed.sql")


def create_demo_db(path: Path, sql_path: Path = DEFAULT_SQL, force: bool = False) -> None:
    """Write a fresh database at ``path`` from the statements in ``sql_path``."""
    if path.exists():
        if not force:
            raise FileExistsError(f"{path} exists (use --force to replace it)")
        path.unlink()
        Path(f"{path}.wal").unlink(missing_ok=True)
    sql = sql_path.read_text(encoding="utf-8")
    with duckdb.connect(str(path)) as conn:
        conn.execute(sql)


def publish_demo_snapshot(directory: Path, sql_path: Path = DEFAULT_SQL) -> Path:
    """Build the demo database in memory and publish its metrics table into ``directory``."""
    with duckdb.connect(":memory:") as conn:
        conn.execute(sql_path.read_text(encoding="utf-8"))
        return publish_snapshot(conn, directory, ("metrics",))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("database", type=Path, nargs="?", help="path of the .duckdb file to create")
    parser.add_argument("--snapshot-dir", type=Path, help="publish a snapshot of the demo data into this directory")
    parser.add_argument("--sql", type=Path, default=DEFAULT_SQL, help="seed SQL file")
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    parser.add_argument("--if-missing", action="store_true", help="keep an existing file and succeed (idempotent seeding)")
    args = parser.parse_args(argv)
    if (args.database is None) == (args.snapshot_dir is None):
        parser.error("give either a database path or --snapshot-dir")
    target = args.database if args.database is not None else args.snapshot_dir / SNAPSHOT_FILE
    if args.if_missing and target.exists():
        print(f"kept existing {target}")
        return 0
    try:
        if args.snapshot_dir is not None:
            publish_demo_snapshot(args.snapshot_dir, args.sql)
        else:
            create_demo_db(args.database, args.sql, args.force)
    except (OSError, duckdb.Error, SnapshotError) as exc:
        print(f"make_demo_db: {exc}", file=sys.stderr)
        return 1
    print(f"created {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
