"""The pack as the Pulumi CLI runs it.

- `policy/PulumiPolicy.yaml` and `policy/__main__.py` build one pack of mandatory policies.
- The SDK's own analyzer servicer (what answers the CLI's gRPC calls) gets the recorded
  program as protobuf requests: no diagnostics for the dev stack, a mandatory one for a broken
  stack, and an advisory "can't run during preview" for a check deferred on an unknown value.
- The pack process itself, started the way the CLI's `pulumi-analyzer-policy-python` starts it
  (`python -m pulumi.policy <engine> .` in the pack's directory, stack config in PULUMI_CONFIG),
  answers GetAnalyzerInfo and Analyze over gRPC.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import grpc
import pulumi_policy
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _POLICY_PACK_NAME_RE, _PolicyAnalyzerServicer

from components.core import catalog
from policy import policies, support
from testing.mock_stack import PROJECT_DIR, RecordedStack, Registered, config_values
from testing.stack_config import load_stack_config
from tests.conftest import prod_config
from tests.policy.policy_harness import carrier_uploads_unknown, mutated, stack_config_env

POLICY_DIR = PROJECT_DIR / "policy"

# The policies the issue asks for (and the one hardening extra), by name.
EXPECTED = {
    "container-not-privileged",
    "container-non-root-user",
    "container-read-only-root",
    "container-drop-all-capabilities",
    "container-no-new-privileges",
    "container-memory-limit",
    "container-no-host-access",
    "container-no-secrets-in-env",
    "image-pinned",
    "ports-bound-to-one-address",
    "ports-only-proxy-publishes",
    "network-backend-internal",
    "files-secret-modes",
    "files-secrets-apart-from-config",
    "monitoring-web-config-mtls",
    "prometheus-admin-endpoints-off",
    "prometheus-remote-write-secure",
    "firewall-guards-published-ports",
}


def test_the_pack_holds_every_policy_once_and_each_is_mandatory() -> None:
    names = [policy.name for policy in policies.ALL_POLICIES]
    assert len(names) == len(set(names))
    assert set(names) == EXPECTED
    assert all(policy.enforcement_level == EnforcementLevel.MANDATORY for policy in policies.ALL_POLICIES)
    assert all(policy.description and policy.description.endswith(".") for policy in policies.ALL_POLICIES)


def test_pulumi_policy_yaml() -> None:
    spec = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert spec["runtime"]["name"] == "python"
    assert spec["name"] == policies.PACK_NAME and _POLICY_PACK_NAME_RE.match(spec["name"])
    venv = (POLICY_DIR / spec["runtime"]["options"]["virtualenv"]).resolve()
    assert venv == (PROJECT_DIR / ".venv").resolve()  # the program's venv, which holds pulumi-policy


def test_main_only_builds_the_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[dict[str, Any]] = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: built.append(kwargs))
    runpy.run_path(str(POLICY_DIR / "__main__.py"), run_name="__main__")
    (pack,) = built
    assert pack["name"] == policies.PACK_NAME
    assert pack["enforcement_level"] == EnforcementLevel.MANDATORY
    assert [p.name for p in pack["policies"]] == [p.name for p in policies.ALL_POLICIES]


# --- The SDK's servicer, fed protobuf requests built from the recorded program ---------------------------
def struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(json.loads(json.dumps(props)))
    return message


def analyze_all(resources: list[Registered], config: Mapping[str, Any]) -> list[Any]:
    servicer = _PolicyAnalyzerServicer(
        policies.PACK_NAME, "0.1.0", list(policies.ALL_POLICIES), EnforcementLevel.MANDATORY
    )
    diagnostics: list[Any] = []
    with stack_config_env(config):
        for r in resources:
            if r.custom:
                request = proto.AnalyzeRequest(type=r.type, properties=struct(r.raw_inputs), urn=r.urn, name=r.name)
                diagnostics += servicer.Analyze(request, None).diagnostics
        stack_request = proto.AnalyzeStackRequest(
            resources=[
                proto.AnalyzerResource(type=r.type, properties=struct(r.outputs), urn=r.urn, name=r.name)
                for r in resources
            ]
        )
        diagnostics += servicer.AnalyzeStack(stack_request, None).diagnostics
    return diagnostics


def test_servicer_passes_the_real_stacks(any_stack: RecordedStack) -> None:
    config = load_stack_config("dev") if any_stack.stack == "dev" else prod_config()
    diagnostics = analyze_all(any_stack.resources, config)
    assert [(d.policyName, d.message) for d in diagnostics] == []


def test_servicer_reports_a_violation_as_mandatory(dev_stack: RecordedStack) -> None:
    prometheus = next(
        r
        for r in dev_stack.of_type(catalog.CONTAINER_TYPE)
        if r.inputs["name"] == catalog.container_name("dev", catalog.PROMETHEUS)
    )
    diagnostics = analyze_all(
        mutated(dev_stack, prometheus.name, lambda i: i.update(privileged=True)), load_stack_config("dev")
    )
    # a resource policy's diagnostic carries no URN: the engine attaches it to the analyzed resource
    assert [(d.policyName, d.enforcementLevel) for d in diagnostics] == [("container-not-privileged", proto.MANDATORY)]
    assert "Fix:" in diagnostics[0].message and f'"{prometheus.name}"' in diagnostics[0].message


def test_servicer_defers_a_check_on_an_unknown_value_as_advisory(dev_stack: RecordedStack) -> None:
    resources = carrier_uploads_unknown(dev_stack, catalog.PROMETHEUS_WEB_CONFIG_FILE)
    diagnostics = analyze_all(resources, load_stack_config("dev"))
    assert [(d.policyName, d.enforcementLevel) for d in diagnostics] == [("monitoring-web-config-mtls", proto.ADVISORY)]
    assert "during preview" in diagnostics[0].message


# --- The pack process, started as the CLI starts it -----------------------------------------------------
@pytest.fixture
def pack_process(request: pytest.FixtureRequest) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    config: Mapping[str, Any] = getattr(request, "param", {})
    env = {**os.environ, "PULUMI_CONFIG": json.dumps(config_values(config))}
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
        cwd=POLICY_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        if not first.isdigit():
            process.kill()
            pytest.fail(f"the pack did not start: {first}\n{process.communicate(timeout=10)[1]}")
        channel = grpc.insecure_channel(f"127.0.0.1:{first}")
        grpc.channel_ready_future(channel).result(timeout=30)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def proxy_on_every_interface(dev_stack: RecordedStack) -> proto.AnalyzeRequest:
    proxy = next(
        r
        for r in dev_stack.of_type(catalog.CONTAINER_TYPE)
        if r.inputs["name"] == catalog.container_name("dev", catalog.PROXY)
    )
    props = proxy.inputs
    props["ports"] = [{**port, "ip": "0.0.0.0"} for port in props["ports"]]
    return proto.AnalyzeRequest(type=proxy.type, properties=struct(props), urn=proxy.urn, name=proxy.name)


def test_pack_process_lists_its_mandatory_policies(pack_process: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = pack_process.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    assert info.name == policies.PACK_NAME and info.supportsConfig
    assert {p.name for p in info.policies} == EXPECTED
    assert {p.enforcementLevel for p in info.policies} == {proto.MANDATORY}


def test_pack_process_rejects_a_public_bind(
    pack_process: analyzer_pb2_grpc.AnalyzerStub, dev_stack: RecordedStack
) -> None:
    response = pack_process.Analyze(proxy_on_every_interface(dev_stack), timeout=30)
    assert {d.policyName for d in response.diagnostics} == {"ports-bound-to-one-address"}


@pytest.mark.parametrize("pack_process", [{"allowPublicBind": True}], indirect=True)
def test_pack_process_reads_the_stack_config(
    pack_process: analyzer_pb2_grpc.AnalyzerStub, dev_stack: RecordedStack
) -> None:
    response = pack_process.Analyze(proxy_on_every_interface(dev_stack), timeout=30)
    assert list(response.diagnostics) == []


def test_pack_process_applies_the_pack_config(
    pack_process: analyzer_pb2_grpc.AnalyzerStub, dev_stack: RecordedStack
) -> None:
    prometheus = next(
        r
        for r in dev_stack.of_type(catalog.CONTAINER_TYPE)
        if r.inputs["name"] == catalog.container_name("dev", catalog.PROMETHEUS)
    )
    props = {**prometheus.inputs, "command": [*prometheus.inputs["command"], "--web.enable-remote-write-receiver"]}
    request = proto.AnalyzeRequest(
        type=prometheus.type, properties=struct(props), urn=prometheus.urn, name=prometheus.name
    )
    assert {d.policyName for d in pack_process.Analyze(request, timeout=30).diagnostics} == {
        "prometheus-admin-endpoints-off"
    }
    allow = proto.PolicyConfig(
        properties=struct({support.ALLOW_REMOTE_WRITE_RECEIVER: True}), enforcementLevel=proto.MANDATORY
    )
    pack_process.Configure(
        proto.ConfigureAnalyzerRequest(policyConfig={"prometheus-admin-endpoints-off": allow}), timeout=30
    )
    assert list(pack_process.Analyze(request, timeout=30).diagnostics) == []


def test_the_pack_readme_describes_every_policy() -> None:
    readme = (POLICY_DIR / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in EXPECTED)
