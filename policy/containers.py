"""Container hardening and pinned images: privileges, user, root filesystem, capabilities, limits,
host access, secrets in the environment."""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from components.core.catalog import BUILT_IMAGE_TYPE, CONTAINER_TYPE, REMOTE_IMAGE_TYPE
from policy.files import URL_WITH_PASSWORD, secret_content_reason
from policy.support import as_list, container_policy, describe, known

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
HOST_NAMESPACE_FIELDS = ("networkMode", "pidMode", "ipcMode", "usernsMode", "cgroupnsMode")
RUNTIME_SOCKETS = ("docker.sock", "containerd.sock", "crio.sock", "podman.sock")
# Environment variables: names that announce a secret (a `_FILE`/`_PATH` pointer is the fix).
SECRET_ENV_NAME = re.compile(
    r"(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?)", re.IGNORECASE
)
SECRET_ENV_POINTER = re.compile(r"_(?:FILE|PATH|DIR|FILENAME)$", re.IGNORECASE)
# A tag that names a release: at least major.minor (`v3.5.0`, `1.28.0-bookworm`), never `latest`,
# a distro name or a bare major that moves (`7`).
VERSION_TAG = re.compile(r"^v?\d+\.\d+")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
IMAGE_ID = re.compile(r"^sha256:[0-9a-f]{64}$")


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


@container_policy
def not_privileged(args: ResourceValidationArgs, report: ReportViolation) -> None:
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
def non_root_user(args: ResourceValidationArgs, report: ReportViolation) -> None:
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
def read_only_root(args: ResourceValidationArgs, report: ReportViolation) -> None:
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
def drop_all_capabilities(args: ResourceValidationArgs, report: ReportViolation) -> None:
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
def no_new_privileges(args: ResourceValidationArgs, report: ReportViolation) -> None:
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
def memory_limit(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """A memory limit (`memory` in MB, > 0)."""
    memory = args.props.get("memory")
    if not isinstance(memory, int | float) or memory <= 0:
        report(
            f"{describe(args)} has no memory limit, so one runaway process can starve the host. "
            "Fix: set `memory` (MB).",
            None,
        )


@container_policy
def no_host_access(args: ResourceValidationArgs, report: ReportViolation) -> None:
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
def no_secrets_in_env(args: ResourceValidationArgs, report: ReportViolation) -> None:
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


def image_pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Images pinned to a release tag or a digest: RemoteImage names, built Image names (and *IMAGE build args),
    container images.
    """
    who = describe(args)
    references: list[tuple[str, Any]] = []
    if args.resource_type == REMOTE_IMAGE_TYPE:
        references.append(("name", args.props.get("name")))
    elif args.resource_type == BUILT_IMAGE_TYPE:
        references.append(("imageName", args.props.get("imageName")))
        build = args.props.get("build") or {}
        build_args = build.get("args") or {}
        references += [
            (f"build.args.{key}", build_args.get(key)) for key in build_args if key.upper().endswith("IMAGE")
        ]
    elif args.resource_type == CONTAINER_TYPE:
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
