"""Deploy what the program registered under Pulumi mocks to a real Docker Engine.

Each input of each `docker:*` resource means here what it means to pulumi-docker 5.x, which wraps
kreuzwerker/terraform-provider-docker (read: `internal/provider/resource_docker_container_funcs.go`,
`resource_docker_network_funcs.go`, `resource_docker_volume.go`, `resource_docker_image_funcs.go`).
The tables below map every input key the harness knows to a handler, or to the reason it is ignored;
any other key raises `UnknownInputError`, so a new input in the program is never silently dropped.

    the_plan = plan(recorded.resources)                  # validates every input; no Engine needed
    deployment = deploy(client, recorded.resources, host_paths={"/srv/x": str(tmp)})
    deployment.container("promshield-acceptance-proxy").exec_run(["true"])
    deployment.remove()

A container is made as the provider makes it: create (with `network_mode` only), disconnect `bridge`
and connect each of `networks_advanced`, one `CopyToContainer(dstPath "/")` per upload, start, wait,
attach. Secret inputs are unwrapped only to build the request of the Engine call that needs them, and
their values are scrubbed from every error message.
"""

from __future__ import annotations

import base64
import contextlib
import grp
import io
import pwd
import re
import tarfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from docker.errors import NotFound

from harness.stack import CONFIG, STACK
from testing.mock_stack import (
    BUILT_IMAGE,
    CONTAINER,
    NETWORK,
    REMOTE_IMAGE,
    VOLUME,
    is_secret,
    unwrap,
)


class DeployError(RuntimeError):
    """The recorded resources cannot be deployed, or the Engine refused them."""


class UnknownInputError(DeployError):
    """An input key the harness does not know: it would otherwise be silently ignored."""


class UnknownResourceError(DeployError):
    """A `docker:*` resource type the harness cannot deploy."""


class MissingImageError(DeployError):
    """An image is not in the Engine (nothing can be pulled here)."""


class JobFailedError(DeployError):
    """A one-shot container (`attach`) exited non-zero."""


class Recorded(Protocol):
    """What `testing.mock_stack.Registered` offers: type token, resource name, wire-format inputs."""

    type: str
    name: str
    raw_inputs: dict[str, Any]


# --- What the Engine is asked for, built from one resource's plain inputs ------------------------------


@dataclass(repr=False)  # repr=False: the bodies hold unwrapped secrets
class _Request:
    name: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)  # networks, volumes: the docker SDK call's keywords


@dataclass(repr=False)
class _ContainerRequest(_Request):
    config: dict[str, Any] = field(default_factory=dict)  # container.Config
    # What the provider's HostConfig always carries (schema defaults: restart "no", network_mode "bridge").
    host: dict[str, Any] = field(
        default_factory=lambda: {
            "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
            "NetworkMode": "bridge",
            "Init": False,
            "LogConfig": {"Type": ""},
        }
    )
    networks: list[dict[str, Any]] = field(default_factory=list)  # connected after create, in this order
    uploads: list[tuple[str, bytes]] = field(default_factory=list)  # (path, one tar)
    start: bool = True
    attach: bool = False
    logs: bool = False
    wait: bool = False
    wait_timeout: int = 60


@dataclass
class _Context:
    """Resolves references between resources; scrubs secret values out of text."""

    where: str = ""
    images: dict[str, str] = field(default_factory=dict)  # recorded reference -> local reference
    networks: dict[str, str] = field(default_factory=dict)  # Docker or Pulumi name -> Docker name
    host_paths: Mapping[str, str] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)

    def scrub(self, text: str) -> str:
        for value in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(value, "[secret]")
        return text

    def show(self, value: Any) -> str:
        text = repr(value)
        return self.scrub(text if len(text) <= 200 else text[:200] + "...")

    def fail(self, key: str, message: str) -> DeployError:
        return DeployError(self.scrub(f"{self.where}: {key}: {message}"))

    def keys(self, key: str, value: Any, known: set[str]) -> Mapping[str, Any]:
        """A nested block's keys must all be known too."""
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected an object, got {self.show(value)}")
        for sub in value:
            if sub not in known:
                raise UnknownInputError(f"{self.where}: unknown input {key}.{sub} = {self.show(value[sub])}")
        return value

    @contextlib.contextmanager
    def engine(self, what: str) -> Iterator[None]:
        """Engine errors, scrubbed; `from None`, as the original may quote a secret."""
        try:
            yield
        except DeployError:
            raise
        except Exception as error:  # any SDK or HTTP error becomes one scrubbed error
            raise DeployError(self.scrub(f"{self.where}: {what}: {type(error).__name__}: {error}")) from None


