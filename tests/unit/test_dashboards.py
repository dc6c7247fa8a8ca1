"""Dashboards as code: one source (components/dashboards/panels.py), the rules, Grafana's JSON and the consoles.

A panel that names an alert must draw the series that alert's rule reads and carry its threshold, so the
panel and the alert cannot drift; every recording rule a panel draws is one `recording.yml` defines; the
Grafana JSON and the console pages hold exactly the source's queries; the datasource holds no secret.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from components.core import catalog
from components.dashboards import consoles, grafana
from components.dashboards.panels import SERVICES, Dashboard, Panel, dashboards
from components.prometheus.rules import recording_rule_names, rule_groups
from components.prometheus.rules.promql import num
from components.prometheus.rules.thresholds import AlertThresholds
from testing.mock_stack import RecordedStack

BOARDS = dashboards()
PANELS = [(board, panel) for board in BOARDS for panel in board.panels]
RECORDING_NAME = re.compile(r"\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b")


def alert_rules(thresholds: AlertThresholds | None = None) -> dict[str, dict[str, object]]:
    return {
        rule["alert"]: rule
        for groups in rule_groups(thresholds).values()
        for group in groups
        for rule in group["rules"]
        if "alert" in rule
    }


def _id(item: tuple[Dashboard, Panel]) -> str:
    return f"{item[0].service}: {item[1].title}"


def test_one_dashboard_per_service_and_unique_titles() -> None:
    assert tuple(board.service for board in BOARDS) == SERVICES
    assert len({board.uid for board in BOARDS}) == len(BOARDS)
    for board in BOARDS:
        titles = [panel.title for panel in board.panels]
        assert len(titles) == len(set(titles)), titles


@pytest.mark.parametrize("item", PANELS, ids=_id)
def test_a_panel_about_an_alert_draws_its_series_and_threshold(item: tuple[Dashboard, Panel]) -> None:
    _, panel = item
    if panel.alert is None:
        assert panel.threshold is None
        return
    rules = alert_rules()
    assert panel.alert in rules, f"{panel.alert} is not an alert of the rules"
    expr = str(rules[panel.alert]["expr"])
    assert panel.series and panel.series in panel.expr and panel.series in expr, (panel.series, expr)
    if panel.threshold is not None:
        # the same comparison, so the console colours a value red exactly when the alert's expression is true
        assert re.search(rf"{panel.operator} {re.escape(num(panel.threshold))}(?![0-9.])", expr), (panel.operator, expr)


def test_thresholds_follow_the_stacks_alert_thresholds() -> None:
    """A changed alertThresholds value moves the panel's threshold and the alert's together."""
    changed = AlertThresholds(trade_latency_p99_seconds=0.4, redis_memory_ratio=0.75)
    rules = alert_rules(changed)
    panels = {panel.alert: panel for board in dashboards(changed) for panel in board.panels if panel.alert}
    assert panels["TradeExecutionLatencyHigh"].threshold == 0.4
    assert "> 0.4" in str(rules["TradeExecutionLatencyHigh"]["expr"])
    assert panels["RedisMemoryNearMax"].threshold == 0.75
    assert "> 0.75" in str(rules["RedisMemoryNearMax"]["expr"])


def test_every_recording_rule_a_panel_draws_exists() -> None:
    drawn = {name for _, panel in PANELS for name in RECORDING_NAME.findall(panel.expr)}
    assert drawn and drawn <= set(recording_rule_names()), drawn - set(recording_rule_names())


def test_every_series_a_panel_draws_is_in_the_metrics_contract() -> None:
    contract = (Path(__file__).resolve().parents[2] / "docs" / "metrics-contract.md").read_text()
    functions = {"sum", "by", "rate", "histogram_quantile", "changes", "increase", "without", "le", "job", "venue"}
    for _, panel in PANELS:
        names = set(re.findall(r"\b([a-z_][a-z0-9_:]*)(?=\{|\[|\)|$| /)", panel.expr)) - functions
        for name in names:
            if ":" in name or name in {"up", "instance", "state", "managed_instance", "reason", "rule_group"}:
                continue
            base = re.sub(r"_bucket$", "", name)
            assert f"`{base}`" in contract, f"{panel.title}: {base} is not in docs/metrics-contract.md"


# --- Grafana -------------------------------------------------------------------------------------------------
FILES = grafana.render_grafana_files(BOARDS, "https://mon.example:9090/")


def test_grafana_files_are_valid_json_and_yaml() -> None:
    assert sorted(FILES) == sorted(
        [f"dashboards/{board.uid}.json" for board in BOARDS]
        + ["provisioning/dashboards/promshield.yaml", "provisioning/datasources/promshield.yaml"]
    )
    for path, text in FILES.items():
        document = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
        assert isinstance(document, dict), path


@pytest.mark.parametrize("board", BOARDS, ids=lambda board: board.service)
def test_grafana_dashboard_holds_exactly_the_sources_panels(board: Dashboard) -> None:
    model = json.loads(FILES[f"dashboards/{board.uid}.json"])
    assert model["uid"] == board.uid and model["title"] == board.title
    panels = model["panels"]
    assert [panel["title"] for panel in panels] == [panel.title for panel in board.panels]
    for rendered, panel in zip(panels, board.panels, strict=True):
        assert [target["expr"] for target in rendered["targets"]] == [panel.expr]
        assert rendered["fieldConfig"]["defaults"]["unit"] == panel.unit
        assert rendered["datasource"]["uid"] == "${datasource}"
        steps = rendered["fieldConfig"]["defaults"]["thresholds"]["steps"]
        if panel.threshold is not None:
            assert panel.threshold in [step["value"] for step in steps]
        # every variable a query uses is defined on the dashboard
        used = set(re.findall(r"\$([a-z_]+)", panel.expr))
        defined = {variable["name"] for variable in model["templating"]["list"]}
        assert used <= defined, used - defined
    positions = {(panel["gridPos"]["x"], panel["gridPos"]["y"]) for panel in panels}
    assert len(positions) == len(panels), "panels overlap"


def test_the_datasource_points_at_the_proxy_as_the_read_only_account_without_a_secret() -> None:
    document = yaml.safe_load(FILES["provisioning/datasources/promshield.yaml"])
    (source,) = document["datasources"]
    assert source["url"] == "https://mon.example:9090"
    assert source["basicAuth"] is True and source["basicAuthUser"] == grafana.GRAFANA_USER
    assert source["secureJsonData"] == {
        "basicAuthPassword": "$__env{PROMSHIELD_GRAFANA_PASSWORD}",
        "tlsCACert": "$__file{/etc/grafana/promshield/ca.crt}",
    }
    provider = yaml.safe_load(FILES["provisioning/dashboards/promshield.yaml"])
    assert provider["providers"][0]["options"]["path"] == grafana.DASHBOARDS_DIR


def test_the_grafana_account_is_a_default_read_only_user() -> None:
    from components.proxy.settings import DEFAULT_USERS

    assert (grafana.GRAFANA_USER, "read-only") in DEFAULT_USERS
    dev = yaml.safe_load((Path(__file__).resolve().parents[2] / "Pulumi.dev.yaml").read_text())
    assert {"name": grafana.GRAFANA_USER, "role": "read-only"} in dev["config"]["promshield:users"]


# --- Consoles --------------------------------------------------------------------------------------------------
CONSOLE_FILES = consoles.render_console_files(BOARDS)


def test_console_files_are_one_page_per_service_an_index_and_a_library() -> None:
    assert sorted(CONSOLE_FILES) == sorted(
        [f"{catalog.PROMETHEUS_CONSOLES_DIR}/{service}.html" for service in SERVICES]
        + [f"{catalog.PROMETHEUS_CONSOLES_DIR}/index.html"]
        + [f"{catalog.PROMETHEUS_CONSOLE_LIBRARIES_DIR}/promshield.lib"]
    )
    index = CONSOLE_FILES[f"{catalog.PROMETHEUS_CONSOLES_DIR}/index.html"]
    for service in SERVICES:
        assert f"/consoles/{service}.html" in index


@pytest.mark.parametrize("board", BOARDS, ids=lambda board: board.service)
def test_a_console_page_queries_every_panel_and_links_it_to_its_graph(board: Dashboard) -> None:
    page = CONSOLE_FILES[f"{catalog.PROMETHEUS_CONSOLES_DIR}/{board.service}.html"]
    for panel in board.panels:
        expr = consoles.console_expr(panel)
        assert "$" not in expr
        assert f"query `{expr}`" in page
        assert consoles.graph_href(expr) in page


def test_console_pages_need_no_script() -> None:
    """Our own templates: no <script>, no legacy JS library (2.x's console libraries carry known CVEs)."""
    assert not any("<script" in text.lower() for text in CONSOLE_FILES.values())


def test_prometheus_gets_the_console_flags_and_files(dev_stack: RecordedStack) -> None:
    name = catalog.container_name(dev_stack.stack, catalog.PROMETHEUS)
    command = dev_stack.containers()[name].inputs["command"]
    assert f"--web.console.templates={catalog.PROMETHEUS_CONSOLES_DIR}" in command
    assert f"--web.console.libraries={catalog.PROMETHEUS_CONSOLE_LIBRARIES_DIR}" in command
    files = dev_stack.container_files(name)
    assert {path: files[path]["content"] for path in CONSOLE_FILES} == CONSOLE_FILES
