"""Recording and alerting rules: rendered by components.prometheus.rules, checked by the real promtool.

- `promtool check rules` on the files rendered with the default and with non-default thresholds;
- `promtool test rules` on every unit-test file in tests/rules/cases/ (`custom_*.yml` run
  against the rules rendered with CUSTOM, the others against the defaults);
- a generated test showing that the latency threshold changes behaviour (p99 0.3s fires with
  0.25s and stays silent with 0.5s);
- Python checks of the rendered data: labels, annotations, runbook anchors, names, and that every
  alert has a firing and a silent unit-test case.

promtool (Debian's prometheus package, 2.42) must be on PATH; the deployed server is 3.5, so the
rules avoid 3.x-only syntax (checked statically below).
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess  # nosec B404: runs promtool with fixed arguments
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.prometheus.rules import (
    RULE_FILE_NAMES,
    SEVERITIES,
    AlertThresholds,
    alert_names,
    config_key,
    recording_rule_names,
    render_rule_files,
    render_runbook_markdown,
    rule_groups,
    runbook_anchor,
    threshold_config_keys,
    threshold_fields,
    threshold_problem,
    thresholds_from_config,
)
from components.prometheus.rules import thresholds as thresholds_module

CASES_DIR = Path(__file__).parent / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.yml"))
RULES_SUBDIR = "rules"

# The thresholds tests/rules/cases/custom_*.yml are written for (listed in its header too).
CUSTOM = AlertThresholds(
    trade_latency_p99_seconds=0.5,
    trade_latency_for="2m",
    slippage_bps=10.0,
    slippage_for="1m",
    trade_failure_ratio=0.2,
    instance_manager_cpu_ratio=0.5,
    instance_manager_resource_for="1m",
    instance_manager_restarts=5,
    duckdb_success_rate_min=0.9,
    duckdb_stale_seconds=600,
    duckdb_snapshot_stale_seconds=600,
    redis_memory_ratio=0.99,
    redis_rejected_connections_rate=0.05,
    target_down_for="1m",
    stack_for="0s",
)

# Always fires by design: it has firing cases only.
NEVER_SILENT = {"Watchdog"}

PROMTOOL_TIMEOUT = 60


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool not found: install Debian's `prometheus` package (make test does)")
    return path


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # nosec B603: fixed promtool arguments, no shell
        [_promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=PROMTOOL_TIMEOUT, check=False
    )


def _render_into(directory: Path, thresholds: AlertThresholds) -> Path:
    rules = directory / RULES_SUBDIR
    rules.mkdir(parents=True, exist_ok=True)
    for name, text in render_rule_files(thresholds).items():
        (rules / name).write_text(text, encoding="utf-8")
    return rules


def _thresholds_for(case: Path) -> AlertThresholds:
    return CUSTOM if case.name.startswith("custom_") else AlertThresholds()


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def _alerting_rules(thresholds: AlertThresholds | None = None) -> list[dict[str, Any]]:
    return [
        rule
        for groups in rule_groups(thresholds).values()
        for group in groups
        for rule in group["rules"]
        if "alert" in rule
    ]


def _all_exprs(thresholds: AlertThresholds | None = None) -> list[str]:
    return [rule["expr"] for groups in rule_groups(thresholds).values() for group in groups for rule in group["rules"]]


# --- promtool ----------------------------------------------------------------------------------


@pytest.mark.parametrize("thresholds", [AlertThresholds(), CUSTOM], ids=["defaults", "custom"])
def test_promtool_check_rules(tmp_path: Path, thresholds: AlertThresholds) -> None:
    rules = _render_into(tmp_path, thresholds)
    result = _run(["check", "rules", *(str(rules / name) for name in RULE_FILE_NAMES)], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    total = sum(int(n) for n in re.findall(r"SUCCESS: (\d+) rules found", result.stdout))
    assert total == len(alert_names()) + len(recording_rule_names())


@pytest.mark.parametrize("case", CASE_FILES, ids=[c.stem for c in CASE_FILES])
def test_promtool_unit_tests(tmp_path: Path, case: Path) -> None:
    _render_into(tmp_path, _thresholds_for(case))
    shutil.copy(case, tmp_path / case.name)
    result = _run(["test", "rules", case.name], tmp_path)
    assert result.returncode == 0, f"{case.name}:\n{result.stdout}{result.stderr}"
    assert "SUCCESS" in result.stdout


def _latency_test(threshold: float, fires: bool) -> dict[str, Any]:
    """98% of trades under 0.2s, 2% in (0.2, 0.4]: p99 interpolates to exactly 0.3s."""
    series = 'trade_execution_latency_seconds_bucket{{job="trade-engine", instance="te:9100", venue="nyse", le="{}"}}'
    expected = []
    if fires:
        expected = [
            {
                "exp_labels": {"severity": "warning", "job": "trade-engine", "venue": "nyse"},
                "exp_annotations": {
                    "summary": "Trade execution p99 latency is high on venue nyse",
                    "description": (
                        "The p99 trade execution latency on venue nyse is 300ms over the last 5m, above the "
                        f"{threshold:g}s threshold for 5m."
                    ),
                    "runbook_url": "docs/runbooks.md#runbook-tradeexecutionlatencyhigh",
                },
            }
        ]
    return {
        "rule_files": [f"{RULES_SUBDIR}/{name}" for name in RULE_FILE_NAMES],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": series.format("0.2"), "values": "0+5880x20"},
                    {"series": series.format("0.4"), "values": "0+6000x20"},
                    {"series": series.format("+Inf"), "values": "0+6000x20"},
                ],
                "alert_rule_test": [
                    {"eval_time": "10m", "alertname": "TradeExecutionLatencyHigh", "exp_alerts": expected}
                ],
                "promql_expr_test": [
                    {
                        "expr": "round(job_venue:trade_execution_latency_seconds:p99_rate5m, 0.001)",
                        "eval_time": "10m",
                        "exp_samples": [{"labels": '{job="trade-engine", venue="nyse"}', "value": 0.3}],
                    }
                ],
            }
        ],
    }


@pytest.mark.parametrize(("threshold", "fires"), [(0.25, True), (0.5, False)], ids=["0.25s-fires", "0.5s-silent"])
def test_latency_threshold_changes_behaviour(tmp_path: Path, threshold: float, fires: bool) -> None:
    _render_into(tmp_path, AlertThresholds(trade_latency_p99_seconds=threshold))
    (tmp_path / "latency.yml").write_text(
        yaml.safe_dump(_latency_test(threshold, fires), sort_keys=False), encoding="utf-8"
    )
    result = _run(["test", "rules", "latency.yml"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


# --- unit-test coverage ------------------------------------------------------------------------


def _case_outcomes(cases: list[Path]) -> dict[str, dict[str, int]]:
    """alertname → {"firing": n, "silent": n} over the alert_rule_test entries of `cases`."""
    outcomes: dict[str, dict[str, int]] = {}
    for case in cases:
        for test in _load(case)["tests"]:
            for check in test.get("alert_rule_test", []):
                kind = "firing" if check.get("exp_alerts") else "silent"
                outcomes.setdefault(check["alertname"], {"firing": 0, "silent": 0})[kind] += 1
    return outcomes


def test_every_alert_has_a_firing_and_a_silent_case_with_defaults() -> None:
    outcomes = _case_outcomes([c for c in CASE_FILES if not c.name.startswith("custom_")])
    for name in alert_names():
        counts = outcomes.get(name, {"firing": 0, "silent": 0})
        assert counts["firing"] >= 1, f"{name}: no case where it fires"
        if name not in NEVER_SILENT:
            assert counts["silent"] >= 1, f"{name}: no case where it stays silent"
    assert set(outcomes) <= set(alert_names()), "cases name alerts that do not exist"


def test_firing_cases_state_labels_and_annotations() -> None:
    for case in CASE_FILES:
        for test in _load(case)["tests"]:
            for check in test.get("alert_rule_test", []):
                for alert in check.get("exp_alerts") or []:
                    assert "severity" in alert.get("exp_labels", {}), (case.name, check["alertname"])
                    assert set(alert.get("exp_annotations", {})) == {"summary", "description", "runbook_url"}, (
                        case.name,
                        check["alertname"],
                    )


def test_case_files_load_the_rendered_files() -> None:
    for case in CASE_FILES:
        assert _load(case)["rule_files"] == [f"{RULES_SUBDIR}/{name}" for name in RULE_FILE_NAMES], case.name


# --- rendered data -----------------------------------------------------------------------------


@pytest.mark.parametrize("thresholds", [AlertThresholds(), CUSTOM], ids=["defaults", "custom"])
def test_every_alert_has_severity_summary_description_runbook(thresholds: AlertThresholds) -> None:
    rules = _alerting_rules(thresholds)
    assert [r["alert"] for r in rules] == alert_names()
    for rule in rules:
        name = rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, name
        annotations = rule["annotations"]
        assert set(annotations) == {"summary", "description", "runbook_url"}, name
        assert all(isinstance(v, str) and v.strip() for v in annotations.values()), name
        assert annotations["runbook_url"] == f"docs/runbooks.md#runbook-{name.lower()}"
        assert name != "Watchdog" or rule["labels"]["severity"] == "none"


def test_required_alerts_and_recording_rules_exist() -> None:
    required = {
        "TradeExecutionLatencyHigh", "TradeSlippageHigh", "InstanceManagerDown", "InstanceManagerRestarting",
        "InstanceManagerCpuHigh", "InstanceManagerMemoryHigh", "DuckDBExporterDown", "DuckDBProbeLatencyHigh",
        "DuckDBTransactionSuccessRateLow", "RedisDown", "RedisMemoryNearMax", "RedisRejectedConnections",
        "TargetDown", "PrometheusRuleEvaluationFailures", "PrometheusConfigReloadFailed",
        "AlertmanagerNotificationsFailing", "PrometheusNotificationsFailing", "Watchdog",
    }  # fmt: skip
    names = alert_names()
    assert required <= set(names)
    assert len(names) == len(set(names))
    records = recording_rule_names()
    assert len(records) == len(set(records))
    for record in records:  # level:metric:operations
        assert re.fullmatch(r"[a-z_]+:[a-z_]+:[a-z0-9_]+", record), record


def test_rendered_yaml_is_the_rule_data_and_deterministic() -> None:
    files = render_rule_files(CUSTOM)
    assert list(files) == list(RULE_FILE_NAMES)
    assert files == render_rule_files(CUSTOM)
    data = rule_groups(CUSTOM)
    for name, text in files.items():
        assert text.startswith("# Generated by promshield")
        assert yaml.safe_load(text) == {"groups": data[name]}


def test_alerts_carry_job_selectors_from_the_catalog() -> None:
    from components.core import catalog

    text = "\n".join(_all_exprs())
    jobs = (
        catalog.JOB_TRADE_ENGINE,
        catalog.JOB_INSTANCE_MANAGER,
        catalog.JOB_DUCKDB,
        catalog.JOB_REDIS,
        catalog.JOB_PROMETHEUS,
        catalog.JOB_ALERTMANAGER,
    )
    for job in jobs:
        assert f'job="{job}"' in text, job


def test_no_prometheus3_only_syntax() -> None:
    """promtool 2.42 checks syntax; this catches 3.x-only features it would not know to reject."""
    forbidden = re.compile(
        r"info\(|limitk|limit_ratio|double_exponential_smoothing|ts_of_|sort_by_label|\{\"|"
        r"\[\d+[smhdwy]\s*[-+*/]|step\(\)|anchored|smoothed"
    )
    for expr in _all_exprs(CUSTOM) + _all_exprs():
        assert not forbidden.search(expr), expr


def test_thresholds_reach_the_expressions_and_for() -> None:
    by_name = {r["alert"]: r for r in _alerting_rules(CUSTOM)}
    assert by_name["TradeExecutionLatencyHigh"]["expr"].endswith("> 0.5")
    assert by_name["TradeExecutionLatencyHigh"]["for"] == "2m"
    assert by_name["TradeSlippageHigh"]["expr"].endswith("> 10")
    assert by_name["InstanceManagerRestarting"]["expr"].endswith(">= 5")
    assert by_name["RedisRejectedConnections"]["expr"].endswith("> 0.05")
    assert "for" not in by_name["PrometheusConfigReloadFailed"]  # stackFor 0s: fires at once
    tiny = {r["alert"]: r for r in _alerting_rules(AlertThresholds(redis_rejected_connections_rate=1e-05))}
    assert tiny["RedisRejectedConnections"]["expr"].endswith("> 1e-05")


def test_tiny_and_large_numbers_are_valid_promql(tmp_path: Path) -> None:
    thresholds = AlertThresholds(
        redis_rejected_connections_rate=1e-05, slippage_bps=12345.678, trade_latency_p99_seconds=1e-3
    )
    rules = _render_into(tmp_path, thresholds)
    result = _run(["check", "rules", *(str(rules / name) for name in RULE_FILE_NAMES)], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_runbook_markdown_has_an_anchor_for_every_alert() -> None:
    text = render_runbook_markdown()
    for name in alert_names():
        heading = f"### Runbook: {name}"
        assert heading in text
        # GitHub anchor: lowercase, punctuation dropped, spaces → '-'
        anchor = re.sub(r"[^a-z0-9 -]", "", heading.lstrip("# ").lower()).replace(" ", "-")
        assert anchor == runbook_anchor(name)


# --- thresholds and config keys ----------------------------------------------------------------


def test_threshold_fields_and_config_keys() -> None:
    types = threshold_fields()
    assert types["trade_latency_p99_seconds"] is float
    assert types["instance_manager_restarts"] is int
    assert types["trade_latency_for"] is str
    assert set(types.values()) <= {float, int, str}
    keys = threshold_config_keys()
    assert keys["tradeLatencyP99Seconds"] == "trade_latency_p99_seconds"
    assert keys["duckdbProbeP99Seconds"] == "duckdb_probe_p99_seconds"
    assert sorted(keys.values()) == sorted(types)
    assert config_key("redis_memory_ratio") == "redisMemoryRatio"
    doc = thresholds_module.__doc__ or ""
    for key in keys:  # the module docstring's table documents every key
        assert re.search(rf"^\| `{key}` \|", doc, re.MULTILINE), key


def test_defaults_match_the_documented_ones() -> None:
    t = AlertThresholds()
    assert (
        t.trade_latency_p99_seconds,
        t.slippage_bps,
        t.instance_manager_cpu_ratio,
        t.instance_manager_memory_ratio,
    ) == (0.25, 5.0, 0.9, 0.9)
    assert (
        t.instance_manager_restarts,
        t.duckdb_probe_p99_seconds,
        t.duckdb_success_rate_min,
        t.redis_memory_ratio,
    ) == (3, 1.0, 0.99, 0.9)
    assert t.redis_rejected_connections_rate == 0.0
    for f in fields(AlertThresholds):
        assert threshold_problem(f.name, getattr(t, f.name)) is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("instance_manager_cpu_ratio", 1.5),
        ("redis_memory_ratio", 0),
        ("duckdb_success_rate_min", -0.1),
        ("trade_latency_p99_seconds", 0),
        ("trade_latency_p99_seconds", math.inf),
        ("trade_latency_p99_seconds", "fast"),
        ("slippage_bps", True),
        ("instance_manager_restarts", 0),
        ("instance_manager_restarts", 2.5),
        ("redis_rejected_connections_rate", -1),
        ("target_down_for", "5 minutes"),
        ("target_down_for", ""),
        ("stack_for", 300),
    ],
)
def test_bad_thresholds_are_refused_with_the_config_key(name: str, value: object) -> None:
    problem = threshold_problem(name, value)
    assert problem is not None and problem.startswith(f"alertThresholds.{config_key(name)}")
    with pytest.raises(ValueError, match=f"alertThresholds.{config_key(name)}"):
        changes: dict[str, Any] = {name: value}
        replace(AlertThresholds(), **changes)


def test_thresholds_from_config() -> None:
    t = thresholds_from_config({"tradeLatencyP99Seconds": 1, "instanceManagerRestarts": 4, "stackFor": "15m"})
    assert t.trade_latency_p99_seconds == 1.0 and isinstance(t.trade_latency_p99_seconds, float)
    assert t.instance_manager_restarts == 4 and t.stack_for == "15m"
    with pytest.raises(ValueError) as error:
        thresholds_from_config({"latency": 1, "redisMemoryRatio": 2, "instanceManagerRestarts": 2.5})
    message = str(error.value)
    assert "alertThresholds.latency: unknown threshold" in message
    assert "alertThresholds.redisMemoryRatio" in message
    assert "alertThresholds.instanceManagerRestarts" in message


def test_promtool_case_counts() -> None:
    """Keeps the firing/silent numbers visible: `pytest -rP tests/rules -k case_counts`."""
    totals = {"firing": 0, "silent": 0}
    for counts in _case_outcomes(CASE_FILES).values():
        totals["firing"] += counts["firing"]
        totals["silent"] += counts["silent"]
    print(f"promtool alert cases: {totals['firing']} firing, {totals['silent']} silent, in {len(CASE_FILES)} files")
    assert totals["firing"] >= len(alert_names())
    assert totals["silent"] >= len(alert_names()) - len(NEVER_SILENT)


def test_metrics_contract_lists_every_rule() -> None:
    contract = (Path(__file__).parents[2] / "docs" / "metrics-contract.md").read_text(encoding="utf-8")
    for name in alert_names() + recording_rule_names():
        assert name in contract, f"docs/metrics-contract.md does not mention {name}"
