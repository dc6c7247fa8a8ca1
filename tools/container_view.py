"""Run a validator with a container's files at their container paths (bwrap: no host changes).

The files sit under one directory (`root/etc/prometheus/prometheus.yml`, ...); the view shows every
top-level directory of it at `/<dir>` beside the host's read-only /usr, so relative paths, TLS files
and includes resolve as they do in the deployed container. Used by `make check` (tools/check.py) and
the render tests (tests/render/).
"""

from __future__ import annotations

import subprocess  # runs the Debian validators in a bwrap view  # nosec B404
from pathlib import Path

from testing.mock_stack import RecordedStack

BASE_VIEW = [
    "--ro-bind", "/usr", "/usr",
    "--symlink", "usr/bin", "/bin",
    "--symlink", "usr/sbin", "/sbin",
    "--symlink", "usr/lib", "/lib",
    "--symlink", "usr/lib64", "/lib64",
    "--proc", "/proc",
    "--dev", "/dev",
    "--tmpfs", "/tmp",  # noqa: S108 - the view's own private tmpfs
    "--tmpfs", "/etc",
    "--ro-bind", "/etc/passwd", "/etc/passwd",
    "--ro-bind", "/etc/group", "/etc/group",
    "--ro-bind", "/etc/nsswitch.conf", "/etc/nsswitch.conf",
    "--ro-bind", "/etc/ssl", "/etc/ssl",
    "--ro-bind", "/etc/alternatives", "/etc/alternatives",
    "--unshare-net",
    # A pid namespace of its own: when the view ends (its parent gone, or bwrap killed), the kernel ends
    # everything in it. Without it --die-with-parent SIGKILLs only the direct child: an NGINX master went,
    # its workers stayed behind, orphaned, after the test that started them.
    "--unshare-pid",
    "--die-with-parent",
]  # fmt: skip


def materialize(stack: RecordedStack, container: str, root: Path, provider: str | None = None) -> Path:
    """Write a container's uploads (real content) under `root`, at their container paths (`provider`:
    the container of that host, in a multi-host stack)."""
    for path, upload in stack.container_files(container, provider).items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(upload["content"])
        target.chmod(0o600)
    return root


def run_in_view(
    root: Path, argv: list[str], hosts: str = "127.0.0.1 localhost\n", writable: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Run `argv` where every top-level directory under `root` appears at `/<dir>`."""
    return subprocess.run(  # argv of our own  # nosec B603
        view_command(root, argv, hosts, writable), capture_output=True, text=True, timeout=60, check=False
    )


def view_command(
    root: Path,
    argv: list[str],
    hosts: str = "127.0.0.1 localhost\n",
    writable: tuple[str, ...] = (),
    share_net: bool = False,
) -> list[str]:
    """The bwrap command line of `run_in_view`; `share_net`: on this machine's network (loopback), so
    that several views can talk to each other."""
    hosts_file = root.parent / f"{root.name}.hosts"
    hosts_file.write_text(hosts)
    binds: list[str] = ["--ro-bind", str(hosts_file), "/etc/hosts"]
    for top in sorted(root.iterdir()):
        if top.name == "etc":
            for sub in sorted(top.iterdir()):
                binds += ["--bind", str(sub), f"/etc/{sub.name}"]
        else:
            binds += ["--bind", str(top), f"/{top.name}"]
    for path in writable:
        binds += ["--tmpfs", path]
    view = [arg for arg in BASE_VIEW if not (share_net and arg == "--unshare-net")]
    return ["bwrap", *view, *binds, *argv]
