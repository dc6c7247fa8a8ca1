"""What a container and a network *are*, as the Pulumi program registered them.

`from_recorded` turns the resources recorded under Pulumi mocks (type token, resource name,
wire-format inputs) into plain dataclasses that the sandbox and the topology understand.
Nothing here touches the system.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from components.core.catalog import CONTAINER_TYPE, LABEL_KIND, NETWORK_TYPE

# Pulumi's wire format: a secret is {SIG: SECRET_SIG, "value": ...}; an unknown is this string.
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


class SpecError(ValueError):
    """A recorded resource cannot be turned into something the harness can run."""


@dataclass(frozen=True)
class Upload:
    path: str
    content: str
    mode: int = 0o644
    uid: int = 0
    gid: int = 0


@dataclass(frozen=True)
class Volume:
    container_path: str
    name: str | None = None  # a Docker named volume: a persistent per-run host dir
    host_path: str | None = None  # a bind mount of a host path
    read_only: bool = False

    def __post_init__(self) -> None:
        if (self.name is None) == (self.host_path is None):
            raise SpecError(f"volume at {self.container_path}: give exactly one of name / host_path")


@dataclass(frozen=True)
class NetworkAttachment:
    network_name: str
    aliases: tuple[str, ...] = ()
    ipv4_address: str | None = None  # a static address in the Docker subnet (mapped by the topology)


@dataclass(frozen=True)
class Port:
    internal: int
    external: int
    ip: str = "0.0.0.0"  # nosec B104 - Docker's default, the harness maps it to "every host address"
    protocol: str = "tcp"


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    internal: bool = False
    subnet: str | None = None
    resource_name: str | None = None  # the Pulumi resource name, when it differs from `name`


@dataclass
class ContainerSpec:
    name: str
    image: str
    command: list[str] = field(default_factory=list)
    user: str = "0:0"
    read_only: bool = False
    tmpfs: dict[str, str] = field(default_factory=dict)
    uploads: list[Upload] = field(default_factory=list)
    volumes: list[Volume] = field(default_factory=list)
    networks: list[NetworkAttachment] = field(default_factory=list)
    ports: list[Port] = field(default_factory=list)
    cap_drop_all: bool = False
    no_new_privileges: bool = False
    healthcheck: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    resource_name: str | None = None

    @property
    def uid(self) -> int:
        return _parse_user(self.user)[0]

    @property
    def gid(self) -> int:
        return _parse_user(self.user)[1]

    def upload(self, path: str) -> Upload:
        for upload in self.uploads:
            if upload.path == path:
                return upload
        raise KeyError(f"{self.name}: no upload at {path}")


def _parse_user(user: str) -> tuple[int, int]:
    """Docker's `user`: "uid:gid" or "uid" (gid 0 then, as Docker does without /etc/passwd)."""
    uid_text, _, gid_text = user.partition(":")
    try:
        return int(uid_text), int(gid_text or "0")
    except ValueError:
        raise SpecError(f"user {user!r}: the harness needs numeric uid[:gid]") from None


