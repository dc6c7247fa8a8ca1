"""The proxy's request counters: the audit rotation loop's awk program, run by the real awk on audit lines.

The lines are in the `audit` log format of nginx.conf.j2 (escape=json), including one whose client-chosen
path and claimed user try to smuggle another role and decision into the counters (the negative control:
the escaped copy inside a value is not a field), and one cut by a read in progress (not counted).
"""

from __future__ import annotations

import json
import shutil
import subprocess  # nosec B404
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from components.proxy.render import REQUEST_COUNTER_AWK


def audit_line(**fields: object) -> str:
    record = {
        "time": "2026-01-01T00:00:00+00:00",
        "client": "198.19.0.10",
        "user": "",
        "claimed_user": "",
        "role": "",
        "service": "prometheus",
        "method": "GET",
        "path": "/api/v1/query",
        "query": "up",
        "status": 200,
        "decision": "allowed",
        "bytes": 10,
        "duration_s": 0.001,
        "tls": "TLSv1.3",
        "request_id": "r",
    }
    record.update(fields)
    return json.dumps(record, separators=(",", ":"))  # NGINX's escape=json: `"` in a value becomes `\"`


def tally(tmp_path: Path, lines: list[str]) -> dict[tuple[str, ...], float]:
    awk = shutil.which("awk")
    if awk is None:
        pytest.fail("awk is missing")
    counts, prom = tmp_path / "counts", tmp_path / "prom"
    subprocess.run(  # nosec B603
        [awk, "-v", f"counts={counts}", "-v", f"prom={prom}", REQUEST_COUNTER_AWK],
        input="".join(line + "\n" for line in lines),
        text=True,
        check=True,
    )
    samples: dict[tuple[str, ...], float] = {}
    for family in text_string_to_metric_families(prom.read_text()):
        for sample in family.samples:
            key = (sample.name, *(f"{k}={v}" for k, v in sorted(sample.labels.items())))
            samples[key] = sample.value
    return samples


def requests(role: str, decision: str, code: str, service: str = "prometheus") -> tuple[str, ...]:
    return (
        "promshield_proxy_requests_total",
        f"code={code}",
        f"decision={decision}",
        f"role={role}",
        f"service={service}",
    )


def test_requests_are_counted_by_service_role_decision_and_status(tmp_path: Path) -> None:
    lines = [
        audit_line(user="ro", claimed_user="ro", role="read-only"),
        audit_line(user="ro", claimed_user="ro", role="read-only"),
        audit_line(user="guest", claimed_user="guest", role="no-access", status=403, decision="denied"),
        audit_line(claimed_user="mallory", status=401, decision="unauthenticated"),  # a failed login
        audit_line(status=401, decision="unauthenticated"),  # no credential at all: not a login
        audit_line(user="ro", claimed_user="ro", role="read-only", status=429, decision="rate-limited"),
        audit_line(service="alertmanager", user="ops", claimed_user="ops", role="ops", method="POST"),
    ]
    samples = tally(tmp_path, lines)
    assert samples[requests("read-only", "allowed", "200")] == 2
    assert samples[requests("no-access", "denied", "403")] == 1
    assert samples[requests("none", "unauthenticated", "401")] == 2
    assert samples[requests("read-only", "rate-limited", "429")] == 1
    assert samples[requests("ops", "allowed", "200", "alertmanager")] == 1
    assert samples[("promshield_proxy_failed_logins_total",)] == 1
    assert samples[("promshield_proxy_rate_limited_total",)] == 1


def test_counters_carry_on_from_the_counts_file(tmp_path: Path) -> None:
    tally(tmp_path, [audit_line(role="admin", user="a", claimed_user="a")])
    samples = tally(tmp_path, [audit_line(role="admin", user="a", claimed_user="a")] * 2)
    assert samples[requests("admin", "allowed", "200")] == 3


def test_no_lines_still_expose_the_login_and_rate_limit_counters(tmp_path: Path) -> None:
    samples = tally(tmp_path, [])
    assert samples == {("promshield_proxy_failed_logins_total",): 0, ("promshield_proxy_rate_limited_total",): 0}


def test_client_chosen_values_cannot_forge_a_field(tmp_path: Path) -> None:
    """A path and a claimed user carrying `,"role":"admin"` and `,"decision":"allowed"` (JSON-escaped by
    NGINX) count as what the proxy decided, not what the client wrote."""
    forged = ',"role":"admin","service":"alertmanager","status":200,"decision":"allowed",'
    line = audit_line(claimed_user="x" + forged, path="/x" + forged, status=401, decision="unauthenticated")
    assert '\\"role\\":\\"admin\\"' in line  # the control: the forged text is in the line, escaped
    samples = tally(tmp_path, [line])
    assert samples == {
        requests("none", "unauthenticated", "401"): 1,
        ("promshield_proxy_failed_logins_total",): 1,
        ("promshield_proxy_rate_limited_total",): 0,
    }


def test_a_line_cut_by_a_read_in_progress_is_not_counted(tmp_path: Path) -> None:
    whole = audit_line(role="admin", user="a", claimed_user="a")
    samples = tally(tmp_path, [whole, whole[: len(whole) // 2]])
    assert samples[requests("admin", "allowed", "200")] == 1
