"""Attacks found by an independent attacker (issue 11): slowloris, user enumeration by timing,
rate-limit multiplication by credential spellings, unauthenticated floods, duplicate security
headers, cross-site request forgery. Each test prints its measured figures for the closing note.

Attacks come from `trusted2`; `trusted` is the victim whose requests must keep working.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import ssl
import statistics
import time
from collections import Counter
from typing import Any

import pytest

from harness.stack import (
    BURST,
    CONNECTIONS_PER_SOURCE,
    HOST_ADDRESS,
    PORTS,
    RATE_PER_SECOND,
    AcceptanceStack,
    basic,
    wait_until,
)

pytestmark = pytest.mark.acceptance

ATTACKER = "trusted2"
VICTIM = "trusted"
SECURITY_HEADERS = ("strict-transport-security", "x-frame-options", "x-content-type-options", "referrer-policy")


def raw_exchange(  # noqa: PLR0917 - one request's parts, in the order they are sent
    stack: AcceptanceStack,
    client: str,
    service: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes = b"",
) -> tuple[int, list[tuple[str, str]], float]:
    """One request on its own connection: (status, every header line in order, seconds)."""
    connection = stack.connection(client, service)
    try:
        started = time.monotonic()
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", f"{HOST_ADDRESS}:{PORTS[service]}")
        for key, value in headers.items():
            connection.putheader(key, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheaders(), time.monotonic() - started
    finally:
        connection.close()


# --- 1. slowloris --------------------------------------------------------------------------------


def hold_partial_requests(
    stack: AcceptanceStack, port: int, count: int, seconds: float
) -> tuple[list[Any], Counter[str]]:
    """Up to `count` TLS connections from the attacker, each with a request whose headers never
    end, opened one after the other within `seconds`; stops after 20 failures in a row. The held
    sockets and what became of the attempts."""
    held: list[Any] = []
    outcome: Counter[str] = Counter()
    failures_in_a_row = 0
    deadline = time.monotonic() + seconds
    partial = f"GET /-/ready HTTP/1.1\r\nHost: {HOST_ADDRESS}:{port}\r\nX-Slow: ".encode()
    while len(held) < count and time.monotonic() < deadline and failures_in_a_row < 20:
        try:
            sock = stack.tls_connect(ATTACKER, port, timeout=2)
        except ConnectionRefusedError:
            outcome["refused"] += 1
            failures_in_a_row += 1
            continue
        except (OSError, ssl.SSLError) as exc:
            outcome[f"failed ({type(exc).__name__})"] += 1
            failures_in_a_row += 1
            continue
        try:
            sock.sendall(partial)
        except OSError:
            sock.close()
            outcome["closed at once"] += 1
            continue
        held.append(sock)
        outcome["held"] += 1
        failures_in_a_row = 0
    return held, outcome


def still_open(sockets: list[Any]) -> int:
    """How many of the attacker's connections the proxy has not closed (no EOF/reset yet)."""
    alive = 0
    for sock in sockets:
        try:
            sock.settimeout(0)
            alive += sock.recv(1) != b""
        except (BlockingIOError, ssl.SSLWantReadError):
            alive += 1
        except OSError:
            pass
    return alive


def test_slowloris_from_one_client_does_not_starve_another(stack: AcceptanceStack) -> None:
    """Up to 2,500 TLS connections from `trusted2` whose request headers never end; meanwhile
    `trusted` must keep being served on both ports, the firewall holds the attacker to
    limits.connectionsPerSource per port, and the proxy closes what it accepted within its
    header timeout."""
    port = PORTS["prometheus"]
    held, outcome = hold_partial_requests(stack, port, 2500, seconds=60)
    try:
        served: Counter[str] = Counter()
        started = time.monotonic()
        for index in range(10):  # bounded: 10 requests, each within 5 s
            service = "prometheus" if index % 2 == 0 else "alertmanager"
            try:
                status = stack.request("GET", service, "/-/ready", user="read-only", client=VICTIM, timeout=5).status
                served[str(status)] += 1
            except (OSError, http.client.HTTPException) as exc:
                served[type(exc).__name__] += 1
        served_in = time.monotonic() - started
        print(
            f"slowloris: attacker's attempts {dict(outcome)}; {VICTIM}'s 10 requests meanwhile: {dict(served)} "
            f"in {served_in:.1f}s"
        )
        assert served == Counter({"200": 10}), f"{len(held)} partial requests from {ATTACKER} starved {VICTIM}"
        assert len(held) <= CONNECTIONS_PER_SOURCE, f"{len(held)} connections from one source got through"
        closed = time.monotonic()
        wait_until(lambda: still_open(held) == 0, timeout=30, interval=1.0, what="the partial requests closed")
        print(f"slowloris: the proxy closed all {len(held)} within {time.monotonic() - closed:.1f}s")
    finally:
        for sock in held:
            with contextlib.suppress(OSError):
                sock.close()


