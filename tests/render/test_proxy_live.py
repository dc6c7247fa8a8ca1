"""The rendered proxy run for real (Debian's NGINX 1.22 + njs 0.7.9) on the loopback of a
throwaway network namespace (bwrap): the njs credential parsing, the dummy-user check, the
anonymous and cross-site refusals and the audit fields, without a Docker engine. The backends
are not there, so a request that passed authentication and the role table gets 502.
"""

from __future__ import annotations

import base64
import json
import shlex
import subprocess  # nosec B404
from datetime import datetime
from pathlib import Path

import pytest

from components.core import catalog
from components.prometheus.settings import DEFAULT_QUERY_LIMITS
from components.proxy.render import ANONYMOUS_BURST, ANONYMOUS_PER_SECOND
from testing.mock_stack import RecordedStack
from tests.render.sandboxed import materialize, run_in_view

URL = f"https://127.0.0.1:{catalog.PROXY_PROMETHEUS_PORT}"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def run_proxy(stack: RecordedStack, tmp_path: Path, requests: list[tuple[str, list[str]]]) -> tuple[dict, list]:
    """Start the proxy, run each (name, curl arguments) in order; (name -> statuses, one per URL
    of that curl; the audit log's entries)."""
    proxy = catalog.container_name(stack.stack, catalog.PROXY)
    root = materialize(stack, proxy, tmp_path / "root")
    for path in root.rglob("*"):
        if path.is_file():
            path.chmod(0o644)  # the view runs NGINX's workers as nobody, not the proxy's uid
    lines = [f"nginx -c {catalog.PROXY_CONFIG_FILE} || exit 1", "sleep 0.5"]
    for name, args in requests:
        curl = ["curl", "-sk", "-o", "/dev/null", "-w", f"{name} %{{http_code}}\\n", *args]
        lines.append(" ".join(shlex.quote(part) for part in curl))
    # NGINX must be gone before the view ends: it holds the output pipe open.
    lines += [
        "sleep 0.3",
        f"nginx -c {catalog.PROXY_CONFIG_FILE} -s stop; sleep 0.5",
        "echo '--- audit file'",
        f"cat {catalog.PROXY_AUDIT_LOG_FILE}",
    ]
    hosts = f"127.0.0.1 localhost\n127.0.0.2 {catalog.PROMETHEUS.name}\n127.0.0.3 {catalog.ALERTMANAGER.name}\n"
    try:
        result = run_in_view(root, ["sh", "-c", "\n".join(lines)], hosts=hosts, writable=(catalog.PROXY.data_dir,))
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the live proxy did not finish: {str(exc.stderr)[-2000:]}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "js exception" not in result.stderr, result.stderr[-2000:]
    statuses: dict[str, list[str]] = {}
    output, _, audit = result.stdout.partition("--- audit file\n")
    for line in output.splitlines():
        if line.strip() and not line.startswith("{"):
            name, _, status = line.rpartition(" ")
            statuses.setdefault(name, []).append(status)
    entries = [json.loads(line) for line in audit.splitlines() if line.startswith("{")]
    return statuses, entries


