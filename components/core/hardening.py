"""One hardening recipe for every container the stack runs.

Every container gets: a pinned image, a non-root user, a read-only root filesystem (tmpfs
where the service must write), all capabilities dropped, no-new-privileges, memory and pids
limits, a healthcheck, a restart policy, json-file log rotation and ownership labels. Config
files are uploaded with explicit modes and owned by the service's uid.

Docker refuses to copy files into a container whose root filesystem is read-only (the
provider uploads every file as a tar archive extracted at `/`). So a service's files travel
through a *config carrier*: a container that is created but never started, has a writable root
filesystem and no network, mounts the service's config volume read-write and receives the
uploads into it. The service mounts that volume read-only at its config
directory. Changed files replace the carrier (every container input is ForceNew in the
provider); a service that can re-read its files (a `ReloadPlan`, components/core/reload.py) is
then reloaded in place by a command triggered on the files' digest, and only replaced when what
Docker holds changes (image, command, mounts, networks, limits, user). Any other service
carries the digest as a label, so changed files replace it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from components.core.catalog import (
    LABEL_CONFIG_SHA256,
    LABEL_KIND,
    LABEL_PROJECT,
    LABEL_SERVICE,
    LABEL_STACK,
    MODE_CONFIG,
    MODE_SECRET,
    PROJECT,
    Service,
)
from components.core.catalog import resource_name as catalog_resource_name
from components.core.reload import DockerAccess, ReloadPlan, reload_command

DEFAULT_MEMORY_MB = 256
DEFAULT_PIDS_LIMIT = 128
LOG_MAX_SIZE = "10m"
LOG_MAX_FILES = "5"
RESTART_POLICY = "unless-stopped"
NO_NEW_PRIVILEGES = "no-new-privileges:true"


@dataclass(frozen=True)
class UploadFile:
    """A file placed in the container before it starts."""

    path: str
    content: pulumi.Input[str]
    mode: int = MODE_CONFIG

    @property
    def is_secret_mode(self) -> bool:
        return self.mode & 0o077 == 0


def secret_file(path: str, content: pulumi.Input[str]) -> UploadFile:
    """A key, password or hash: readable by the service's own uid only."""
    return UploadFile(path, content, MODE_SECRET)


def config_file(path: str, content: pulumi.Input[str]) -> UploadFile:
    return UploadFile(path, content, MODE_CONFIG)


@dataclass(frozen=True)
class Healthcheck:
    command: Sequence[str]
    interval: str = "15s"
    timeout: str = "5s"
    retries: int = 3
    start_period: str = "20s"


@dataclass(frozen=True)
class NetworkAttachment:
    network: pulumi.Input[str]
    aliases: Sequence[str] = ()
    ipv4_address: str | None = None


@dataclass(frozen=True)
class ContainerPlan:
    """What a service needs; the hardening around it is added by `hardened_container`."""

    service: Service
    image: pulumi.Input[str]
    command: Sequence[pulumi.Input[str]]
    networks: Sequence[NetworkAttachment]
    healthcheck: Healthcheck | None
    uploads: Sequence[UploadFile] = ()
    volumes: Sequence[tuple[pulumi.Input[str], str, bool]] = ()  # (volume, path, read-only)
    host_mounts: Sequence[tuple[str, str]] = ()  # (host path, container path): always read-only
    tmpfs: dict[str, str] = field(default_factory=dict)
    ports: Sequence[docker.ContainerPortArgs] = ()
    memory_mb: int = DEFAULT_MEMORY_MB
    pids_limit: int = DEFAULT_PIDS_LIMIT
    stack: str = ""
    entrypoint: Sequence[str] | None = None
    one_shot: bool = False  # runs to completion once (e.g. seeding a volume): no restart, no network
    config_carrier: bool = False  # created, never started: receives uploads into a config volume
    extra_labels: Sequence[tuple[str, pulumi.Input[str]]] = ()  # (full label name, value)
    # Re-reads its files in place (with `docker` commands run as `reload_via` says) instead of a restart.
    reload: ReloadPlan | None = None
    reload_via: DockerAccess | None = None

    @property
    def kind(self) -> str:
        if self.config_carrier:
            return "config"
        return "job" if self.one_shot else "service"


