"""One hardening recipe for every container the stack runs.

Every container gets: a pinned image, a non-root user, a read-only root filesystem (tmpfs
where the service must write), all capabilities dropped, no-new-privileges, memory and pids
limits, a healthcheck, a restart policy, json-file log rotation and ownership labels. Config
files are uploaded with explicit modes and owned by the service's uid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from components.catalog import LABEL_PREFIX, MODE_CONFIG, MODE_SECRET, PROJECT, Service

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

    @property
    def kind(self) -> str:
        return "job" if self.one_shot else "service"


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


def container_args(plan: ContainerPlan) -> dict[str, object]:
    """The keyword arguments of `docker.Container` for a plan: pure, so tests can read them."""
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
    args: dict[str, object] = {
        "image": plan.image,
        "command": list(plan.command),
        "user": service.user,
        "read_only": True,
        "privileged": False,
        "capabilities": docker.ContainerCapabilitiesArgs(drops=["ALL"]),
        "security_opts": [NO_NEW_PRIVILEGES],
        "memory": plan.memory_mb,
        "memory_swap": plan.memory_mb,
        "ulimits": [docker.ContainerUlimitArgs(name="nproc", soft=plan.pids_limit, hard=plan.pids_limit)],
        "restart": "no" if plan.one_shot else RESTART_POLICY,
        "healthcheck": healthcheck,
        "log_driver": "json-file",
        "log_opts": {"max-size": LOG_MAX_SIZE, "max-file": LOG_MAX_FILES},
        "networks_advanced": [
            docker.ContainerNetworksAdvancedArgs(name=n.network, aliases=list(n.aliases), ipv4_address=n.ipv4_address)
            for n in plan.networks
        ],
        "ports": list(plan.ports),
        "tmpfs": dict(plan.tmpfs),
        "uploads": [_upload_args(service, upload) for upload in plan.uploads],
        "volumes": [
            docker.ContainerVolumeArgs(volume_name=volume, container_path=path, read_only=read_only)
            for volume, path, read_only in plan.volumes
        ]
        + [
            docker.ContainerVolumeArgs(host_path=host, container_path=path, read_only=True)
            for host, path in plan.host_mounts
        ],
        "labels": [
            docker.ContainerLabelArgs(label=f"{LABEL_PREFIX}.project", value=PROJECT),
            docker.ContainerLabelArgs(label=f"{LABEL_PREFIX}.service", value=service.name),
            docker.ContainerLabelArgs(label=f"{LABEL_PREFIX}.stack", value=plan.stack),
            docker.ContainerLabelArgs(label=f"{LABEL_PREFIX}.kind", value=plan.kind),
        ],
        "must_run": not plan.one_shot,
        "wait": False,
    }
    if plan.entrypoint is not None:
        args["entrypoints"] = list(plan.entrypoint)
    if plan.one_shot:
        args["attach"] = True  # `pulumi up` waits for it to finish and fails if it fails
        args["network_mode"] = "none"
    return args


def hardened_container(
    resource_name: str, container_name: str, plan: ContainerPlan, opts: pulumi.ResourceOptions
) -> docker.Container:
    return docker.Container(resource_name, name=container_name, opts=opts, **container_args(plan))  # type: ignore[call-overload]
