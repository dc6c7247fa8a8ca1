"""Create the demo DuckDB database from demo_seed.sql.

    python make_demo_db.py /data/demo.duckdb [--sql demo_seed.sql] [--force]

Refuses to overwrite an existing file unless --force is given. The seed ends with a
CHECKPOINT, so the result is a single self-contained file (no .wal left behind).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("database", type=Path, help="path of the .duckdb file to create")
    parser.add_argument("--sql", type=Path, default=DEFAULT_SQL, help="seed SQL file")
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    parser.add_argument("--if-missing", action="store_true", help="keep an existing file and succeed (idempotent seeding)")
    args = parser.parse_args(argv)
    if args.if_missing and args.database.exists():
        print(f"kept existing {args.database}")
        return 0
    try:
        create_demo_db(args.database, args.sql, args.force)
    except (OSError, duckdb.Error) as exc:
        print(f"make_demo_db: {exc}", file=sys.stderr)
        return 1
    print(f"created {args.database}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
