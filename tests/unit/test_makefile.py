"""The Makefile's user interface: `make help` lists every target a user runs, from the `## ` comments
on the targets themselves; `make up`/`preview`/`down` look for their tools before creating anything."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")
USER_TARGETS = (
    "up", "preview", "down", "demo", "demo-down", "check", "render", "test", "lint", "unit", "acceptance",
    "bench", "toolchain", "docs",
)  # fmt: skip

pytestmark = pytest.mark.skipif(MAKE is None, reason="needs make")


def make(*args: str, cwd: Path = ROOT, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": path} if path is not None else None
    return subprocess.run(
        [str(MAKE), "--no-print-directory", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_lists_every_user_target_with_its_description() -> None:
    listed = dict(re.findall(r"^  make (\S+)\s+(.+)$", make("help").stdout, flags=re.MULTILINE))
    for target in USER_TARGETS:
        assert listed.get(target), f"make help does not list {target}: give its rule a `## ` comment"


@pytest.mark.parametrize("target", ["up", "preview", "down"])
def test_deploy_targets_look_for_their_tools_before_creating_anything(target: str, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "Makefile", project / "Makefile")
    (project / ".venv").symlink_to(ROOT / ".venv")
    empty = tmp_path / "bin"
    empty.mkdir()  # a PATH with neither docker nor pulumi
    result = make(target, cwd=project, path=str(empty))
    assert result.returncode != 0
    assert f"make {target} needs Docker" in result.stdout + result.stderr
    assert sorted(p.name for p in project.iterdir()) == [".venv", "Makefile"], "created something before failing"
