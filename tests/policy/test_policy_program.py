"""The real program, run under mocks, against every policy of the pack.

The dev stack (Pulumi.dev.yaml) and the production-like stack (examples/Pulumi.prod.yaml plus
its secrets) must pass every policy, both as `pulumi up` shows them (every value known) and as
a first `pulumi preview` of a new stack does (keys, certificates, hashes and image ids unknown).
Stacks that opt in (admin API, remote write, public bind) pass with their config and fail
without it; a dev stack changed in one place fails exactly the policy that guards that place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from components.core import catalog
from policy import files, monitoring, policies
from testing.mock_stack import RecordedStack, Registered, run_program
from testing.stack_config import load_scenario, load_stack_config
from tests.conftest import prod_config
from tests.policy.policy_harness import (
    StackReport,
    check_recorded,
    check_stack_resources,
    container_named,
    fresh_preview,
    mutated,
    policy_resources,
    without,
)


def config_of(stack: RecordedStack) -> dict[str, Any]:
    return load_stack_config("dev") if stack.stack == "dev" else prod_config()


def assert_clean(report: StackReport) -> None:
    assert report.violations() == {}, yaml.safe_dump(report.violations(), width=200)
    assert report.deferred() == {}, report.deferred()


def test_real_stacks_pass_every_policy(any_stack: RecordedStack) -> None:
    assert_clean(check_recorded(any_stack, config_of(any_stack)))


def test_real_stacks_pass_in_a_first_preview(any_stack: RecordedStack) -> None:
    """Keys, certificates and hashes are unknown in a new stack's first preview: the file rules
    fall back to paths, and the rendered web configs are still read in full."""
    preview = fresh_preview(any_stack.resources)
    assert all(r.inputs["image"] == UNKNOWN_STRING_VALUE for r in preview if r.type == catalog.CONTAINER_TYPE)
    hidden = [
        u["file"]
        for r in preview
        if r.type == catalog.CONTAINER_TYPE
        for u in r.inputs.get("uploads", [])
        if u.get("content") == UNKNOWN_STRING_VALUE
    ]
    assert any(path.endswith(".key") for path in hidden) and any("htpasswd" in path for path in hidden), hidden
    assert_clean(check_stack_resources(preview, config_of(any_stack)))


def test_the_policies_see_every_kind_of_resource_they_guard(dev_stack: RecordedStack) -> None:
    """Guard against a silent pass: the program's resources are the ones the policies look for."""
    types = {r.type for r in dev_stack.resources}
    assert {
        catalog.CONTAINER_TYPE,
        catalog.NETWORK_TYPE,
        catalog.REMOTE_IMAGE_TYPE,
        catalog.BUILT_IMAGE_TYPE,
        catalog.FIREWALL_TYPE,
    } <= types
    assert any(t in types for t in (catalog.LOCAL_COMMAND_TYPE, catalog.REMOTE_COMMAND_TYPE))
    monitors = sorted(service for _, service in monitoring.monitoring_containers(policy_resources(dev_stack.resources)))
    assert monitors == [catalog.ALERTMANAGER.name, catalog.PROMETHEUS.name]
    secret_uploads = [
        (r.name, u["file"])
        for r in dev_stack.of_type(catalog.CONTAINER_TYPE)
        for u in r.inputs.get("uploads", [])
        if files.secret_content_reason(str(u.get("content", "")))
    ]
    assert len(secret_uploads) >= 6, secret_uploads  # server/client keys and the htpasswd


# --- Stacks that opt in ----------------------------------------------------------------------------------
OPT_IN = load_scenario("optin")
PUBLIC = load_scenario("public")


@pytest.fixture(scope="module")
def opt_in_stack() -> RecordedStack:
    return OPT_IN.run()


def test_admin_api_and_remote_write_pass_when_the_stack_enables_them(opt_in_stack: RecordedStack) -> None:
    prometheus = container_named(opt_in_stack.resources, catalog.PROMETHEUS.name)
    assert "--web.enable-admin-api" in prometheus.inputs["command"]
    assert_clean(check_recorded(opt_in_stack, OPT_IN.config))


def test_admin_api_fails_when_the_stack_config_does_not_allow_it(opt_in_stack: RecordedStack) -> None:
    """The same resources under a stack config without enableAdminApi (e.g. a hand-edited program)."""
    report = check_recorded(opt_in_stack, load_stack_config("dev"))
    assert report.violated_policies() == {"prometheus-admin-endpoints-off"}


@pytest.fixture(scope="module")
def public_stack() -> RecordedStack:
    return PUBLIC.run()


def test_public_bind_passes_only_with_allow_public_bind(public_stack: RecordedStack) -> None:
    proxy = container_named(public_stack.resources, catalog.PROXY.name)
    assert {p["ip"] for p in proxy.inputs["ports"]} == {"0.0.0.0"}
    assert_clean(check_recorded(public_stack, PUBLIC.config))
    report = check_recorded(public_stack, {**load_stack_config("dev"), "bindAddress": "0.0.0.0"})
    assert report.violated_policies() == {"ports-bound-to-one-address"}