@pytest.fixture(scope="module")
def live(dev_stack: RecordedStack, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list, str]:
    password = dev_stack.exports["passwords"]["read-only"]
    good = b64(f"read-only:{password}")
    auth = ["-H", f"Authorization: Basic {good}"]
    spellings = {
        "lower-case scheme": f"basic {good}",
        "upper-case scheme": f"BASIC {good}",
        "two spaces": f"Basic  {good}",
        "padding changed": f"Basic {good.rstrip('=')}" if good.endswith("=") else f"Basic {good}==",
        "junk after the padding": f"Basic {good}junk",
        "NUL and junk after the password": f"Basic {b64(f'read-only:{password}' + chr(0) + 'junk')}",
    }
    requests: list[tuple[str, list[str]]] = [
        ("canonical", [*auth, f"{URL}/-/ready"]),
        *((name, ["-H", f"Authorization: {value}", f"{URL}/-/ready"]) for name, value in spellings.items()),
        ("wrong password", ["-H", f"Authorization: Basic {b64('read-only:wrong-password-1')}", f"{URL}/-/ready"]),
        ("unknown user", ["-H", f"Authorization: Basic {b64('mallory:' + password)}", f"{URL}/-/ready"]),
        ("the dummy user", ["-H", f"Authorization: Basic {b64('PROMSHIELD-NO-SUCH-USER:x')}", f"{URL}/-/ready"]),
        (
            "cross-site reload",
            [*auth, "-X", "POST", "-H", "Origin: https://evil.example", "-d", "x=1", f"{URL}/-/reload"],
        ),
        ("cross-site fetch", [*auth, "-X", "POST", "-H", "Sec-Fetch-Site: cross-site", f"{URL}/-/reload"]),
        (
            "same-origin post",
            [
                *auth,
                "-H",
                f"Origin: {URL}",
                "-H",
                "Sec-Fetch-Site: same-origin",
                "-d",
                "query=up",
                f"{URL}/api/v1/query",
            ],
        ),
        ("server-to-server post", [*auth, "-d", "query=sum(up)", f"{URL}/api/v1/query"]),
        ("get query", [*auth, f"{URL}/api/v1/query?query=up%3D%3D1&password=in-the-url&time=5"]),
        *checked_query_requests(dev_stack, auth),
        ("long path", [*auth, f"{URL}/api/v1/{'a' * 3000}"]),
        ("long user", ["-H", f"Authorization: Basic {b64('u' * 100 + ':x')}", f"{URL}/-/ready"]),
        ("anonymous", [f"{URL}/-/healthy"] * (ANONYMOUS_BURST + 10)),  # one connection, one after the other
        *shape_requests(auth),
    ]
    statuses, entries = run_proxy(dev_stack, tmp_path_factory.mktemp("proxy"), requests)
    single = {name: found[0] for name, found in statuses.items() if name != "anonymous"}
    return {**single, "anonymous": statuses["anonymous"]}, entries, password


def checked_query_requests(stack: RecordedStack, auth: list[str]) -> list[tuple[str, list[str]]]:
    """A query each way in: the location that checks the request's shape authenticates it, the named
    location it is passed to only proxies, with the user and role found before (time=N tells them apart)."""
    guest = ["-H", f"Authorization: Basic {b64('guest:' + stack.exports['passwords']['guest'])}"]
    wrong = ["-H", f"Authorization: Basic {b64('read-only:wrong-password-2')}"]
    return [
        (f"checked query {who}", [*creds, f"{URL}/api/v1/query_range?query=up&start=0&end=60&step=15&time={n}"])
        for n, (who, creds) in enumerate(
            (("read-only", auth), ("no-access", guest), ("wrong password", wrong), ("anonymous", []))
        )
    ]


def test_a_checked_query_keeps_the_user_and_role_of_its_one_authentication(live: tuple[dict, list, str]) -> None:
    statuses, entries, _ = live
    checked = {name.removeprefix("checked query "): status for name, status in statuses.items() if "checked" in name}
    assert checked == {"read-only": "502", "no-access": "403", "wrong password": "401", "anonymous": "401"}
    audited = {
        e["query"].rpartition("time=")[2]: (e["user"], e["role"], e["decision"])
        for e in entries
        if e["path"] == "/api/v1/query_range" and e["method"] == "GET"
    }
    assert audited == {
        "0": ("read-only", "read-only", "allowed"),
        "1": ("guest", "no-access", "denied"),
        "2": ("", "", "unauthenticated"),
        "3": ("", "", "unauthenticated"),
    }


def shape_requests(auth: list[str]) -> list[tuple[str, list[str]]]:
    """Requests to Prometheus' read endpoints at and over the queryLimits (the defaults)."""
    limits = DEFAULT_QUERY_LIMITS
    series = f"{URL}/api/v1/series"
    query = f"{URL}/api/v1/query"
    ranged = f"{URL}/api/v1/query_range"
    steps = limits.max_subquery_steps

    def matchers(count: int) -> str:
        return "&".join(["match%5B%5D=up"] * count)

    return [
        ("selectors at the cap", [*auth, "--data-binary", matchers(limits.max_selectors), series]),
        ("selectors over the cap", [*auth, "--data-binary", matchers(limits.max_selectors + 1), series]),
        ("get selectors over the cap", [*auth, f"{series}?{matchers(limits.max_selectors + 1)}"]),
        ("query at the cap", [*auth, "--data-binary", "query=" + "1" * limits.max_query_bytes, f"{URL}/api/v1/query"]),
        (
            "query over the cap",
            [*auth, "--data-binary", "query=" + "1" * (limits.max_query_bytes + 1), f"{URL}/api/v1/query"],
        ),
        ("body over the cap", [*auth, "--data-binary", "x=" + "1" * limits.max_body_bytes, f"{URL}/api/v1/query"]),
        ("json body", [*auth, "-H", "Content-Type: application/json", "-d", '{"query":"up"}', f"{URL}/api/v1/query"]),
        ("bad encoding", [*auth, "--data-binary", "query=%E0%A4%A", f"{URL}/api/v1/query"]),
        ("subquery bomb", [*auth, "--data-urlencode", 'query=sum_over_time(count({__name__=~".+"})[7d:1s])', query]),
        ("subquery at the cap", [*auth, "--data-urlencode", f"query=max_over_time(up[{steps - 1}s:1s])", query]),
        ("subquery in a string", [*auth, "--data-urlencode", 'query=up{job="[7d:1s]"} # [7d:1s]', query]),
        ("nested subquery", [*auth, "--data-urlencode", "query=max_over_time(max_over_time(up[1h:1s])[3h:1h])", query]),
        ("unparsable subquery", [*auth, "--data-urlencode", "query=max_over_time(up[1h+5m:1s])", query]),
        (
            "range stretching a subquery",
            [*auth, "--data-urlencode", "query=max_over_time(up[1h:10s])", "-d", "start=0&end=172800&step=60", ranged],
        ),
        ("range query", [*auth, "--data-urlencode", "query=up", "-d", "start=0&end=172800&step=60", ranged]),
    ]


