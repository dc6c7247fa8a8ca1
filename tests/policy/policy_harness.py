"""Run promshield's CrossGuard policies the way the Pulumi CLI's analyzer does, without the CLI.

Props take the analyzer's path: a protobuf `Struct` (what the engine sends: numbers become
floats, secrets keep their sentinel), `pulumi_policy.deserialize.deserialize_properties`
(which unwraps secrets) and `unknown_checking_proxy` (which raises `UnknownValueError` on a
value unknown during preview). Resource policies get `ResourceValidationArgs` with the
resource's inputs, stack policies `StackValidationArgs` with every resource's state, both as
pulumi-policy 1.21 defines them. `UnknownValueError` is turned into a "deferred" note, as the
SDK's servicer turns it into an advisory diagnostic.

The stack's config reaches a Python policy pack as `PULUMI_CONFIG` (JSON); `stack_config_env`
sets it the same way for the duration of a check.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from components.core import catalog
from policy import files, policies, support
from testing.mock_stack import RecordedStack, Registered, config_values


@dataclass
class Outcome:
    """What one policy said about one resource (or the stack)."""

    violations: list[str] = field(default_factory=list)
    deferred: str | None = None  # the SDK reports this as "can't run policy ... during preview"

    @property
    def passed(self) -> bool:
        return not self.violations


def wire(props: Mapping[str, Any]) -> dict[str, Any]:
    """Props as the analyzer receives them: through a protobuf Struct and back."""
    struct = struct_pb2.Struct()
    struct.update(copy.deepcopy(dict(props)))
    return json_format.MessageToDict(struct)


def policy_props(props: Mapping[str, Any]) -> Mapping[str, Any]:
    result: Mapping[str, Any] = unknown_checking_proxy(deserialize_properties(wire(props)))
    return result


def options(parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def urn_for(typ: str, name: str, parents: tuple[str, ...] = ("pulumi:pulumi:Stack",), stack: str = "test") -> str:
    return f"urn:pulumi:{stack}::promshield::{'$'.join((*parents, typ))}::{name}"


@contextmanager
def stack_config_env(config: Mapping[str, Any] | None) -> Iterator[None]:
    """`PULUMI_CONFIG` as the CLI sets it for a policy pack (None: unset)."""
    saved = os.environ.get("PULUMI_CONFIG")
    if config is None:
        os.environ.pop("PULUMI_CONFIG", None)
    else:
        os.environ["PULUMI_CONFIG"] = json.dumps(config_values(config))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PULUMI_CONFIG", None)
        else:
            os.environ["PULUMI_CONFIG"] = saved


def check_resource(
    policy: ResourceValidationPolicy,
    typ: str,
    props: Mapping[str, Any],
    *,
    name: str = "subject",
    urn: str | None = None,
    pack_config: Mapping[str, Any] | None = None,
) -> Outcome:
    outcome = Outcome()

    def report(message: str, urn: str | None = None) -> None:
        outcome.violations.append(message)

    args = ResourceValidationArgs(
        typ, policy_props(props), urn or urn_for(typ, name), name, options(), None, dict(pack_config or {})
    )
    try:
        result = policy.validate(args, report)
        assert result is None, "promshield's policies are synchronous"
    except UnknownValueError as error:
        outcome.deferred = error.message
    return outcome


def check_stack(policy: StackValidationPolicy, resources: list[PolicyResource]) -> Outcome:
    outcome = Outcome()

    def report(message: str, urn: str | None = None) -> None:
        outcome.violations.append(f"{urn or 'stack'}: {message}")

    try:
        result = policy.validate(StackValidationArgs(resources, {}), report)
        assert result is None
    except UnknownValueError as error:
        outcome.deferred = error.message
    return outcome


def policy_resources(resources: list[Registered]) -> list[PolicyResource]:
    """The stack as AnalyzeStack sees it: each resource's state (inputs + provider outputs)."""
    return [
        PolicyResource(r.type, policy_props(r.outputs), r.urn, r.name, options(), None, None, [], {}) for r in resources
    ]


@dataclass
class StackReport:
    """Every policy's outcome for every resource of a recorded stack."""

    by_policy: dict[str, dict[str, Outcome]]

    def violations(self) -> dict[str, dict[str, list[str]]]:
        return {
            policy: {resource: outcome.violations for resource, outcome in outcomes.items() if outcome.violations}
            for policy, outcomes in self.by_policy.items()
            if any(o.violations for o in outcomes.values())
        }

    def deferred(self) -> dict[str, dict[str, str]]:
        return {
            policy: {resource: outcome.deferred for resource, outcome in outcomes.items() if outcome.deferred}
            for policy, outcomes in self.by_policy.items()
            if any(o.deferred for o in outcomes.values())
        }

    def violated_policies(self) -> set[str]:
        return set(self.violations())


