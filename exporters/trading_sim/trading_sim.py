"""The dev demo's trading simulator: an Instance Manager and a Trade Engine as Prometheus sees them.

It serves the metrics of docs/metrics-contract.md exactly as the real services are scraped: over
TLS (the stack's certificate) with basic auth (the SHA-256 of each endpoint's generated password,
read from a 0400 file; the password itself never reaches this container). The values move like a
quiet trading day (a few trades a second per venue, millisecond latencies, sub-basis-point
slippage, a managed instance restarting now and then) until a scenario is switched on through the
control port, which listens on 127.0.0.1 inside the container only (`docker exec`):

    python3 trading_sim.py serve --config /etc/trading-sim/config.json
    python3 trading_sim.py fire TradeSlippageHigh      # one or more scenarios (named after the alert)
    python3 trading_sim.py calm TradeSlippageHigh      # or --all
    python3 trading_sim.py status
    python3 trading_sim.py check                       # the container's healthcheck

Standard library only: it runs on the pinned Python image, uploaded into its config volume.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import http.client
import itertools
import json
import math
import random
import socket
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_CONFIG = "/etc/trading-sim/config.json"  # components/trading_sim/render.py CONFIG_FILE (drift-tested)
JOB_INSTANCE_MANAGER = "instance-manager"
JOB_TRADE_ENGINE = "trade-engine"

VENUES = ("xnys", "xlon", "xetr")
SCENARIO_VENUE = "xlon"  # the venue the trade scenarios hit (alerts are per venue)
FAILURE_REASONS = ("rejected", "timeout", "risk_limit", "error")
# prometheus_client's default buckets: they contain the 0.25 s latency threshold (metrics contract).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
SLIPPAGE_BUCKETS = (0.00001, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01)
MANAGED_INSTANCES = 6
INSTANCE_STATES = ("running", "starting", "stopped", "failed")
CPU_LIMIT_CORES = 2.0
MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024
CPU_WINDOW_SECONDS = 300.0  # the recording rule's rate window
ROUTINE_RESTART_EVERY = 600.0  # one managed instance restarts every 10 min: at most 2 in the 15m window
MAX_STEP_SECONDS = 600.0  # a longer silence is skipped, not simulated
TRADE_SURGE = 5.0  # a volatile market: this many times the usual order flow on the venue

# Scenario -> what it does (the alert it makes fire, see docs/getting-started.md, "The dev demo").
SCENARIOS: dict[str, str] = {
    "TradeExecutionLatencyHigh": f"execution latency on {SCENARIO_VENUE} climbs to ~0.6 s (p99 above 0.25 s)",
    "TradeSlippageHigh": f"volatile market on {SCENARIO_VENUE}: {TRADE_SURGE:g}x the orders, ~30 bps slippage",
    "TradeFailureRatioHigh": f"{SCENARIO_VENUE} rejects ~45% of {TRADE_SURGE:g}x the orders",
    "InstanceManagerDown": "the Instance Manager endpoint answers 503: its scrape fails (up 0)",
    "InstanceManagerRestarting": "the Instance Manager process restarts every few seconds (crash loop)",
    "InstanceManagerInstancesRestarting": "one managed instance restarts every 3 s (flapping health check)",
    "InstanceManagerInstancesFailed": "one managed instance is in state failed",
    "InstanceManagerCpuHigh": "the Instance Manager runs at its CPU quota (usage up, quota cut to just above use)",
    "InstanceManagerMemoryHigh": "the Instance Manager's resident memory grows to ~96% of its limit",
}


class Histogram:
    """A Prometheus histogram's state: per-bucket counts, sum and count."""

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)  # the last one: above every bound (+Inf only)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        index = next((i for i, bound in enumerate(self.bounds) if value <= bound), len(self.bounds))
        self.counts[index] += 1
        self.sum += value
        self.count += 1

    def lines(self, name: str, labels: str) -> list[str]:
        out, cumulative = [], 0
        for bound, count in zip((*self.bounds, math.inf), self.counts, strict=True):
            cumulative += count
            le = "+Inf" if bound == math.inf else repr(bound)
            out.append(f'{name}_bucket{{{labels},le="{le}"}} {cumulative}')
        out.append(f"{name}_sum{{{labels}}} {self.sum:.9g}")
        out.append(f"{name}_count{{{labels}}} {self.count}")
        return out


