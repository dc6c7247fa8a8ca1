"""promshield's CrossGuard policies: the security rules every stack must keep.

Importable on purpose: constructing `PolicyPack` starts a gRPC server and blocks, so the pack is
built only in `policy/__main__.py`, and the tests call these policies' `validate` directly.

What the policies see (pulumi-policy 1.21, checked against its source):
- Resource policies get one resource's *inputs*; stack policies get every resource's state.
  Secret values arrive unwrapped (the engine sends them with `KeepSecrets`, the SDK drops the
  secret marker), so a key or a password hash in an upload is visible to the policies.
- A value that depends on a resource not created yet is *unknown* during `pulumi preview` (in a
  new stack's first preview: every key and certificate from pulumi-tls, every hash built on
  pulumi-random, every image id). Reading one raises `UnknownValueError`; the SDK reports it as
  an advisory "can't run policy ... during preview". At `pulumi up` every input is known before
  its resource is created, so each policy runs in full before anything changes. Where a value
  is not visible:
  * files: an upload whose content is unknown is judged by its path alone (htpasswd, a
    `secrets` directory, `.key`, `*password*`, ...); its content is checked at `pulumi up`.
  * web config and remote write: every check that needs no content runs first (the flag, the
    file's presence, other containers); then the unknown is re-raised, so the preview shows
    the content check as deferred rather than passed. A file no policy can ever read (from the
    host, a local `source`, or baked into the image) fails: the rule cannot be verified.
  * a container's `image` is the pulled image's id (`RemoteImage.image_id`): unknown in a
    first preview, an immutable `sha256:` id at `up`. The tag is pinned where it is chosen:
    the `RemoteImage` name, the built `Image`'s name and its `*IMAGE` build args.
- Services get their files through a *config carrier* (components/core/hardening.py): a container
  that is created, never started, and uploads the files into a volume the service mounts
  read-only. The file rules apply to every container's uploads; the rules that read a
  service's file (web config, prometheus.yml) are stack policies that follow the service's
  volume mounts to the upload that fills them.
- `args.get_config()` is the *policy pack's* config (`--policy-pack-config`), not the stack's.
  The stack's config reaches a Python policy pack as the `PULUMI_CONFIG` environment variable
  (JSON, `"promshield:key": "value"`), as it reaches a Python program: `stack_config()` reads
  it. `allowPublicBind` and `enableAdminApi` come from there. The remote-write and OTLP
  receivers have no stack key and are allowed only by the pack's config
  (`{"prometheus-admin-endpoints-off": {"allowRemoteWriteReceiver": true}}`), so a stack
  cannot allow them for itself.

Fixed facts (service names, label keys, file paths, network names, modes) come from
`components/core/catalog.py`, the one place the program defines them.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import PurePosixPath
from typing import Any

import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from components.core import catalog

# --- Resource types (Pulumi type tokens) -----------------------------------------------------
CONTAINER = "docker:index/container:Container"
NETWORK = "docker:index/network:Network"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
BUILT_IMAGE = "docker:index/image:Image"
FIREWALL_COMPONENT = f"{catalog.PROJECT}:index:Firewall"
FIREWALL_COMMANDS = ("command:local:Command", "command:remote:Command")

# --- Labels every promshield container carries ------------------------------------------------
SERVICE_LABEL = f"{catalog.LABEL_PREFIX}.service"
KIND_LABEL = f"{catalog.LABEL_PREFIX}.kind"

# --- Stack config keys the policies honour (declared in Pulumi.yaml) ------------------------
ALLOW_PUBLIC_BIND = "allowPublicBind"
ENABLE_ADMIN_API = "enableAdminApi"
# Pack config (no stack key exists): `pulumi preview --policy-pack-config <file>`.
ALLOW_REMOTE_WRITE_RECEIVER = "allowRemoteWriteReceiver"

MANDATORY = EnforcementLevel.MANDATORY
TLS_MIN_VERSIONS = ("TLS12", "TLS13")
REQUIRED_CLIENT_AUTH = "RequireAndVerifyClientCert"
DOCKER_DEFAULT_UPLOAD_MODE = 0o644  # what Docker gives an upload without `permissions`
SECRET_MODE_BITS = 0o600  # an upload holding key material may use these bits and no others

# Capabilities and security options that hand a container (part of) the host.
HOST_LEVEL_CAPABILITIES = frozenset(
    {
        "ALL",
        "SYS_ADMIN",
        "NET_ADMIN",
        "SYS_MODULE",
        "SYS_PTRACE",
        "SYS_RAWIO",
        "DAC_READ_SEARCH",
        "BPF",
        "SYS_BOOT",
        "MAC_ADMIN",
        "MAC_OVERRIDE",
    }
)
UNCONFINED_OPTIONS = re.compile(
    r"^(?:seccomp[=:]unconfined|apparmor[=:]unconfined|label[=:]disable|systempaths[=:]unconfined)$", re.IGNORECASE
)

# A tag that names a release: at least major.minor (`v3.5.0`, `1.28.0-bookworm`), never `latest`,
# a distro name or a bare major that moves (`7`).
VERSION_TAG = re.compile(r"^v?\d+\.\d+")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
IMAGE_ID = re.compile(r"^sha256:[0-9a-f]{64}$")

# Secret material recognised by content.
PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----|PuTTY-User-Key-File-")
PASSWORD_HASH = re.compile(
    r"\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}"  # bcrypt (htpasswd -B, Prometheus/Alertmanager basic_auth_users)
    r"|\$apr1\$[./A-Za-z0-9]{1,8}\$"  # Apache MD5
    r"|\$[56]\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$"  # SHA-crypt
    r"|\$argon2(?:id|i|d)\$"
    r"|\{SHA\}[A-Za-z0-9+/]{27}="
)
# Redis ACL rules with a password: `#<sha256 hex>` or a plaintext `>password`.
REDIS_ACL_PASSWORD = re.compile(r"^user\s+\S+(?:\s+\S+)*?\s+(?:#[0-9a-fA-F]{64}|>\S+)(?:\s|$)", re.MULTILINE)
# Secret material recognised by path (used alone when the content is not visible).
SECRET_DIRECTORIES = frozenset({"secrets", "private"})
SECRET_SUFFIXES = (".key", ".p12", ".pfx", ".jks", ".keystore")
SECRET_NAME_PARTS = ("htpasswd", "password", "passwd", "token", "credentials", "private_key", "private-key")
# Environment variables: names that announce a secret (a `_FILE`/`_PATH` pointer is the fix).
SECRET_ENV_NAME = re.compile(
    r"(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?)", re.IGNORECASE
)
SECRET_ENV_POINTER = re.compile(r"_(?:FILE|PATH|DIR|FILENAME)$", re.IGNORECASE)
URL_WITH_PASSWORD = re.compile(r"://[^/\s:@]+:[^/\s@]+@")

HOST_NAMESPACE_FIELDS = ("networkMode", "pidMode", "ipcMode", "usernsMode", "cgroupnsMode")
RUNTIME_SOCKETS = ("docker.sock", "containerd.sock", "crio.sock", "podman.sock")

ADMIN_API_FLAG = "--web.enable-admin-api"
RECEIVER_FLAGS = ("--web.enable-remote-write-receiver", "--web.enable-otlp-receiver")
RECEIVER_FEATURES = ("remote-write-receiver", "otlp-write-receiver")


# --- Reading props -------------------------------------------------------------------------------
def stack_config() -> Mapping[str, Any]:
    """The stack's config as the Pulumi CLI hands it to a Python policy pack (`PULUMI_CONFIG`)."""
    raw = os.environ.get("PULUMI_CONFIG", "")
    try:
        parsed = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def stack_flag(key: str) -> bool:
    """True only when the stack's config explicitly sets `promshield:<key>` to true."""
    value = stack_config().get(f"{catalog.PROJECT}:{key}")
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def pack_flag(args: ResourceValidationArgs | StackValidationArgs, key: str) -> bool:
    return args.get_config().get(key) is True