Handler = Callable[[Any, Any, _Context], Any]


def _unset(value: Any) -> bool:
    """The provider reads most inputs with `d.GetOk`, which takes a zero value for "not set"."""
    return value in (None, "", 0, [], {})  # False == 0


def _int(value: Any) -> int:
    # Pulumi's wire format carries every number as a float.
    if isinstance(value, bool) or not float(value).is_integer():
        raise ValueError(f"expected an integer, got {value!r}")
    return int(value)


def _mb(value: Any) -> int:
    return _int(value) * 1024 * 1024


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value]


def _str_map(value: Any) -> dict[str, str]:
    return {str(key): str(item) for key, item in value.items()}


def _to(section: str, key: str, convert: Callable[[Any], Any] = lambda v: v) -> Handler:
    """Set `config[key]`, `host[key]` or a keyword of the SDK call, when the input is set."""

    def handler(req: Any, value: Any, ctx: _Context) -> None:
        if not _unset(value):
            getattr(req, section)[key] = convert(value)

    return handler


def _attr(name: str, convert: Callable[[Any], Any] = lambda v: v) -> Handler:
    return lambda req, value, ctx: setattr(req, name, convert(value))


def _labels(section: str, key: str) -> Handler:
    """`[{label, value}]` -> a map."""

    def handler(req: Any, value: Any, ctx: _Context) -> None:
        labels = {
            str(ctx.keys("labels", item, {"label", "value"})["label"]): str(item.get("value", "")) for item in value
        }
        _to(section, key)(req, labels, ctx)

    return handler


def _update(key: str, item: str, convert: Callable[[Any], Any]) -> Handler:
    """Set `host[key][item]`, e.g. the restart policy's name."""
    return lambda req, value, ctx: req.host[key].update({item: convert(value)})


_UNIT_NS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9}
_UNIT_NS["h"] = 60 * _UNIT_NS["m"]
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def _duration(text: str) -> int:
    """Go's `time.ParseDuration`, in nanoseconds (the Engine's unit). The provider drops a parse error
    and sends 0 (the daemon's default): here it fails, as it hides a typo."""
    body = text.lstrip("+-")
    parts = _DURATION.findall(body)
    if text != "0" and (not body or "".join(number + unit for number, unit in parts) != body):
        raise ValueError(f"not a Go duration: {text!r}")
    total = int(sum(Decimal(number) * _UNIT_NS[unit] for number, unit in parts))
    return -total if text.startswith("-") else total


# --- docker.Container --------------------------------------------------------------------------------


def _image(req: _ContainerRequest, value: Any, ctx: _Context) -> None:
    # The mock's imageId is the reference; a built image is named by its imageName.
    req.config["Image"] = ctx.images.get(str(value), str(value))


def _command(req: _ContainerRequest, value: Any, ctx: _Context) -> None:
    if any(part == "" for part in value):
        raise ctx.fail("command", "values for command may not be empty")  # the provider's own check
    _to("config", "Cmd", _strings)(req, value, ctx)


def _healthcheck(req: _ContainerRequest, value: Any, ctx: _Context) -> None:
    check = ctx.keys("healthcheck", value, {"tests", "interval", "timeout", "startPeriod", "startInterval", "retries"})
    health: dict[str, Any] = {"Test": _strings(check.get("tests") or [])}
    for key, api in (
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("startPeriod", "StartPeriod"),
        ("startInterval", "StartInterval"),
    ):
        nanoseconds = _duration(str(check.get(key) or "0s"))
        if nanoseconds:  # Go's HealthConfig omits zero durations: the daemon's defaults apply
            health[api] = nanoseconds
    if check.get("retries"):
        health["Retries"] = _int(check["retries"])
    req.config["Healthcheck"] = health


def _ports(req: _ContainerRequest, value: Any, ctx: _Context) -> None:
    for index, raw in enumerate(value):
        port = ctx.keys(f"ports[{index}]", raw, {"internal", "external", "ip", "protocol"})
        key = f"{_int(port['internal'])}/{port.get('protocol') or 'tcp'}"
        external = "" if _unset(port.get("external")) else str(_int(port["external"]))  # "": an ephemeral port
        req.config.setdefault("ExposedPorts", {})[key] = {}
        binding = {"HostIp": str(port.get("ip") or "0.0.0.0"), "HostPort": external}  # the schema default
        req.host.setdefault("PortBindings", {}).setdefault(key, []).append(binding)