def stack_volume(
    resource_name: str, stack: str, name: str, parent: pulumi.Resource, *, keep: bool = False
) -> docker.Volume:
    """A named volume `promshield-<stack>-<name>`; `keep`: data that outlives `pulumi destroy`."""
    return docker.Volume(
        resource_name,
        name=catalog_resource_name(stack, name),
        labels=[docker.VolumeLabelArgs(label=LABEL_STACK, value=stack)],
        opts=pulumi.ResourceOptions(parent=parent, retain_on_delete=keep),
    )


def tmpfs_for(service: Service, path: str, size_mb: int = 16) -> dict[str, str]:
    """A private writable tmpfs owned by the service (noexec, nosuid, nodev)."""
    return {path: f"rw,noexec,nosuid,nodev,size={size_mb}m,uid={service.uid},gid={service.gid},mode=0700"}


def _upload_args(service: Service, upload: UploadFile) -> docker.ContainerUploadArgs:
    return docker.ContainerUploadArgs(
        file=upload.path,
        content=upload.content,
        permissions=f"0{upload.mode:o}",
        owner=str(service.uid),
        group=str(service.gid),
    )


def container_args(plan: ContainerPlan, container_name: str) -> docker.ContainerArgs:
    """The typed arguments of `docker.Container` for a plan: pure, so tests can read them."""
    service = plan.service
    healthcheck = None
    if plan.healthcheck is not None:
        healthcheck = docker.ContainerHealthcheckArgs(
            tests=["CMD", *plan.healthcheck.command],
            interval=plan.healthcheck.interval,
            timeout=plan.healthcheck.timeout,
            retries=plan.healthcheck.retries,
            start_period=plan.healthcheck.start_period,
        )
    return docker.ContainerArgs(
        name=container_name,
        image=plan.image,
        command=list(plan.command),
        entrypoints=list(plan.entrypoint) if plan.entrypoint is not None else None,
        user=service.user,
        # A carrier is never started, and the daemon refuses the provider's uploads (a tar put
        # at `/`) into a read-only root filesystem: "container rootfs is marked read-only".
        read_only=not plan.config_carrier,
        privileged=False,
        capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"]),
        security_opts=[NO_NEW_PRIVILEGES],
        memory=plan.memory_mb,
        memory_swap=plan.memory_mb,
        ulimits=[docker.ContainerUlimitArgs(name="nproc", soft=plan.pids_limit, hard=plan.pids_limit)],
        restart=RESTART_POLICY if plan.kind == "service" else "no",
        healthcheck=healthcheck,
        log_driver="json-file",
        log_opts={"max-size": LOG_MAX_SIZE, "max-file": LOG_MAX_FILES},
        networks_advanced=[
            docker.ContainerNetworksAdvancedArgs(name=n.network, aliases=list(n.aliases), ipv4_address=n.ipv4_address)
            for n in plan.networks
        ],
        # Jobs and carriers have no network at all.
        network_mode="none" if plan.kind != "service" else None,
        ports=list(plan.ports),
        tmpfs=dict(plan.tmpfs),
        uploads=[_upload_args(service, upload) for upload in plan.uploads],
        volumes=[
            docker.ContainerVolumeArgs(volume_name=volume, container_path=path, read_only=read_only)
            for volume, path, read_only in plan.volumes
        ]
        + [
            docker.ContainerVolumeArgs(host_path=host, container_path=path, read_only=True)
            for host, path in plan.host_mounts
        ],
        labels=[
            docker.ContainerLabelArgs(label=LABEL_PROJECT, value=PROJECT),
            docker.ContainerLabelArgs(label=LABEL_SERVICE, value=service.name),
            docker.ContainerLabelArgs(label=LABEL_STACK, value=plan.stack),
            docker.ContainerLabelArgs(label=LABEL_KIND, value=plan.kind),
            *(docker.ContainerLabelArgs(label=label, value=value) for label, value in plan.extra_labels),
        ],
        must_run=plan.kind == "service",
        wait=False,
        # `pulumi up` waits for a job to finish; the provider records its exit code but does not
        # fail on a non-zero one, so a job must leave nothing half-done when it fails.
        attach=True if plan.one_shot else None,
        start=False if plan.config_carrier else None,
    )


