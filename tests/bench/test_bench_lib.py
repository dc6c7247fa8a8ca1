"""Smoke test of the benchmark's pure parts (bench/lib.py); `make bench` runs the rest."""

from __future__ import annotations

import pytest

from bench.lib import (
    DIRECT,
    NAIVE,
    PROXIED,
    Run,
    TransformError,
    WrkResult,
    format_table,
    headline,
    naive_nginx_conf,
    parse_wrk,
    query_summary,
    scale_growth,
    wrk_lua,
)
from components.core import catalog
from components.proxy.render import ProxySettings, render_nginx_conf
from components.stack.settings import load_settings


def rendered() -> str:
    return render_nginx_conf(ProxySettings.of(load_settings(lambda key: None, "bench")))


def test_naive_conf_checks_bcrypt_in_every_proxied_location() -> None:
    conf = rendered()
    naive = naive_nginx_conf(conf, catalog.PROXY_HTPASSWD_FILE)
    assert not [line for line in naive.splitlines() if line.strip().startswith("auth_request")]
    assert (
        naive.count(f"auth_basic_user_file {catalog.PROXY_HTPASSWD_FILE};") == conf.count("auth_request /_authn;") + 1
    )  # + the /authn server's own
    # Nothing else changed: the same text minus the two cached-check lines per location.
    removed = {line.strip() for line in conf.splitlines()} - {line.strip() for line in naive.splitlines()}
    assert removed == {"auth_request /_authn;", "auth_request_set $auth_user $upstream_http_x_promshield_user;"}


def test_naive_conf_refuses_a_config_it_does_not_understand() -> None:
    with pytest.raises(TransformError):
        naive_nginx_conf(rendered().replace("auth_request_set $auth_user", "auth_request_set $someone_else"), "/x")
    with pytest.raises(TransformError):
        naive_nginx_conf("events {}\nhttp {}\n", "/x")


def test_wrk_script_and_result_line() -> None:
    script = wrk_lua({"Authorization": "Basic dXNlcjpwdw=="})
    assert 'wrk.headers["Authorization"] = "Basic dXNlcjpwdw=="' in script and "function done" in script
    with pytest.raises(ValueError):
        wrk_lua({"X": 'a"b'})
    result = parse_wrk("Running 10s test\nBENCH_RESULT 1000 10000000 5000 0 0 0 2 0 1500 2500 9000 12000 1700.5\n")
    assert result.rps == 100.0 and result.errors == 2 and result.p99_us == 9000
    with pytest.raises(ValueError):
        parse_wrk("nothing here")


def fake(rps: int, p50_us: int) -> WrkResult:
    return WrkResult(rps * 10, 10_000_000, 0, 0, 0, 0, 0, 0, p50_us, p50_us * 2, p50_us * 3, p50_us * 4, float(p50_us))


def test_summary_ratios_and_table() -> None:
    runs = [
        Run("instant", path, round_number, fake(rps, p50), {"proxy": 1.0, "wrk": 0.5})
        for round_number in (1, 2, 3)
        for path, rps, p50 in ((PROXIED, 800, 2500), (DIRECT, 1000, 2000), (NAIVE, 20, 400_000))
    ]
    summary = query_summary(runs, "/api/v1/query?query=up")
    assert summary["throughput_ratio"] == 0.8 and summary["p50_overhead_ms"] == 0.5 and summary["naive_ratio"] == 0.02
    top = headline({"instant": summary}, "instant")
    assert top["proxied_rps"] == 800 and top["direct_rps"] == 1000 and top["naive_rps"] == 20
    assert top["goals"]["throughput_ratio >= 0.5"] and top["goals"]["p50_overhead_ms <= 3"]
    assert summary["paths"][PROXIED]["cpu_us_per_request"]["proxy"] == pytest.approx(1e6 * 3 / 24000, rel=1e-3)
    table = format_table({"instant": summary})
    assert "proxied" in table and "naive" in table and "throughput_ratio 0.8" in table


def test_scale_growth_verdict() -> None:
    assert scale_growth({10: 1.0, 100: 1.1, 1000: 2.0, 2000: 3.0})["growth"] == "linear"
    assert scale_growth({10: 1.0, 100: 1.01, 1000: 1.5})["growth"].startswith("linear or better")
    assert scale_growth({10: 1.0, 100: 1.5, 1000: 40.0})["growth"] == "superlinear"


def test_the_bench_stack_config_is_valid() -> None:
    """`make bench` runs the program with this config: a settings rule added later must not break it
    (limits.connectionsPerSource >= connectionsPerClient once did)."""
    from bench.host import bench_config
    from testing.mock_stack import run_program

    stack = run_program(bench_config(), stack="bench")
    proxy = stack.container_files(catalog.container_name("bench", catalog.PROXY))
    assert "auth_request /_authn;" in str(proxy[catalog.PROXY_CONFIG_FILE]["content"])