def visible(read: Callable[[], Any]) -> tuple[bool, Any]:
    """(True, value), or (False, None) when the value is unknown during preview."""
    try:
        return True, read()
    except UnknownValueError:
        return False, None


def known(mapping: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """(True, mapping.get(key)), or (False, None) when that value is unknown during preview."""
    return visible(partial(mapping.get, key))


def as_list(value: Any) -> list[Any]:
    """The known elements of a list (an element unknown during preview is checked at `pulumi up`)."""
    if value is None or isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return []
    items: list[Any] = []
    for index in range(len(value)):
        ok, item = visible(partial(value.__getitem__, index))
        if ok:
            items.append(item)
    return items


def labels_of(props: Mapping[str, Any]) -> dict[str, str]:
    """Docker labels as a dict (pulumi-docker takes them as a list of {label, value})."""
    found: dict[str, str] = {}
    for entry in as_list(props.get("labels")):
        ok_label, label = known(entry, "label")
        ok_value, value = known(entry, "value")
        if ok_label and ok_value and isinstance(label, str):
            found[label] = str(value)
    return found


def service_of(props: Mapping[str, Any]) -> str | None:
    return labels_of(props).get(SERVICE_LABEL)


def describe(args: ResourceValidationArgs) -> str:
    """`container "proxy-container" (promshield-dev-proxy)`: the Pulumi name and Docker's name."""
    kind = {CONTAINER: "container", NETWORK: "network", REMOTE_IMAGE: "image", BUILT_IMAGE: "built image"}.get(
        args.resource_type, args.resource_type
    )
    ok, docker_name = known(args.props, "name")
    suffix = f" ({docker_name})" if ok and isinstance(docker_name, str) and docker_name != args.name else ""
    return f'{kind} "{args.name}"{suffix}'


def container_policy(
    check: Callable[[ResourceValidationArgs, ReportViolation], None],
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """Run `check` on Docker containers only."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type == CONTAINER:
            check(args, report)

    validate.__doc__ = check.__doc__
    return validate


def command_line(props: Mapping[str, Any]) -> list[str]:
    """Entrypoint and command as one argv (flags may be in either)."""
    argv: list[str] = []
    for key in ("entrypoints", "command"):
        argv += [str(token) for token in as_list(props.get(key))]
    return argv


def flag_value(argv: Sequence[str], flag: str) -> str | None:
    """The value of `--flag=value` or `--flag value`; "" for a bare boolean flag; None if absent."""
    for index, token in enumerate(argv):
        if token.startswith(f"{flag}="):
            return token.split("=", 1)[1]
        if token == flag:
            following = argv[index + 1] if index + 1 < len(argv) else ""
            return "" if following.startswith("-") else following
    return None


def flag_enabled(argv: Sequence[str], flag: str) -> bool:
    """A kingpin boolean flag: `--flag` or `--flag=true` (`--flag=false` / `--no-flag` is off)."""
    return any(token == flag or token.lower() == f"{flag}=true" for token in argv)


def mode_of(upload: Mapping[str, Any]) -> int | None:
    """The upload's octal mode; Docker's default when unset; None when unparseable."""
    permissions = upload.get("permissions")
    if permissions in (None, ""):
        return 0o755 if upload.get("executable") is True else DOCKER_DEFAULT_UPLOAD_MODE
    text = str(permissions).strip().lower().removeprefix("0o")
    try:
        return int(text, 8)
    except ValueError:
        return None


def upload_text(upload: Mapping[str, Any]) -> str | None:
    """An upload's text: `content` or decoded `contentBase64`; None for a local `source` file.

    Raises `UnknownValueError` when the content is unknown (preview of values not created yet).
    """
    content = upload.get("content")
    if isinstance(content, str):
        return content
    encoded = upload.get("contentBase64")
    if isinstance(encoded, str):
        try:
            return base64.b64decode(encoded, validate=False).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            return encoded
    return None


def secret_path_reason(path: str) -> str | None:
    """Why a path alone marks an upload as holding a secret, or None."""
    pure = PurePosixPath(path)
    name = pure.name.lower()
    if any(part.lower() in SECRET_DIRECTORIES for part in pure.parts[:-1]):
        return f"it is in a {'/'.join(p for p in pure.parts[:-1] if p.lower() in SECRET_DIRECTORIES)} directory"
    if name.endswith(SECRET_SUFFIXES):
        return f"its name ends with {PurePosixPath(name).suffix}"
    for part in SECRET_NAME_PARTS:
        if part in name:
            return f"its name contains {part!r}"
    return None


def secret_content_reason(text: str) -> str | None:
    if PRIVATE_KEY.search(text):
        return "it holds a private key"
    if PASSWORD_HASH.search(text):
        return "it holds a password hash"
    if REDIS_ACL_PASSWORD.search(text):
        return "it holds Redis ACL passwords"
    return None


@dataclass(frozen=True)
class Upload:
    path: str
    props: Mapping[str, Any]

    def text(self) -> str | None:
        """The content (None for a `source` upload); raises `UnknownValueError` when unknown."""
        return upload_text(self.props)


def uploads_of(props: Mapping[str, Any]) -> list[Upload]:
    """The container's uploads by container path (unknown entries are skipped)."""
    found: list[Upload] = []
    for entry in as_list(props.get("uploads")):
        ok, path = known(entry, "file")
        if ok and isinstance(path, str):
            found.append(Upload(path, entry))
    return found


def image_problem(reference: str) -> str | None:
    """Why an image reference is not pinned, or None when it is."""
    if IMAGE_ID.match(reference) or DIGEST.search(reference):
        return None
    last = reference.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag, so Docker pulls `latest`, which moves"
    tag = last.rsplit(":", 1)[1]
    if tag == "latest":
        return "uses the moving `latest` tag"
    if not VERSION_TAG.match(tag):
        return f"uses the tag {tag!r}, which names no release (expected a version such as v3.5.0 or 1.28.0-bookworm)"
    return None


# --- Container hardening ---------------------------------------------------------------------------
@container_policy
def _not_privileged(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Not privileged: no `privileged`, no host-level capability, no unconfined security profile."""
    who = describe(args)
    if args.props.get("privileged") is True:
        report(
            f"{who} runs privileged (every capability and every host device). Fix: remove `privileged=True`; add the "
            "one capability the service needs, if any.",
            None,
        )
    capabilities = args.props.get("capabilities") or {}
    added = {str(c).upper().removeprefix("CAP_") for c in as_list(capabilities.get("adds"))}
    if dangerous := sorted(added & HOST_LEVEL_CAPABILITIES):
        report(f"{who} adds host-level capabilities {dangerous}. Fix: remove them from `capabilities.adds`.", None)
    for option in as_list(args.props.get("securityOpts")):
        if UNCONFINED_OPTIONS.match(str(option)):
            report(
                f"{who} disables a kernel confinement with security option {option!r}. Fix: remove it "
                "from `security_opts`.",
                None,
            )
    if as_list(args.props.get("devices")):
        report(f"{who} maps host devices into the container. Fix: remove `devices`.", None)


@container_policy
def _non_root_user(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """A non-root user: `user` is set to a uid (or name) that is not root, with a group that is not root."""
    who = describe(args)
    user = args.props.get("user")
    if not isinstance(user, str) or not user.strip():
        report(
            f"{who} sets no `user`, so it runs as the image's default user (root in most images). Fix: set `user` to "
            "the service's uid:gid (components/core/catalog.py).",
            None,
        )
        return
    uid, _, gid = user.strip().partition(":")
    if uid in ("0", "root"):
        report(f"{who} runs as root ({user!r}). Fix: set `user` to the service's non-root uid:gid.", None)
    if gid in ("0", "root"):
        report(
            f"{who} runs with the root group ({user!r}), which can read root-group files. Fix: use "
            "the service's own gid.",
            None,
        )


@container_policy
def _read_only_root(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """A read-only root filesystem (`read_only=True`; tmpfs or volumes where the service writes).

    A config carrier is exempt: it is never started (`start=False`, no network), and the Docker
    daemon refuses the provider's uploads (copied to `/`) into a read-only root filesystem."""
    never_started = args.props.get("start") is False and args.props.get("networkMode") == "none"
    if args.props.get("readOnly") is not True and not never_started:
        report(
            f"{describe(args)} has a writable root filesystem. Fix: set `read_only=True` and give the service a tmpfs "
            "or a volume where it must write.",
            None,
        )


@container_policy
def _drop_all_capabilities(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Every Linux capability dropped (`capabilities.drops` contains ALL)."""
    capabilities = args.props.get("capabilities") or {}
    drops = {str(c).upper().removeprefix("CAP_") for c in as_list(capabilities.get("drops"))}
    if "ALL" not in drops:
        report(
            f"{describe(args)} keeps Docker's default capabilities. Fix: set "
            '`capabilities=ContainerCapabilitiesArgs(drops=["ALL"])`.',
            None,
        )


@container_policy
def _no_new_privileges(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """`no-new-privileges` set, so setuid binaries cannot raise privileges."""
    options = [str(o).strip().lower().replace("=", ":") for o in as_list(args.props.get("securityOpts"))]
    if (
        not any(o in ("no-new-privileges", "no-new-privileges:true") for o in options)
        or "no-new-privileges:false" in options
    ):
        report(
            f"{describe(args)} lets processes gain privileges (setuid). Fix: add "
            '"no-new-privileges:true" to `security_opts`.',
            None,
        )


@container_policy
def _memory_limit(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """A memory limit (`memory` in MB, > 0)."""
    memory = args.props.get("memory")
    if not isinstance(memory, int | float) or memory <= 0:
        report(
            f"{describe(args)} has no memory limit, so one runaway process can starve the host. "
            "Fix: set `memory` (MB).",
            None,
        )


@container_policy
def _no_host_access(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """No host namespaces, no container-runtime socket, host paths mounted read-only."""
    who = describe(args)
    for field in HOST_NAMESPACE_FIELDS:
        if str(args.props.get(field) or "").lower() == "host":
            report(
                f"{who} shares the host's {field.removesuffix('Mode')} namespace. Fix: remove `{field}` "
                "(Docker's private default).",
                None,
            )
    mounts: list[tuple[str, bool]] = []
    for volume in as_list(args.props.get("volumes")):
        if volume.get("hostPath"):
            mounts.append((str(volume.get("hostPath")), volume.get("readOnly") is True))
    for mount in as_list(args.props.get("mounts")):
        if str(mount.get("type") or "").lower() == "bind":
            mounts.append((str(mount.get("source") or ""), mount.get("readOnly") is True))
    for source, read_only in mounts:
        if source.rstrip("/").endswith(RUNTIME_SOCKETS):
            report(
                f"{who} mounts the container runtime socket {source}: that is root on the host. Fix: remove the mount.",
                None,
            )
        elif not read_only:
            report(
                f"{who} mounts host path {source} writable. Fix: mount it read-only (`read_only=True`) "
                "or use a named volume.",
                None,
            )


@container_policy
def _no_secrets_in_env(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """No secret-looking value in `envs` (they show in `docker inspect`): pass secrets as files."""
    who = describe(args)
    for entry in as_list(args.props.get("envs")):  # an entry not known yet is checked at `pulumi up`
        name, _, value = str(entry).partition("=")
        if not value:
            continue
        if SECRET_ENV_NAME.search(name) and not SECRET_ENV_POINTER.search(name):
            report(
                f"{who} passes {name} in its environment, visible to anyone who can `docker inspect`. Fix: upload it "
                f"as a 0400 file and pass {name}_FILE (or the service's file option).",
                None,
            )
        elif secret_content_reason(value) or URL_WITH_PASSWORD.search(value):
            report(
                f"{who} has secret material in environment variable {name}. Fix: upload it as a 0400 file instead.",
                None,
            )


# --- Images ---------------------------------------------------------------------------------------
def _image_pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Images pinned to a release tag or a digest: RemoteImage names, built Image names (and *IMAGE build args), container images."""
    who = describe(args)
    references: list[tuple[str, Any]] = []
    if args.resource_type == REMOTE_IMAGE:
        references.append(("name", args.props.get("name")))
    elif args.resource_type == BUILT_IMAGE:
        references.append(("imageName", args.props.get("imageName")))
        build = args.props.get("build") or {}
        build_args = build.get("args") or {}
        references += [
            (f"build.args.{key}", build_args.get(key)) for key in build_args if key.upper().endswith("IMAGE")
        ]
    elif args.resource_type == CONTAINER:
        ok, image = known(args.props, "image")
        if ok:  # unknown in a fresh preview: the RemoteImage/Image it comes from is checked instead
            references.append(("image", image))
    else:
        return
    for field, reference in references:
        if not isinstance(reference, str) or not reference:
            report(
                f"{who} has no image reference in `{field}`. Fix: name a pinned image such as prom/prometheus:v3.5.0.",
                None,
            )
        elif problem := image_problem(reference):
            report(f"{who} `{field}` = {reference!r} {problem}. Fix: pin a release tag or an @sha256 digest.", None)


# --- Ports -------------------------------------------------------------------------------------------
def every_interface(ip: str) -> bool:
    """Unset (Docker's default), 0.0.0.0, :: or any other spelling of the unspecified address."""
    if not ip:
        return True
    try:
        return ipaddress.ip_address(ip.strip("[]")).is_unspecified
    except ValueError:
        return False


def published_ports(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [port for port in as_list(props.get("ports")) if port is not None]


@container_policy
def _ports_on_one_address(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Published ports bind one host address: never 0.0.0.0, `::` or unset, unless the stack sets allowPublicBind."""
    if stack_flag(ALLOW_PUBLIC_BIND):
        return
    who = describe(args)
    if args.props.get("publishAllPorts") is True:
        report(
            f"{who} publishes every exposed port on every interface (`publish_all_ports`). Fix: remove it and publish "
            "through the proxy on one address.",
            None,
        )
    for port in published_ports(args.props):
        ip = str(port.get("ip") or "").strip()
        if every_interface(ip):
            shown = ip or "unset (Docker's default 0.0.0.0)"
            report(
                f"{who} publishes port {_int(port.get('external'))}->{_int(port.get('internal'))} on {shown}: every "
                "interface of the host. "
                "Fix: set the port's `ip` to one host address (promshield:bindAddress), or set "
                f"promshield:{ALLOW_PUBLIC_BIND} true to accept it.",
                None,
            )


@container_policy
def _only_proxy_publishes(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Only the proxy publishes ports: every other service is reached through it."""
    service = service_of(args.props)
    if service == catalog.PROXY.name:
        return
    if published_ports(args.props) or args.props.get("publishAllPorts") is True:
        report(
            f"{describe(args)} (service {service or 'unlabelled'}) publishes ports; only the proxy "
            f"({catalog.PROXY.name}) may. "
            "Fix: remove `ports` and route clients through the proxy (TLS, auth, roles, audit log).",
            None,
        )


def _int(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# --- Networks ---------------------------------------------------------------------------------------
def _backend_network_internal(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """The backend network is internal (no route out of the host)."""
    if args.resource_type != NETWORK:
        return
    suffix = f"-{catalog.BACKEND_NETWORK}"
    names = [args.name]
    ok, docker_name = known(args.props, "name")
    if ok and isinstance(docker_name, str):
        names.append(docker_name)
    if not any(name == catalog.BACKEND_NETWORK or name.endswith(suffix) for name in names):
        return
    if args.props.get("internal") is not True:
        report(
            f"{describe(args)} is the backend network but not internal: Prometheus, Alertmanager and the exporters "
            "could reach (and be reached from) outside. "
            "Fix: set `internal=True`.",
            None,
        )


# --- Files ------------------------------------------------------------------------------------------
@container_policy
def _secret_file_modes(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Uploads holding a private key or password hash (by content, or by path when the content is not visible) are 0600/0400 or stricter."""
    who = describe(args)
    for upload in uploads_of(args.props):
        shown, text = visible(upload.text)  # not visible: judged by its path alone (see the module doc)
        reason = secret_content_reason(text) if shown and text is not None else None
        reason = reason or secret_path_reason(upload.path)
        if reason is None:
            continue
        mode = mode_of(upload.props)
        if mode is None:
            report(
                f"{who} uploads {upload.path} ({reason}) with unreadable permissions "
                f'{upload.props.get("permissions")!r}. Fix: permissions="0{catalog.MODE_SECRET:o}".',
                None,
            )
        elif mode & ~SECRET_MODE_BITS:
            report(
                f"{who} uploads {upload.path} with mode 0{mode:o}, but {reason}: group, others or "
                "execute bits are set. "
                f'Fix: permissions="0{catalog.MODE_SECRET:o}" (or 0{catalog.MODE_CONFIG:o}) and the '
                "service's uid as owner.",
                None,
            )


# --- Prometheus and Alertmanager ----------------------------------------------------------------------
# Their files reach them through a *config carrier* (components/core/hardening.py): a never-started
# container uploads them into a config volume that the service mounts read-only. A resource
# policy sees one resource, so the checks that read a file are stack policies that follow a
# path through the service's volume mounts to the upload that fills it.
MONITORING_WEB_CONFIGS = {
    catalog.PROMETHEUS.name: catalog.PROMETHEUS_WEB_CONFIG_FILE,
    catalog.ALERTMANAGER.name: catalog.ALERTMANAGER_WEB_CONFIG_FILE,
}


def monitoring_service(props: Mapping[str, Any]) -> str | None:
    """ "prometheus" / "alertmanager" for those containers (by label, else by a visible image name)."""
    service = service_of(props)
    if service in MONITORING_WEB_CONFIGS:
        return service
    ok, image = known(props, "image")
    if ok and isinstance(image, str) and not IMAGE_ID.match(image):
        repository = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
        if repository in MONITORING_WEB_CONFIGS:
            return repository
    return None


def runs(props: Mapping[str, Any]) -> bool:
    """False for a container that is created but never started (a config carrier)."""
    return props.get("start") is not False


@dataclass(frozen=True)
class FileSource:
    """Where a container path's content comes from: an upload (here or in a carrier), or nowhere visible."""

    upload: Upload | None
    where: str  # for messages: "its own upload", 'volume promshield-dev-prometheus-config (filled by "prometheus-container-config")', ...
    problem: str | None = None  # why no policy can read it


def resolve_file(container: PolicyResource, path: str, containers: Sequence[PolicyResource]) -> FileSource:
    """Find the upload that puts `path` into `container`: its own uploads, or another container's
    upload into a named volume that `container` mounts over `path`."""
    own = {u.path: u for u in uploads_of(container.props)}
    if path in own:
        return FileSource(own[path], "its own upload")
    mounts = sorted(
        ((str(v.get("containerPath") or ""), v) for v in as_list(container.props.get("volumes"))),
        key=lambda item: len(item[0]),
        reverse=True,  # the deepest mount over the path wins, as in the container
    )
    for mount_path, volume in mounts:
        base = mount_path.rstrip("/")
        if not base or not path.startswith(base + "/"):
            continue
        relative = path[len(base) + 1 :]
        if volume.get("hostPath"):
            return FileSource(
                None, f"host path {volume.get('hostPath')}", "it comes from the host, which no policy can read"
            )
        volume_name = volume.get("volumeName")
        for other in containers:
            if other.urn == container.urn:
                continue
            for other_volume in as_list(other.props.get("volumes")):
                if other_volume.get("volumeName") != volume_name or not other_volume.get("containerPath"):
                    continue
                candidate = f"{str(other_volume.get('containerPath')).rstrip('/')}/{relative}"
                for upload in uploads_of(other.props):
                    if upload.path == candidate:
                        return FileSource(upload, f'volume {volume_name} (filled by "{other.name}")')
        return FileSource(None, f"volume {volume_name}", "no container of the stack uploads it into that volume")
    return FileSource(None, "the image", "it is not uploaded, so it is whatever the image holds")


def read_yaml(source: FileSource) -> tuple[Any, str | None]:
    """(parsed, None) or (None, why it cannot be checked). Raises `UnknownValueError` while the
    content is unknown (a fresh preview)."""
    if source.upload is None:
        return None, source.problem
    text = source.upload.text()
    if text is None:
        return None, "it is uploaded from a local file, which no policy can read"
    try:
        return yaml.safe_load(text), None
    except yaml.YAMLError as error:
        return None, f"it is not valid YAML ({error.__class__.__name__})"


def monitoring_containers(resources: Sequence[PolicyResource]) -> Iterator[tuple[PolicyResource, str]]:
    """Running Prometheus and Alertmanager containers with their service name."""
    for resource in resources:
        if resource.resource_type != CONTAINER:
            continue
        service = monitoring_service(resource.props)
        if service is not None and runs(resource.props):
            yield resource, service


def each_container(resources: Sequence[PolicyResource], check: Callable[[PolicyResource, str], None]) -> None:
    """Run `check` for every monitoring container; a value unknown during preview defers only
    that container's check, and is re-raised at the end so the SDK reports the deferral."""
    deferred: UnknownValueError | None = None
    for resource, service in monitoring_containers(resources):
        try:
            check(resource, service)
        except UnknownValueError as error:
            deferred = deferred or error
    if deferred is not None:
        raise deferred


def _web_config_mtls(args: StackValidationArgs, report: ReportViolation) -> None:
    """Prometheus and Alertmanager run with --web.config.file, whose file requires TLS >= 1.2 and a verified client certificate."""
    containers = [r for r in args.resources if r.resource_type == CONTAINER]

    def check(resource: PolicyResource, service: str) -> None:
        who = f'container "{resource.name}" ({service})'
        path = flag_value(command_line(resource.props), "--web.config.file")
        if not path:
            report(
                f"{who} runs without --web.config.file: it serves plain HTTP to anyone on its network. "
                f"Fix: upload a web config (TLS >= 1.2, client_auth_type {REQUIRED_CLIENT_AUTH}) and pass "
                f"--web.config.file={MONITORING_WEB_CONFIGS[service]}.",
                resource.urn,
            )
            return
        source = resolve_file(resource, path, containers)
        config, problem = read_yaml(source)
        if problem is not None:
            report(
                f"{who}'s web config {path} cannot be verified: {problem} ({source.where}). Fix: upload it (through "
                "the service's config carrier) with `content`.",
                resource.urn,
            )
            return
        tls = config.get("tls_server_config") if isinstance(config, dict) else None
        where = f"{who}'s web config {path} ({source.where})"
        if not isinstance(tls, dict):
            report(
                f"{where} has no tls_server_config: {service} serves plain HTTP. Fix: add tls_server_config with "
                "cert_file, key_file and client_ca_file.",
                resource.urn,
            )
            return
        if str(tls.get("min_version", "")) not in TLS_MIN_VERSIONS:
            report(
                f"{where} allows TLS below 1.2 (min_version {tls.get('min_version', 'unset: TLS10')!r}). "
                "Fix: min_version: TLS12.",
                resource.urn,
            )
        if tls.get("client_auth_type") != REQUIRED_CLIENT_AUTH:
            report(
                f"{where} has client_auth_type {tls.get('client_auth_type', 'unset: NoClientCert')!r}, so anyone on "
                "the network can go around the proxy. "
                f"Fix: client_auth_type: {REQUIRED_CLIENT_AUTH} with client_ca_file set to the stack CA.",
                resource.urn,
            )
        missing = [key for key in ("cert_file", "key_file", "client_ca_file") if not tls.get(key)]
        if missing:
            report(f"{where} sets no {', '.join(missing)}. Fix: point them at the uploaded TLS files.", resource.urn)

    each_container(args.resources, check)


def _remote_write_secure(args: StackValidationArgs, report: ReportViolation) -> None:
    """Prometheus remote_write only to https URLs, with credentials read from a file, certificates verified."""
    containers = [r for r in args.resources if r.resource_type == CONTAINER]

    def check(resource: PolicyResource, service: str) -> None:
        if service != catalog.PROMETHEUS.name:
            return
        path = flag_value(command_line(resource.props), "--config.file") or catalog.PROMETHEUS_CONFIG_FILE
        source = resolve_file(resource, path, containers)
        config, problem = read_yaml(source)
        if problem is not None:
            report(
                f'container "{resource.name}" (prometheus): its config {path} cannot be checked for remote_write: '
                f"{problem} ({source.where}). Fix: upload it with `content`.",
                resource.urn,
            )
            return
        if not isinstance(config, dict):
            return
        for index, remote in enumerate(as_list(config.get("remote_write"))):
            if isinstance(remote, dict):
                for problem_text in remote_write_problems(remote):
                    report(
                        f'container "{resource.name}" (prometheus): {path} remote_write[{index}] '
                        f"({remote.get('url') or 'no url'}) {problem_text}",
                        resource.urn,
                    )

    each_container(args.resources, check)


def remote_write_problems(remote: Mapping[str, Any]) -> list[str]:
    """What is wrong with one remote_write entry (each with its fix)."""
    problems: list[str] = []
    url = str(remote.get("url", ""))
    if not url.lower().startswith("https://"):
        problems.append("sends samples unencrypted. Fix: use an https:// URL.")
    if URL_WITH_PASSWORD.search(url):
        problems.append("has a password in its URL. Fix: basic_auth with password_file.")
    basic = remote.get("basic_auth")
    authorization = remote.get("authorization")
    if isinstance(basic, dict):
        if basic.get("password"):
            problems.append(
                "has its basic_auth password inline in the config. Fix: upload it as a 0400 file and use password_file."
            )
        elif not basic.get("username") or not basic.get("password_file"):
            problems.append("has incomplete basic_auth. Fix: set username and password_file.")
    elif isinstance(authorization, dict) and authorization.get("credentials"):
        problems.append(
            "has its authorization credentials inline. Fix: upload them as a 0400 file and use credentials_file."
        )
    elif not (isinstance(authorization, dict) and authorization.get("credentials_file")):
        problems.append("sends samples without credentials. Fix: basic_auth with username and password_file.")
    tls = remote.get("tls_config")
    if isinstance(tls, dict) and tls.get("insecure_skip_verify") is True:
        problems.append(
            "skips certificate verification. Fix: remove insecure_skip_verify (set ca_file for a private CA)."
        )
    return problems


@container_policy
def _admin_endpoints_off(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """The TSDB admin API only when the stack sets enableAdminApi; the remote-write/OTLP receivers only when the pack's config allows them."""
    service = monitoring_service(args.props)
    if service is None:
        return
    who = describe(args)
    argv = command_line(args.props)
    if flag_enabled(argv, ADMIN_API_FLAG) and not stack_flag(ENABLE_ADMIN_API):
        report(
            f"{who} runs with {ADMIN_API_FLAG} (delete series, snapshots) but the stack does not set "
            f"promshield:{ENABLE_ADMIN_API}. "
            f"Fix: remove the flag, or `pulumi config set {ENABLE_ADMIN_API} true` to accept it (admin role "
            "only, through the proxy).",
            None,
        )
    if pack_flag(args, ALLOW_REMOTE_WRITE_RECEIVER):
        return
    receivers = [flag for flag in RECEIVER_FLAGS if flag_enabled(argv, flag)]
    features = {
        feature
        for token in argv
        if token.startswith("--enable-feature=")
        for feature in token.split("=", 1)[1].split(",")
    }
    receivers += [f"--enable-feature={feature}" for feature in RECEIVER_FEATURES if feature in features]
    if receivers:
        report(
            f"{who} accepts pushed samples ({', '.join(receivers)}): anyone who reaches it can write series. "
            f"Fix: remove the flag, or allow it in the policy pack config ({ALLOW_REMOTE_WRITE_RECEIVER}: true).",
            None,
        )


# --- Stack: the host firewall ---------------------------------------------------------------------------
def type_chain(resource: PolicyResource) -> list[str]:
    """[..., parent type, own type] from the URN (urn:pulumi:stack::project::A$B$C::name)."""
    parts = resource.urn.split("::")
    return parts[2].split("$") if len(parts) > 3 else [resource.resource_type]


def _firewall_guards_published_ports(args: StackValidationArgs, report: ReportViolation) -> None:
    """Whenever a container publishes a port, the Firewall component applies host rules (DOCKER-USER) that name every published port."""
    publishers: list[tuple[PolicyResource, set[int]]] = []
    for resource in args.resources:
        if resource.resource_type != CONTAINER:
            continue
        ok, ports = visible(partial(published_ports, resource.props))
        publish_all = known(resource.props, "publishAllPorts")[1] is True
        if ok and (ports or publish_all):
            externals = {int(p.get("external")) for p in ports if isinstance(p.get("external"), int | float)}
            publishers.append((resource, externals))
    if not publishers:
        return
    components = [r for r in args.resources if r.resource_type == FIREWALL_COMPONENT]
    commands = [
        r for r in args.resources if r.resource_type in FIREWALL_COMMANDS and FIREWALL_COMPONENT in type_chain(r)[:-1]
    ]
    if not components or not commands:
        missing = "component" if not components else "rule command (command:local/remote:Command child)"
        for resource, _ in publishers:
            report(
                f'container "{resource.name}" publishes ports but the stack has no {FIREWALL_COMPONENT} {missing}: '
                "Docker's published ports bypass the host's INPUT rules and are open to every source. "
                "Fix: add the Firewall component (components/firewall/component.py), which allow-lists "
                "promshield:trustedCidrs in DOCKER-USER.",
                resource.urn,
            )
        return
    scripts: list[str] = []
    for command in commands:
        ok, create = known(command.props, "create")
        if not ok:
            return  # rendered from values not known yet: checked at `pulumi up`
        scripts.append(str(create or ""))
    script = "\n".join(scripts)
    for resource, externals in publishers:
        uncovered = sorted(p for p in externals if not re.search(rf"(?<![0-9]){p}(?![0-9])", script))
        if uncovered:
            report(
                f'container "{resource.name}" publishes host ports {uncovered}, which no firewall rule names. '
                "Fix: give the Firewall component every published port (settings.published_ports).",
                resource.urn,
            )


# --- The policies ---------------------------------------------------------------------------------------
RESOURCE_POLICIES: list[ResourceValidationPolicy] = [
    ResourceValidationPolicy(
        name="container-not-privileged",
        description=(
            "Containers are not privileged: no --privileged, no host-level capabilities, no unconfined "
            "profiles, no host devices."
        ),
        validate=_not_privileged,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="container-non-root-user",
        description="Containers run as a non-root uid and gid.",
        validate=_non_root_user,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="container-read-only-root",
        description="Containers have a read-only root filesystem.",
        validate=_read_only_root,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="container-drop-all-capabilities",
        description="Containers drop every Linux capability (cap_drop ALL).",
        validate=_drop_all_capabilities,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="container-no-new-privileges",
        description="Containers set no-new-privileges.",
        validate=_no_new_privileges,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="container-memory-limit",
        description="Containers have a memory limit.",
        validate=_memory_limit,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="container-no-host-access",
        description=(
            "Containers share no host namespace, never mount the container runtime socket, and mount "
            "host paths read-only."
        ),
        validate=_no_host_access,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="container-no-secrets-in-env",
        description=(
            "No secret-looking value in a container's environment (visible in docker inspect): secrets are files."
        ),
        validate=_no_secrets_in_env,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="image-pinned",
        description="Images are pinned to a release tag or a digest, never latest or untagged.",
        validate=_image_pinned,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ports-bound-to-one-address",
        description=(
            "Published ports bind one host address, never 0.0.0.0 or ::, unless the stack sets allowPublicBind."
        ),
        validate=_ports_on_one_address,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ports-only-proxy-publishes",
        description="Only the proxy container publishes ports.",
        validate=_only_proxy_publishes,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="network-backend-internal",
        description="The backend network is internal (no route out).",
        validate=_backend_network_internal,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="files-secret-modes",
        description="Uploaded private keys, password hashes and files under secrets/ are mode 0600/0400 or stricter.",
        validate=_secret_file_modes,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="prometheus-admin-endpoints-off",
        description="The TSDB admin API and the remote-write/OTLP receivers are off unless explicitly allowed.",
        validate=_admin_endpoints_off,
        enforcement_level=MANDATORY,
        config_schema=PolicyConfigSchema(
            properties={
                ALLOW_REMOTE_WRITE_RECEIVER: {
                    "type": "boolean",
                    "default": False,
                    "description": "Accept --web.enable-remote-write-receiver / OTLP receiver.",
                }
            },
        ),
    ),
]

STACK_POLICIES: list[StackValidationPolicy] = [
    StackValidationPolicy(
        name="monitoring-web-config-mtls",
        description=(
            "Prometheus and Alertmanager run with a web config requiring TLS >= 1.2 and a verified client certificate."
        ),
        validate=_web_config_mtls,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="prometheus-remote-write-secure",
        description="Prometheus remote write goes only to https URLs with credentials read from files.",
        validate=_remote_write_secure,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="firewall-guards-published-ports",
        description="A host firewall (the Firewall component's DOCKER-USER rules) guards every published port.",
        validate=_firewall_guards_published_ports,
        enforcement_level=MANDATORY,
    ),
]

ALL_POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [*RESOURCE_POLICIES, *STACK_POLICIES]
PACK_NAME = f"{catalog.PROJECT}-guardrails"


def policies_by_name() -> dict[str, ResourceValidationPolicy | StackValidationPolicy]:
    return {policy.name: policy for policy in ALL_POLICIES}