def files_digest(uploads: Sequence[UploadFile]) -> pulumi.Output[str]:
    """SHA-256 over every file's path, mode and content. Not secret: every service's files
    include a freshly generated private key, so the digest cannot be inverted or guessed."""
    contents = pulumi.Output.all(*[upload.content for upload in uploads])

    def digest(texts: list[str]) -> str:
        hasher = hashlib.sha256()
        for upload, text in zip(uploads, texts, strict=True):
            hasher.update(f"{upload.path}\0{upload.mode:o}\0".encode() + str(text).encode() + b"\0")
        return hasher.hexdigest()

    return pulumi.Output.unsecret(contents.apply(digest))


def carrier_plan(plan: ContainerPlan, volume: pulumi.Input[str]) -> ContainerPlan:
    """The never-started container that receives `plan`'s uploads into its config volume."""
    return ContainerPlan(
        service=plan.service,
        image=plan.image,
        command=[],
        networks=[],
        healthcheck=None,
        uploads=plan.uploads,
        volumes=[(volume, plan.service.config_dir, False)],
        memory_mb=16,
        stack=plan.stack,
        config_carrier=True,
    )


def hardened_container(
    resource_name: str, container_name: str, plan: ContainerPlan, opts: pulumi.ResourceOptions
) -> docker.Container:
    """The service's container (and, when it has files, its config volume and carrier, and with a
    reload plan the command `<resource_name>-reload` that reloads it when they change)."""
    # Fixed container names: the old container must go before its replacement can start.
    opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(delete_before_replace=True))
    if not plan.uploads:
        return docker.Container(resource_name, container_args(plan, container_name), opts=opts)
    outside = [u.path for u in plan.uploads if not u.path.startswith(plan.service.config_dir + "/")]
    if outside:
        raise ValueError(f"{container_name}: uploads must live under {plan.service.config_dir}: {outside}")
    volume = docker.Volume(
        f"{resource_name}-config",
        name=f"{container_name}-config",
        labels=[docker.VolumeLabelArgs(label=LABEL_STACK, value=plan.stack)],
        opts=pulumi.ResourceOptions(parent=opts.parent),
    )  # named after its container, which may live outside the stack's naming scheme
    carrier = docker.Container(
        f"{resource_name}-config",
        container_args(carrier_plan(plan, volume.name), f"{container_name}-config"),
        opts=pulumi.ResourceOptions(parent=opts.parent, delete_before_replace=True),
    )
    digest = files_digest(plan.uploads)
    reload, via = plan.reload, plan.reload_via
    reloads = reload is not None and via is not None
    plan = dataclasses.replace(
        plan,
        uploads=(),
        volumes=[*plan.volumes, (volume.name, plan.service.config_dir, True)],
        # Without a reload, the service is replaced (restarted) exactly when its files change.
        extra_labels=[*plan.extra_labels] if reloads else [*plan.extra_labels, (LABEL_CONFIG_SHA256, digest)],
    )
    # depends_on, not an input: a replaced carrier does not replace the service (Pulumi replaces a
    # dependent of a delete-before-replace resource only through the inputs that refer to it).
    opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[carrier]))
    container = docker.Container(resource_name, container_args(plan, container_name), opts=opts)
    if reload is not None and via is not None:
        reload_command(
            f"{resource_name}-reload",
            container=container_name,
            plan=reload,
            digest=digest,
            docker=via,
            opts=pulumi.ResourceOptions(parent=opts.parent, depends_on=[carrier, container]),
        )
    return container
