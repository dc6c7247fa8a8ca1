"""The command line of a tool that regenerates a file in place: `--check` reports drift instead."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def regenerate(path: Path, render: Callable[[str], str], command: str, description: str | None) -> int:
    """Rewrite `path` as `render(its text)`; with `--check`, exit 1 when that would change it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is out of date")
    args = parser.parse_args()
    current = path.read_text()
    fresh = render(current)
    if args.check:
        if fresh != current:
            print(f"{path.name} is out of date: run `{command}`", file=sys.stderr)
            return 1
        return 0
    path.write_text(fresh)
    return 0