def _volumes(req: _ContainerRequest, value: Any, ctx: _Context) -> None:
    for index, raw in enumerate(value):
        volume = ctx.keys(f"volumes[{index}]", raw, {"containerPath", "volumeName", "hostPath", "readOnly"})
        path = str(volume.get("containerPath") or "")
        if not path:
            raise ctx.fail(f"volumes[{index}]", "volume entry without container path")
        # Tests swap the program's host directories (/srv/...) for temporary ones.
        host_path = volume.get("hostPath")  # the provider binds it in place of the volume name
        source = ctx.host_paths.get(host_path, host_path) if host_path else volume.get("volumeName")
        req.config.setdefault("Volumes", {})[path] = {}
        if source:  # else an anonymous volume, as with the provider
            req.host.setdefault("Binds", []).append(f"{source}:{path}:{'ro' if volume.get('readOnly') else 'rw'}")


def _capabilities(req: _ContainerRequest, value: Any, ctx: _Context) -> None:
    caps = ctx.keys("capabilities", value, {"adds", "drops"})
    req.host["CapAdd"], req.host["CapDrop"] = _strings(caps.get("adds") or []), _strings(caps.get("drops") or [])


def _security_opts(req: _ContainerRequest, value: Any, ctx: _Context) -> None:
    # "systempaths=unconfined" is handled client-side (CLI and provider): no masked or read-only paths.
    if "systempaths=unconfined" in value:
        req.host["MaskedPaths"], req.host["ReadonlyPaths"] = [], []
    _to("host", "SecurityOpt")(req, [opt for opt in _strings(value) if opt != "systempaths=unconfined"], ctx)


def _memory_swap(req: _ContainerRequest, value: Any, ctx: _Context) -> None:
    if not _unset(value):  # MB, except -1: unlimited swap
        req.host["MemorySwap"] = _mb(value) if _int(value) > 0 else _int(value)


def _ulimits(req: _ContainerRequest, value: Any, ctx: _Context) -> None:
    limits = [ctx.keys(f"ulimits[{index}]", raw, {"name", "soft", "hard"}) for index, raw in enumerate(value)]
    _to("host", "Ulimits")(
        req, [{"Name": str(u["name"]), "Soft": _int(u["soft"]), "Hard": _int(u["hard"])} for u in limits], ctx
    )


def _networks(req: _ContainerRequest, value: Any, ctx: _Context) -> None:
    for index, raw in enumerate(value):
        attachment = ctx.keys(f"networksAdvanced[{index}]", raw, {"name", "aliases", "ipv4Address", "ipv6Address"})
        name = str(attachment["name"])
        if name not in ctx.networks:
            raise ctx.fail(f"networksAdvanced[{index}]", f"network {name!r} is not a recorded docker.Network")
        req.networks.append(
            {
                "net_id": ctx.networks[name],
                "aliases": _strings(attachment.get("aliases") or []) or None,
                "ipv4_address": attachment.get("ipv4Address") or None,
                "ipv6_address": attachment.get("ipv6Address") or None,
            }
        )


def _owner(text: str, lookup: Callable[[str], int]) -> int:
    # "Names are resolved using the Terraform host's user database; numeric IDs can be used directly."
    return 0 if not text else int(text) if text.isdigit() else lookup(text)


def _uploads(req: _ContainerRequest, value: Any, ctx: _Context) -> None:
    known = {"file", "content", "contentBase64", "executable", "permissions", "owner", "group"}
    for index, raw in enumerate(value):
        upload = ctx.keys(f"uploads[{index}]", raw, known)
        if bool(upload.get("content")) == bool(upload.get("contentBase64")):
            raise ctx.fail(f"uploads[{index}]", "exactly one of 'content' or 'content_base64' must be set")
        data = (
            str(upload["content"]).encode() if upload.get("content") else base64.b64decode(str(upload["contentBase64"]))
        )
        # One tar per upload, header Name = the full path, extracted at "/": as the provider does.
        header = tarfile.TarInfo(str(upload["file"]))
        header.mode = (
            int(upload["permissions"], 8) if upload.get("permissions") else 0o744 if upload.get("executable") else 0o644
        )
        header.uid = _owner(str(upload.get("owner") or ""), lambda name: pwd.getpwnam(name).pw_uid)
        header.gid = _owner(str(upload.get("group") or ""), lambda name: grp.getgrnam(name).gr_gid)
        header.size, header.mtime = len(data), int(time.time())
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            archive.addfile(header, io.BytesIO(data))
        req.uploads.append((str(upload["file"]), buffer.getvalue()))


