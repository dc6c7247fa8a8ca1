"""Roles: the hand-written matrix (role_matrix.py) against the running proxy and backends."""

from __future__ import annotations

import datetime
import json
from collections import Counter
from itertools import zip_longest
from typing import Any

import pytest

from harness.stack import ROLE_USER, AcceptanceStack, Response
from tests.acceptance.role_matrix import FWD, MATRIX

pytestmark = pytest.mark.acceptance

SILENCE_MATCHER = "AcceptanceRoleMatrix"  # silences the matrix creates match nothing real


def silence_body(comment: str) -> str:
    now = datetime.datetime.now(datetime.UTC)
    return json.dumps(
        {
            "matchers": [{"name": "alertname", "value": SILENCE_MATCHER, "isRegex": False, "isEqual": True}],
            "startsAt": now.isoformat(),
            "endsAt": (now + datetime.timedelta(hours=1)).isoformat(),
            "createdBy": "acceptance",
            "comment": comment,
        }
    )


def bodies() -> dict[str, tuple[str, str]]:
    """Body name -> (content type, body)."""
    form = "application/x-www-form-urlencoded"
    alerts = json.dumps([{"labels": {"alertname": "InjectedThroughTheProxy", "severity": "critical"}}])
    return {
        "QUERY": (form, "query=up"),
        "RANGE": (form, "query=up&start=1700000000&end=1700000100&step=15"),
        "SERIES": (form, "match%5B%5D=up"),
        "SILENCE": ("application/json", silence_body("role matrix")),
        "ALERTS": ("application/json", alerts),
    }


def interleaved(cases: list[Any]) -> list[Any]:
    """The same cases, roles taking turns (each user stays under its rate limit without waiting)."""
    by_role: dict[str, list[Any]] = {}
    for case in cases:
        by_role.setdefault(case[0], []).append(case)
    return [case for group in zip_longest(*by_role.values()) for case in group if case is not None]


def case_id(case: tuple[Any, ...]) -> str:
    return f"{case[0]} {case[1]} {case[2]} {case[3]}"


def create_silence(stack: AcceptanceStack, comment: str) -> str:
    response = stack.request(
        "POST",
        "alertmanager",
        "/api/v2/silences",
        user="admin",
        body=silence_body(comment),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 200, (response.status, response.text)
    return str(response.json()["silenceID"])


@pytest.fixture(scope="module")
def silence_id(stack: AcceptanceStack) -> str:
    return create_silence(stack, "role matrix: the silence read-only and no-access try to read and expire")


def check(response: Response, expected: int | str, case: tuple[Any, ...]) -> None:
    where = f"{case_id(case)}: got {response.status} {response.text[:160]!r}"
    if expected == FWD:
        assert response.status not in (401, 403, 429), where
        return
    assert response.status == expected, f"{where}; expected {expected}"
    if expected == 403:
        assert response.proxy_denied, f"{where}: a 403 must be the proxy's own deny answer"
    else:
        assert not response.proxy_denied, where


def test_matrix_is_big_and_covers_every_role_and_service() -> None:
    assert len(MATRIX) >= 100
    roles = Counter(case[0] for case in MATRIX)
    assert set(roles) == set(ROLE_USER), roles
    assert {case[2] for case in MATRIX} == {"prometheus", "alertmanager"}
    assert len({case[:4] for case in MATRIX}) == len(MATRIX), "duplicate cases"
    # The cases the issue names explicitly.
    must = {
        ("read-only", "POST", "prometheus", "/api/v1/query", 200),
        ("read-only", "POST", "prometheus", "/api/v1/admin/tsdb/snapshot", 403),
        ("ops", "POST", "prometheus", "/api/v1/admin/tsdb/snapshot", 403),
        ("ops", "POST", "prometheus", "/-/reload", 200),
        ("read-only", "POST", "prometheus", "/-/reload", 403),
        ("ops", "POST", "alertmanager", "/api/v2/silences", 200),
        ("ops", "DELETE", "alertmanager", "/api/v2/silence/{fresh}", 200),
        ("read-only", "POST", "alertmanager", "/api/v2/silences", 403),
        ("read-only", "DELETE", "alertmanager", "/api/v2/silence/{sid}", 403),
        ("admin", "POST", "alertmanager", "/api/v2/alerts", 403),
        ("admin", "GET", "prometheus", "/api/v1/status/config", 200),
        ("ops", "GET", "prometheus", "/api/v1/status/config", 403),
    }
    assert must <= {case[:5] for case in MATRIX}
    assert all(case[4] == 403 for case in MATRIX if case[0] == "no-access"), "the no-access user is refused everything"


@pytest.mark.parametrize("case", interleaved(MATRIX), ids=case_id)
def test_role_matrix(stack: AcceptanceStack, silence_id: str, case: tuple[Any, ...]) -> None:
    role, method, service, path, expected = case[:5]
    if "{fresh}" in path:
        path = path.replace("{fresh}", create_silence(stack, f"role matrix: for {role} to expire"))
    path = path.replace("{sid}", silence_id)
    content_type, body = bodies()[case[5]] if len(case) > 5 else (None, None)
    headers = {"Content-Type": content_type} if content_type else {}
    response = stack.request(method, service, path, user=ROLE_USER[role], body=body, headers=headers)
    check(response, expected, case)


def test_silence_created_by_ops_is_visible_and_expired_by_ops(stack: AcceptanceStack) -> None:
    """The whole ops silence workflow through the proxy, checked on Alertmanager's side."""
    created = stack.request(
        "POST",
        "alertmanager",
        "/api/v2/silences",
        user="ops",
        body=silence_body("ops workflow"),
        headers={"Content-Type": "application/json"},
    )
    assert created.status == 200, created.text
    sid = created.json()["silenceID"]
    seen = stack.request("GET", "alertmanager", f"/api/v2/silence/{sid}", user="read-only")
    assert (
        seen.status == 200 and seen.json()["status"]["state"] == "active" and seen.json()["createdBy"] == "acceptance"
    )
    assert stack.request("DELETE", "alertmanager", f"/api/v2/silence/{sid}", user="read-only").proxy_denied
    assert (
        stack.request("GET", "alertmanager", f"/api/v2/silence/{sid}", user="read-only").json()["status"]["state"]
        == "active"
    )
    assert stack.request("DELETE", "alertmanager", f"/api/v2/silence/{sid}", user="ops").status == 200
    assert (
        stack.request("GET", "alertmanager", f"/api/v2/silence/{sid}", user="read-only").json()["status"]["state"]
        == "expired"
    )


def test_injected_alerts_never_reach_alertmanager(stack: AcceptanceStack) -> None:
    """The matrix POSTed alerts as every role: none of them exists in Alertmanager."""
    alerts = stack.request("GET", "alertmanager", "/api/v2/alerts", user="read-only")
    assert alerts.status == 200
    assert "InjectedThroughTheProxy" not in alerts.text
