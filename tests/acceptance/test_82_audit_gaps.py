"""Audit-log gaps (issue 11, finding 8): long paths and user names are logged truncated and
marked (not `<unprintable>`); requests refused before routing carry the service and what is
known of them; the query of query endpoints is logged (truncated); the audit file is not
world-readable and belongs to the proxy's user.

Runs after test_80 (its requests are checked here, not recorded for the "every request" test).
"""

from __future__ import annotations

import base64
import contextlib
import os
import stat
import time
import uuid
from typing import Any

import pytest

from components.core import catalog
from harness.stack import PORTS, AcceptanceStack, basic, wait_until

pytestmark = pytest.mark.acceptance

CLIENT = "trusted"
MARK = "<truncated>"


def new_entries(stack: AcceptanceStack, before: int, count: int) -> list[dict[str, Any]]:
    return wait_until(
        lambda: (entries := stack.audit_entries("file")[before:]) and len(entries) >= count and entries,
        timeout=5,
        interval=0.2,
        what=f"{count} new audit entries",
    )


def raw_request(stack: AcceptanceStack, text: bytes) -> bytes:
    port = PORTS["prometheus"]
    answer = b""
    with stack.tls_connect(CLIENT, port, timeout=5) as sock:
        sock.sendall(text)
        with contextlib.suppress(OSError):
            while len(answer) < 32 and (data := sock.recv(4096)):
                answer += data
    return answer


def test_a_long_path_is_logged_truncated_and_marked(stack: AcceptanceStack) -> None:
    before = len(stack.audit_entries("file"))
    path = "/api/v1/" + "a" * 3000
    assert stack.get("prometheus", path, user="read-only", record=False).status in (403, 414)
    entry = new_entries(stack, before, 1)[-1]
    print(f"audit: a {len(path)}-character path is logged as {len(entry['path'])} characters ...{entry['path'][-20:]}")
    assert entry["path"] == path[:2048] + MARK, entry["path"][-40:]


def test_a_long_user_name_is_logged_truncated_and_marked(stack: AcceptanceStack) -> None:
    before = len(stack.audit_entries("file"))
    name = "u" * 100
    response = stack.request(
        "GET", "prometheus", "/-/ready", client=CLIENT, headers={"Authorization": basic(name, "x" * 16)}, record=False
    )
    assert response.status == 401
    entry = new_entries(stack, before, 1)[-1]
    print(f"audit: a 100-character user name is logged as {entry['claimed_user']!r}")
    assert entry["claimed_user"] == "u" * 64 + MARK, entry


@pytest.mark.parametrize(
    ("request_text", "status", "method"),
    [
        (b"GET /-/ready HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "GET"),
        (b"TRACE /-/ready HTTP/1.1\r\nHost: a\r\n\r\n", 405, "TRACE"),
        (b"GET /-/ready HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "GET"),
        (b"GET /-/ready HTTP/2.0\r\nHost: a\r\n\r\n", 505, ""),  # NGINX keeps no part of a refused request line
    ],
    ids=["duplicate Host", "TRACE", "unknown transfer coding", "HTTP/2.0 request line"],
)
def test_requests_refused_before_routing_carry_what_is_known(
    stack: AcceptanceStack, request_text: bytes, status: int, method: str
) -> None:
    before = len(stack.audit_entries("file"))
    answer = raw_request(stack, request_text)
    assert answer.startswith(f"HTTP/1.1 {status}".encode()), answer
    entry = new_entries(stack, before, 1)[-1]
    print(f"audit: refused before routing: {entry}")
    assert (entry["status"], entry["service"], entry["method"], entry["decision"]) == (
        status,
        "prometheus",
        method,
        "bad-request",
    ), entry
    assert entry["path"] == ("/-/ready" if method else "") and entry["tls"] in {"TLSv1.2", "TLSv1.3"}, entry


def test_the_query_of_query_endpoints_is_logged(stack: AcceptanceStack) -> None:
    marker = uuid.uuid4().hex[:8]
    get_query = f"query=up%7Bjob%3D%22{marker}%22%7D&time=1"
    post_body = f"query=sum(up)+by+(job)&marker={marker}"
    long_query = "query=" + "x" * 5000
    before = len(stack.audit_entries("file"))
    assert (
        stack.get("prometheus", f"/api/v1/query?{get_query}&password=secret", user="read-only", record=False).status
        == 200
    )
    assert (
        stack.get("prometheus", f"/api/v1/series?match[]=up&m={marker}", user="read-only", record=False).status == 200
    )
    response = stack.request(
        "POST",
        "prometheus",
        "/api/v1/query",
        user="read-only",
        body=post_body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        record=False,
    )
    assert response.status == 200
    assert stack.get("prometheus", f"/api/v1/query?{long_query}", user="read-only", record=False).status == 200
    assert stack.get("prometheus", "/-/ready?not=a-query", user="read-only", record=False).status == 200
    entries = new_entries(stack, before, 5)[-5:]
    queries = [e["query"] for e in entries]
    print(f"audit: queries logged {[q[:60] for q in queries]}")
    # Only the query parameters are kept (not `m`, `marker`, nor a password put in a URL).
    assert queries[:3] == [get_query, "match[]=up", "query=sum(up)+by+(job)"], queries
    assert queries[3] == long_query[:1024] + MARK, queries[3][-40:]
    assert queries[4] == "", "only query endpoints log their query"


def test_the_audit_file_is_not_world_readable(stack: AcceptanceStack) -> None:
    path = stack.audit_file()
    info = path.stat()
    mode = stat.S_IMODE(info.st_mode)
    print(f"audit: {catalog.PROXY_AUDIT_LOG_FILE} mode {mode:04o} owner {info.st_uid}:{info.st_gid}")
    assert mode & 0o027 == 0, f"{mode:04o}"
    assert (info.st_uid, info.st_gid) == (catalog.PROXY.uid, catalog.PROXY.gid)
    # And what the proxy creates later (e.g. after a log rotation) is just as closed.
    rotated = path.with_name(f"audit.log.{int(time.time())}")
    os.rename(path, rotated)
    try:
        stack.topo.container_exec(
            stack.container("proxy"), ["nginx", "-c", catalog.PROXY_CONFIG_FILE, "-s", "reopen"], timeout=10
        )
        stack.request("GET", "prometheus", "/-/ready", client=CLIENT, record=False)
        wait_until(path.exists, timeout=5, what="the reopened audit log")
        assert stat.S_IMODE(path.stat().st_mode) & 0o027 == 0, f"{stat.S_IMODE(path.stat().st_mode):04o}"
    finally:
        reopened = path.read_bytes() if path.exists() else b""
        os.rename(rotated, path)
        with path.open("ab") as log:
            log.write(reopened)
        stack.topo.container_exec(
            stack.container("proxy"), ["nginx", "-c", catalog.PROXY_CONFIG_FILE, "-s", "reopen"], timeout=10
        )


def test_an_unprintable_claimed_user_stays_unprintable(stack: AcceptanceStack) -> None:
    before = len(stack.audit_entries("file"))
    claimed = "Basic " + base64.b64encode(b"\xffbad:some-password").decode()
    assert (
        stack.request(
            "GET", "prometheus", "/-/ready", client=CLIENT, headers={"Authorization": claimed}, record=False
        ).status
        == 401
    )
    assert new_entries(stack, before, 1)[-1]["claimed_user"] == "<unprintable>"