def unwrap_secrets(value: Any) -> Any:
    """Replace every wire-format secret by its plain value, recursively."""
    if isinstance(value, Mapping):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            return unwrap_secrets(value.get("value"))
        return {key: unwrap_secrets(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [unwrap_secrets(item) for item in value]
    return value


def _reject_unknowns(value: Any, where: str) -> None:
    if isinstance(value, str) and value == _UNKNOWN:
        raise SpecError(f"{where}: input is unknown (computed) under the mocks")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _reject_unknowns(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _reject_unknowns(item, f"{where}[{index}]")


def _record_fields(record: Any) -> tuple[str, str, Mapping[str, Any]]:
    """Accept (type, name, inputs) tuples, dicts, or pulumi's MockResourceArgs-like objects."""
    if isinstance(record, (tuple, list)) and len(record) >= 3:
        return str(record[0]), str(record[1]), record[2] or {}
    if isinstance(record, Mapping):
        typ = record.get("type") or record.get("typ") or record.get("type_")
        return str(typ), str(record["name"]), record.get("inputs") or {}
    typ = getattr(record, "typ", None) or getattr(record, "type_", None) or getattr(record, "type", None)
    return str(typ), str(record.name), record.inputs or {}


def _as_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or value is None:
        raise SpecError(f"{where}: expected a number, got {value!r}")
    number = float(value)
    if not number.is_integer():
        raise SpecError(f"{where}: expected an integer, got {value!r}")
    return int(number)


def _mode(value: Any, where: str) -> int:
    if value is None or value == "":
        return 0o644
    if isinstance(value, str):
        return int(value, 8)
    return _as_int(value, where)


def _owner(value: Any, where: str) -> int:
    if value is None or value == "":
        return 0
    try:
        return int(str(value))
    except ValueError:
        raise SpecError(f"{where}: owner/group {value!r} must be numeric") from None


def _container(name: str, inputs: Mapping[str, Any]) -> ContainerSpec:
    cname = str(inputs.get("name") or name)
    where = f"container {cname}"
    if not inputs.get("image"):
        raise SpecError(f"{where}: no image")

    uploads = []
    for index, raw in enumerate(inputs.get("uploads") or []):
        uwhere = f"{where}.uploads[{index}]"
        if raw.get("content") is not None:
            content = str(raw["content"])
        elif raw.get("contentBase64") is not None:
            content = base64.b64decode(raw["contentBase64"]).decode()
        else:
            raise SpecError(f"{uwhere}: only content/contentBase64 uploads are supported")
        mode = _mode(raw.get("permissions"), uwhere)
        if raw.get("permissions") in (None, "") and raw.get("executable"):
            mode = 0o755
        uploads.append(
            Upload(
                path=str(raw["file"]),
                content=content,
                mode=mode,
                uid=_owner(raw.get("owner"), uwhere),
                gid=_owner(raw.get("group"), uwhere),
            )
        )

    volumes = []
    for index, raw in enumerate(inputs.get("volumes") or []):
        vwhere = f"{where}.volumes[{index}]"
        if not raw.get("containerPath"):
            raise SpecError(f"{vwhere}: no containerPath")
        volumes.append(
            Volume(
                container_path=str(raw["containerPath"]),
                name=raw.get("volumeName") or None,
                host_path=raw.get("hostPath") or None,
                read_only=bool(raw.get("readOnly", False)),
            )
        )

    ports = []
    for index, raw in enumerate(inputs.get("ports") or []):
        pwhere = f"{where}.ports[{index}]"
        if raw.get("external") is None:
            raise SpecError(f"{pwhere}: a published port needs an explicit external port")
        ports.append(
            Port(
                internal=_as_int(raw.get("internal"), pwhere),
                external=_as_int(raw.get("external"), pwhere),
                ip=str(raw.get("ip") or "0.0.0.0"),  # nosec B104
                protocol=str(raw.get("protocol") or "tcp"),
            )
        )

    networks = [
        NetworkAttachment(
            str(raw["name"]),
            tuple(str(alias) for alias in raw.get("aliases") or ()),
            str(raw["ipv4Address"]) if raw.get("ipv4Address") else None,
        )
        for raw in inputs.get("networksAdvanced") or []
    ]

    drops = [str(cap).upper() for cap in (inputs.get("capabilities") or {}).get("drops") or []]
    security_opts = [str(opt) for opt in inputs.get("securityOpts") or []]
    no_new_privs = any(opt in ("no-new-privileges", "no-new-privileges:true") for opt in security_opts)

    healthcheck = None
    tests = (inputs.get("healthcheck") or {}).get("tests")
    if tests:
        healthcheck = [str(part) for part in tests]

    env: dict[str, str] = {}
    for entry in inputs.get("envs") or []:
        key, _, value = str(entry).partition("=")
        env[key] = value

    labels_raw = inputs.get("labels") or []
    labels = {str(item["label"]): str(item.get("value", "")) for item in labels_raw if "label" in item}

    user = str(inputs.get("user") or "0:0")
    _parse_user(user)
    return ContainerSpec(
        name=cname,
        image=str(inputs["image"]),
        command=[str(part) for part in inputs.get("command") or []],
        user=user,
        read_only=bool(inputs.get("readOnly", False)),
        tmpfs={str(path): str(opts or "") for path, opts in (inputs.get("tmpfs") or {}).items()},
        uploads=uploads,
        volumes=volumes,
        networks=networks,
        ports=ports,
        cap_drop_all="ALL" in drops,
        no_new_privileges=no_new_privs,
        healthcheck=healthcheck,
        env=env,
        labels=labels,
        resource_name=name,
    )


def _network(name: str, inputs: Mapping[str, Any]) -> NetworkSpec:
    configs = inputs.get("ipamConfigs") or []
    subnet = next((str(config["subnet"]) for config in configs if config.get("subnet")), None)
    return NetworkSpec(
        name=str(inputs.get("name") or name),
        internal=bool(inputs.get("internal", False)),
        subnet=subnet,
        resource_name=name,
    )


def from_recorded(resources: Iterable[Any]) -> tuple[list[NetworkSpec], list[ContainerSpec]]:
    """Networks and containers, in registration order, from the mock-recorded resources.

    Each record is `(type token, resource name, inputs)` (or a dict / MockResourceArgs with the
    same fields). Other resource types are ignored. A container's network attachment may name
    the network by its Docker name or by its Pulumi resource name; it is normalised to the
    Docker name.
    """
    networks: list[NetworkSpec] = []
    containers: list[ContainerSpec] = []
    for record in resources:
        typ, name, raw_inputs = _record_fields(record)
        if typ not in (CONTAINER_TYPE, NETWORK_TYPE):
            continue
        inputs = unwrap_secrets(dict(raw_inputs))
        _reject_unknowns(inputs, f"{typ} {name}")
        if typ == NETWORK_TYPE:
            networks.append(_network(name, inputs))
        else:
            containers.append(_container(name, inputs))

    containers = _merge_config_carriers(containers)
    by_name = {network.name: network.name for network in networks}
    by_name.update({network.resource_name: network.name for network in networks if network.resource_name})
    for container in containers:
        resolved = []
        for attachment in container.networks:
            if attachment.network_name not in by_name:
                known = ", ".join(sorted(network.name for network in networks)) or "none"
                raise SpecError(f"container {container.name}: network {attachment.network_name!r} is not a recorded network (known: {known})")
            resolved.append(NetworkAttachment(by_name[attachment.network_name], attachment.aliases, attachment.ipv4_address))
        container.networks = resolved
    return networks, containers


CONFIG_KIND_LABEL = LABEL_KIND


def _merge_config_carriers(containers: list[ContainerSpec]) -> list[ContainerSpec]:
    """Docker cannot copy files into a read-only container, so the program gives each service a
    config carrier: a never-started container that receives the uploads into a config volume
    the service mounts read-only at the same path. Here the carrier's uploads become the
    service's files at those paths (with their modes and owners) and the carrier is not run."""
    carriers = [c for c in containers if c.labels.get(CONFIG_KIND_LABEL) == "config"]
    services = [c for c in containers if c.labels.get(CONFIG_KIND_LABEL) != "config"]
    for carrier in carriers:
        carried = {(v.name, v.container_path) for v in carrier.volumes}
        receivers = [s for s in services if any((v.name, v.container_path) in carried for v in s.volumes)]
        if not receivers:
            raise SpecError(f"config carrier {carrier.name}: no container mounts its volume")
        for service in receivers:
            service.uploads = [*service.uploads, *carrier.uploads]
            service.volumes = [v for v in service.volumes if (v.name, v.container_path) not in carried]
    return services
