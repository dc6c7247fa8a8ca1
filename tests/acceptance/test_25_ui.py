"""The web UIs through the proxy (issue 11, finding 7): a real browser, and the pinned UIs' requests.

1. **A real browser.** Headless Chromium (Debian's `chromium`, driven by playwright: `browser.py`)
   runs inside the `trusted` LAN client's namespace, logs in with basic auth and trusts the stack
   CA through an NSS database (verification on; a browser without that database is refused with
   a certificate error). As read-only it opens the Prometheus graph page, runs `up` and sees the
   result, then the alerts, targets and rules pages; as admin the graph page; as no-access it gets
   the proxy's 403. Any 4xx/5xx or failed request in a page's network log fails the test.
   Screenshots and every page's network log go to `build/acceptance/ui/`.
   The stand-ins limit what a browser can see: Debian's Prometheus 2.42 serves only the classic
   UI, and Debian's Alertmanager 0.25 no web UI at all (its `/` says so; the browser checks that).
2. **The pinned images' UIs** (Prometheus 3.5's React UI, Alertmanager 0.28's Elm UI) cannot run
   here, so the requests their pages make were read from their source
   (prometheus v3.5.0 `web/web.go`, `web/ui/mantine-ui/src`, `web/ui/module/codemirror-promql`;
   alertmanager v0.28.1 `ui/web.go`, `ui/app/index.html`, `ui/app/src`) and written out below by
   hand: each goes through the proxy as every role, and must be forwarded for exactly the roles
   the README's role table promises and refused (the proxy's 403) for the others.
"""

from __future__ import annotations

import json
import shutil
import subprocess  # nosec B404
import sys
import time
from collections.abc import Iterator
from itertools import zip_longest
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from components.core.settings.limits import DEFAULT_LIMITS
from harness.live import HOST_ADDRESS
from harness.paths import REPO_ROOT, RUN_ROOT
from harness.stack import BURST, CONFIG, RATE_PER_SECOND, ROLE_USER, AcceptanceStack
from tests.acceptance.test_20_roles import silence_body

pytestmark = pytest.mark.acceptance

UI_DIR = RUN_ROOT / "ui"
CHROMIUM = "/usr/bin/chromium"
BROWSER_SCRIPT = REPO_ROOT / "harness" / "browser.py"
PROMETHEUS_URL = f"https://{HOST_ADDRESS}:9090"
ALERTMANAGER_URL = f"https://{HOST_ADDRESS}:9093"

READERS = ("admin", "ops", "read-only")
OPERATORS = ("admin", "ops")
ADMINS = ("admin",)
ROLES = ("admin", "ops", "read-only", "no-access")
CLASSIC_PAGES = ("alerts", "targets", "rules")

