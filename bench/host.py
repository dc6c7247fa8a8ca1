"""`make bench`, the host side: its constants, the stack config it deploys, and the state of the machine
(other test runs, load, CPU time) it waits for and measures."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness import HOST_ADDRESS
from harness.paths import HARNESS_PREFIX
from harness.stack import BACKEND_SUBNET, EDGE_SUBNET, TRUSTED

# The acceptance suite uses HARNESS_PREFIX ("pd" unless PROMSHIELD_HARNESS_PREFIX), the engine self-test
# "pdt": the bench's own derives from the harness's, so two checkouts' benches never collide.
PREFIX = f"{HARNESS_PREFIX}b"
BENCH_USER = "viewer"  # read-only role
# The dashboard scenario (bench/dashboard.py): read-only users, each a browser on its own LAN address,
# and a flooding user on another; the proxy they use runs the stack's default limits.
DASHBOARD_CLIENTS = {f"dash{i:02d}": f"198.19.0.{64 + i}" for i in range(1, 11)}
FLOOD_CLIENT = ("flood", "198.19.0.80")
DASHBOARD_CIDR = "198.19.0.64/27"
DASHBOARD_PORT_OFFSET = 1500  # the default-limits proxy's published ports: 10590 / 10593
NAIVE_PORT_OFFSET = 100  # naive proxy published on 9190 / 9193
SCALE_TARGETS = (10, 100, 1000, 2000)  # 2000: a second measurable step, to tell linear from worse
UNIT_SUITES = ("tests/unit", "tests/render", "tests/rules")
BUSY_PATTERN = re.compile(
    r"pytest|(^|/)wrk( |$)|tools[./](bench|render)|promtool|/usr/bin/prometheus|nginx: worker|amtool|mypy|ruff"
)
RANGE_SECONDS = 3600
C1_QUERY = "instant@1"  # the instant query on one connection: unloaded latency
RANGE_STEP_S = 15


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def bench_config() -> dict[str, Any]:

    return {
        "bindAddress": HOST_ADDRESS,
        "trustedCidrs": [f"{TRUSTED}/32", DASHBOARD_CIDR],
        "networks": {"backendSubnet": BACKEND_SUBNET, "edgeSubnet": EDGE_SUBNET},
        "tls": {"ipAddresses": [HOST_ADDRESS], "dnsNames": ["localhost"]},
        "users": [
            {"name": "admin", "role": "admin"},
            {"name": BENCH_USER, "role": "read-only"},
            *({"name": name, "role": "read-only"} for name in [*DASHBOARD_CLIENTS, FLOOD_CLIENT[0]]),
        ],
        # Rate limits out of the way of the load; Prometheus' connection cap (--web.max-connections)
        # above what several proxies' upstream keepalive pools hold at once (--variant runs).
        "limits": {
            "requestsPerSecond": 100_000,
            "burst": 100_000,
            "connectionsPerClient": 1000,
            "connectionsPerSource": 1000,  # the firewall's bound must not be below the proxy's
            "backendMaxConnections": 1024,
        },
        # wrk's 8 connections share one credential: the per-credential bound on queries in flight above them
        # (it must stay below Prometheus' --query.max-concurrency, and samples x concurrency within its memory).
        "queryLimits": {"maxConcurrency": 9, "concurrentPerCredential": 8, "maxSamples": 1_000_000},
        "firewallSudo": False,
        # The demo trading system (its Redis, DuckDB, Instance Manager and Trade Engine): the dashboard
        # scenario's panels draw real series, as a user's would.
        "demo": True,
    }


# --- machine state --------------------------------------------------------------------------
def _ancestors() -> set[int]:
    pids, pid = {os.getpid()}, os.getpid()
    while pid > 1:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            break
        pid = int(fields[1])
        pids.add(pid)
    return pids


def busy_processes() -> list[str]:
    """Other people's test runs, benchmarks and servers (not this process, its parents or children)."""
    mine = _ancestors()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid in mine and ppid != 1:
            continue
        if cmdline and BUSY_PATTERN.search(cmdline):
            found.append(f"{entry.name} {cmdline[:160]}")
    return sorted(found)


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def wait_until_idle(timeout: float) -> dict[str, Any]:
    """Wait (bounded) until nobody else runs tests or servers; then until the 1-min load settles."""
    start = time.monotonic()
    deadline = start + timeout
    settle_until: float | None = None  # once nobody else runs: let the 1-min load settle, at most 60 s
    busy = busy_processes()
    first_busy = busy[:20]
    while time.monotonic() < deadline:
        busy = busy_processes()
        if busy:
            settle_until = None
            log(f"waiting for {len(busy)} other process(es) to finish, e.g. {busy[0]}")
            time.sleep(10)
            continue
        now = time.monotonic()
        settle_until = settle_until or now + 60
        if loadavg()[0] <= 1.0 or now >= settle_until:
            break
        time.sleep(5)
    waited = time.monotonic() - start
    if busy:
        log(
            f"still busy after {waited:.0f}s (bound {timeout:.0f}s): measuring anyway; see "
            "machine.busy_at_start in the output"
        )
    return {
        "cores": os.cpu_count(),
        "waited_for_idle_s": round(waited, 1),
        "busy_when_started_waiting": first_busy,
        "busy_at_start": busy[:20],
        "loadavg_at_start": loadavg(),
    }


def cpu_times() -> tuple[float, float, float]:
    """(busy, interrupts, total) CPU seconds of the whole machine, all cores. Interrupt time
    (mostly the network softirq of the namespaces' veths, bridges and netfilter) belongs to no
    process."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return (total - idle) / ticks, (fields[5] + fields[6]) / ticks, total / ticks


def process_cpu(pids: Sequence[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks
