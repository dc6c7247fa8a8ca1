"""A container view (tools/container_view.py) leaves nothing running when it ends.

The attack on the suite's hygiene: a test stopped its NGINX view, bwrap's --die-with-parent SIGKILLed the
master only, and the workers stayed behind (orphaned, still holding their sockets and log files), where
`make bench` then waited for them. The view now has a pid namespace of its own; the negative control is the
same view without it, where the grandchild survives.
"""

from __future__ import annotations

import shutil
import subprocess  # nosec B404 - runs bwrap on purpose
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.stack import wait_until
from tools.container_view import view_command

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bwrap (make deps installs it)")


def sleeps_of(marker: str) -> list[int]:
    """The processes running exactly `sleep <marker>` (not the shell that started one)."""
    wanted = b"sleep\0" + marker.encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().endswith(wanted):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture
def marker() -> Iterator[str]:
    # A sleep no other process runs: `sleep 600.<unique>` (sleep takes fractional seconds).
    value = f"600.{uuid.uuid4().int % 10**9:09d}"
    yield value
    for pid in sleeps_of(value):
        subprocess.run(["kill", "-9", str(pid)], check=False)  # nosec B603 B607 - our own leftover


def start_and_end_view(argv: list[str], marker: str) -> list[int]:
    """Start the view (a shell that starts a background sleep), end it as a test's cleanup does, and
    return the processes of the marker still alive 5 s later."""
    view = subprocess.Popen(argv)  # nosec B603 - bwrap with our own arguments
    wait_until(lambda: sleeps_of(marker), timeout=10, interval=0.1, what="the view's background process")
    view.terminate()
    view.wait(timeout=10)
    deadline = time.monotonic() + 5
    while sleeps_of(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return sleeps_of(marker)


def shell_view(tmp_path: Path, marker: str) -> list[str]:
    root = tmp_path / "root"
    root.mkdir()
    return view_command(root, ["/bin/sh", "-c", f"sleep {marker} & wait"])


def test_ending_a_view_ends_everything_it_started(tmp_path: Path, marker: str) -> None:
    assert start_and_end_view(shell_view(tmp_path, marker), marker) == []


def test_negative_control_without_a_pid_namespace_the_grandchild_survives(tmp_path: Path, marker: str) -> None:
    argv = [arg for arg in shell_view(tmp_path, marker) if arg != "--unshare-pid"]
    assert len(start_and_end_view(argv, marker)) == 1
