"""The dashboard scenario's pure parts, and its wrk script run for real against a loopback server."""

from __future__ import annotations

import shutil
import subprocess  # nosec B404 - runs wrk on loopback
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.dashboard import (
    PANELS,
    QUANTILE_STEPS,
    UserResult,
    _merged_quantile,
    dashboard_lua,
    dashboard_summary,
    format_dashboard,
    panel_paths,
    parse_dashboard,
)
from components.dashboards.consoles import console_expr
from components.dashboards.panels import dashboards


def user(requests: int, latency_ms: float, statuses: dict[int, int]) -> UserResult:
    quantiles = [latency_ms * 1000] * QUANTILE_STEPS
    return UserResult(requests, 10_000_000, 0, statuses, int(latency_ms * 1000), quantiles)


def test_the_panels_are_every_panel_of_the_stacks_dashboards_each_a_range_query() -> None:
    expected = {console_expr(panel) for board in dashboards() for panel in board.panels}
    assert set(PANELS) == expected and len(PANELS) >= 30
    assert not any("$" in query for query in PANELS)  # every variable resolved (All)
    paths = panel_paths(PANELS)
    assert len(set(paths)) == len(PANELS)
    assert all(p.startswith("/api/v1/query_range?query=") and "&step=" in p for p in paths)


def timed(by_panel: dict[int, list[int]]) -> UserResult:
    values = sorted(v for vs in by_panel.values() for v in vs)
    quantiles = [float(values[min(len(values) - 1, i * len(values) // QUANTILE_STEPS)]) for i in range(QUANTILE_STEPS)]
    return UserResult(len(values), 10_000_000, 0, {200: len(values)}, values[-1], quantiles, by_panel)


def test_the_profile_separates_the_panel_mix_from_jitter() -> None:
    # Panel 0 costs 1 ms, panel 1 costs 10 ms, every request exactly its cost: no jitter, and yet the
    # overall p99 is 10 x the p50 - the mix floor says so, and every panel is within 2 x its own p50.
    steady = timed({0: [1000] * 50, 1: [10_000] * 50})
    profile = dashboard_summary({"a": steady}, None, ["cheap", "dear"])["profile"]
    assert profile["panels"]["cheap"]["p50_ms"] == 1.0 and profile["panels"]["dear"]["p99_ms"] == 10.0
    assert profile["mix_floor"] == {"p50_ms": 1.0, "p99_ms": 10.0, "p99_over_p50": 10.0}
    assert profile["panels_with_p99_within_2x_p50"] == 2 and profile["jitter_p99"] == 1.0
    # One panel with spikes: 3 requests in 100 at 6 x its p50 - that panel misses, the other does not.
    spiky = timed({0: [1000] * 97 + [6000] * 3, 1: [1000] * 100})
    summary = dashboard_summary({"a": spiky}, None, ["spiky", "calm"])
    assert summary["profile"]["panels_with_p99_within_2x_p50"] == 1
    assert summary["profile"]["panels"]["spiky"]["p99_ms"] == 6.0
    assert summary["goals"]["every_panel_p99_within_2x_its_p50"] is False
    assert "spiky" in format_dashboard(summary)


def test_summary_flags_throttled_and_slow_users_and_wants_the_flood_limited() -> None:
    smooth = dashboard_summary({"a": user(100, 5, {200: 100}), "b": user(100, 6, {200: 100})}, user(500, 1, {429: 400}))
    assert smooth["overall"]["requests"] == 200
    assert smooth["overall"]["p50_ms"] == 5.0 and smooth["overall"]["p99_ms"] == 6.0
    assert all(smooth["goals"].values()), smooth["goals"]
    throttled = dashboard_summary({"a": user(100, 5, {200: 99, 429: 1})}, user(500, 1, {200: 500}))
    assert throttled["goals"]["no_429"] is False and throttled["goals"]["flood_rate_limited"] is False
    assert throttled["users"]["a"]["429"] == 1


def test_merged_quantile_weights_each_user_by_its_requests() -> None:
    # 99 requests at 5 ms and 1 user's 1 request at 500 ms: the overall p99 is 5 ms, the max 500.
    users = [user(99, 5, {200: 99}), user(1, 500, {200: 1})]
    assert _merged_quantile(users, 0.99) == 5000
    assert _merged_quantile(users, 1.0) == 500_000


@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (make deps installs it)")
def test_the_script_refreshes_on_schedule_and_counts_statuses(tmp_path: Path) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            status = 429 if "query=c" in self.path else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        script = tmp_path / "dashboard.lua"
        script.write_text(
            dashboard_lua("Basic dTpw", panel_paths(["a", "b", "c"]), refresh_ms=1000, offset_ms=0, connections=2)
        )
        started = time.monotonic()
        result = subprocess.run(  # nosec B603 B607 - wrk on loopback, bounded by -d
            ["wrk", "-t2", "-c2", "-d3s", "--timeout", "2s", "-s", str(script), f"http://127.0.0.1:{server.server_port}"],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        assert time.monotonic() - started < 10
    finally:
        server.shutdown()
    parsed = parse_dashboard(result.stdout)
    # Refreshes at 0, 1 and 2 s (the one at 3 s may or may not start before wrk stops): 3 panels each.
    assert 9 <= parsed.requests <= 12, parsed
    assert parsed.statuses[429] == parsed.requests - parsed.statuses[200]
    assert 3 <= parsed.statuses[429] <= 4
    assert len(parsed.quantiles_us) == QUANTILE_STEPS
    # Every answered request was timed under its own panel (c: the 429s), none twice.
    timed_counts = {index: len(values) for index, values in parsed.panel_latencies_us.items()}
    assert sorted(timed_counts) == [0, 1, 2] and sum(timed_counts.values()) == parsed.requests
    assert timed_counts[2] == parsed.statuses[429]
    assert all(0 < v < 2_000_000 for values in parsed.panel_latencies_us.values() for v in values)