def test_a_connection_that_never_starts_tls_is_closed_quickly(stack: AcceptanceStack) -> None:
    """No ClientHello at all: NGINX 1.22 times the handshake out with client_header_timeout."""
    port = PORTS["prometheus"]
    with stack.topo.client(ATTACKER).connect(HOST_ADDRESS, port, timeout=40) as sock:
        started = time.monotonic()
        with contextlib.suppress(OSError):
            sock.recv(1)
        closed_after = time.monotonic() - started
    print(f"slowloris: a connection without a TLS handshake was closed after {closed_after:.1f} s")
    assert closed_after <= 15, closed_after


def test_a_tls_connection_that_never_finishes_its_headers_is_closed_quickly(stack: AcceptanceStack) -> None:
    port = PORTS["prometheus"]
    with stack.tls_connect(ATTACKER, port, timeout=40) as sock:
        sock.sendall(f"GET /-/ready HTTP/1.1\r\nHost: {HOST_ADDRESS}:{port}\r\nX-Slow: ".encode())
        started = time.monotonic()
        try:
            data = sock.recv(4096)
        except OSError:
            data = b""
        closed_after = time.monotonic() - started
    print(f"slowloris: a half-sent request was closed after {closed_after:.1f} s ({data[:40]!r})")
    assert closed_after <= 15, closed_after


# --- 2. user enumeration by timing ---------------------------------------------------------------


def test_an_unknown_user_takes_as_long_as_a_known_user_with_a_wrong_password(stack: AcceptanceStack) -> None:
    """Interleaved samples paced under the password-check budget (5/s per client) on one
    kept-alive connection; each a fresh wrong password (a 401 is never cached)."""
    samples: dict[str, list[float]] = {"known": [], "unknown": []}
    connection = stack.connection(ATTACKER, "prometheus")
    time.sleep(4)  # the password-check budget of trusted2 refills (burst 20 at 5/s)
    try:
        for index in range(30):
            for kind, user in (("known", "read-only"), ("unknown", "mallory")):
                started = time.monotonic()
                response = stack.send(
                    connection, ATTACKER, "prometheus", "GET", "/-/ready", user=user, password=f"wrong-{index:03d}-pw"
                )
                samples[kind].append(time.monotonic() - started)
                assert response.status == 401, (kind, response.status)
                time.sleep(max(0.0, 0.25 - (time.monotonic() - started)))
    finally:
        connection.close()
    known, unknown = (statistics.median(samples[kind]) * 1000 for kind in ("known", "unknown"))
    print(f"timing: median known user + wrong password {known:.1f} ms, unknown user {unknown:.1f} ms (30 each)")
    assert 0.8 <= unknown / known <= 1.25, (known, unknown)


# --- 3. one credential, many spellings -----------------------------------------------------------


def spellings(user: str, password: str) -> list[str]:
    """Twelve spellings of one credential that NGINX's own Basic parser accepts alike."""
    canonical = base64.b64encode(f"{user}:{password}".encode()).decode()
    assert canonical.endswith("=") and not canonical.endswith("=="), "the examples need one padding character"
    unpadded = canonical.rstrip("=")
    nul_junk = base64.b64encode(f"{user}:{password}\0junk".encode()).decode()
    nul_more = base64.b64encode(f"{user}:{password}\0more-junk".encode()).decode()
    return [
        f"Basic {canonical}",
        f"basic {canonical}",
        f"BASIC {canonical}",
        f"bAsIc {canonical}",
        f"Basic  {canonical}",
        f"Basic   {canonical}",
        f"Basic {unpadded}",
        f"basic {unpadded}",
        f"Basic {canonical}junk",
        f"Basic {canonical}=x",
        f"Basic {nul_junk}",
        f"BASIC {nul_more}",
    ]


def burst_statuses(stack: AcceptanceStack, headers: list[str], total: int) -> tuple[Counter[int], float]:
    connection = stack.connection(ATTACKER, "prometheus")
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    try:
        for index in range(total):
            response = stack.send(
                connection,
                ATTACKER,
                "prometheus",
                "GET",
                "/api/v1/query?query=up",
                headers={"Authorization": headers[index % len(headers)]},
            )
            statuses[response.status] += 1
    finally:
        connection.close()
    return statuses, time.monotonic() - started


def test_spellings_of_one_credential_share_its_rate_limit(stack: AcceptanceStack) -> None:
    user = "burst"
    variants = spellings(user, stack.passwords[user])
    assert len(set(variants)) == 12
    time.sleep((BURST + 1) / RATE_PER_SECOND + 4)  # the user's rate and trusted2's check budgets refill
    one, one_elapsed = burst_statuses(stack, variants[:1], 60)
    time.sleep((BURST + 1) / RATE_PER_SECOND + 4)
    many, many_elapsed = burst_statuses(stack, variants, 60)
    allowed_at_most = 1 + BURST + int(RATE_PER_SECOND * max(one_elapsed, many_elapsed)) + 1
    print(
        f"spellings: one spelling {dict(one)} in {one_elapsed:.2f}s; 12 spellings {dict(many)} in "
        f"{many_elapsed:.2f}s (at most {allowed_at_most} may pass)"
    )
    assert one[200] <= allowed_at_most, one
    assert many[200] <= allowed_at_most, f"12 spellings of one credential got {many[200]} x 200: {many}"
    assert set(many) <= {200, 401, 429}, many


