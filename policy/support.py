"""What every policy module shares: reading a resource's props (known or not during preview), the stack's
config, labels, command lines and uploads."""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from pulumi_policy import EnforcementLevel, PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from components.core import catalog
from components.core.catalog import BUILT_IMAGE_TYPE, CONTAINER_TYPE, LABEL_SERVICE, NETWORK_TYPE, REMOTE_IMAGE_TYPE

ALLOW_PUBLIC_BIND = "allowPublicBind"
ENABLE_ADMIN_API = "enableAdminApi"
# Pack config (no stack key exists): `pulumi preview --policy-pack-config <file>`.
ALLOW_REMOTE_WRITE_RECEIVER = "allowRemoteWriteReceiver"
MANDATORY = EnforcementLevel.MANDATORY
DOCKER_DEFAULT_UPLOAD_MODE = 0o644  # what Docker gives an upload without `permissions`


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
    return labels_of(props).get(LABEL_SERVICE)


def describe(args: ResourceValidationArgs) -> str:
    """`container "proxy-container" (promshield-dev-proxy)`: the Pulumi name and Docker's name."""
    kind = {
        CONTAINER_TYPE: "container",
        NETWORK_TYPE: "network",
        REMOTE_IMAGE_TYPE: "image",
        BUILT_IMAGE_TYPE: "built image",
    }.get(args.resource_type, args.resource_type)
    ok, docker_name = known(args.props, "name")
    suffix = f" ({docker_name})" if ok and isinstance(docker_name, str) and docker_name != args.name else ""
    return f'{kind} "{args.name}"{suffix}'


def container_policy(
    check: Callable[[ResourceValidationArgs, ReportViolation], None],
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """Run `check` on Docker containers only."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type == CONTAINER_TYPE:
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


def runs(props: Mapping[str, Any]) -> bool:
    """False for a container that is created but never started (a config carrier)."""
    return props.get("start") is not False


def type_chain(resource: PolicyResource) -> list[str]:
    """[..., parent type, own type] from the URN (urn:pulumi:stack::project::A$B$C::name)."""
    parts = resource.urn.split("::")
    return parts[2].split("$") if len(parts) > 3 else [resource.resource_type]