# --- A dev stack changed in one place fails exactly the policy that guards it ----------------------------
def service(stack: RecordedStack, name: str) -> str:
    return container_named(stack.resources, name).name


def carrier(stack: RecordedStack, name: str) -> str:
    return container_named(stack.resources, name).name + "-config"


def secrets_carrier(stack: RecordedStack, name: str) -> str:
    return container_named(stack.resources, name).name + "-secrets"


def relabel(kind: str) -> Callable[[dict[str, Any]], None]:
    def change(inputs: dict[str, Any]) -> None:
        for label in inputs["labels"]:
            if label["label"] == catalog.LABEL_KIND:
                label["value"] = kind

    return change


def set_upload(path: str, **changes: Any) -> Callable[[dict[str, Any]], None]:
    def change(inputs: dict[str, Any]) -> None:
        (upload,) = [u for u in inputs["uploads"] if u["file"] == path]
        upload.update(changes)

    return change


def rewrite_yaml(path: str, edit: Callable[[Any], None]) -> Callable[[dict[str, Any]], None]:
    def change(inputs: dict[str, Any]) -> None:
        (upload,) = [u for u in inputs["uploads"] if u["file"] == path]
        document = yaml.safe_load(upload["content"])
        edit(document)
        upload["content"] = yaml.safe_dump(document)

    return change