# --- 4. unauthenticated floods -------------------------------------------------------------------


def test_a_flood_without_credentials_is_rate_limited_per_client(stack: AcceptanceStack) -> None:
    connection = stack.connection(ATTACKER, "prometheus")
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    try:
        while sum(statuses.values()) < 300 and time.monotonic() - started < 20:
            statuses[stack.send(connection, ATTACKER, "prometheus", "GET", "/-/healthy").status] += 1
    finally:
        connection.close()
    elapsed = time.monotonic() - started
    print(f"anonymous flood: {dict(statuses)} in {elapsed:.2f}s on one connection")
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[429] >= 150, f"300 requests without credentials in {elapsed:.2f}s: {dict(statuses)}"
    # Another client is not affected, with or without credentials.
    assert stack.request("GET", "prometheus", "/-/ready", client=VICTIM).status == 401
    assert stack.request("GET", "prometheus", "/-/ready", user="read-only", client=VICTIM).status == 200


# --- 5. duplicate security headers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("prometheus", "/-/ready"),
        ("prometheus", "/api/v1/query?query=up"),
        ("alertmanager", "/-/ready"),
        ("alertmanager", "/api/v2/status"),
    ],
)
def test_a_proxied_response_carries_each_security_header_once(stack: AcceptanceStack, service: str, path: str) -> None:
    stack.pacer.wait(basic("admin", stack.passwords["admin"]))
    status, headers, _ = raw_exchange(
        stack, VICTIM, service, "GET", path, {"Authorization": basic("admin", stack.passwords["admin"])}
    )
    counts = Counter(name.lower() for name, _ in headers)
    found = {name: counts[name] for name in SECURITY_HEADERS}
    hsts = [value for name, value in headers if name.lower() == "strict-transport-security"]
    print(f"headers {service} {path}: {status} {found} {hsts}")
    assert status == 200
    assert found == dict.fromkeys(SECURITY_HEADERS, 1), found
    assert hsts == ["max-age=63072000; includeSubDomains"], hsts


# --- 6. cross-site request forgery ----------------------------------------------------------------


def origin(service: str) -> str:
    return f"https://{HOST_ADDRESS}:{PORTS[service]}"


CROSS_SITE = [
    ({"Origin": "https://evil.example"}, "a foreign Origin"),
    ({"Origin": "null"}, "an opaque Origin"),
    ({"Sec-Fetch-Site": "cross-site"}, "Sec-Fetch-Site cross-site"),
    ({"Sec-Fetch-Site": "same-site", "Origin": "https://sub.promshield.test"}, "a sibling site"),
]


@pytest.mark.parametrize(("service", "user"), [("prometheus", "ops"), ("alertmanager", "admin")])
def test_a_cross_site_form_post_to_reload_is_refused(stack: AcceptanceStack, service: str, user: str) -> None:
    before = len(stack.audit_entries("file"))
    statuses = []
    for extra, _what in CROSS_SITE:
        stack.pacer.wait(basic(user, stack.passwords[user]))
        status, _, _ = raw_exchange(
            stack,
            VICTIM,
            service,
            "POST",
            "/-/reload",
            {
                "Authorization": basic(user, stack.passwords[user]),
                "Content-Type": "application/x-www-form-urlencoded",
                **extra,
            },
            b"x=1",
        )
        statuses.append(status)
    print(f"csrf: {service} /-/reload as {user}, {[what for _, what in CROSS_SITE]}: {statuses}")
    assert statuses == [403] * len(CROSS_SITE), statuses
    entries = wait_until(
        lambda: [
            e for e in stack.audit_entries("file")[before:] if e["path"] == "/-/reload" and e["service"] == service
        ][-len(CROSS_SITE) :],
        timeout=5,
        what="the refusals in the audit log",
    )
    assert [e["decision"] for e in entries] == ["cross-site"] * len(CROSS_SITE), entries


@pytest.mark.parametrize(
    ("headers", "what"),
    [
        ({}, "a server-to-server client (Grafana): no Origin, no Sec-Fetch-Site"),
        ({"Origin": origin("prometheus"), "Sec-Fetch-Site": "same-origin"}, "the proxy's own pages"),
        ({"Sec-Fetch-Site": "none"}, "a user typing the address"),
    ],
)
def test_same_origin_and_server_to_server_posts_still_work(
    stack: AcceptanceStack, headers: dict[str, str], what: str
) -> None:
    stack.pacer.wait(basic("read-only", stack.passwords["read-only"]))
    status, _, _ = raw_exchange(
        stack,
        VICTIM,
        "prometheus",
        "POST",
        "/api/v1/query",
        {
            "Authorization": basic("read-only", stack.passwords["read-only"]),
            "Content-Type": "application/x-www-form-urlencoded",
            **headers,
        },
        b"query=up",
    )
    assert status == 200, (what, status)