# A handler turns one plain input into its part of the Engine request; a string says why the key is ignored.
CONTAINER_INPUTS: dict[str, Handler | str] = {
    "name": _attr("name", str),
    "image": _image,
    "command": _command,
    "entrypoints": _to("config", "Entrypoint", _strings),  # []: the image's entrypoint (GetOk)
    "user": _to("config", "User", str),
    "envs": _to("config", "Env", _strings),
    "labels": _labels("config", "Labels"),
    "healthcheck": _healthcheck,
    "ports": _ports,
    "volumes": _volumes,
    "tmpfs": _to("host", "Tmpfs", _str_map),
    "readOnly": _to("host", "ReadonlyRootfs", bool),
    "privileged": _to("host", "Privileged", bool),
    "capabilities": _capabilities,
    "securityOpts": _security_opts,
    "memory": _to("host", "Memory", _mb),
    "memorySwap": _memory_swap,
    "shmSize": _to("host", "ShmSize", _mb),
    "ulimits": _ulimits,
    "restart": _update("RestartPolicy", "Name", str),
    "maxRetryCount": _update("RestartPolicy", "MaximumRetryCount", _int),
    "logDriver": _update("LogConfig", "Type", str),
    "logOpts": _update("LogConfig", "Config", _str_map),
    "networkMode": _to("host", "NetworkMode", str),
    "networksAdvanced": _networks,
    "init": lambda req, value, ctx: req.host.update(Init=bool(value)),  # always sent: false by default
    "uploads": _uploads,
    "start": _attr("start", bool),
    "attach": _attr("attach", bool),
    "logs": _attr("logs", bool),
    "wait": _attr("wait", bool),
    "waitTimeout": _attr("wait_timeout", _int),
    "mustRun": "read on refresh only: a stopped container turns it false, and the next update starts it",
    "destroyGraceSeconds": "only how destroy stops the container; remove() force-removes",
    "containerReadRefreshTimeoutMilliseconds": "only how long the provider's read polls",
}


# --- docker.Network, docker.Volume, docker.RemoteImage, docker.Image -----------------------------------


def _ipam_configs(req: _Request, value: Any, ctx: _Context) -> None:
    pools = []
    for index, raw in enumerate(value):
        pool = ctx.keys(f"ipamConfigs[{index}]", raw, {"subnet", "ipRange", "gateway", "auxAddress"})
        api = {
            "Subnet": pool.get("subnet"),
            "IPRange": pool.get("ipRange"),
            "Gateway": pool.get("gateway"),
            "AuxiliaryAddresses": pool.get("auxAddress"),
        }
        pools.append({key: item for key, item in api.items() if item})  # Go's omitempty
    req.kwargs["ipam"]["Config"] = pools


def _skip_push(req: _Request, value: Any, ctx: _Context) -> None:
    if not value:
        raise ctx.fail("skipPush", "false: the image would be pushed to a registry, which cannot be reproduced here")