def set_key(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(inputs: dict[str, Any]) -> None:
        inputs[key] = value

    return change


MUTATIONS: list[tuple[str, Callable[[RecordedStack], list[Registered]], set[str]]] = [
    (
        "privileged-prometheus",
        lambda s: mutated(s, service(s, "prometheus"), set_key("privileged", True)),
        {"container-not-privileged"},
    ),
    (
        "root-alertmanager",
        lambda s: mutated(s, service(s, "alertmanager"), set_key("user", "0:0")),
        {"container-non-root-user"},
    ),
    (
        "writable-proxy",
        lambda s: mutated(s, service(s, "proxy"), set_key("readOnly", False)),
        {"container-read-only-root"},
    ),
    (
        "caps-kept",
        lambda s: mutated(s, service(s, "redis-exporter"), set_key("capabilities", {"drops": []})),
        {"container-drop-all-capabilities"},
    ),
    (
        "setuid-allowed",
        lambda s: mutated(s, service(s, "duckdb-exporter"), set_key("securityOpts", [])),
        {"container-no-new-privileges"},
    ),
    (
        "no-memory-limit",
        lambda s: mutated(s, service(s, "demo-redis-rts"), set_key("memory", 0)),
        {"container-memory-limit"},
    ),
    (
        "host-network",
        lambda s: mutated(s, service(s, "prometheus"), set_key("networkMode", "host")),
        {"container-no-host-access"},
    ),
    (
        "password-in-env",
        lambda s: mutated(s, service(s, "redis-exporter"), set_key("envs", ["REDIS_PASSWORD=from-the-environment"])),
        {"container-no-secrets-in-env"},
    ),
    (
        "latest-image",
        lambda s: mutated(s, "prometheus-image", set_key("name", "prom/prometheus:latest"), catalog.REMOTE_IMAGE_TYPE),
        {"image-pinned"},
    ),
    (
        "proxy-on-every-interface",
        lambda s: mutated(s, service(s, "proxy"), lambda i: [p.update(ip="0.0.0.0") for p in i["ports"]]),
        {"ports-bound-to-one-address"},
    ),
    (
        "prometheus-publishes",
        lambda s: mutated(
            s,
            service(s, "prometheus"),
            set_key("ports", [{"internal": 9090.0, "external": 9090.0, "ip": "127.0.0.1", "protocol": "tcp"}]),
        ),
        {"ports-only-proxy-publishes"},
    ),
    (
        "backend-routable",
        lambda s: mutated(s, "networks-backend", set_key("internal", False), catalog.NETWORK_TYPE),
        {"network-backend-internal"},
    ),
    (
        "key-world-readable",
        lambda s: mutated(
            s,
            secrets_carrier(s, "prometheus"),
            set_upload(catalog.PROMETHEUS.key_file, permissions="0644"),
        ),
        {"files-secret-modes"},
    ),
    (
        "htpasswd-group-readable",
        lambda s: mutated(s, secrets_carrier(s, "proxy"), set_upload(catalog.PROXY_HTPASSWD_FILE, permissions="0440")),
        {"files-secret-modes"},
    ),
    (
        "secrets-in-the-config-carrier",
        lambda s: mutated(s, secrets_carrier(s, "proxy"), relabel(catalog.KIND_CONFIG)),
        {"files-secrets-apart-from-config"},
    ),
    (
        "client-cert-optional",
        lambda s: mutated(
            s,
            carrier(s, "prometheus"),
            rewrite_yaml(
                catalog.PROMETHEUS_WEB_CONFIG_FILE,
                lambda d: d["tls_server_config"].update(client_auth_type="VerifyClientCertIfGiven"),
            ),
        ),
        {"monitoring-web-config-mtls"},
    ),
    (
        "alertmanager-tls10",
        lambda s: mutated(
            s,
            carrier(s, "alertmanager"),
            rewrite_yaml(
                catalog.ALERTMANAGER_WEB_CONFIG_FILE, lambda d: d["tls_server_config"].update(min_version="TLS10")
            ),
        ),
        {"monitoring-web-config-mtls"},
    ),
    (
        "no-web-config-flag",
        lambda s: mutated(
            s,
            service(s, "alertmanager"),
            lambda i: i.update(command=[c for c in i["command"] if not c.startswith("--web.config.file")]),
        ),
        {"monitoring-web-config-mtls"},
    ),
    (
        "admin-api-not-allowed",
        lambda s: mutated(s, service(s, "prometheus"), lambda i: i["command"].append("--web.enable-admin-api")),
        {"prometheus-admin-endpoints-off"},
    ),
    (
        "remote-write-plain-http",
        lambda s: mutated(
            s,
            carrier(s, "prometheus"),
            rewrite_yaml(
                catalog.PROMETHEUS_CONFIG_FILE,
                lambda d: d.update(
                    remote_write=[{"url": "http://lts.example/write", "basic_auth": {"username": "u", "password": "p"}}]
                ),
            ),
        ),
        {"prometheus-remote-write-secure"},
    ),
    (
        "no-firewall",
        lambda s: without(s, catalog.FIREWALL_TYPE, *(catalog.LOCAL_COMMAND_TYPE, catalog.REMOTE_COMMAND_TYPE)),
        {"firewall-guards-published-ports"},
    ),
]


@pytest.mark.parametrize(("case", "mutate", "expected"), MUTATIONS, ids=[case for case, _, _ in MUTATIONS])
def test_a_changed_dev_stack_fails_the_right_policy(
    dev_stack: RecordedStack, case: str, mutate: Callable[[RecordedStack], list[Registered]], expected: set[str]
) -> None:
    report = check_stack_resources(mutate(dev_stack), load_stack_config("dev"))
    assert report.violated_policies() == expected, yaml.safe_dump(report.violations(), width=200)
    for outcomes in report.violations().values():
        for messages in outcomes.values():
            assert all("Fix:" in message for message in messages)


def test_every_policy_is_triggered_by_some_change_to_the_real_program() -> None:
    triggered = set().union(*(expected for _, _, expected in MUTATIONS))
    assert triggered == {policy.name for policy in policies.ALL_POLICIES}


def test_a_world_readable_key_is_caught_even_when_its_content_is_unknown(dev_stack: RecordedStack) -> None:
    """First preview of a new stack: the key's content is unknown, its path still gives it away."""
    changed = mutated(
        dev_stack,
        secrets_carrier(dev_stack, "proxy"),
        set_upload(catalog.PROXY.key_file, permissions="0644"),
    )
    report = check_stack_resources(fresh_preview(changed), load_stack_config("dev"))
    assert report.violated_policies() == {"files-secret-modes"}


# --- Several hosts ---------------------------------------------------------------------------------
THREE_HOSTS = load_scenario("threehosts")


def test_a_three_host_stack_passes_every_policy() -> None:
    """Three hosts' resources at once: each Alertmanager publishes only its gossip port, each proxy its
    user ports and the peer-alerts port, all on their host's address; remote write with basic auth."""
    stack = THREE_HOSTS.run()
    assert_clean(check_recorded(stack, THREE_HOSTS.config))
    assert_clean(check_stack_resources(fresh_preview(stack.resources), THREE_HOSTS.config))


def test_remote_write_with_a_client_certificate_passes_the_policy() -> None:
    config = {
        **THREE_HOSTS.config,
        "remoteWrite": {"enabled": True, "url": "https://mimir.lts.example/push", "mtls": True},
    }
    config.pop("remoteWritePassword", None)
    stack = run_program(config, stack="ha", secret_keys=tuple(k for k in THREE_HOSTS.secret_keys if k in config))
    assert_clean(check_recorded(stack, config))


def test_every_host_needs_its_own_firewall() -> None:
    """Another host's rules do not guard this host's ports: without mon-b's firewall, mon-b's proxy and
    Alertmanager are reported, although mon-a's and mon-c's scripts name the same port numbers."""
    stack = THREE_HOSTS.run()
    resources = [r for r in stack.resources if not r.name.startswith("mon-b-firewall")]
    report = check_stack_resources(resources, THREE_HOSTS.config)
    assert report.violated_policies() == {"firewall-guards-published-ports"}
    reported = yaml.safe_dump(report.violations())
    assert "publishes host ports [9090, 9093, 9095]" in reported and "publishes host ports [9094]" in reported
