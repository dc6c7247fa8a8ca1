"""Audit: every request the suite sent through the proxy (recorded by `AcceptanceStack.request`
and `send`) is in the proxy's JSON audit log with who (user, role), what (service, method,
path), the status and the decision; no password or Authorization value is in any log.

Runs after every other non-destructive test, so "every request" is all of theirs.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter

import pytest

from harness.stack import USERS, AcceptanceStack, Sent, basic, wait_until

pytestmark = pytest.mark.acceptance

FIELDS = {
    "time",
    "client",
    "user",
    "claimed_user",
    "role",
    "service",
    "method",
    "path",
    "query",
    "status",
    "decision",
    "bytes",
    "duration_s",
    "tls",
    "request_id",
}
AUTH_HEADER = re.compile(r"Basic\s+[A-Za-z0-9+/=]{8,}", re.IGNORECASE)


def logged_path(path: str) -> str:
    """What the audit log shows as the path: exactly what the client sent before `?` (so a
    `%2e%2e` or `//` stays visible), its first 2,048 characters marked `<truncated>` when longer,
    or `<unprintable>` for anything but printable ASCII."""
    raw = path.split("?", 1)[0]
    if not raw or not all("!" <= c <= "~" for c in path):
        return "<unprintable>"
    return raw if len(raw) <= 2048 else raw[:2048] + "<truncated>"


def expected_entry(sent: Sent) -> tuple[str, str, str, str, int, str, str, str]:
    """(client, service, method, path, status, user, role, decision) the log must show."""
    if sent.status == 401:
        user, decision = "", "unauthenticated"
    elif sent.status == 429:
        user, decision = "", "rate-limited"  # limits run before authentication
    elif sent.status == 413:
        user, decision = "", "body-too-large"
    else:
        assert sent.authentic and sent.user is not None, sent
        user = sent.user
        decision = "denied" if sent.status == 403 else "bad-request" if sent.status == 400 else "allowed"
    role = USERS[user] if user else ""
    return (sent.client, sent.service, sent.method, logged_path(sent.path), sent.status, user, role, decision)


def entry_key(entry: dict) -> tuple[str, str, str, str, int, str, str, str]:
    return (
        entry["client"],
        entry["service"],
        entry["method"],
        entry["path"],
        int(entry["status"]),
        entry["user"],
        entry["role"],
        entry["decision"],
    )


def test_logged_path_is_the_raw_path() -> None:
    assert logged_path("/api/v1/query/../status/config") == "/api/v1/query/../status/config"
    assert logged_path("/api/v1/%73tatus/config?x=1") == "/api/v1/%73tatus/config"
    assert logged_path("/api/v1/\xff") == "<unprintable>"
    assert logged_path("/" + "a" * 3000 + "?q=1") == "/" + "a" * 2047 + "<truncated>"


def test_every_request_is_in_the_audit_log(stack: AcceptanceStack) -> None:
    assert len(stack.sent) >= 300, "the audit test runs after the other groups"
    logged = Counter(entry_key(entry) for entry in stack.audit_entries("file"))
    wanted = Counter(expected_entry(sent) for sent in stack.sent)
    missing = {key: count - logged[key] for key, count in wanted.items() if logged[key] < count}
    assert missing == {}, (
        f"{sum(missing.values())} of {len(stack.sent)} requests are not in the audit log as expected, "
        f"e.g. {list(missing)[:5]}"
    )
    decisions = Counter(key[-1] for key in wanted.elements())
    print(f"audit: {len(stack.sent)} requests found; decisions {dict(decisions)}")
    assert {"allowed", "denied", "unauthenticated", "rate-limited", "body-too-large"} <= set(decisions)


def test_audit_entries_are_complete_json_on_stdout_and_in_the_file(stack: AcceptanceStack) -> None:
    in_file = stack.audit_entries("file")
    assert in_file
    # The stdout copy is buffered (flushed within 1 s); the file is written per request.
    on_stdout = wait_until(
        lambda: entries if len(entries := stack.audit_entries("stdout")) >= len(in_file) else [],
        timeout=10,
        interval=0.5,
        what=f"the stdout copy to catch up with the {len(in_file)} lines of the audit file",
    )
    assert len(in_file) == len(on_stdout)
    # Every worker writes each line to both; lines of different workers may interleave differently.
    assert sorted(e["request_id"] for e in in_file) == sorted(e["request_id"] for e in on_stdout)
    for entry in in_file:
        assert set(entry) == FIELDS, entry
        assert entry["decision"] in {
            "allowed",
            "denied",
            "unauthenticated",
            "rate-limited",
            "body-too-large",
            "bad-request",
            "cross-site",
        }, entry
        if entry["status"] in (400, 505) and not entry["method"]:
            # A connection that never sent a parsable request (e.g. the TLS scanner's probes):
            # refused before routing, still with the service its port serves.
            assert entry["service"] in {"prometheus", "alertmanager"} and entry["decision"] == "bad-request", entry
            continue
        assert entry["service"] in {"prometheus", "alertmanager"}, entry
        assert entry["tls"] in {"TLSv1.2", "TLSv1.3"}, entry
        if entry["user"]:
            assert entry["role"] == USERS[entry["user"]], entry
    assert len({e["request_id"] for e in in_file}) == len(in_file)


def test_audit_lines_are_valid_utf8_json(stack: AcceptanceStack) -> None:
    """Every audit line must parse as JSON in a strict consumer. `claimed_user` is the user name
    an unauthenticated client *claims* ($remote_user, decoded from its Authorization header):
    attacker-chosen bytes, which `escape=json` passes through unescaped when >= 0x80. The
    authentication tests sent such headers (a mangled base64 credential): a log pipeline that
    decodes UTF-8 strictly would reject those lines, i.e. drop a brute-force attempt's trail."""
    claimed = "Basic " + base64.b64encode(b"\xff\xfe-not-utf8:some-password").decode()
    assert (
        stack.request(
            "GET", "prometheus", "/-/ready", client="trusted2", headers={"Authorization": claimed}, pace=False
        ).status
        == 401
    )
    bad = []
    for number, line in enumerate(stack.audit_bytes().splitlines(), start=1):
        try:
            json.loads(line.decode("utf-8"))
        except ValueError as exc:
            bad.append(f"line {number}: {exc.__class__.__name__}: {line[:160]!r}")
    assert bad == [], f"{len(bad)} audit lines are not valid UTF-8 JSON, e.g. {bad[:2]}"


def test_no_password_or_authorization_value_in_any_log(stack: AcceptanceStack) -> None:
    logs = stack.all_log_files()
    assert {"proxy audit.log", "prometheus query.log"} <= set(logs), sorted(logs)
    secrets = stack.generated_secrets()
    for user, password in stack.passwords.items():
        value = basic(user, password)
        secrets[f"Authorization of {user}"] = value.split(" ", 1)[1]
    secrets["an attacker's password"] = "wrong-password-00"
    secrets["base64 of a wrong password"] = base64.b64encode(b"admin:wrong-password-0000").decode()[:24]
    leaks = []
    for name, path in logs.items():
        text = path.read_text(errors="replace")
        leaks += [f"{what} in {name}" for what, value in secrets.items() if value in text]
        if AUTH_HEADER.search(text):
            leaks.append(f"an Authorization header value in {name}: {AUTH_HEADER.search(text).group(0)[:16]}...")  # type: ignore[union-attr]
    assert leaks == []
