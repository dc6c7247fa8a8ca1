"""The dashboards on live data (issue 24): every Grafana panel's query, every console page in Chromium.

The acceptance stack runs the trading simulator (Instance Manager, Trade Engine), four demo Redis, the
DuckDB exporter and the stack itself, so every series the panels draw exists.

1. **Grafana.** The dashboards' JSON as `make render` writes it (`components/dashboards/grafana.py`)
   is read back; every variable is resolved like Grafana's `label_values()` and every panel's query,
   with each value of its variables substituted (and with "All", `.*`), runs through the proxy as the
   stack's `grafana` account (role read-only), the one the provisioned datasource uses. A query that
   returns nothing fails the test.
2. **The proxy's counters**: a failed login and a rate-limited burst move `promshield_proxy_*`.
3. **Console pages.** Chromium (test_25_ui's driver) opens `/consoles/index.html` and every service page
   as read-only: 200, no failed request, no console error, no template error; every figure links to
   the graph of a panel's query, and such a link opens for read-only. no-access gets the proxy's 403.
   Screenshots go to `docs/images/console-<page>.png` (committed: docs/dashboards.md shows them).
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from components.dashboards.consoles import INDEX, console_expr
from components.dashboards.grafana import GRAFANA_USER, render_grafana_files
from components.dashboards.panels import dashboards
from harness.paths import REPO_ROOT, RUN_ROOT
from harness.stack import ROLE_USER, AcceptanceStack, wait_until
from tests.acceptance.test_25_ui import PROMETHEUS_URL, _clean, _run_browser, _visit

pytestmark = pytest.mark.acceptance

BOARDS = dashboards()
PAGES = ("index", *(board.service for board in BOARDS))
IMAGES = REPO_ROOT / "docs" / "images"
CONSOLES_DIR = RUN_ROOT / "consoles"
DATA_TIMEOUT = 180.0  # a fresh stack: rates over 5m need two scrapes, recording rules an evaluation
TEMPLATE_ERROR = re.compile(r"error executing template|template: |<no value>", re.IGNORECASE)
ALL = ".*"


# --- 1. Grafana: every panel's query returns data ---------------------------------------------------------
def grafana_models() -> list[dict[str, Any]]:
    files = render_grafana_files(BOARDS, PROMETHEUS_URL)
    return [json.loads(text) for path, text in sorted(files.items()) if path.endswith(".json")]


def panel_cases() -> list[tuple[str, str, str, tuple[tuple[str, str], ...]]]:
    """(dashboard uid, panel title, expr, the dashboard's query variables as (name, label_values query))."""
    cases = []
    for model in grafana_models():
        variables = tuple(
            (variable["name"], variable["query"])
            for variable in model["templating"]["list"]
            if variable["type"] == "query"
        )
        for panel in model["panels"]:
            for target in panel["targets"]:
                cases.append((model["uid"], panel["title"], target["expr"], variables))
    return cases


def label_values(stack: AcceptanceStack, query: str) -> list[str]:
    """Grafana's `label_values(series, label)`: the label's values on the series (an instant query here)."""
    match = re.fullmatch(r"label_values\((?P<series>.+), (?P<label>[a-z_]+)\)", query)
    assert match, query
    label = match["label"]
    result = stack.query(f"group by ({label}) ({match['series']})", user=GRAFANA_USER)
    return sorted(sample["metric"][label] for sample in result if label in sample["metric"])


def regex_value(value: str) -> str:
    """A variable's value in a `=~"..."` matcher as Grafana writes it: regex characters escaped with a
    backslash, itself escaped in the PromQL string (Grafana's prometheus datasource does the same)."""
    return re.sub(r"([\\^$*+?.()|\[\]{}])", r"\\\\\1", value)


def substituted(expr: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        expr = expr.replace(f"${name}", value if value == ALL else regex_value(value))
    assert "$" not in expr.replace("$__", ""), f"an unresolved variable in {expr}"
    return expr


def panel_data(stack: AcceptanceStack, query: str) -> list[dict[str, Any]]:
    """The query's result as the grafana account; a refused or failed query fails at once (no wait)."""
    response = stack.request("POST", "prometheus", "/api/v1/query", user=GRAFANA_USER, form={"query": query})
    if response.status != 200:
        pytest.fail(f"{query}: {response.status} {response.text[:300]}")
    result: list[dict[str, Any]] = response.json()["data"]["result"]
    return result


@pytest.fixture(scope="module")
def variable_values(stack: AcceptanceStack) -> dict[str, list[str]]:
    """Every query variable's values on the live stack (waits for the first samples of a fresh stack)."""
    found: dict[str, list[str]] = {}
    for _, _, _, variables in panel_cases():
        for name, query in variables:
            if name not in found:
                found[name] = wait_until(
                    lambda q=query: label_values(stack, q), timeout=DATA_TIMEOUT, interval=2, what=query
                )
    print(f"dashboards: variables {found}")
    return found


def _case_id(case: tuple[str, str, str, tuple[tuple[str, str], ...]]) -> str:
    return f"{case[0]}: {case[1]}"


def test_every_dashboard_has_panels_and_every_panel_a_query() -> None:
    cases = panel_cases()
    assert {uid for uid, *_ in cases} == {board.uid for board in BOARDS}
    assert len(cases) == sum(len(board.panels) for board in BOARDS)


@pytest.mark.parametrize("case", panel_cases(), ids=_case_id)
def test_every_grafana_panel_returns_data_as_read_only(
    stack: AcceptanceStack, variable_values: dict[str, list[str]], case: tuple[str, str, str, tuple[Any, ...]]
) -> None:
    uid, title, expr, variables = case
    names = [name for name, _ in variables]
    # "All" first, then every single value of each variable (the others at All).
    choices = [dict.fromkeys(names, ALL)] + [
        {**dict.fromkeys(names, ALL), name: value} for name in names for value in variable_values[name]
    ]
    for number, choice in enumerate(choices):
        query = substituted(expr, choice)
        # A fresh stack's first samples: the first query waits for them, the others find them.
        timeout = DATA_TIMEOUT if number == 0 else 30.0
        result = wait_until(lambda q=query: panel_data(stack, q), timeout=timeout, interval=2, what=query)
        print(f"dashboards: {uid} / {title} {choice}: {len(result)} series, e.g. {result[0]['value'][1]}")


# --- 2. The proxy's request counters -----------------------------------------------------------------------
def _counter(stack: AcceptanceStack, name: str) -> float:
    result = stack.query(f"sum({name}{{job='proxy'}})", user=GRAFANA_USER)
    return float(result[0]["value"][1]) if result else -1.0


def test_a_failed_login_and_a_rate_limited_burst_move_the_proxy_counters(stack: AcceptanceStack) -> None:
    failed = _counter(stack, "promshield_proxy_failed_logins_total")
    limited = _counter(stack, "promshield_proxy_rate_limited_total")
    assert failed >= 0 and limited >= 0, "the proxy's counters are not scraped"
    wrong = stack.request("GET", "prometheus", "/api/v1/query?query=up", user="grafana", password="not-its-password-78")
    assert wrong.status == 401, wrong.status
    statuses = []
    for _ in range(40):  # bounded: the burst user's budget is 5/s, burst 5
        response = stack.request("GET", "prometheus", "/-/healthy", user="burst", client="trusted2", pace=False)
        statuses.append(response.status)
        if response.status == 429:
            break
    assert 429 in statuses, statuses
    wait_until(
        lambda: _counter(stack, "promshield_proxy_failed_logins_total") >= failed + 1,
        timeout=60,
        interval=2,
        what="the failed login counted",
    )
    wait_until(
        lambda: _counter(stack, "promshield_proxy_rate_limited_total") >= limited + 1,
        timeout=60,
        interval=2,
        what="the 429 counted",
    )
    # A 429 is answered before authentication (limit_req runs first), so it has no role.
    decisions = stack.query('sum by (role, decision) (promshield_proxy_requests_total{job="proxy"})', user=GRAFANA_USER)
    seen = {(sample["metric"]["role"], sample["metric"]["decision"]) for sample in decisions}
    assert {("read-only", "allowed"), ("none", "rate-limited"), ("none", "unauthenticated")} <= seen, seen


# --- 3. Console pages ---------------------------------------------------------------------------------------
def page_path(page: str) -> str:
    return f"/consoles/{INDEX if page == 'index' else page + '.html'}"


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ["admin", "ops", "read-only", "no-access"])
def test_console_pages_are_for_the_reader_roles(stack: AcceptanceStack, page: str, role: str) -> None:
    response = stack.request("GET", "prometheus", page_path(page), user=ROLE_USER[role])
    if role == "no-access":
        assert response.status == 403 and response.proxy_denied, (response.status, response.text[:200])
    else:
        assert response.status == 200, (response.status, response.text[:300])
        assert not TEMPLATE_ERROR.search(response.text), response.text[:500]


def test_the_index_links_every_page(stack: AcceptanceStack) -> None:
    text = stack.request("GET", "prometheus", page_path("index"), user="read-only").text
    links = set(re.findall(r'href="(/consoles/[^"]+)"', text))
    assert {page_path(page) for page in PAGES} <= links, links


@pytest.mark.parametrize("board", BOARDS, ids=lambda board: board.service)
def test_every_figure_links_to_the_graph_of_its_panel(stack: AcceptanceStack, board: Any) -> None:
    text = stack.request("GET", "prometheus", page_path(board.service), user="read-only").text
    hrefs = [html.unescape(href) for href in re.findall(r'href="(/graph\?[^"]+)"', text)]
    exprs = {parse_qs(urlsplit(href).query)["g0.expr"][0] for href in hrefs}
    assert {console_expr(panel) for panel in board.panels} <= exprs, exprs
    values = len(re.findall(r'<td class="value"><a href="/graph\?', text))
    rows_without_data = text.count('class="none">no data<')
    assert values > 0 and rows_without_data == 0, (values, rows_without_data)
    # The graph opens for read-only: [0] is the firing alerts' link, [1] the first panel's. Debian's 2.42
    # redirects /graph to /graph/ and on to the classic UI; 3.x /graph to /query (same parameters).
    path, hops = hrefs[1], []
    for _ in range(4):
        graph = stack.request("GET", "prometheus", path, user="read-only")
        hops.append((graph.status, path))
        if graph.status not in (301, 302, 303, 307, 308):
            break
        location = urlsplit(graph.headers["location"])
        path = location.path + (f"?{location.query}" if location.query else "")
    assert graph.status == 200 and "g0.expr=" in path, hops


@pytest.fixture(scope="module")
def console_run(stack: AcceptanceStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    # Pages show rates over 5m: wait for the data the Grafana test waits for (a fresh stack).
    wait_until(
        lambda: stack.query(console_expr(BOARDS[0].panels[1]), user=GRAFANA_USER),
        timeout=DATA_TIMEOUT,
        interval=2,
        what="the trading recording rules",
    )
    shot = {"screenshot": True}
    visits = [
        *(_visit(f"console-{page}", PROMETHEUS_URL, page_path(page), "read-only", stack, **shot) for page in PAGES),
        _visit("console-index-no-access", PROMETHEUS_URL, page_path("index"), "guest", stack),
    ]
    yield _run_browser(stack, tmp_path_factory.mktemp("consoles"), CONSOLES_DIR, visits)


@pytest.mark.parametrize("page", PAGES)
def test_every_console_page_loads_clean_in_chromium_as_read_only(console_run: dict[str, Any], page: str) -> None:
    visit = console_run[f"console-{page}"]
    _clean(visit)
    assert visit["document_status"] == 200, visit.get("body_text", "")[:300]
    assert not TEMPLATE_ERROR.search(visit["body_text"]), visit["body_text"][:500]
    assert "no data" not in visit["body_text"], visit["body_text"][:2000]
    IMAGES.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(visit["screenshot"], IMAGES / f"console-{page}.png")


def test_no_access_gets_the_proxys_403_for_the_consoles_in_chromium(console_run: dict[str, Any]) -> None:
    visit = console_run["console-index-no-access"]
    assert visit["document_status"] == 403, visit
    assert "your role does not allow this request" in visit["body_text"]
