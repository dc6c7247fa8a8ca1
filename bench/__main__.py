"""`make bench`: the secured path against direct Prometheus and the seed's naive design.

Method (docs/development/performance.md):
- The real `pulumi up` of the program (the CLI and providers `make deps` built) deploys a bench stack (high
  rate limits, bind address and trusted client of the acceptance harness) into the harness's engine (prefix
  `<PROMSHIELD_HARNESS_PREFIX>b`), its firewall command included, so the measured path is the program's own:
  trusted client -> DOCKER-USER -> DNAT -> proxy -> mTLS -> Prometheus. A second `up` of the same program adds
  the bench's extras (bench/program.py: the proxy copies and peers below, built from the first `up`'s state,
  and the firewall rules for their ports) and must change nothing of the program's.
- Three paths, one load generator (Debian's wrk, HTTP/1.1 keep-alive, 8 connections, 2 threads,
  fixed duration), alternating in every round, their order rotated from round to round:
    proxied  https://198.19.0.1:9090 from the trusted client, read-only user (basic auth)
    direct   https://prometheus:9090 over mTLS from a namespace on the backend network; wrk gets the
             proxy's client certificate through a small LD_PRELOAD shim (bench/lib.py)
    naive    a second proxy container (ports 9190/9193) whose config is the rendered one with
             `auth_basic` in the proxied location: bcrypt on every request (the seed's design)
- Peers (bench/peers.py), what a user would pick instead, in the same run: `caddy` (Debian's
  Caddy, basicauth, mTLS upstream), `prometheus_native` (Prometheus's own TLS + basic_auth_users) and
  `nginx_no_auth` (our config without authentication and role table); written to `peers.<name>`.
- Two requests: the instant query `up` and a query_range of `up` over the last hour (step 15s;
  the TSDB is fresh, so it holds the minutes since start). Then `instant@1`: the instant query on
  one connection per path, the latency a request pays with nothing queued for a CPU.
- Per path: median (and best) over rounds of requests/s, p50, p90, p99; the CPU used per request
  by the proxy, Prometheus, wrk, the network softirq and this process (the containers' log
  pumps), and the load the rest of the machine added meanwhile (other people's test runs).
- The dashboard scenario (bench/dashboard.py, `scenarios.dashboard`): 10 users on addresses of their
  own refresh every panel of the stack's dashboards every 5 s for --dashboard-seconds through a proxy
  copy at the stack's default limits, beside a flooding user; per user and overall p50/p99/max and
  401/429/5xx counts; by panel p50/p99/max and the mix floor (bench/dashboard.py: panel_profile).
- Program scale: `run_program` (mocks) for 10, 100 and 1000 Trade Engine targets, each in a fresh
  interpreter, best of 3; and the wall time of the unit, render and rules suites.
- Before measuring it waits (bounded, --idle-timeout) until no other test run, benchmark or
  harness server is running; what was still running is written to the output.

Experiments: `--variant NAME=nginx.conf` adds a proxied path served by a proxy running that file,
`--proxy-conf` replaces the proxied path's config (start from the rendered one, left after a run in
build/acceptance/<prefix>b/files/nginx.conf); `--paths`,
`--queries`, `--rounds`, `--duration` narrow a run.

Needs root (the harness), wrk and a C compiler (the client-certificate shim). Writes build/bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess  # nosec B404 - drives wrk, cc and the harness on purpose
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.dashboard import format_dashboard
from bench.host import SCALE_TARGETS, UNIT_SUITES, loadavg, log, wait_until_idle
from bench.lib import PATHS, format_table, headline, scale_growth
from bench.load import LoadBench, _auth_cache_seconds
from bench.peers import format_peers, peers_summary
from testing.mock_stack import PROJECT_DIR
from tools import cli


# --- program scale ---------------------------------------------------------------------------
def scale_worker(targets: int) -> None:
    """In a fresh interpreter: time one run of the program under mocks with `targets` targets."""
    from testing.mock_stack import run_program

    imported = time.perf_counter()
    config = {"demo": False, "tradeEngineTargets": [{"address": f"te-{i}.internal:9400"} for i in range(targets)]}
    stack = run_program(config, stack="scale")
    finished = time.perf_counter()
    print(json.dumps({"targets": targets, "run_s": finished - imported, "resources": len(stack.resources)}))


def program_scale(repeats: int, targets: Sequence[int]) -> dict[str, Any]:
    runs: dict[int, list[dict[str, Any]]] = {n: [] for n in targets}
    for _ in range(repeats):
        for n in targets:
            started = time.perf_counter()
            result = subprocess.run(  # nosec B603
                [sys.executable, "-m", "bench", "--scale-worker", str(n)],
                cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            wall = time.perf_counter() - started
            if result.returncode != 0:
                raise RuntimeError(f"program with {n} targets failed:\n{result.stderr[-3000:]}")
            measured = json.loads(result.stdout.strip().splitlines()[-1])
            measured["process_s"] = wall
            runs[n].append(measured)
    best = {n: min(r["run_s"] for r in runs[n]) for n in targets}
    out: dict[str, Any] = {
        "method": (
            f"run_program under mocks in a fresh interpreter per run, best of {repeats}; run_s is run_program alone, "
            "process_s the whole interpreter (start, imports, run)"
        ),
        "targets": {
            str(n): {
                "run_s": round(best[n], 3),
                "process_s": round(min(r["process_s"] for r in runs[n]), 3),
                "resources": runs[n][0]["resources"],
                "all_run_s": [round(r["run_s"], 3) for r in runs[n]],
            }
            for n in targets
        },
        **scale_growth(best),
    }
    out["under_10s_at_1000"] = best.get(1000, float("inf")) < 10
    return out


def unit_suite_time() -> dict[str, Any]:
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *UNIT_SUITES]
    started = time.perf_counter()
    # runs the project's own test suites (B603: no untrusted input)
    result = subprocess.run(argv, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=900, check=False)  # nosec
    wall = time.perf_counter() - started
    tail = [line for line in result.stdout.strip().splitlines() if line.strip()][-1:] or [""]
    return {
        "command": " ".join(["python", *argv[1:]]),
        "wall_s": round(wall, 2),
        "exit_code": result.returncode,
        "summary": tail[0],
    }


# --- main ------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="benchmark the secured path (see the module docstring)")
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "build" / "bench.json")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load per path and query first")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--c1-duration", type=int, default=5, help="seconds per path of the instant query on 1 connection (0: skip)"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--paths", default=",".join(PATHS), type=lambda s: [p for p in s.split(",") if p])
    parser.add_argument(
        "--queries", default="", type=lambda s: [q for q in s.split(",") if q], help="instant,range (default both)"
    )
    parser.add_argument(
        "--idle-timeout", type=float, default=600.0, help="at most this long to wait for other runs to finish"
    )
    parser.add_argument("--scale-repeats", type=int, default=3)
    parser.add_argument(
        "--dashboard-seconds",
        type=int,
        default=120,
        help="length of the dashboard scenario (scenarios.dashboard; 0: skip it)",
    )
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 3 s runs, 1 round, 1 s warm-up, 1 scale repeat"
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="EXPERIMENT: one more proxied path, a proxy running the nginx.conf FILE",
    )
    parser.add_argument(
        "--proxy-conf", help="EXPERIMENT: an nginx.conf for the proxied path instead of the rendered one"
    )
    parser.add_argument("--scale-worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.rounds, args.warmup, args.scale_repeats, args.c1_duration = 3, 1, 1, 1, 2
        args.dashboard_seconds = min(args.dashboard_seconds, 20)
    for variant in args.variant:
        name, _, conf = variant.partition("=")
        if not re.fullmatch(r"[a-z][a-z0-9]{0,7}", name) or name in PATHS or not Path(conf).is_file():
            parser.error(
                f"--variant {variant!r}: expected NAME=FILE, NAME 1-8 lowercase letters/digits (not a path "
                "name), FILE an nginx.conf"
            )
    unknown = set(args.paths) - set(PATHS)
    if unknown:
        parser.error(f"unknown paths {sorted(unknown)}; expected some of {','.join(PATHS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.scale_worker is not None:
        scale_worker(args.scale_worker)
        return 0
    started = time.monotonic()
    if not args.skip_load and os.geteuid() != 0:
        raise SystemExit("make bench needs root: the acceptance harness makes network namespaces")
    machine = wait_until_idle(args.idle_timeout)
    log(f"load average {machine['loadavg_at_start']}, {machine['cores']} cores")
    report: dict[str, Any] = {}
    if not args.skip_scale:
        log(f"program scale: {', '.join(map(str, SCALE_TARGETS))} targets, best of {args.scale_repeats}")
        report["program_scale"] = program_scale(args.scale_repeats, SCALE_TARGETS)
        report["program_scale"]["unit_suite"] = unit_suite_time()
    if not args.skip_load:
        load = LoadBench(args).run()
        summaries = load["summaries"]
        main_query = "instant" if "instant" in summaries else next(iter(summaries))
        peers = {query: peers_summary(summary["paths"]) for query, summary in summaries.items()}
        report = {
            **headline(summaries, main_query),
            # peers.<path>: the main (instant) query; every query's in peers_by_query
            "peers": peers[main_query]["paths"],
            "peer_goals": peers[main_query]["goals"],
            "peers_by_query": peers,
            "queries": summaries,
            "method": load["method"],
            **report,
        }
        if load.get("dashboard"):
            report["scenarios"] = {"dashboard": load["dashboard"]}
    machine["loadavg_at_end"] = loadavg()
    report["machine"] = machine
    report["revocation_delay_s"] = _auth_cache_seconds()
    report["total_run_s"] = round(time.monotonic() - started, 1)
    report["generated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    print(f"wrote {args.out} in {report['total_run_s']} s")
    return 0


def print_report(report: dict[str, Any]) -> None:
    if "queries" in report:
        print(format_table(report["queries"]))
        print(
            f"\nheadline (instant query): proxied {report['proxied_rps']} req/s, direct {report['direct_rps']}, naive "
            f"{report['naive_rps']}; "
            f"throughput_ratio {report['throughput_ratio']}, p50_overhead_ms {report['p50_overhead_ms']}, naive_ratio "
            f"{report['naive_ratio']}"
        )
        for query, peers in report["peers_by_query"].items():
            print(f"\npeers, {query} (CPU of the auth/proxy layer per request):\n{format_peers(peers)}")
        goals = {k: v for k, v in report["goals"].items() if k != "every query"}
        print("goals: " + ", ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in goals.items()))
    dashboard = report.get("scenarios", {}).get("dashboard")
    if dashboard:
        method = dashboard["method"]
        print(
            f"\ndashboard scenario: {method['users']} users x {method['panels']} panels every {method['refresh_s']} s "
            f"for {method['duration_s']} s, default limits, + a flooding user; proxy CPU µs/request "
            f"{dashboard['cpu_us_per_request']['proxy']}; load {dashboard['machine']}"
        )
        print(format_dashboard(dashboard))
        control = dashboard.get("direct_control")
        if control:
            overall, floor = control["overall"], control.get("profile", {}).get("mix_floor", {})
            print(
                f"control, straight to Prometheus: p50 {overall['p50_ms']} ms, p99 {overall['p99_ms']} ms, max "
                f"{overall['max_ms']} ms; mix floor p99/p50 {floor.get('p99_over_p50')}"
            )
    scale = report.get("program_scale")
    if scale:
        sizes = ", ".join(f"{n} targets {v['run_s']:.2f} s" for n, v in scale["targets"].items())
        print(
            f"program under mocks: {sizes}; marginal ms/target {scale['marginal_ms_per_target']}; "
            f"growth {scale['growth']}"
        )
        unit = scale["unit_suite"]
        print(f"unit+render+rules suites: {unit['wall_s']} s ({unit['summary']})")
    machine = report["machine"]
    print(
        f"machine: {machine['cores']} cores, load {machine['loadavg_at_start']} -> {machine['loadavg_at_end']}, waited "
        f"{machine['waited_for_idle_s']} s for idle"
    )


if __name__ == "__main__":
    sys.exit(cli.run(main))