NETWORK_INPUTS: dict[str, Handler | str] = {
    "name": _attr("name", str),
    "driver": _to("kwargs", "driver", str),
    "internal": _to("kwargs", "internal", bool),
    "attachable": _to("kwargs", "attachable", bool),
    "options": _to("kwargs", "options", _str_map),
    "labels": _labels("kwargs", "labels"),
    "ipamDriver": lambda req, value, ctx: req.kwargs["ipam"].update(Driver=str(value)),
    "ipamConfigs": _ipam_configs,
}
VOLUME_INPUTS: dict[str, Handler | str] = {
    "name": _attr("name", str),
    "driver": _to("kwargs", "driver", str),
    "driverOpts": _to("kwargs", "driver_opts", _str_map),
    "labels": _labels("kwargs", "labels"),
}
REMOTE_IMAGE_INPUTS: dict[str, Handler | str] = {
    "name": _attr("name", str),  # must be in the Engine already: standins.ensure_images puts stand-ins there
    "keepLocally": "only whether destroy deletes the image; stand-ins are shared and remove() keeps them",
    "forceRemove": "only how destroy deletes the image; remove() keeps images",
    "triggers": "only forces a replacement when it changes",
}
IMAGE_INPUTS: dict[str, Handler | str] = {
    "imageName": _attr("name", str),
    # Handed whole to the caller's `build_image`, which must honour each of these keys.
    "build": lambda req, value, ctx: ctx.keys("build", value, {"context", "dockerfile", "args", "platform", "target"}),
    "skipPush": _skip_push,
    "buildOnPreview": "only matters to `pulumi preview`",
}
TABLES: dict[str, dict[str, Handler | str]] = {
    NETWORK: NETWORK_INPUTS,
    VOLUME: VOLUME_INPUTS,
    REMOTE_IMAGE: REMOTE_IMAGE_INPUTS,
    BUILT_IMAGE: IMAGE_INPUTS,
    CONTAINER: CONTAINER_INPUTS,
}


# --- Plan: validate everything before anything is created --------------------------------------------


@dataclass
class Step:
    type: str
    name: str  # the Pulumi resource name
    docker_name: str
    keys: tuple[str, ...]
    raw_inputs: dict[str, Any] = field(repr=False)


@dataclass
class Plan:
    steps: list[Step]  # registration order, which follows every dependency
    skipped: list[tuple[str, str]]  # (type, name) of the resources that are not Docker's

    def keys_by_type(self) -> dict[str, list[str]]:
        found: dict[str, set[str]] = {}
        for step in self.steps:
            found.setdefault(step.type, set()).update(step.keys)
        return {typ: sorted(keys) for typ, keys in found.items()}


def _secret_strings(value: Any, inside: bool = False) -> Iterator[str]:
    if is_secret(value):
        yield from _secret_strings(value["value"], True)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _secret_strings(item, inside)
            if inside and key == "contentBase64" and isinstance(item, str):
                yield from _secret_strings(base64.b64decode(item).decode(errors="replace"), inside)
    elif isinstance(value, list):
        for item in value:
            yield from _secret_strings(item, inside)
    elif inside and isinstance(value, str) and len(value) >= 6:  # shorter ones would garble every message
        yield value


def _context(steps: list[Step], host_paths: Mapping[str, str], images: Mapping[str, str]) -> _Context:
    ctx = _Context(host_paths=host_paths, images=dict(images))
    for step in steps:
        ctx.secrets.update(_secret_strings(step.raw_inputs))
        plain = unwrap(step.raw_inputs)
        if step.type == NETWORK:
            ctx.networks[str(plain.get("name"))] = ctx.networks[step.name] = str(plain.get("name"))
    return ctx


def _build(step: Step, ctx: _Context) -> _Request:
    """The request for one resource: the only place its secrets are unwrapped."""
    req = _ContainerRequest() if step.type == CONTAINER else _Request()
    if step.type == NETWORK:  # ipam_driver defaults to "default"; Go clients >= 25 force CheckDuplicate on API < 1.44
        req.kwargs.update(ipam={"Driver": "default"}, check_duplicate=True)
    ctx.where = f"{step.type} {step.name}"
    table, plain = TABLES[step.type], unwrap(step.raw_inputs)
    for key, raw in step.raw_inputs.items():
        entry = table.get(key)
        if entry is None:
            raise UnknownInputError(f"{ctx.where}: unknown input {key} = {ctx.show(raw)}")
        if not isinstance(entry, str):
            try:
                entry(req, plain[key], ctx)
            except (ValueError, TypeError, KeyError, AttributeError) as error:
                raise ctx.fail(key, f"{type(error).__name__}: {error}") from None
    if not req.name:
        raise ctx.fail("name", "a name is required")
    return req