def test_the_shape_of_read_requests_is_capped(live: tuple[dict, list, str]) -> None:
    """queryLimits at the proxy: what is within them reaches the backend (502 here), what is over is 400/413."""
    statuses = live[0]
    passed = ("selectors at the cap", "query at the cap")
    refused = (
        "selectors over the cap",
        "get selectors over the cap",
        "query over the cap",
        "json body",
        "bad encoding",
    )
    assert {name: statuses[name] for name in passed} == dict.fromkeys(passed, "502")
    assert {name: statuses[name] for name in refused} == dict.fromkeys(refused, "400")
    assert statuses["body over the cap"] == "413"


def test_only_the_canonical_spelling_of_a_credential_passes(live: tuple[dict, list, str]) -> None:
    statuses = live[0]
    assert statuses["canonical"] == "502"  # authenticated and allowed: the backend is not there
    for name in (
        "lower-case scheme",
        "upper-case scheme",
        "two spaces",
        "padding changed",
        "junk after the padding",
        "NUL and junk after the password",
    ):
        assert statuses[name] == "401", name


def test_unknown_users_and_the_dummy_user_are_refused(live: tuple[dict, list, str]) -> None:
    statuses = live[0]
    assert (statuses["wrong password"], statuses["unknown user"], statuses["the dummy user"]) == ("401",) * 3


def test_cross_site_posts_are_refused_and_logged_as_such(live: tuple[dict, list, str]) -> None:
    statuses, entries, _ = live
    assert (statuses["cross-site reload"], statuses["cross-site fetch"]) == ("403", "403")
    assert (statuses["same-origin post"], statuses["server-to-server post"]) == ("502", "502")
    refused = [e for e in entries if e["path"] == "/-/reload"]
    assert [e["decision"] for e in refused] == ["cross-site", "cross-site"], refused


def test_requests_without_credentials_are_rate_limited(live: tuple[dict, list, str]) -> None:
    statuses = live[0]["anonymous"]
    # The bucket refills at ANONYMOUS_PER_SECOND while the requests run: on a slow machine the run
    # takes seconds, so the bound counts the refill over the audit log's span (whole seconds).
    stamps = sorted(datetime.fromisoformat(entry["time"]) for entry in live[1] if entry["path"] == "/-/healthy")
    refill = ANONYMOUS_PER_SECOND * ((stamps[-1] - stamps[0]).total_seconds() + 1)
    assert set(statuses) == {"401", "429"}, statuses
    assert statuses.count("401") <= ANONYMOUS_BURST + 1 + refill, (statuses, refill)


def test_the_audit_log_holds_queries_long_paths_and_user_names(live: tuple[dict, list, str]) -> None:
    entries = live[1]
    queries = [(e["method"], e["query"]) for e in entries if e["path"] == "/api/v1/query"]
    assert ("POST", "query=sum(up)") in queries
    assert [query for method, query in queries if method == "GET"] == ["query=up%3D%3D1&time=5"]
    assert {e["query"] for e in entries if e["path"] == "/-/ready"} == {""}  # only query endpoints log one
    long_path = next(e for e in entries if e["path"].startswith("/api/v1/aaa"))
    assert long_path["path"] == ("/api/v1/" + "a" * 3000)[:2048] + "<truncated>"
    assert any(e["claimed_user"] == "u" * 64 + "<truncated>" for e in entries)
    assert {e["service"] for e in entries} == {"prometheus"}
