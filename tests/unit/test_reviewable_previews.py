"""Reviewable previews: config files are plain in Pulumi's inputs, every secret stays secret.

Pulumi keeps a container's whole `uploads` list secret when one upload is (the provider's bridge
lifts a nested secret to the top-level input), so each service has a config carrier (plain
uploads) and a secrets carrier (components/core/hardening.py). `pulumi preview --diff` of a
one-line threshold change then shows exactly that line of the rules file, in plaintext.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from components.core import catalog
from components.core.settings.hosts import SSH_HOST_KEY
from testing.mock_stack import CONTAINER, RecordedStack, contains_secret, is_secret, unwrap
from testing.stack_config import SCENARIOS_DIR, load_scenario

BASE = load_scenario("dev")
RULES_FILE = f"{catalog.PROMETHEUS_RULES_DIR}/trading.yml"
CONSOLE_FILE = f"{catalog.PROMETHEUS_CONSOLES_DIR}/trading.html"
UPLOAD_METADATA = frozenset({"file", "permissions", "owner", "group"})


def run_with(extra: dict[str, Any]) -> RecordedStack:
    return type(BASE)(BASE.name, BASE.stack, {**BASE.config, **extra}, BASE.secret_keys).run()


@pytest.fixture(scope="module")
def base() -> RecordedStack:
    return run_with({})


@pytest.fixture(scope="module")
def threshold_changed() -> RecordedStack:
    return run_with({"alertThresholds": {"tradeFailureRatio": 0.07}})


def uploads_by_file(stack: RecordedStack) -> dict[tuple[str, str], Any]:
    """(container, file) -> the upload as registered (secret sentinels kept)."""
    found = {}
    for container in stack.of_type(CONTAINER):
        uploads = container.raw_inputs.get("uploads") or []
        for upload in unwrap(uploads) if is_secret(uploads) else uploads:
            found[(container.name, unwrap(upload)["file"])] = upload if not is_secret(uploads) else {"<all": upload}
    return found


def changed_inputs(before: RecordedStack, after: RecordedStack) -> list[tuple[str, str]]:
    """(resource, top-level input) of every registered input that differs between two runs."""
    old = {(r.type, r.name): r.raw_inputs for r in before.resources}
    new = {(r.type, r.name): r.raw_inputs for r in after.resources}
    assert old.keys() == new.keys()
    return sorted(
        (name, key)
        for (_, name), inputs in new.items()
        for key in inputs.keys() | old[(_, name)].keys()
        if inputs.get(key) != old[(_, name)].get(key)
    )


def test_a_threshold_change_differs_only_in_the_rules_upload_in_plaintext(
    base: RecordedStack, threshold_changed: RecordedStack
) -> None:
    before, after = uploads_by_file(base), uploads_by_file(threshold_changed)
    assert before.keys() == after.keys()
    differing = sorted(key for key in before if before[key] != after[key])
    # the rules and the console page that shows the same threshold (components/dashboards)
    assert differing == [("prometheus-container-config", CONSOLE_FILE), ("prometheus-container-config", RULES_FILE)]
    for key in differing:
        for upload in (before[key], after[key]):
            assert not contains_secret(upload), "the files are plain in the inputs, so the preview shows them"
    rules = ("prometheus-container-config", RULES_FILE)
    old, new = before[rules]["content"], after[rules]["content"]
    removed = [line for line in old.splitlines() if line not in new.splitlines()]
    added = [line for line in new.splitlines() if line not in old.splitlines()]
    # the expression and the description that quotes the threshold
    assert removed[0].strip() == "expr: job_venue:trades_failed:ratio_rate5m > 0.05" and len(removed) == 2
    assert added[0].strip() == "expr: job_venue:trades_failed:ratio_rate5m > 0.07" and len(added) == 2
    # Beyond the upload, only what it implies: the carrier's uploads and the reload's config digest.
    assert changed_inputs(base, threshold_changed) == [
        ("prometheus-container-config", "uploads"),
        ("prometheus-container-reload", "triggers"),
    ]
    (old_reload,) = [r for r in base.resources if r.name == "prometheus-container-reload"]
    (new_reload,) = [r for r in threshold_changed.resources if r.name == "prometheus-container-reload"]
    assert old_reload.inputs["triggers"][1] == new_reload.inputs["triggers"][1]  # the secret files' HMAC
    assert not contains_secret(new_reload.raw_inputs["triggers"])


def secret_values(stack: RecordedStack) -> set[str]:
    """Every string Pulumi holds as a secret anywhere: inputs and outputs of every resource (keys,
    generated and configured passwords, hashes, secret files) and each line of a multi-line one
    (an htpasswd or ACL line). A PEM key counts whole: its last base64 line is part of the public
    key, which its certificate carries in the open."""
    found: set[str] = set()

    def walk(value: Any, inside: bool) -> None:
        if is_secret(value):
            walk(value["value"], True)
        elif isinstance(value, dict):
            for key, item in value.items():
                if not (inside and key in UPLOAD_METADATA):  # a secret upload's path and mode are not secret
                    walk(item, inside)
        elif isinstance(value, list):
            for item in value:
                walk(item, inside)
        elif inside and isinstance(value, str):
            lines = [] if "-----BEGIN" in value else value.splitlines()
            found.update(part for part in [value, *lines] if len(part.strip()) >= 12)

    for resource in stack.resources:
        walk(resource.raw_inputs, False)
        walk(resource.outputs, False)
    return found


def plain_strings(value: Any) -> Iterator[str]:
    """Every string of a registered value outside a secret sentinel."""
    if is_secret(value):
        return
    if isinstance(value, dict):
        for item in value.values():
            yield from plain_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from plain_strings(item)
    elif isinstance(value, str):
        yield value


def test_no_secret_value_in_any_plain_input(any_stack: RecordedStack) -> None:
    # A pinned SSH host key is public (the host shows it to anyone who connects); it sits inside the
    # secret `connection` of a remote command only because the private key makes that whole input secret.
    secrets = {s for s in secret_values(any_stack) if not SSH_HOST_KEY.match(s)}
    assert len(secrets) > 20  # keys, passwords, hashes: the check has something to find
    leaks = [
        (resource.name, secret[:16] + "...")
        for resource in any_stack.resources
        for text in plain_strings(resource.raw_inputs)
        for secret in secrets
        if secret in text
    ]
    assert leaks == []
    assert not [r.name for r in any_stack.resources for t in plain_strings(r.raw_inputs) if "PRIVATE KEY" in t]


@pytest.mark.parametrize("scenario", sorted(p.stem for p in SCENARIOS_DIR.glob("*.yaml")))
def test_config_carriers_uploads_are_not_secret_at_all(scenario: str) -> None:
    stack = load_scenario(scenario).run()
    config_carriers = stack.containers(kind=catalog.KIND_CONFIG)
    secrets_carriers = stack.containers(kind=catalog.KIND_SECRETS)
    assert config_carriers
    assert set(secrets_carriers) == {name.removesuffix("-config") + "-secrets" for name in config_carriers}
    for name, carrier in config_carriers.items():
        assert not contains_secret(carrier.raw_inputs["uploads"]), f"{scenario}: {name} has a secret upload"
    for name, carrier in secrets_carriers.items():
        assert is_secret(carrier.raw_inputs["uploads"]), f"{scenario}: {name}"
        assert all(u["permissions"] == f"0{catalog.MODE_SECRET:o}" for u in carrier.inputs["uploads"]), name