def _check_order(steps: list[Step], requests: list[_Request]) -> None:
    """A container must come after those that fill its volumes: a carrier or job (created only, or run
    to completion) sharing one, or one mounting it read-write where this one reads. Pulumi registers a
    resource after all it depends on, so this fails only where a depends_on is missing."""
    mounts = []  # (step, is a filler, volume -> mounted read-write)
    for step, req in zip(steps, requests, strict=True):
        if isinstance(req, _ContainerRequest):
            binds = [bind.rsplit(":", 2) for bind in req.host.get("Binds", [])]
            mounts.append((step, not req.start or req.attach, {b[0]: b[2] == "rw" for b in binds}))
    for index, (step, filler, volumes) in enumerate(mounts):
        for later, later_filler, later_volumes in mounts[index + 1 :]:
            filled = {
                v
                for v, rw in later_volumes.items()
                if v in volumes and ((later_filler and not filler) or (rw and not volumes[v]))
            }
            if filled:
                raise DeployError(
                    f"{step.name} is registered before {later.name}, which fills its volumes {sorted(filled)}: "
                    "a depends_on is missing, and Pulumi may create it first"
                )


def plan(resources: Iterable[Recorded], *, host_paths: Mapping[str, str] | None = None) -> Plan:
    """Every `docker:*` resource as a step, every input validated; nothing touches an Engine."""
    steps, skipped = [], []
    for resource in resources:
        if resource.type in TABLES:
            steps.append(Step(resource.type, resource.name, "", tuple(resource.raw_inputs), resource.raw_inputs))
        elif resource.type.startswith("docker:"):
            raise UnknownResourceError(f"{resource.type} {resource.name}: the harness cannot deploy this type")
        else:  # tls, random, command, components, dynamic providers, pulumi:providers:docker
            skipped.append((resource.type, resource.name))
    ctx = _context(steps, host_paths or {}, {})
    requests = [_build(step, ctx) for step in steps]
    for step, req in zip(steps, requests, strict=True):
        step.docker_name = req.name
    _check_order(steps, requests)
    return Plan(steps, skipped)


# --- Several engines: each resource to the engine of its provider ---------------------------------------


# --- Deploy ------------------------------------------------------------------------------------------


@dataclass
class Created:
    kind: str  # "network", "volume" or "container"
    name: str  # the Docker name
    id: str


@dataclass
class Deployment:
    """What `deploy` created, in order; `remove()` takes it away in reverse."""

    client: Any = field(repr=False)
    created: list[Created] = field(default_factory=list)
    images: dict[str, str] = field(default_factory=dict)  # recorded reference -> local reference
    exit_codes: dict[str, int] = field(default_factory=dict)  # of one-shot containers, by name
    logs: dict[str, str] = field(default_factory=dict, repr=False)  # their output, where `logs` is set

    def ids(self, kind: str) -> dict[str, str]:
        """Ids by Docker name (a volume's id is its name), in creation order."""
        return {item.name: item.id for item in self.created if item.kind == kind}

    def container(self, name: str) -> Any:
        """The docker SDK's `Container`."""
        return self.client.containers.get(self.ids("container")[name])

    def remove(self) -> None:
        """Containers (forced), volumes and networks, newest first. Images stay: stand-ins are shared."""
        api, failures = self.client.api, []
        while self.created:
            item = self.created.pop()
            try:
                if item.kind == "container":
                    api.remove_container(item.id, v=True, force=True)  # remove_volumes defaults to true
                elif item.kind == "volume":
                    api.remove_volume(item.id, force=True)
                else:
                    api.remove_network(item.id)
            except NotFound:
                pass
            except Exception as error:  # keep going: leave as little behind as possible
                failures.append(f"{item.kind} {item.name}: {error}")
        if failures:
            raise DeployError("remove() left: " + "; ".join(failures))


def _require_image(client: Any, reference: str, ctx: _Context, hint: str) -> None:
    try:
        client.api.inspect_image(reference)
    except NotFound:
        raise MissingImageError(
            f"{ctx.where}: image {reference!r} is not in the Engine and cannot be pulled ({hint})"
        ) from None