# --- The pinned UIs' requests, from their source (see the module doc) -------------------------
# (method, path, roles it must be forwarded for, where the UI sends it). Every other role gets 403.
PROMETHEUS_3_UI: list[tuple[str, str, tuple[str, ...], str]] = [
    ("GET", "/", READERS, "web.go: 302 to /query"),
    ("GET", "/graph?g0.expr=up", READERS, "web.go: old links, 302 to /query?..."),
    ("GET", "/query", READERS, "the React app's index.html (serveReactApp)"),
    ("GET", "/alerts", READERS, "index.html"),
    ("GET", "/targets", READERS, "index.html"),
    ("GET", "/rules", READERS, "index.html"),
    ("GET", "/service-discovery", READERS, "index.html"),
    ("GET", "/alertmanager-discovery", READERS, "index.html"),
    ("GET", "/assets/index-B5a2xBQk.js", READERS, "index.html's module script (Vite, base '')"),
    ("GET", "/assets/index-CWtYYWe5.css", READERS, "index.html's stylesheet"),
    ("GET", "/favicon.svg", READERS, "index.html's icon"),
    ("GET", "/manifest.json", READERS, "web.go serves it at the root"),
    ("GET", "/-/ready", READERS, "ReadinessWrapper.tsx, every page, every second until ready"),
    ("GET", "/api/v1/notifications/live", READERS, "NotificationsProvider.tsx: event stream, every page"),
    ("GET", "/api/v1/notifications", READERS, "NotificationsProvider.tsx: when the stream answers 204"),
    ("GET", "/api/v1/label/__name__/values", READERS, "QueryPage.tsx: metric names"),
    ("GET", "/api/v1/query?query=time()", READERS, "QueryPage.tsx: server time"),
    ("GET", "/api/v1/query?query=up&time=1700000000&stats=true", READERS, "TableTab.tsx"),
    ("GET", "/api/v1/query_range?query=up&step=14&start=1700000000&end=1700003600", READERS, "Graph.tsx"),
    ("GET", "/api/v1/format_query?query=up", READERS, "ExpressionInput.tsx: format button"),
    ("GET", "/api/v1/parse_query?query=up", READERS, "TreeView.tsx: explain tree"),
    ("GET", "/api/v1/metadata", READERS, "MetricsExplorer.tsx, Selector.tsx"),
    ("GET", "/api/v1/series?match[]=up", READERS, "LabelsExplorer.tsx"),
    ("POST", "/api/v1/labels", READERS, "codemirror-promql: label names (POST by default)"),
    ("POST", "/api/v1/series", READERS, "codemirror-promql: series for completion"),
    ("GET", "/api/v1/label/job/values?match[]=up", READERS, "codemirror-promql: label values"),
    ("GET", "/api/v1/metadata?metric=up", READERS, "codemirror-promql: metric metadata"),
    ("GET", "/api/v1/rules?type=alert", READERS, "AlertsPage.tsx"),
    ("GET", "/api/v1/rules", READERS, "RulesPage.tsx"),
    ("GET", "/api/v1/scrape_pools", READERS, "TargetsPage.tsx, ServiceDiscoveryPage.tsx"),
    ("GET", "/api/v1/targets?state=active&scrapePool=prometheus", READERS, "ScrapePoolsList.tsx"),
    ("GET", "/api/v1/targets?scrapePool=prometheus", READERS, "ServiceDiscoveryPoolsList.tsx"),
    ("GET", "/api/v1/alertmanagers", READERS, "AlertmanagerDiscoveryPage.tsx"),
    ("GET", "/api/v1/status/buildinfo", READERS, "StatusPage.tsx"),
    # The admin pages (status, TSDB status, flags, config) and what they fetch.
    ("GET", "/status", ADMINS, "index.html"),
    ("GET", "/tsdb-status", ADMINS, "index.html"),
    ("GET", "/flags", ADMINS, "index.html"),
    ("GET", "/config", ADMINS, "index.html"),
    ("GET", "/api/v1/status/runtimeinfo", ADMINS, "StatusPage.tsx"),
    ("GET", "/api/v1/status/tsdb", ADMINS, "TSDBStatusPage.tsx"),
    ("GET", "/api/v1/status/flags", ADMINS, "FlagsPage.tsx"),
    ("GET", "/api/v1/status/config", ADMINS, "ConfigPage.tsx"),
    ("GET", "/api/v1/status/walreplay", ADMINS, "ReadinessWrapper.tsx: only while Prometheus starts"),
]
ALERTMANAGER_UI: list[tuple[str, str, tuple[str, ...], str]] = [
    ("GET", "/", READERS, "ui/web.go: index.html"),
    ("GET", "/script.js", READERS, "index.html: the Elm app"),
    ("GET", "/favicon.ico", READERS, "index.html"),
    ("GET", "/lib/bootstrap-4.0.0-alpha.6-dist/css/bootstrap.min.css", READERS, "Views.elm"),
    ("GET", "/lib/font-awesome-4.7.0/css/font-awesome.min.css", READERS, "Views.elm"),
    ("GET", "/lib/font-awesome-4.7.0/fonts/fontawesome-webfont.woff2?v=4.7.0", READERS, "font-awesome.min.css"),
    ("GET", "/lib/elm-datepicker/css/elm-datepicker.css", READERS, "Views.elm"),
    ("GET", "/api/v2/alerts/groups?silenced=false&inhibited=false&active=true", READERS, "Alerts/Api.elm"),
    ("GET", "/api/v2/alerts?silenced=false&inhibited=false&active=true", READERS, "Alerts/Api.elm"),
    ("GET", "/api/v2/receivers", READERS, "Alerts/Api.elm: receiver bar"),
    ("GET", "/api/v2/silences", READERS, "Silences/Api.elm"),
    ("GET", "/api/v2/silence/{sid}", READERS, "Silences/Api.elm: a silence's page and edit form"),
    ("GET", "/api/v2/status", ADMINS, "Status/Api.elm: the Status tab (holds the configuration)"),
    ("POST", "/api/v2/silences", OPERATORS, "Silences/Api.elm: the silence form"),
    ("DELETE", "/api/v2/silence/{fresh}", OPERATORS, "Silences/Api.elm: expire"),
]

