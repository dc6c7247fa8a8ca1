"""Authentication: every route the proxy exposes answers 401 without credentials, with a wrong
password and with malformed or foreign credentials. Runs from `trusted2`, so the failed
password checks (rate-limited per client) never slow down the other tests' clients."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.acceptance.role_matrix import MATRIX
from tests.acceptance.stack import AcceptanceStack, Response, basic

pytestmark = pytest.mark.acceptance

ATTACKER = "trusted2"
DUMMY_SILENCE = "00000000-0000-4000-8000-000000000000"


def routes() -> list[tuple[str, str, str]]:
    """(method, service, path) of every route in the role matrix, plus paths in no rule."""
    seen: dict[tuple[str, str, str], None] = {}
    for case in MATRIX:
        path = case[3].replace("{sid}", DUMMY_SILENCE).replace("{fresh}", DUMMY_SILENCE)
        seen[(case[1], case[2], path)] = None
    for service in ("prometheus", "alertmanager"):
        for method, path in (("GET", "/unknown"), ("OPTIONS", "/api/v1/query"), ("PATCH", "/-/reload"), ("GET", "/metrics")):
            seen[(method, service, path)] = None
    return list(seen)


def assert_unauthenticated(response: Response, what: str) -> None:
    assert response.status == 401, f"{what}: {response.status} {response.text[:120]!r}"
    assert response.headers.get("www-authenticate", "").startswith("Basic"), f"{what}: no Basic challenge"


def run_all(stack: AcceptanceStack, jobs: list[tuple[str, str, str, dict[str, object]]]) -> list[str]:
    """Send every request (3 at a time: under the per-client connection limit); the failures."""

    def one(job: tuple[str, str, str, dict[str, object]]) -> str | None:
        method, service, path, kwargs = job
        response = stack.request(method, service, path, client=ATTACKER, pace=False, **kwargs)  # type: ignore[arg-type]
        if response.status != 401 or not response.headers.get("www-authenticate", "").startswith("Basic"):
            return f"{method} {service} {path} {kwargs.get('user')}: {response.status} {response.text[:80]!r}"
        return None

    with ThreadPoolExecutor(max_workers=3) as pool:
        return [failure for failure in pool.map(one, jobs) if failure]


def test_every_route_requires_credentials(stack: AcceptanceStack) -> None:
    jobs = [(method, service, path, {}) for method, service, path in routes()]
    assert len(jobs) >= 90  # every (method, path) of the role matrix and a few in no rule
    assert run_all(stack, jobs) == []


def test_every_route_refuses_a_wrong_password(stack: AcceptanceStack) -> None:
    """A different wrong password each time (a brute force): never a 429 or a pass, always 401."""
    users = ["admin", "ops", "read-only", "guest"]
    jobs = [
        (method, service, path, {"user": users[index % len(users)], "password": f"wrong-password-{index:04d}"})
        for index, (method, service, path) in enumerate(routes())
    ]
    assert run_all(stack, jobs) == []


@pytest.mark.parametrize(
    "variant",
    [
        "unknown user",
        "another user's password",
        "empty password",
        "password with a trailing space",
        "upper-case user name",
        "no password separator",
        "bearer token",
        "not base64",
        "empty basic",
        "user name only in the URL",
    ],
)
def test_malformed_and_foreign_credentials(stack: AcceptanceStack, variant: str) -> None:
    passwords = stack.passwords
    headers: dict[str, str] = {}
    kwargs: dict[str, object] = {}
    path = "/api/v1/query?query=up"
    if variant == "unknown user":
        kwargs = {"user": "mallory", "password": passwords["admin"]}
    elif variant == "another user's password":
        kwargs = {"user": "admin", "password": passwords["read-only"]}
    elif variant == "empty password":
        kwargs = {"user": "admin", "password": ""}
    elif variant == "password with a trailing space":
        kwargs = {"user": "admin", "password": passwords["admin"] + " "}
    elif variant == "upper-case user name":
        kwargs = {"user": "ADMIN", "password": passwords["admin"]}
    elif variant == "no password separator":
        headers = {"Authorization": "Basic " + base64.b64encode(b"admin").decode()}
    elif variant == "bearer token":
        headers = {"Authorization": "Bearer " + passwords["admin"]}
    elif variant == "not base64":
        headers = {"Authorization": "Basic !!!not-base64!!!"}
    elif variant == "empty basic":
        headers = {"Authorization": "Basic "}
    elif variant == "user name only in the URL":
        path = "/api/v1/query?query=up&user=admin&password=" + passwords["admin"]
    for service in ("prometheus", "alertmanager"):
        response = stack.request("GET", service, path if service == "prometheus" else "/api/v2/alerts", client=ATTACKER, headers=headers, pace=False, **kwargs)  # type: ignore[arg-type]
        assert_unauthenticated(response, f"{variant} on {service}")


def test_right_password_passes_and_a_changed_header_does_not_ride_the_cache(stack: AcceptanceStack) -> None:
    """The authentication cache is keyed on the whole Authorization header: a cached success
    for admin does not let a different password for admin through."""
    ok = stack.request("GET", "prometheus", "/api/v1/query?query=up", user="admin")
    assert ok.status == 200
    header = basic("admin", stack.passwords["admin"])
    for forged in (header + "x", header[:-2], header.lower(), header.upper()):
        response = stack.request("GET", "prometheus", "/api/v1/query?query=up", client=ATTACKER, headers={"Authorization": forged}, pace=False)
        assert_unauthenticated(response, "a modified admin header")
