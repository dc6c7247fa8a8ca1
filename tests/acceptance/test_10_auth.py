"""Authentication: every route the proxy exposes answers 401 without credentials, with a wrong
password and with malformed or foreign credentials. Runs from `trusted2`, so the failed
password checks (rate-limited per client) never slow down the other tests' clients."""

from __future__ import annotations

import base64
import http.client
import threading
import time

import pytest

from components.proxy.render import ANONYMOUS_BURST, ANONYMOUS_PER_SECOND
from harness.stack import AcceptanceStack, Pacer, Response, basic
from tests.acceptance.role_matrix import MATRIX

pytestmark = pytest.mark.acceptance

ATTACKER = "trusted2"
DUMMY_SILENCE = "00000000-0000-4000-8000-000000000000"
# Requests without a credential are limited per client address (429 past the burst): the sweeps
# here check every route's 401, so they stay under that rate.
ANONYMOUS = Pacer(1.0 / ANONYMOUS_PER_SECOND + 0.02)


def routes() -> list[tuple[str, str, str]]:
    """(method, service, path) of every route in the role matrix, plus paths in no rule."""
    seen: dict[tuple[str, str, str], None] = {}
    for case in MATRIX:
        path = case[3].replace("{sid}", DUMMY_SILENCE).replace("{fresh}", DUMMY_SILENCE)
        seen[(case[1], case[2], path)] = None
    for service in ("prometheus", "alertmanager"):
        for method, path in (
            ("GET", "/unknown"),
            ("OPTIONS", "/api/v1/query"),
            ("PATCH", "/-/reload"),
            ("GET", "/metrics"),
        ):
            seen[(method, service, path)] = None
    return list(seen)


def assert_unauthenticated(response: Response, what: str) -> None:
    assert response.status == 401, f"{what}: {response.status} {response.text[:120]!r}"