QUERY_BODIES = {
    ("POST", "/api/v1/labels"): {"start": "1700000000", "end": "1700003600"},
    ("POST", "/api/v1/series"): {"match[]": "up", "start": "1700000000", "end": "1700003600"},
}


def ui_cases() -> list[tuple[str, str, str, str, bool]]:
    """(role, service, method, path, forwarded?), roles taking turns (rate limit without waiting)."""
    by_role: dict[str, list[tuple[str, str, str, str, bool]]] = {role: [] for role in ROLES}
    for service, requests in (("prometheus", PROMETHEUS_3_UI), ("alertmanager", ALERTMANAGER_UI)):
        for method, path, roles, _ in requests:
            for role in ROLES:
                by_role[role].append((role, service, method, path, role in roles))
    return [case for group in zip_longest(*by_role.values()) for case in group if case is not None]


def _case_id(case: tuple[str, str, str, str, bool]) -> str:
    return f"{case[0]} {case[2]} {case[1]} {case[3]}"


@pytest.fixture(scope="module")
def ui_silence(stack: AcceptanceStack) -> str:
    return _silence(stack, "ui: the silence the Alertmanager UI reads")


def _silence(stack: AcceptanceStack, comment: str) -> str:
    response = stack.request(
        "POST", "alertmanager", "/api/v2/silences", user="admin", body=silence_body(comment),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status == 200, (response.status, response.text)
    return str(response.json()["silenceID"])


def test_the_request_lists_are_whole() -> None:
    """Every page of both UIs is in the lists, and every role is tried on each request."""
    paths = {path.split("?")[0] for _, path, _, _ in PROMETHEUS_3_UI}
    pages = {"/query", "/alerts", "/targets", "/rules", "/service-discovery", "/alertmanager-discovery"}
    assert pages | {"/status", "/tsdb-status", "/flags", "/config"} <= paths
    assert len(ui_cases()) == 4 * (len(PROMETHEUS_3_UI) + len(ALERTMANAGER_UI))


@pytest.mark.parametrize("case", ui_cases(), ids=_case_id)
def test_pinned_ui_requests_per_role(
    stack: AcceptanceStack, ui_silence: str, case: tuple[str, str, str, str, bool]
) -> None:
    role, service, method, path, forwarded = case
    if "{fresh}" in path:
        path = path.replace("{fresh}", _silence(stack, f"ui: for {role} to expire"))
    path = path.replace("{sid}", ui_silence)
    body: str | None = None
    headers: dict[str, str] = {}
    form = QUERY_BODIES.get((method, path))
    if service == "alertmanager" and method == "POST":
        body, headers = silence_body(f"ui: the silence form as {role}"), {"Content-Type": "application/json"}
    # The pinned 3.5 holds /api/v1/notifications/live open (an event stream); the stand-in 2.42 has
    # no such endpoint and answers at once, so the default timeout is enough here.
    response = stack.request(method, service, path, user=ROLE_USER[role], body=body, headers=headers, form=form)
    where = f"{role} {method} {service} {path}: {response.status} {response.text[:120]!r}"
    if forwarded:
        assert response.status not in (401, 429) and not response.proxy_denied, where
    else:
        assert response.status == 403 and response.proxy_denied, where


# --- The real browser ----------------------------------------------------------------------------
def _playwright_python() -> str:
    """An interpreter with playwright: this one, or the project's `.venv-ui` (see the README)."""
    for candidate in (sys.executable, str(REPO_ROOT / ".venv-ui" / "bin" / "python")):
        if Path(candidate).exists():
            probe = subprocess.run(  # nosec B603 - fixed argv
                [candidate, "-c", "import playwright.sync_api"], capture_output=True, check=False
            )
            if probe.returncode == 0:
                return candidate
    pytest.fail("playwright is not installed: `make test` installs requirements-dev.txt (playwright)")


def _nss_home(home: Path, ca_file: Path) -> Path:
    """A HOME whose NSS database trusts the stack CA for TLS servers (`C,,`), and nothing else."""
    certutil = shutil.which("certutil")
    if certutil is None:
        pytest.fail("certutil is missing: scripts/install-system-deps.sh installs libnss3-tools")
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run([certutil, "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True)  # nosec B603
    subprocess.run(  # nosec B603
        [certutil, "-d", f"sql:{nssdb}", "-A", "-n", "promshield-acceptance-ca", "-t", "C,,", "-i", str(ca_file)],
        check=True,
    )
    return home


def _ca_common_name(ca_file: Path) -> str:
    cert = x509.load_pem_x509_certificate(ca_file.read_bytes())
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def _visit(name: str, origin: str, path: str, user: str, stack: AcceptanceStack, **extra: Any) -> dict[str, Any]:
    return {"name": name, "origin": origin, "path": path, "user": user, "password": stack.passwords[user], **extra}


def _run_browser(stack: AcceptanceStack, base: Path, out_dir: Path, visits: list[dict[str, Any]]) -> dict[str, Any]:
    """One Chromium in the `trusted` namespace visits `visits` in order; its outcome, by visit name."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/install-system-deps.sh installs Debian's chromium")
    python = _playwright_python()
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    home = _nss_home(base / "home", stack.ca_file)
    (base / "untrusting").mkdir()
    job = {
        "chromium": CHROMIUM,
        "home": str(home),
        "untrusting_home": str(base / "untrusting"),
        "untrusted_url": f"{PROMETHEUS_URL}/-/healthy",
        "out_dir": str(out_dir),
        # A person's pause between two pages: the per-user bucket refills (nothing within a page waits).
        "gap_seconds": BURST / RATE_PER_SECOND,
        "visits": visits,
    }
    # The browser's users start with a full rate-limit bucket (other tests paced them just before).
    time.sleep(BURST / RATE_PER_SECOND + 0.2)
    argv = [python, str(BROWSER_SCRIPT)]
    result = stack.topo.exec_in("trusted", argv, input=json.dumps(job), timeout=300)
    (out_dir / "browser.stderr.txt").write_text(result.stderr)
    assert result.returncode == 0, result.stderr[-3000:]
    outcome: dict[str, Any] = json.loads(result.stdout)
    (out_dir / "network.json").write_text(json.dumps(outcome, indent=2))
    return {"browser_version": outcome["browser_version"], "untrusted_error": outcome["untrusted_error"]} | {
        visit["name"]: visit for visit in outcome["visits"]
    }


@pytest.fixture(scope="module")
def browser_run(stack: AcceptanceStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Every page, at the acceptance stack's tight limits (5 requests/s, burst 5)."""
    shot = {"screenshot": True}
    query = {"action": "classic_query", "query": "up", "expect": 'job="prometheus"', "screenshot": True}
    visits = [
        _visit("prometheus-graph-read-only", PROMETHEUS_URL, "/", "read-only", stack, **query),
        *(
            _visit(f"prometheus-{page}-read-only", PROMETHEUS_URL, f"/classic/{page}", "read-only", stack, **shot)
            for page in CLASSIC_PAGES
        ),
        _visit("prometheus-graph-ops", PROMETHEUS_URL, "/graph", "ops", stack, **query),
        _visit("prometheus-graph-admin", PROMETHEUS_URL, "/graph", "admin", stack, **query),
        _visit("prometheus-graph-no-access", PROMETHEUS_URL, "/", "guest", stack, **shot),
        _visit("alertmanager-read-only", ALERTMANAGER_URL, "/", "read-only", stack, **shot),
    ]
    yield _run_browser(stack, tmp_path_factory.mktemp("browser"), UI_DIR, visits)


def test_the_ui_loads_clean_at_the_default_limits(
    stack: AcceptanceStack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The same pages as read-only and admin with the proxy's default limits (applied in place, then the
    suite's put back): no 429, no failed request, no console error there either."""
    query = {"action": "classic_query", "query": "up", "expect": 'job="prometheus"', "screenshot": True}
    defaults = {
        "requestsPerSecond": DEFAULT_LIMITS.requests_per_second,
        "burst": DEFAULT_LIMITS.burst,
        "connectionsPerClient": DEFAULT_LIMITS.connections_per_client,
        "connectionsPerSource": CONFIG["limits"]["connectionsPerSource"],
    }
    visits = [
        _visit("default-graph-read-only", PROMETHEUS_URL, "/", "read-only", stack, **query),
        *(
            _visit(f"default-{page}-read-only", PROMETHEUS_URL, f"/classic/{page}", "read-only", stack)
            for page in CLASSIC_PAGES
        ),
        _visit("default-graph-admin", PROMETHEUS_URL, "/graph", "admin", stack, **query),
    ]
    try:
        stack.apply({"limits": defaults})
        outcome = _run_browser(
            stack, tmp_path_factory.mktemp("browser-defaults"), UI_DIR.with_name("ui-defaults"), visits
        )
    finally:
        stack.apply({})
    for visit in visits:
        _clean(outcome[visit["name"]])


def _bad_requests(visit: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in visit["requests"] if r.get("failure") or r["status"] is None or r["status"] >= 400]


def _clean(visit: dict[str, Any]) -> None:
    """No navigation error, no 4xx/5xx (429 included: the browser is not slowed down), no failed request and
    no console error."""
    assert "error" not in visit, (visit.get("error"), visit.get("body_text", "")[:500])
    assert visit["requests"], "the page made no request"
    statuses: dict[int | None, int] = {}
    for request in visit["requests"]:
        statuses[request["status"]] = statuses.get(request["status"], 0) + 1
    print(f"ui: {visit['name']}: {len(visit['requests'])} requests, statuses {statuses}")
    assert _bad_requests(visit) == [], json.dumps(_bad_requests(visit), indent=1)
    errors = [line for line in visit["console"] if line.startswith("error")]
    assert errors == [], errors
    if "screenshot" in visit:
        assert Path(visit["screenshot"]).stat().st_size > 0


def test_browser_verifies_the_proxy_certificate_against_the_stack_ca(
    stack: AcceptanceStack, browser_run: dict[str, Any]
) -> None:
    """Trust comes from the stack CA alone: without it the same browser refuses the proxy."""
    assert "ERR_CERT_AUTHORITY_INVALID" in str(browser_run["untrusted_error"]), browser_run["untrusted_error"]
    security = browser_run["prometheus-graph-read-only"]["security"]
    assert security["issuer"] == _ca_common_name(stack.ca_file), security
    assert security["protocol"] in ("TLS 1.3", "TLS 1.2"), security


@pytest.mark.parametrize("role", ["read-only", "ops", "admin"])
def test_every_reader_opens_the_graph_page_and_runs_a_query(browser_run: dict[str, Any], role: str) -> None:
    visit = browser_run[f"prometheus-graph-{role}"]
    _clean(visit)
    assert visit["final_url"].startswith(f"{PROMETHEUS_URL}/classic/graph"), visit["final_url"]
    assert 'job="prometheus"' in visit["result_text"], visit["result_text"]
    queries = [r for r in visit["requests"] if "/api/v1/query?" in r["url"] and "query=up" in r["url"]]
    assert queries and all(r["status"] == 200 for r in queries), visit["requests"]


@pytest.mark.parametrize("page", CLASSIC_PAGES)
def test_read_only_opens_the_other_prometheus_pages(browser_run: dict[str, Any], page: str) -> None:
    visit = browser_run[f"prometheus-{page}-read-only"]
    _clean(visit)
    assert visit["document_status"] == 200


def test_no_access_gets_the_proxys_403_in_the_browser(browser_run: dict[str, Any]) -> None:
    visit = browser_run["prometheus-graph-no-access"]
    assert visit["document_status"] == 403, visit
    assert "your role does not allow this request" in visit["body_text"]


def test_alertmanager_page_opens_and_says_the_stand_in_has_no_ui(browser_run: dict[str, Any]) -> None:
    visit = browser_run["alertmanager-read-only"]
    _clean(visit)
    assert visit["document_status"] == 200
    assert "does not include a web" in visit["body_text"], visit["body_text"][:300]
