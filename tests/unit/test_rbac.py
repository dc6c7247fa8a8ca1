"""The role table itself: the properties the README's Roles section promises."""

from __future__ import annotations

import re

import pytest

from components.proxy import rbac
from components.proxy.rbac import ADMIN, ALERTMANAGER, NO_ACCESS, OPS, PROMETHEUS, READ_ONLY, is_allowed

SILENCE = "/api/v2/silence/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"


@pytest.mark.parametrize(
    ("role", "service", "method", "path", "expected"),
    [
        (READ_ONLY, PROMETHEUS, "POST", "/api/v1/query", True),  # Grafana posts queries
        (READ_ONLY, PROMETHEUS, "GET", "/api/v1/query_range", True),
        (READ_ONLY, PROMETHEUS, "GET", "/api/v1/label/job/values", True),
        (READ_ONLY, PROMETHEUS, "GET", "/api/v1/targets", True),
        (READ_ONLY, PROMETHEUS, "GET", "/api/v1/status/config", False),
        (READ_ONLY, PROMETHEUS, "POST", "/-/reload", False),
        (OPS, PROMETHEUS, "POST", "/-/reload", True),
        (OPS, PROMETHEUS, "GET", "/api/v1/status/flags", False),
        (OPS, PROMETHEUS, "POST", "/api/v1/admin/tsdb/delete_series", False),
        (ADMIN, PROMETHEUS, "POST", "/api/v1/admin/tsdb/delete_series", False),  # admin API off
        (ADMIN, PROMETHEUS, "GET", "/api/v1/status/config", True),
        (ADMIN, PROMETHEUS, "POST", "/-/quit", False),  # never through the proxy
        (ADMIN, PROMETHEUS, "POST", "/api/v1/write", False),
        (ADMIN, PROMETHEUS, "GET", "/federate", True),
        (OPS, ALERTMANAGER, "POST", "/api/v2/silences", True),
        (OPS, ALERTMANAGER, "DELETE", SILENCE, True),
        (READ_ONLY, ALERTMANAGER, "POST", "/api/v2/silences", False),
        (READ_ONLY, ALERTMANAGER, "DELETE", SILENCE, False),
        (READ_ONLY, ALERTMANAGER, "GET", "/api/v2/alerts", True),
        (ADMIN, ALERTMANAGER, "POST", "/api/v2/alerts", False),  # only Prometheus sends alerts
        (OPS, ALERTMANAGER, "POST", "/-/reload", False),
        (ADMIN, ALERTMANAGER, "POST", "/-/reload", True),
        (OPS, ALERTMANAGER, "GET", "/api/v2/status", False),
        (ADMIN, ALERTMANAGER, "GET", "/api/v2/status", True),
        # The web UIs (issue 11, finding 7): every reader opens them, status pages stay admin's.
        (READ_ONLY, PROMETHEUS, "GET", "/", True),
        (READ_ONLY, PROMETHEUS, "GET", "/graph", True),
        (READ_ONLY, PROMETHEUS, "GET", "/graph/", True),  # Debian's 2.42 redirects /graph here
        (READ_ONLY, PROMETHEUS, "GET", "/classic/graph", True),  # ... and here (its only UI)
        (OPS, PROMETHEUS, "GET", "/classic/graph", True),
        (ADMIN, PROMETHEUS, "GET", "/classic/graph", True),
        (NO_ACCESS, PROMETHEUS, "GET", "/classic/graph", False),
        (READ_ONLY, PROMETHEUS, "GET", "/classic/targets", True),
        (READ_ONLY, PROMETHEUS, "GET", "/classic/static/js/graph/index.js", True),
        (READ_ONLY, PROMETHEUS, "GET", "/classic/config", False),
        (READ_ONLY, PROMETHEUS, "GET", "/classic/flags", False),
        (OPS, PROMETHEUS, "GET", "/classic/status", False),
        (ADMIN, PROMETHEUS, "GET", "/classic/config", True),
        (READ_ONLY, PROMETHEUS, "GET", "/classic/graphx", False),
        (READ_ONLY, PROMETHEUS, "GET", "/query", True),  # 3.x
        (READ_ONLY, PROMETHEUS, "GET", "/assets/index-CcJ1lhEV.js", True),
        (READ_ONLY, PROMETHEUS, "GET", "/api/v1/notifications/live", True),  # every 3.x page opens it
        (NO_ACCESS, PROMETHEUS, "GET", "/api/v1/notifications/live", False),
        (READ_ONLY, PROMETHEUS, "GET", "/api/v1/status/walreplay", False),  # 3.x asks only while starting
        (READ_ONLY, ALERTMANAGER, "GET", "/", True),
        (READ_ONLY, ALERTMANAGER, "GET", "/lib/font-awesome-4.7.0/fonts/fontawesome-webfont.woff2", True),
    ],
)
def test_decisions(role: str, service: str, method: str, path: str, expected: bool) -> None:
    assert is_allowed(role, service, method, path) is expected


def test_admin_api_exists_only_when_enabled() -> None:
    features = frozenset({rbac.ADMIN_API})
    assert is_allowed(ADMIN, PROMETHEUS, "POST", "/api/v1/admin/tsdb/snapshot", features)
    assert not is_allowed(OPS, PROMETHEUS, "POST", "/api/v1/admin/tsdb/snapshot", features)


def test_roles_are_nested_and_no_access_gets_nothing() -> None:
    for rule in rbac.RULES:
        assert NO_ACCESS not in rule.roles
        if READ_ONLY in rule.roles:
            assert OPS in rule.roles and ADMIN in rule.roles, rule
        if OPS in rule.roles:
            assert ADMIN in rule.roles, rule


def test_mutating_methods_never_go_to_read_only() -> None:
    for rule in rbac.RULES:
        if READ_ONLY in rule.roles:
            assert rule.methods <= rbac.QUERY, rule
            if "POST" in rule.methods:
                assert rule.path.startswith("/api/v1/(query"), rule


def test_patterns_are_anchored_and_reject_lookalikes() -> None:
    for pattern in rbac.nginx_authz_patterns(frozenset({rbac.ADMIN_API})):
        re.compile(pattern)
    assert not is_allowed(READ_ONLY, PROMETHEUS, "GET", "/api/v1/query/../status/config")
    assert not is_allowed(READ_ONLY, PROMETHEUS, "GET", "/api/v1/queryx")
    assert not is_allowed(READ_ONLY, PROMETHEUS, "GET", "/xapi/v1/query")
    assert not is_allowed(OPS, ALERTMANAGER, "DELETE", "/api/v2/silence/../silences")


def test_readme_table_lists_every_rule() -> None:
    table = rbac.roles_table_markdown()
    assert table.count("\n") == len(rbac.RULES) + 1
