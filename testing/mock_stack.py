"""Run the promshield program under Pulumi mocks and record what it registers.

Used by the unit tests, `make render`, the policy tests and the acceptance harness: they
all see the same resources and the same file text the program would send to Docker.

The mocks behave like the providers where it matters: pulumi-tls resources yield real keys
and certificates (testing/fake_tls.py), pulumi-random yields real random values, and outputs
the real providers mark secret are marked secret. Values are remembered per resource (as a
stack's state would), so two runs in one process see identical inputs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import runpy
import secrets
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.runtime import mocks as pulumi_mocks

from components.core import catalog
from testing import fake_tls

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROGRAM = PROJECT_DIR / "__main__.py"
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270"

# Short names for the type tokens the catalog defines (the tests import them from here).
CONTAINER = catalog.CONTAINER_TYPE
NETWORK = catalog.NETWORK_TYPE
VOLUME = catalog.VOLUME_TYPE
REMOTE_IMAGE = catalog.REMOTE_IMAGE_TYPE
BUILT_IMAGE = catalog.BUILT_IMAGE_TYPE
LOCAL_COMMAND = catalog.LOCAL_COMMAND_TYPE
REMOTE_COMMAND = catalog.REMOTE_COMMAND_TYPE
PROVIDER_DOCKER = "pulumi:providers:docker"


def secret(value: Any) -> dict[str, Any]:
    return {SECRET_SIG_KEY: SECRET_SIG_VALUE, "value": value}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG_VALUE


def unwrap(value: Any) -> Any:
    """Plain values with every secret sentinel removed."""
    if is_secret(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    if is_secret(value):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


@dataclass
class Registered:
    type: str
    name: str
    urn: str
    custom: bool
    raw_inputs: dict[str, Any]  # with secret sentinels
    outputs: dict[str, Any]
    parent_urn: str = ""
    provider: str = ""  # a custom resource's provider reference (`<provider urn>::<id>`), if not the default
    providers: dict[str, str] = field(default_factory=dict)  # a component's, by package

    @property
    def docker_provider(self) -> str | None:
        """The name of the docker provider resource this resource or (for a component) its children use."""
        ref = self.provider if self.custom else self.providers.get("docker", "")
        if f"{PROVIDER_DOCKER}::" not in ref:
            return None
        return ref.rsplit("::", 1)[0].split("::")[-1]

    @property
    def inputs(self) -> dict[str, Any]:
        return unwrap(self.raw_inputs)

    @property
    def parent_types(self) -> list[str]:
        """The type chain from the URN: [..., parent type, own type]."""
        return self.urn.split("::")[2].split("$")


@dataclass
class RecordedStack:
    stack: str
    resources: list[Registered]
    exports: dict[str, Any]
    secret_exports: set[str] = field(default_factory=set)

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.type == typ]

    def named(self, name: str) -> Registered:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r}")
        return matches[0]

    def commands(self, component: str) -> list[Registered]:
        """The pulumi-command resources (local or remote) a component of type `component` owns."""
        return [
            r for r in self.resources if r.type in (LOCAL_COMMAND, REMOTE_COMMAND) and component in r.parent_types[:-1]
        ]

    def by_urn(self) -> dict[str, Registered]:
        return {r.urn: r for r in self.resources}

    def host_of(self, resource: Registered, urns: Mapping[str, Registered] | None = None) -> str | None:
        """The docker provider (by resource name: `docker`, `docker-<host>`) whose host `resource` is on:
        its own, else its nearest component's (components get their host's provider in their options).
        None: on no host (the PKI and credentials)."""
        if resource.type == PROVIDER_DOCKER:
            return resource.name
        urns = self.by_urn() if urns is None else urns
        current: Registered | None = resource
        while current is not None:
            provider = current.docker_provider
            if provider is not None:
                return provider
            current = urns.get(current.parent_urn)
        return None

    def by_provider(self) -> dict[str | None, list[Registered]]:
        """Every resource grouped by the host (docker provider name) it is on (`host_of`)."""
        groups: dict[str | None, list[Registered]] = {}
        urns = self.by_urn()
        for resource in self.resources:
            groups.setdefault(self.host_of(resource, urns), []).append(resource)
        return groups

    def host_containers(self, provider: str, kind: str | None = "service") -> dict[str, Registered]:
        """`containers` of one host (its provider's name): Docker names repeat across hosts."""
        return {
            r.inputs["name"]: r
            for r in self.by_provider().get(provider, [])
            if r.type == CONTAINER and (kind is None or container_kind(r) == kind)
        }

    def firewall_command(self) -> Registered:
        (rules,) = self.commands(catalog.FIREWALL_TYPE)
        return rules

    def containers(self, kind: str | None = "service") -> dict[str, Registered]:
        """Containers by Docker name; by default only running services (label io.promshield.kind),
        not config carriers (created, never started) or one-shot jobs. `kind=None`: all."""
        return {r.inputs["name"]: r for r in self.of_type(CONTAINER) if kind is None or container_kind(r) == kind}

    def _containers_of(self, provider: str | None, kind: str | None) -> dict[str, Registered]:
        return self.containers(kind) if provider is None else self.host_containers(provider, kind)

    def carriers_of(self, container_name: str, provider: str | None = None) -> list[Registered]:
        """The carriers (config and secrets) whose volume the container mounts (at the same path); on one
        host (its provider's name) in a multi-host stack, where Docker names repeat."""
        container = self._containers_of(provider, None)[container_name]
        mounted = {
            (v.get("volumeName"), v.get("containerPath"))
            for v in container.inputs.get("volumes", [])
            if v.get("volumeName")
        }
        found = []
        carriers = [c for kind in catalog.CARRIER_KINDS for c in self._containers_of(provider, kind).values()]
        for candidate in carriers:
            volumes = {(v.get("volumeName"), v.get("containerPath")) for v in candidate.inputs.get("volumes", [])}
            if volumes & mounted:
                found.append(candidate)
        return found

    def container_files(self, container_name: str, provider: str | None = None) -> dict[str, dict[str, Any]]:
        """Container path -> {content, permissions, owner, group, secret} of the files the
        container sees: its own uploads plus those its config carriers put in its volumes
        (`provider`: on that host of a multi-host stack)."""
        files: dict[str, dict[str, Any]] = {}
        own = self._containers_of(provider, None)[container_name]
        for source in [own, *self.carriers_of(container_name, provider)]:
            uploads = source.raw_inputs.get("uploads", [])
            all_secret = is_secret(uploads)  # one secret file makes Pulumi keep the whole list secret
            for upload in unwrap(uploads) if all_secret else uploads:
                plain = unwrap(upload)
                files[plain["file"]] = {**plain, "secret": all_secret or contains_secret(upload.get("content"))}
        return files


def container_kind(container: Registered) -> str:
    labels = {label["label"]: label["value"] for label in container.inputs.get("labels", [])}
    return str(labels.get(catalog.LABEL_KIND, "service"))


_STATE: dict[str, dict[str, Any]] = {}
_ALPHANUMERIC = string.ascii_letters + string.digits


def _state_key(args: pulumi_mocks.MockResourceArgs, plain: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(plain, sort_keys=True, default=str).encode()).hexdigest()
    return f"{args.typ}::{args.name}::{digest}"


def _provider_outputs(typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """What the real provider would add to the inputs (secret where the provider says so)."""
    if typ == "tls:index/privateKey:PrivateKey":
        pem = fake_tls.private_key_pem(inputs)
        return {"privateKeyPem": secret(pem), "publicKeyPem": fake_tls.public_key_pem(pem)}
    if typ == "tls:index/selfSignedCert:SelfSignedCert":
        return {"certPem": fake_tls.self_signed_cert(inputs)}
    if typ == "tls:index/certRequest:CertRequest":
        return {"certRequestPem": fake_tls.cert_request(inputs)}
    if typ == "tls:index/locallySignedCert:LocallySignedCert":
        return {"certPem": fake_tls.locally_signed_cert(inputs)}
    if typ == "random:index/randomPassword:RandomPassword":
        value = "".join(secrets.choice(_ALPHANUMERIC) for _ in range(int(inputs.get("length", 16))))
        return {"result": secret(value), "bcryptHash": secret("")}
    if typ == "random:index/randomString:RandomString":
        return {"result": "".join(secrets.choice(_ALPHANUMERIC) for _ in range(int(inputs.get("length", 16))))}
    if typ == "random:index/randomBytes:RandomBytes":
        raw = secrets.token_bytes(int(inputs["length"]))
        return {"base64": secret(base64.b64encode(raw).decode()), "hex": secret(raw.hex())}
    if typ == REMOTE_IMAGE:
        return {"imageId": inputs["name"], "repoDigest": inputs["name"]}
    if typ == BUILT_IMAGE:
        return {"imageName": inputs.get("imageName", name), "repoDigest": inputs.get("imageName", name)}
    if typ in (LOCAL_COMMAND, REMOTE_COMMAND):
        return {"stdout": secret(""), "stderr": secret("")}
    return {}


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registered: list[tuple[str, str, bool, dict[str, Any], dict[str, Any]]] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        plain = unwrap(args.inputs)
        key = _state_key(args, plain)
        if key not in _STATE:
            _STATE[key] = _provider_outputs(args.typ, args.name, plain)
        state = {**args.inputs, **_STATE[key]}
        self.registered.append((args.typ, args.name, bool(args.custom), dict(args.inputs), state))
        return (f"{args.name}-id" if args.custom else None), state

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class PlacementMonitor(pulumi_mocks.MockMonitor):  # type: ignore[misc]
    """The mocks' monitor, also remembering each registration's parent and providers (by URN)."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.placement: dict[str, tuple[str, str, dict[str, str]]] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        self.placement[response.urn] = (request.parent, request.provider, dict(request.providers))
        return response


def config_values(config: Mapping[str, Any]) -> dict[str, str]:
    """Stack config as Pulumi stores it: strings, with objects and lists as JSON."""
    return {
        f"promshield:{key}": value if isinstance(value, str) else json.dumps(value) for key, value in config.items()
    }


def run_program(
    config: Mapping[str, Any],
    stack: str = "dev",
    secret_keys: tuple[str, ...] | None = None,
    program: Path = PROGRAM,
) -> RecordedStack:
    """Run `__main__.py` under mocks with `config` and return everything it registered. `secret_keys`: the keys
    set with --secret; None: every key `config` sets that the stack declares secret (as if set properly)."""
    if secret_keys is None:
        from components.stack.keys import SECRET_KEYS

        secret_keys = tuple(key for key in config if key in SECRET_KEYS)
    mocks = RecordingMocks()
    monitor = PlacementMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="promshield", stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(config_values(config), secret_keys=[f"promshield:{k}" for k in secret_keys])
    exported: dict[str, Any] = {}
    original_export = pulumi.export

    def record_export(name: str, value: Any) -> None:
        exported[name] = value
        original_export(name, value)

    result: dict[str, Any] = {}

    @pulumi.runtime.test  # type: ignore[misc]
    def execute() -> Any:
        pulumi.export = record_export  # type: ignore[assignment]
        cwd = os.getcwd()
        try:
            os.chdir(program.parent)
            runpy.run_path(str(program), run_name="__main__")
        finally:
            os.chdir(cwd)
            pulumi.export = original_export  # type: ignore[assignment]
        combined = pulumi.Output.all(
            values=pulumi.Output.all(**{k: pulumi.Output.from_input(v) for k, v in exported.items()}),
            secrets=pulumi.Output.all(**{k: _is_secret_output(v) for k, v in exported.items()}),
        )
        return pulumi.Output.unsecret(combined).apply(result.update)

    execute()
    urns = {registration.urn: registration for registration in monitor.resources.values()}
    resources = []
    for (typ, name, custom, inputs, state), urn in zip(
        mocks.registered, _urns_in_order(urns, mocks.registered), strict=True
    ):
        parent, provider, providers = monitor.placement.get(urn, ("", "", {}))
        resources.append(Registered(typ, name, urn, custom, inputs, state, parent, provider, providers))
    return RecordedStack(stack, resources, unwrap(result["values"]), {k for k, s in result["secrets"].items() if s})


def _is_secret_output(value: Any) -> pulumi.Output[bool]:
    return pulumi.Output.from_input(pulumi.Output.from_input(value).is_secret())


def _urns_in_order(
    urns: Mapping[str, Any], registered: list[tuple[str, str, bool, dict[str, Any], dict[str, Any]]]
) -> Iterator[str]:
    by_type_name: dict[tuple[str, str], str] = {}
    for urn in urns:
        own_type = urn.split("::")[2].split("$")[-1]
        by_type_name[(own_type, urn.split("::")[-1])] = urn
    for typ, name, *_ in registered:
        yield by_type_name.get((typ, name), f"urn:pulumi:?::promshield::{typ}::{name}")