def check_stack_resources(
    resources: list[Registered],
    config: Mapping[str, Any] | None,
    pack_config: Mapping[str, Mapping[str, Any]] | None = None,
) -> StackReport:
    """Run the whole pack over recorded resources with the stack's config in `PULUMI_CONFIG`."""
    by_policy: dict[str, dict[str, Outcome]] = {}
    with stack_config_env(config):
        for policy in policies.RESOURCE_POLICIES:
            config_for = (pack_config or {}).get(policy.name)
            by_policy[policy.name] = {
                r.name: check_resource(policy, r.type, r.raw_inputs, name=r.name, urn=r.urn, pack_config=config_for)
                for r in resources
                if r.custom
            }
        for stack_policy in policies.STACK_POLICIES:
            by_policy[stack_policy.name] = {"<stack>": check_stack(stack_policy, policy_resources(resources))}
    return StackReport(by_policy)


def check_recorded(stack: RecordedStack, config: Mapping[str, Any] | None) -> StackReport:
    return check_stack_resources(stack.resources, config)


# --- Changing a recorded stack ---------------------------------------------------------------------
def mutated(stack: RecordedStack, name: str, change: Any, typ: str = catalog.CONTAINER_TYPE) -> list[Registered]:
    """A copy of the stack's resources with `change(inputs)` applied to the inputs of resource
    `name` of type `typ` (and to its state, so the stack policies see it too). Inputs are the
    unwrapped values (a container and its config volume may share a name: the type tells them apart)."""
    resources = []
    for original in stack.resources:
        resource = original
        if original.name == name and original.type == typ:
            inputs = copy.deepcopy(original.inputs)
            change(inputs)
            resource = Registered(
                original.type,
                original.name,
                original.urn,
                original.custom,
                inputs,
                {**copy.deepcopy(original.outputs), **inputs},
            )
        resources.append(resource)
    return resources


def without(stack: RecordedStack, *types: str) -> list[Registered]:
    return [r for r in stack.resources if r.type not in types]


def fresh_preview(resources: list[Registered]) -> list[Registered]:
    """What a first `pulumi preview` of a new stack shows the policies: every value that comes
    from a resource not created yet is unknown. Here: each container's image id, and every
    upload whose content comes from pulumi-tls or pulumi-random (keys, certificates, password
    hashes, the proxy's digest key). Rendered config files stay known."""
    changed = []
    for original in resources:
        resource = original
        if original.type == catalog.CONTAINER_TYPE:
            inputs = copy.deepcopy(original.inputs)
            inputs["image"] = UNKNOWN_STRING_VALUE
            for upload in inputs.get("uploads", []):
                if from_provider(upload):
                    upload["content"] = UNKNOWN_STRING_VALUE
            for label in inputs.get("labels", []):
                if label["label"].endswith("config-sha256"):  # a digest over those contents
                    label["value"] = UNKNOWN_STRING_VALUE
            resource = Registered(
                original.type,
                original.name,
                original.urn,
                original.custom,
                inputs,
                {**copy.deepcopy(original.outputs), **inputs},
            )
        changed.append(resource)
    return changed


def carrier_uploads_unknown(stack: RecordedStack, path: str) -> list[Registered]:
    """The stack with the content of every upload at `path` unknown (as in a first preview)."""
    resources = []
    for original in stack.resources:
        resource = original
        if original.type == catalog.CONTAINER_TYPE and any(
            u["file"] == path for u in original.inputs.get("uploads", [])
        ):
            inputs = copy.deepcopy(original.inputs)
            for upload in inputs["uploads"]:
                if upload["file"] == path:
                    upload["content"] = UNKNOWN_STRING_VALUE
            resource = Registered(
                original.type,
                original.name,
                original.urn,
                original.custom,
                inputs,
                {**copy.deepcopy(original.outputs), **inputs},
            )
        resources.append(resource)
    return resources


def from_provider(upload: Mapping[str, Any]) -> bool:
    content = str(upload.get("content", ""))
    return (
        "-----BEGIN " in content
        or files.secret_path_reason(upload["file"]) is not None
        or upload["file"].endswith(".js")
    )


def container_named(resources: list[Registered], service: str) -> Registered:
    (found,) = [
        r
        for r in resources
        if r.type == catalog.CONTAINER_TYPE
        and support.service_of(r.inputs) == service
        and r.inputs.get("networkMode") != "none"
    ]
    return found
