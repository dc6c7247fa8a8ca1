"""Limits: the per-credential request rate (429 after the burst), the per-client connection
limit (429) and the body size (413). The stack runs with requestsPerSecond 5, burst 5,
connectionsPerClient 4, maxBodyBytes 1 MiB. Attacks come from `trusted2` as user `burst`."""

from __future__ import annotations

import contextlib
import ssl
import time
from collections import Counter

import pytest

from components.prometheus.settings import DEFAULT_QUERY_LIMITS
from harness.stack import (
    BURST,
    CONNECTIONS_PER_CLIENT,
    HOST_ADDRESS,
    MAX_BODY_BYTES,
    PORTS,
    RATE_PER_SECOND,
    AcceptanceStack,
    basic,
    wait_until,
)

pytestmark = pytest.mark.acceptance

CLIENT = "trusted2"
USER = "burst"


@pytest.fixture(scope="module", autouse=True)
def burst_user_ready(stack: AcceptanceStack) -> None:
    """The user authenticates from trusted2 (after the brute-force tests its password-check
    budget refills within seconds), then its rate budget is left to refill."""
    wait_until(
        lambda: stack.request("GET", "prometheus", "/-/ready", user=USER, client=CLIENT).status == 200,
        timeout=15,
        interval=0.5,
        what="the burst user",
    )
    time.sleep(1.5)


def test_a_burst_over_the_rate_limit_gets_429s(stack: AcceptanceStack) -> None:
    total = 30
    statuses: Counter[int] = Counter()
    connection = stack.connection(CLIENT, "prometheus")
    started = time.monotonic()
    try:
        for _ in range(total):
            statuses[
                stack.send(connection, CLIENT, "prometheus", "GET", "/api/v1/query?query=up", user=USER).status
            ] += 1
    finally:
        connection.close()
    elapsed = time.monotonic() - started
    # nginx lets through one request plus the burst at once, then one per 1/rate seconds.
    allowed_at_most = 1 + BURST + int(RATE_PER_SECOND * elapsed) + 1
    print(f"rate limit: {dict(statuses)} in {elapsed:.2f}s (at most {allowed_at_most} may pass)")
    assert set(statuses) <= {200, 429}, statuses
    assert statuses[200] >= BURST, statuses
    assert statuses[200] <= allowed_at_most, statuses
    assert statuses[429] >= total - allowed_at_most, statuses
    # The budget refills: after 1/rate * burst seconds the user is served again.
    time.sleep((BURST + 1) / RATE_PER_SECOND)
    assert stack.request("GET", "prometheus", "/api/v1/query?query=up", user=USER, client=CLIENT).status == 200


def test_the_rate_limit_is_per_credential(stack: AcceptanceStack) -> None:
    """While `burst` is being throttled, another user from the same address is served."""
    connection = stack.connection(CLIENT, "alertmanager")
    try:
        statuses = [
            stack.send(connection, CLIENT, "alertmanager", "GET", "/-/ready", user=USER).status for _ in range(15)
        ]
    finally:
        connection.close()
    assert 429 in statuses
    assert stack.request("GET", "alertmanager", "/-/ready", user="read-only", client=CLIENT).status == 200
    time.sleep((BURST + 1) / RATE_PER_SECOND)


def hold_request(stack: AcceptanceStack, port: int) -> ssl.SSLSocket:
    """A request that stays in progress: the headers promise 100 bytes of body, 6 are sent. Not to a query
    endpoint, where the credential's own bound (queryLimits.concurrentPerCredential, 2) would answer first:
    the role table refuses this POST, but only once the proxy has read its body."""
    sock = stack.tls_connect(CLIENT, port)
    sock.sendall(
        (
            f"POST /api/v1/alerts HTTP/1.1\r\nHost: {HOST_ADDRESS}:{port}\r\n"
            f"Authorization: {basic(USER, stack.passwords[USER])}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nquery="
        ).encode()
    )
    return sock


