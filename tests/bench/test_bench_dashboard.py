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
    panel_paths,
    parse_dashboard,
)


def user(requests: int, latency_ms: float, statuses: dict[int, int]) -> UserResult:
    quantiles = [latency_ms * 1000] * QUANTILE_STEPS
    return UserResult(requests, 10_000_000, 0, statuses, int(latency_ms * 1000), quantiles)


def test_thirty_distinct_panels_each_a_range_query() -> None:
    paths = panel_paths(PANELS)
    assert len(set(paths)) == len(PANELS) == 30
    assert all(p.startswith("/api/v1/query_range?query=") and "&step=" in p for p in paths)


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
        script.write_text(dashboard_lua("Basic dTpw", panel_paths(["a", "b", "c"]), refresh_ms=1000, offset_ms=0))
        started = time.monotonic()
        result = subprocess.run(  # nosec B603 B607 - wrk on loopback, bounded by -d
            ["wrk", "-t1", "-c2", "-d3s", "--timeout", "2s", "-s", str(script), f"http://127.0.0.1:{server.server_port}"],
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