def run_all(stack: AcceptanceStack, jobs: list[tuple[str, str, str, dict[str, str]]]) -> list[str]:
    """Send every request, on kept-alive connections (2 per service: under the per-client
    connection limit); the ones not answered 401."""
    failures: list[str] = []
    lock = threading.Lock()

    def worker(service: str, share: list[tuple[str, str, str, dict[str, str]]]) -> None:
        connection = stack.connection(ATTACKER, service)
        try:
            for method, _, path, kwargs in share:
                if "user" not in kwargs:
                    ANONYMOUS.wait(ATTACKER)
                try:
                    response = stack.send(connection, ATTACKER, service, method, path, **kwargs)  # type: ignore[arg-type]
                except (OSError, http.client.HTTPException):  # the server closed it: reconnect once
                    connection.close()
                    connection = stack.connection(ATTACKER, service)
                    response = stack.send(connection, ATTACKER, service, method, path, **kwargs)  # type: ignore[arg-type]
                if response.status != 401:
                    with lock:
                        failures.append(
                            f"{method} {service} {path} {kwargs.get('user')}: {response.status} {response.text[:80]!r}"
                        )
        finally:
            connection.close()

    threads = []
    for service in ("prometheus", "alertmanager"):
        mine = [job for job in jobs if job[1] == service]
        for part in (mine[0::2], mine[1::2]):
            threads.append(threading.Thread(target=worker, args=(service, part), daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a sweep did not finish in 120 s"
    return failures


def test_unauthenticated_requests_get_a_basic_challenge(stack: AcceptanceStack) -> None:
    for service in ("prometheus", "alertmanager"):
        response = stack.request("GET", service, "/api/v1/query?query=up", client="trusted")
        assert_unauthenticated(response, service)
        assert response.headers.get("www-authenticate") == 'Basic realm="promshield"'


def test_unauthenticated_requests_do_not_lock_real_users_out(stack: AcceptanceStack) -> None:
    """Requests WITHOUT credentials need no password check, yet the proxy sends them to its
    bcrypt checker, whose per-client budget (5/s, burst 20) they use up: while they keep coming,
    a real user's login from the same address (a cache miss) is refused with 401, and the
    flood's own 401s lose their WWW-Authenticate challenge. Any unauthenticated client (a health probe, a browser's
    first request, an attacker sharing a NAT address) can lock out the real users behind it.
    (The flood itself is limited per address too: past its burst it gets 429s, never a lockout.)

    Runs first on `trusted2`, whose budget is untouched before this module. `burst` is the one
    user the harness does not warm up: its first login here is a password check (a cache miss);
    only the canonical spelling of a credential is one, so the later logins are cache hits.
    """
    fresh = basic("burst", stack.passwords["burst"])
    flood_statuses: list[tuple[int, bool]] = []
    stop = threading.Event()

    def flood() -> None:  # unauthenticated requests on one kept-alive connection, for at most 4 s
        connection = stack.connection(ATTACKER, "prometheus")
        try:
            deadline = time.monotonic() + 4
            while not stop.is_set() and time.monotonic() < deadline:
                response = stack.send(connection, ATTACKER, "prometheus", "GET", "/-/healthy")
                flood_statuses.append((response.status, "www-authenticate" in response.headers))
                time.sleep(0.01)
        finally:
            connection.close()

    thread = threading.Thread(target=flood, daemon=True)
    thread.start()
    time.sleep(1.0)
    logins = []
    for _ in range(3):  # the first a password check, then cache hits
        header = {"Authorization": fresh}
        logins.append(
            stack.request(
                "GET", "prometheus", "/api/v1/query?query=up", client=ATTACKER, headers=header, pace=False
            ).status
        )
        time.sleep(0.3)
    stop.set()
    thread.join(timeout=10)
    assert flood_statuses and {status for status, _ in flood_statuses} <= {401, 429}
    assert flood_statuses[0][0] == 401
    without_challenge = sum(1 for status, challenged in flood_statuses if status == 401 and not challenged)
    assert (logins, without_challenge) == ([200, 200, 200], 0), (
        f"during a flood of {len(flood_statuses)} unauthenticated requests ({without_challenge} of them "
        f"answered by the password-check limiter, without a challenge), a real user's logins from the same "
        f"address got {logins}: unauthenticated requests use up the password-check budget"
    )


def test_every_route_requires_credentials(stack: AcceptanceStack) -> None:
    jobs: list[tuple[str, str, str, dict[str, str]]] = [
        (method, service, path, {}) for method, service, path in routes()
    ]
    assert len(jobs) >= 90  # every (method, path) of the role matrix and a few in no rule
    # The flood test before used up this address's budget of requests without a credential.
    time.sleep(ANONYMOUS_BURST / ANONYMOUS_PER_SECOND)
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
        response = stack.request(
            "GET",
            service,
            path if service == "prometheus" else "/api/v2/alerts",
            client=ATTACKER,
            headers=headers,
            pace=False,
            **kwargs,
        )  # type: ignore[arg-type]
        assert_unauthenticated(response, f"{variant} on {service}")


def test_right_password_passes_and_a_changed_header_does_not_ride_the_cache(stack: AcceptanceStack) -> None:
    """The authentication cache is keyed on the whole Authorization header: a cached success
    for admin does not let a different password for admin through."""
    ok = stack.request("GET", "prometheus", "/api/v1/query?query=up", user="admin")
    assert ok.status == 200
    header = basic("admin", stack.passwords["admin"])
    flipped = header[:-8] + ("A" if header[-8] != "A" else "B") + header[-7:]
    for forged in (flipped, header[:-4], header.lower(), header.upper()):
        response = stack.request(
            "GET",
            "prometheus",
            "/api/v1/query?query=up",
            client=ATTACKER,
            headers={"Authorization": forged},
            pace=False,
        )
        assert_unauthenticated(response, f"a modified admin header {forged!r}")