@dataclass
class Venue:
    name: str
    rate: float  # trades per second, on a quiet day
    latency_median: float  # seconds
    executed: int = 0
    failed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAILURE_REASONS, 0))
    latency: Histogram = field(default_factory=lambda: Histogram(LATENCY_BUCKETS))
    slippage: Histogram = field(default_factory=lambda: Histogram(SLIPPAGE_BUCKETS))
    carry: float = 0.0  # the fraction of a trade the last step did not complete


@dataclass
class Manager:
    started: float
    cpu_seconds: float = 0.0  # since `started` (resets with a restart, like the process collector's)
    usage: float = 0.0  # cores, the last step's
    # (time, cpu_seconds) as each scrape saw it: what the recording rule's rate reads
    scraped_cpu: deque[tuple[float, float]] = field(default_factory=deque)
    rss: float = 160 * 1024 * 1024
    restarts: int = 0
    last_crash: float = 0.0
    last_flap: float = 0.0


class Simulation:
    """The simulated services' state. `advance(now)` moves it on; `render_*` are the scrapes."""

    def __init__(self, now: float, seed: int | None = None) -> None:
        # Simulated market data, not a secret: a seeded PRNG on purpose.
        self.rng = random.Random(seed)  # noqa: S311  # nosec B311
        self.epoch = now
        self.now = now
        self.active: set[str] = set()
        self.lock = threading.Lock()
        medians = {"xnys": 0.018, "xlon": 0.025, "xetr": 0.03}
        self.venues = [Venue(name, 2.0, medians.get(name, 0.025)) for name in VENUES]
        self.manager = Manager(started=now)

    # --- control -----------------------------------------------------------------------------
    def fire(self, names: Iterable[str]) -> None:
        unknown = sorted(set(names) - set(SCENARIOS))
        if unknown:
            raise KeyError(f"unknown scenario(s) {unknown}; known: {', '.join(SCENARIOS)}")
        with self.lock:
            self.active.update(names)

    def calm(self, names: Iterable[str] | None = None) -> None:
        with self.lock:
            if names is None:
                self.active.clear()
            else:
                self.active.difference_update(names)

    # --- the model ----------------------------------------------------------------------------
    def advance(self, now: float) -> None:
        """Simulate from the last step to `now` in steps of at most one second."""
        if now - self.now > MAX_STEP_SECONDS:
            self.now = now - MAX_STEP_SECONDS
        while self.now < now:
            step = min(1.0, now - self.now)
            self.now += step
            self._step(step)

    def _step(self, dt: float) -> None:
        t = self.now - self.epoch
        for venue in self.venues:
            self._trade(venue, dt, t)
        self._manage(dt, t)

    def _trade(self, venue: Venue, dt: float, t: float) -> None:
        hit = venue.name == SCENARIO_VENUE
        latency_high = hit and "TradeExecutionLatencyHigh" in self.active
        slippage_high = hit and "TradeSlippageHigh" in self.active
        failing = hit and "TradeFailureRatioHigh" in self.active
        rate = venue.rate * (1 + 0.25 * math.sin(t / 240 + len(venue.name)))  # the day's ebb and flow
        if slippage_high or failing:
            rate *= TRADE_SURGE
        venue.carry += rate * dt
        attempts, venue.carry = int(venue.carry), venue.carry - int(venue.carry)
        failure_ratio = 0.45 if failing else 0.004
        slippage_sigma = 0.0040 if slippage_high else 0.00015  # |N(0, sigma)|: mean 0.8 sigma
        median = 0.6 if latency_high else venue.latency_median
        for _ in range(attempts):
            venue.latency.observe(median * math.exp(self.rng.gauss(0.0, 0.3 if latency_high else 0.45)))
            if self.rng.random() < failure_ratio:
                reason = "rejected" if failing else self.rng.choice(FAILURE_REASONS)
                venue.failed[reason] += 1
                continue
            venue.executed += 1
            venue.slippage.observe(abs(self.rng.gauss(0.0, slippage_sigma)))

    def _manage(self, dt: float, t: float) -> None:
        manager = self.manager
        if "InstanceManagerRestarting" in self.active and self.now - manager.last_crash >= 4.0:
            manager.last_crash = self.now
            manager.started = self.now
            manager.cpu_seconds = 0.0
            if "InstanceManagerMemoryHigh" not in self.active:  # a leak the process reproduces at start-up
                manager.rss = min(manager.rss, 120 * 1024 * 1024)
        busy = "InstanceManagerCpuHigh" in self.active
        usage = 1.85 if busy else 0.12 + 0.04 * math.sin(t / 90)
        usage = max(0.01, usage + self.rng.uniform(-0.01, 0.01))
        manager.cpu_seconds += usage * dt
        manager.usage = usage
        if "InstanceManagerMemoryHigh" in self.active:
            target = 0.96 * MEMORY_LIMIT_BYTES
        else:
            target = (160 + 20 * math.sin(t / 300)) * 1024 * 1024
        # Memory moves towards its target within seconds, with a little noise (allocations come and go).
        manager.rss += (target - manager.rss) * min(1.0, dt / 3) + self.rng.uniform(-1, 1) * 256 * 1024
        manager.rss = min(manager.rss, 0.99 * MEMORY_LIMIT_BYTES)
        flapping = "InstanceManagerInstancesRestarting" in self.active
        if flapping and self.now - manager.last_flap >= 3.0:
            manager.last_flap = self.now
            manager.restarts += 1
        elif int(t // ROUTINE_RESTART_EVERY) > int((t - dt) // ROUTINE_RESTART_EVERY):
            manager.restarts += 1

    # --- what a scrape sees ------------------------------------------------------------------------
    def _scraped_cpu_rate(self) -> float | None:
        """`rate(process_cpu_seconds_total[5m])` as Prometheus computes it from the scrapes this
        simulator answered: a reset's value is all increase, the increase is extrapolated half an
        interval past the samples (no further than the window) and divided by the whole window, so
        a series younger than 5 minutes reads lower. None before two scrapes."""
        points = list(self.manager.scraped_cpu)
        if len(points) < 2 or points[-1][0] <= points[0][0]:
            return None
        increase = sum(b - a if b >= a else b for (_, a), (_, b) in itertools.pairwise(points))
        sampled = points[-1][0] - points[0][0]
        covered = min(CPU_WINDOW_SECONDS, sampled + sampled / (len(points) - 1))
        return increase * covered / sampled / CPU_WINDOW_SECONDS

    def cpu_limit(self) -> float:
        """The reported quota: 2 cores, or under InstanceManagerCpuHigh just above what the rule's 5m
        rate reads (a real spike would take the whole window to show; the demo should not wait)."""
        if "InstanceManagerCpuHigh" not in self.active:
            return CPU_LIMIT_CORES
        rate = self._scraped_cpu_rate()
        return min(CPU_LIMIT_CORES, (self.manager.usage if rate is None else rate) / 0.96)

    def instance_states(self) -> dict[str, int]:
        t = self.now - self.epoch
        states = dict.fromkeys(INSTANCE_STATES, 0)
        states["failed"] = 1 if "InstanceManagerInstancesFailed" in self.active else 0
        routine = t % ROUTINE_RESTART_EVERY < 20 and t >= ROUTINE_RESTART_EVERY
        states["starting"] = 1 if routine or "InstanceManagerInstancesRestarting" in self.active else 0
        states["running"] = MANAGED_INSTANCES - states["failed"] - states["starting"]
        return states

    def render_instance_manager(self, now: float) -> str:
        with self.lock:
            self.advance(now)
            m = self.manager
            m.scraped_cpu.append((now, m.cpu_seconds))
            while m.scraped_cpu[0][0] < now - CPU_WINDOW_SECONDS:
                m.scraped_cpu.popleft()
            lines = [
                "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.",
                "# TYPE process_cpu_seconds_total counter",
                f"process_cpu_seconds_total {m.cpu_seconds:.3f}",
                "# HELP process_resident_memory_bytes Resident memory size in bytes.",
                "# TYPE process_resident_memory_bytes gauge",
                f"process_resident_memory_bytes {int(m.rss)}",
                "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.",
                "# TYPE process_start_time_seconds gauge",
                f"process_start_time_seconds {m.started:.3f}",
                "# HELP instance_manager_cpu_limit_cores CPU limit of the Instance Manager (0 = none).",
                "# TYPE instance_manager_cpu_limit_cores gauge",
                f"instance_manager_cpu_limit_cores {self.cpu_limit():.4f}",
                "# HELP instance_manager_memory_limit_bytes Memory limit of the Instance Manager (0 = none).",
                "# TYPE instance_manager_memory_limit_bytes gauge",
                f"instance_manager_memory_limit_bytes {MEMORY_LIMIT_BYTES}",
                "# HELP instance_manager_instances Managed instances per state.",
                "# TYPE instance_manager_instances gauge",
                *(f'instance_manager_instances{{state="{s}"}} {n}' for s, n in self.instance_states().items()),
                "# HELP instance_manager_instance_restarts_total Restarts of managed instances.",
                "# TYPE instance_manager_instance_restarts_total counter",
                f"instance_manager_instance_restarts_total {m.restarts}",
            ]
        return "\n".join(lines) + "\n"

    def render_trade_engine(self, now: float) -> str:
        with self.lock:
            self.advance(now)
            lines = [
                "# HELP trades_executed_total Trades executed successfully.",
                "# TYPE trades_executed_total counter",
                *(f'trades_executed_total{{venue="{v.name}"}} {v.executed}' for v in self.venues),
                "# HELP trades_failed_total Trade attempts that failed.",
                "# TYPE trades_failed_total counter",
                *(
                    f'trades_failed_total{{venue="{v.name}",reason="{reason}"}} {count}'
                    for v in self.venues
                    for reason, count in v.failed.items()
                ),
                "# HELP trade_execution_latency_seconds Order submission to execution report.",
                "# TYPE trade_execution_latency_seconds histogram",
                *(
                    ln
                    for v in self.venues
                    for ln in v.latency.lines("trade_execution_latency_seconds", f'venue="{v.name}"')
                ),
                "# HELP trade_slippage_ratio Absolute slippage of each fill (ratio; 1 bp = 0.0001).",
                "# TYPE trade_slippage_ratio histogram",
                *(ln for v in self.venues for ln in v.slippage.lines("trade_slippage_ratio", f'venue="{v.name}"')),
            ]
        return "\n".join(lines) + "\n"


# --- serving --------------------------------------------------------------------------------------
def load_json(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


def password_sha256(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def authorized(header: str | None, credential: Mapping[str, str]) -> bool:
    """A canonical `Basic <base64 user:password>` naming this endpoint's user and password."""
    if not header or not header.startswith("Basic "):
        return False
    try:
        decoded = base64.b64decode(header[len("Basic ") :], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, sep, password = decoded.partition(":")
    same_user = hmac.compare_digest(user.encode(), credential["username"].encode())
    same_password = hmac.compare_digest(password_sha256(password), credential["password_sha256"])
    return bool(sep) and same_user and same_password


def tls_server_context(tls: Mapping[str, str]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(tls["cert_file"], tls["key_file"])
    return context


def metrics_handler(
    job: str, render: Callable[[float], str], credential: Mapping[str, str], down: Callable[[], bool]
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 10  # a client that stalls the TLS handshake or its request is dropped
        server_version = "trading-sim"
        sys_version = ""

        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != "/metrics":
                self._answer(404, b"not found\n")
            elif not authorized(self.headers.get("Authorization"), credential):
                self._answer(401, b"unauthorized\n", {"WWW-Authenticate": f'Basic realm="{job}"'})
            elif down():
                self._answer(503, b"the simulated service is down (scenario InstanceManagerDown)\n")
            else:
                self._answer(200, render(time.time()).encode(), {"Content-Type": "text/plain; version=0.0.4"})

        def _answer(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per scrape would drown the log; the Authorization header is never logged

    return Handler


def control_handler(simulation: Simulation) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 10

        def _scenario(self) -> str | None:
            prefix = "/scenarios/"
            return self.path[len(prefix) :] if self.path.startswith(prefix) else None

        def do_GET(self) -> None:
            if self.path != "/scenarios":
                self._json(404, {"error": "GET /scenarios"})
                return
            with simulation.lock:
                active = sorted(simulation.active)
            self._json(200, {"active": active, "known": SCENARIOS})

        def do_PUT(self) -> None:
            name = self._scenario()
            try:
                simulation.fire([name or ""])
            except KeyError as exc:
                self._json(404, {"error": str(exc)})
                return
            print(f"trading-sim: scenario {name} on", file=sys.stderr, flush=True)
            self._state()

        def do_DELETE(self) -> None:
            name = self._scenario()
            if self.path == "/scenarios":
                simulation.calm()
            elif name in SCENARIOS:
                simulation.calm([name])
            else:
                self._json(404, {"error": f"unknown scenario {name!r}"})
                return
            print(f"trading-sim: scenario {name or 'all'} off", file=sys.stderr, flush=True)
            self._state()

        def _state(self) -> None:
            self.path = "/scenarios"
            self.do_GET()

        def _json(self, status: int, document: object) -> None:
            body = (json.dumps(document, indent=1) + "\n").encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


class TlsServer(ThreadingHTTPServer):
    """The TLS handshake runs in the request's thread (after accept), so one slow client cannot stall others."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext
    ) -> None:
        self.context = context
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address


class ControlServer(ThreadingHTTPServer):
    daemon_threads = True


def serve(config: Mapping[str, Any]) -> None:
    simulation = Simulation(time.time())
    credentials = load_json(config["auth_file"])
    context = tls_server_context(config["tls"])
    endpoints = (
        (JOB_INSTANCE_MANAGER, simulation.render_instance_manager, lambda: "InstanceManagerDown" in simulation.active),
        (JOB_TRADE_ENGINE, simulation.render_trade_engine, lambda: False),
    )
    servers: list[ThreadingHTTPServer] = []
    for job, render, down in endpoints:
        handler = metrics_handler(job, render, credentials[job], down)
        # Every interface of its container: it sits on the stack's internal backend network only.
        servers.append(TlsServer(("0.0.0.0", int(config["ports"][job])), handler, context))  # noqa: S104  # nosec B104
    servers.append(ControlServer(("127.0.0.1", int(config["control_port"])), control_handler(simulation)))
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    listening = ", ".join(f"{job} on {port}" for job, port in config["ports"].items())
    print(f"trading-sim: serving {listening} (TLS, basic auth)", flush=True)
    servers[0].serve_forever()


# --- the command line (inside the container) -----------------------------------------------------------
def control(config: Mapping[str, Any], method: str, path: str) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", int(config["control_port"]), timeout=5)
    try:
        connection.request(method, path, headers={"Connection": "close"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def check(config: Mapping[str, Any]) -> list[str]:
    """The healthcheck: each endpoint completes a TLS handshake verified against the stack CA under
    the service's name and refuses a scrape without credentials; the control port answers."""
    problems = []
    context = ssl.create_default_context(cafile=config["tls"]["ca_file"])
    for job, port in config["ports"].items():
        connection = http.client.HTTPSConnection("127.0.0.1", int(port), timeout=5, context=context)
        try:
            connection.sock = context.wrap_socket(
                socket.create_connection(("127.0.0.1", int(port)), 5), server_hostname=config["server_name"]
            )
            connection.request("GET", "/metrics", headers={"Connection": "close"})
            status = connection.getresponse().status
            if status != 401:
                problems.append(f"{job}: GET /metrics without credentials answered {status}, expected 401")
        except (OSError, ssl.SSLError, http.client.HTTPException) as exc:
            problems.append(f"{job}: {exc}")
        finally:
            connection.close()
    try:
        status, _ = control(config, "GET", "/scenarios")
        if status != 200:
            problems.append(f"control port answered {status}")
    except (OSError, ValueError, http.client.HTTPException) as exc:
        problems.append(f"control port: {exc}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--config", default=DEFAULT_CONFIG)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the simulator")
    commands.add_parser("check", help="the healthcheck")
    commands.add_parser("status", help="the active scenarios")
    fire = commands.add_parser("fire", help="switch scenarios on (named after the alert they make fire)")
    fire.add_argument("scenarios", nargs="+", choices=sorted(SCENARIOS))
    calm = commands.add_parser("calm", help="switch scenarios off")
    calm.add_argument("scenarios", nargs="*", help=", ".join(sorted(SCENARIOS)))  # choices refuses an empty list
    calm.add_argument("--all", action="store_true")
    args = parser.parse_args(argv)
    config = load_json(args.config)
    if args.command == "serve":
        serve(config)
        return 0
    if args.command == "check":
        problems = check(config)
        for problem in problems:
            print(f"trading-sim check: {problem}", file=sys.stderr)
        return 1 if problems else 0
    requests: list[tuple[str, str]] = [("GET", "/scenarios")]
    if args.command == "fire":
        requests = [("PUT", f"/scenarios/{name}") for name in args.scenarios]
    elif args.command == "calm":
        if bool(args.scenarios) == args.all:
            parser.error("calm: name scenarios or --all")
        unknown = sorted(set(args.scenarios) - set(SCENARIOS))
        if unknown:
            parser.error(f"calm: unknown scenario(s) {unknown}; known: {', '.join(SCENARIOS)}")
        requests = [("DELETE", "/scenarios")] if args.all else [("DELETE", f"/scenarios/{n}") for n in args.scenarios]
    for method, path in requests:
        status, document = control(config, method, path)
        if status != 200:
            print(f"trading-sim: {method} {path}: {status} {document}", file=sys.stderr)
            return 1
    print(json.dumps({"active": document["active"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