def _run_container(
    client: Any,
    req: _ContainerRequest,
    ctx: _Context,
    deployment: Deployment,
    *,
    job_timeout: float,
    fail_on_job_error: bool,
) -> None:
    api = client.api
    with ctx.engine("create"):
        cid = api.create_container_from_config({**req.config, "HostConfig": req.host}, name=req.name)["Id"]
    deployment.created.append(Created("container", req.name, cid))
    if req.networks:  # the provider leaves the default network, then joins each one (a set: no order promised)
        with ctx.engine("disconnect bridge"):
            try:
                api.disconnect_container_from_network(cid, "bridge")
            except Exception as error:
                if "is not connected to" not in str(error):
                    raise
        for attachment in req.networks:
            with ctx.engine(f"connect {attachment['net_id']}"):
                api.connect_container_to_network(cid, **attachment)
    for path, archive in req.uploads:  # before start, as the provider does
        with ctx.engine(f"upload {path}"):
            api.put_archive(cid, "/", archive)
    if req.start:
        with ctx.engine("start"):
            api.start(cid)
    if req.start and req.wait:
        deadline = time.monotonic() + req.wait_timeout
        while (health := api.inspect_container(cid)["State"].get("Health")) is None or health["Status"] != "healthy":
            if health is None:
                raise ctx.fail("wait", "set, but the container has no healthcheck")
            if time.monotonic() > deadline:
                raise ctx.fail("wait", "container failed to be in healthy state")
            time.sleep(1)
    if req.attach:
        with ctx.engine("wait for the end"):
            code = int(api.wait(cid, timeout=job_timeout, condition="not-running")["StatusCode"])
            output = api.logs(cid).decode(errors="replace")
        deployment.exit_codes[req.name] = code
        if req.logs:
            deployment.logs[req.name] = output
        # Stricter than the provider, which only records exit_code: a failed job fails the deploy.
        if code != 0 and fail_on_job_error:
            raise JobFailedError(ctx.scrub(f"{ctx.where}: exited with {code}; last output: {output[-500:]!r}"))


def deploy(
    client: Any,
    resources: Iterable[Recorded],
    *,
    images: Mapping[str, str] | None = None,
    host_paths: Mapping[str, str] | None = None,
    build_image: Callable[[Mapping[str, Any]], str] | None = None,
    job_timeout: float = 300.0,
    fail_on_job_error: bool = True,
) -> Deployment:
    """Create the recorded `docker:*` resources in `client` (a `docker.DockerClient`), in order.

    - `images`: recorded image reference -> local reference to use (default: the same reference).
    - `host_paths`: recorded `hostPath` -> real directory to bind instead.
    - `build_image(inputs)`: builds a `docker.Image` from its plain inputs, returns the local reference.

    Every input is validated before anything is created. On any failure what was created is removed.
    """
    resources = list(resources)
    steps = plan(resources, host_paths=host_paths).steps
    ctx = _context(steps, host_paths or {}, images or {})
    deployment = Deployment(client)
    try:
        for step in steps:
            req = _build(step, ctx)
            if step.type == NETWORK:
                with ctx.engine("create"):
                    deployment.created.append(
                        Created("network", req.name, client.api.create_network(req.name, **req.kwargs)["Id"])
                    )
            elif step.type == VOLUME:
                with ctx.engine("create"):
                    deployment.created.append(
                        Created("volume", req.name, client.api.create_volume(req.name, **req.kwargs)["Name"])
                    )
            elif step.type == CONTAINER:
                assert isinstance(req, _ContainerRequest)
                _run_container(
                    client, req, ctx, deployment, job_timeout=job_timeout, fail_on_job_error=fail_on_job_error
                )
            elif step.type == BUILT_IMAGE and build_image is not None:
                with ctx.engine("build_image"):
                    local = build_image(unwrap(step.raw_inputs))
                _require_image(client, local, ctx, "build_image returned it")
                ctx.images[req.name] = deployment.images[req.name] = local
            else:
                local = ctx.images.get(req.name, req.name)
                hint = (
                    "standins.ensure_images puts stand-ins there" if step.type == REMOTE_IMAGE else "pass build_image"
                )
                _require_image(client, local, ctx, hint)
                ctx.images[req.name] = deployment.images[req.name] = local
    except BaseException as error:
        try:
            deployment.remove()
        except DeployError as leftover:
            error.add_note(str(leftover))
        raise
    return deployment


# --- Update: a second `pulumi up` with changed inputs ------------------------------------------------


def main() -> None:
    """`python -m harness.deploy`: the acceptance stack's plan, without an Engine."""
    from testing.mock_stack import run_program

    the_plan = plan(run_program(CONFIG, stack=STACK).resources)
    for step in the_plan.steps:
        print(f"{step.type:40} {step.name:32} {step.docker_name}")
    for typ, keys in the_plan.keys_by_type().items():
        print(f"{typ}: {', '.join(keys)}")
    print(f"skipped {len(the_plan.skipped)}: {', '.join(sorted({typ for typ, _ in the_plan.skipped}))}")


if __name__ == "__main__":
    main()