def test_connections_over_the_per_client_limit_are_refused(stack: AcceptanceStack) -> None:
    port = PORTS["prometheus"]
    holders: list[ssl.SSLSocket] = []
    try:
        for _ in range(CONNECTIONS_PER_CLIENT):
            holders.append(hold_request(stack, port))
            time.sleep(0.25)  # stay under the rate limit: only the connection limit is tested
        time.sleep(0.5)  # the proxy has read every held request's headers
        # No credentials: the per-credential rate limit does not apply, so this 429 is the
        # connection limit (checked before authentication).
        over = stack.request("GET", "prometheus", "/-/ready", client=CLIENT)
        assert over.status == 429, (over.status, over.text[:200])
        over_am = stack.request("GET", "alertmanager", "/-/ready", user="read-only", client=CLIENT)
        assert over_am.status == 429, "the limit counts the client's requests on both ports"
        # Another client address is not affected.
        assert stack.request("GET", "prometheus", "/-/ready", user="read-only", client="trusted").status == 200
    finally:
        for sock in holders:
            with contextlib.suppress(OSError):
                sock.close()
    wait_until(
        lambda: stack.request("GET", "prometheus", "/-/ready", client=CLIENT, record=False).status == 401,
        timeout=10,
        interval=0.2,
        what="the held connections to be released",
    )
    assert stack.request("GET", "prometheus", "/-/ready", client=CLIENT).status == 401


def form_of_size(size: int) -> bytes:
    head = b"query=up&padding="
    return head + b"x" * (size - len(head))


def test_a_body_of_exactly_the_limit_is_accepted(stack: AcceptanceStack) -> None:
    """limits.maxBodyBytes bounds every request: exactly that much passes the size check (this POST is then
    the role table's to refuse: 403, not 413). The query endpoints have a smaller bound of their own
    (queryLimits.maxBodyBytes): exactly that much is answered."""
    body = form_of_size(MAX_BODY_BYTES)
    assert len(body) == 1024 * 1024
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = stack.request(
        "POST", "prometheus", "/api/v1/alerts", user="read-only", client=CLIENT, body=body, headers=headers
    )
    assert response.status == 403 and response.proxy_denied, (response.status, response.text[:200])
    query_body = form_of_size(DEFAULT_QUERY_LIMITS.max_body_bytes)
    response = stack.request(
        "POST", "prometheus", "/api/v1/query", user="read-only", client=CLIENT, body=query_body, headers=headers
    )
    assert response.status == 200, (response.status, response.text[:200])
    over = stack.request(
        "POST", "prometheus", "/api/v1/query", user="read-only", client=CLIENT, body=query_body + b"x", headers=headers
    )
    assert over.status == 413, (over.status, over.text[:200])


@pytest.mark.parametrize("user", ["read-only", None], ids=["authenticated", "anonymous"])
def test_a_body_of_one_mib_plus_one_byte_gets_413(stack: AcceptanceStack, user: str | None) -> None:
    body = form_of_size(MAX_BODY_BYTES + 1)
    response = stack.request(
        "POST",
        "prometheus",
        "/api/v1/query",
        user=user,
        client=CLIENT,
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 413, (response.status, response.text[:200])


def test_a_chunked_body_over_the_limit_gets_413(stack: AcceptanceStack) -> None:
    """Without Content-Length the proxy counts while reading: still 413."""
    port = PORTS["prometheus"]
    body = form_of_size(MAX_BODY_BYTES + 1)
    stack.pacer.wait(basic("read-only", stack.passwords["read-only"]))
    with stack.tls_connect(CLIENT, port, timeout=15) as sock:
        sock.sendall(
            (
                f"POST /api/v1/query HTTP/1.1\r\nHost: {HOST_ADDRESS}:{port}\r\n"
                f"Authorization: {basic('read-only', stack.passwords['read-only'])}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
        )
        with contextlib.suppress(OSError):  # the proxy may answer and close before all is sent
            for start in range(0, len(body), 65536):
                chunk = body[start : start + 65536]
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        answer = b""
        with contextlib.suppress(OSError):
            while len(answer) < 64 and (data := sock.recv(4096)):
                answer += data
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
