"""Where things are: the repository, its venv, the harness's run directory."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# `components.core.catalog` is the single source of fixed facts; make it importable however pytest
# was started (appending never shadows anything already importable).
if str(REPO_ROOT) not in sys.path:
    sys.path.append(str(REPO_ROOT))

RUN_ROOT = REPO_ROOT / "build" / "acceptance"
# Names of the harness's namespaces, sockets and locks start with this. Two runs on one machine
# (two checkouts) need different prefixes: PROMSHIELD_HARNESS_PREFIX, 2-4 lowercase letters.
HARNESS_PREFIX = os.environ.get("PROMSHIELD_HARNESS_PREFIX", "pd")
if not re.fullmatch(r"[a-z]{2,4}", HARNESS_PREFIX):
    raise SystemExit(f"PROMSHIELD_HARNESS_PREFIX={HARNESS_PREFIX!r}: expected 2-4 lowercase letters, e.g. pd")
# The multi-host stacks (several engines, `live.Host`) run under their own prefix, so a single-host
# stack of the same checkout may stay up meanwhile; their engines are `<prefix>m1`, `<prefix>m2`, ...
MULTI_HOST_PREFIX = f"{HARNESS_PREFIX}m"
LOCK_DIR = Path("/run/lock")


def venv_dir() -> Path:
    """The project's venv (the DuckDB exporter runs on its python and site-packages)."""
    candidate = REPO_ROOT / ".venv"
    if (candidate / "pyvenv.cfg").exists():
        return candidate
    return Path(sys.prefix)


def python_home() -> Path | None:
    """The base interpreter's install prefix behind the venv (it must be visible, read-only)."""
    cfg = venv_dir() / "pyvenv.cfg"
    if not cfg.exists():
        return None
    for line in cfg.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home":
            # home = <prefix>/bin
            return Path(value.strip()).resolve().parent
    return None
