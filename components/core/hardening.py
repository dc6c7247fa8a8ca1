"""One hardening recipe for every container the stack runs.

Every container gets: a pinned image, a non-root user, a read-only root filesystem (tmpfs
where the service must write), all capabilities dropped, no-new-privileges, memory and pids
limits, a healthcheck, a restart policy, json-file log rotation and ownership labels. Config
files are uploaded with explicit modes and owned by the service's uid.

Docker refuses to copy files into a container whose root filesystem is read-only (the
provider uploads every file as a tar archive extracted at `/`). So a service's files travel
through *carriers*: containers that are created but never started, have a writable root
filesystem and no network, mount one of the service's volumes read-write and receive the
uploads into it. The service mounts those volumes read-only. There are two per service, because
one secret upload makes Pulumi keep a container's whole `uploads` list secret (the provider's
bridge lifts a nested secret to the top-level input), which would show every change to
`prometheus.yml` or the rules as `[secret]` in `pulumi preview --diff`:

- the *config carrier* (`<container>-config`, volume at the service's `config_dir`) takes the
  config files: no secret in them, so its uploads are plain and every change shows in a preview;
- the *secrets carrier* (`<container>-secrets`, volume at `catalog.SECRETS_DIR`) takes the keys,
  hashes and passwords (`secret_file`, 0400): its uploads stay secret.

Changed files replace their carrier (every container input is ForceNew in the provider); a
service that can re-read its files (a `ReloadPlan`, components/core/reload.py) is then reloaded
in place by a command triggered on the files' digests, and only replaced when what Docker holds
changes (image, command, mounts, networks, limits, user). Any other service carries the digests
as labels, so changed files replace it. Both digests are plain, and neither reveals a secret: the
config files hold none, and the secret files' digest is an HMAC under a per-service random key
held only in the stack's state (a plain hash of a short password could be brute-forced).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pulumi
import pulumi_docker as docker
import pulumi_random as random

from components.core.catalog import (
    CARRIER_KINDS,
    KIND_CONFIG,
    KIND_JOB,
    KIND_SECRETS,
    KIND_SERVICE,
    LABEL_CONFIG_SHA256,
    LABEL_KIND,
    LABEL_PROJECT,
    LABEL_SECRETS_HMAC,
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
PROMETHEUS_TASKS = 256  # its goroutines' threads under query load
# RLIMIT_NPROC (Docker's nproc ulimit, the only task cap pulumi-docker offers) counts every task of
# the uid on the host, not per container. Prometheus and Alertmanager both run as the images'
# nobody (65534), so each gets the pair's joint budget: with its own 128 alone, Alertmanager failed
# to exec ("resource temporarily unavailable") once the uid's other tasks reached it.
NOBODY_TASKS = PROMETHEUS_TASKS + DEFAULT_PIDS_LIMIT
# The Go runtime's soft memory limit (GOMEMLIMIT) as a share of the container's: past it the GC works
# harder and returns memory before the kernel OOM-kills the container (Prometheus 3.x sets the same
# from the cgroup by itself, Debian's 2.42 and Alertmanager do not).
GO_MEMORY_LIMIT_SHARE = 0.8
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
    secret: bool = False  # travels through the secrets carrier; its content is a Pulumi secret


def secret_file(path: str, content: pulumi.Input[str]) -> UploadFile:
    """A key, password or hash: readable by the service's own uid only, under its secrets_dir,
    and a Pulumi secret (whatever `content` was)."""
    return UploadFile(path, pulumi.Output.secret(content), MODE_SECRET, secret=True)


def config_file(path: str, content: pulumi.Input[str]) -> UploadFile:
    """A file without any secret: its content stays plain in Pulumi's inputs (reviewable)."""
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
    command: Sequence[pulumi.Input[str]] | None  # None: the image's own CMD
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
    carrier: str | None = None  # KIND_CONFIG or KIND_SECRETS: created, never started, fills a volume
    extra_labels: Sequence[tuple[str, pulumi.Input[str]]] = ()  # (full label name, value)
    # Re-reads its files in place (with `docker` commands run as `reload_via` says) instead of a restart.
    reload: ReloadPlan | None = None
    reload_via: DockerAccess | None = None
    go_runtime: bool = False  # a Go program: GOMEMLIMIT below memory_mb (never a secret in the environment)

    @property
    def kind(self) -> str:
        if self.carrier is not None:
            return self.carrier
        return KIND_JOB if self.one_shot else KIND_SERVICE


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


def go_memory_limit(memory_mb: int) -> str:
    """GOMEMLIMIT for a container of `memory_mb` MiB."""
    return f"{int(memory_mb * GO_MEMORY_LIMIT_SHARE)}MiB"


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
        command=list(plan.command) if plan.command is not None else None,
        entrypoints=list(plan.entrypoint) if plan.entrypoint is not None else None,
        envs=[f"GOMEMLIMIT={go_memory_limit(plan.memory_mb)}"] if plan.go_runtime else None,
        user=service.user,
        # A carrier is never started, and the daemon refuses the provider's uploads (a tar put
        # at `/`) into a read-only root filesystem: "container rootfs is marked read-only".
        read_only=plan.kind not in CARRIER_KINDS,
        privileged=False,
        capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"]),
        security_opts=[NO_NEW_PRIVILEGES],
        memory=plan.memory_mb,
        memory_swap=plan.memory_mb,
        ulimits=[docker.ContainerUlimitArgs(name="nproc", soft=plan.pids_limit, hard=plan.pids_limit)],
        restart=RESTART_POLICY if plan.kind == KIND_SERVICE else "no",
        healthcheck=healthcheck,
        log_driver="json-file",
        log_opts={"max-size": LOG_MAX_SIZE, "max-file": LOG_MAX_FILES},
        networks_advanced=[
            docker.ContainerNetworksAdvancedArgs(name=n.network, aliases=list(n.aliases), ipv4_address=n.ipv4_address)
            for n in plan.networks
        ],
        # Jobs and carriers have no network at all.
        network_mode="none" if plan.kind != KIND_SERVICE else None,
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
        must_run=plan.kind == KIND_SERVICE,
        wait=False,
        # `pulumi up` waits for a job to finish; the provider records its exit code but does not
        # fail on a non-zero one, so a job must leave nothing half-done when it fails.
        attach=True if plan.one_shot else None,
        start=False if plan.kind in CARRIER_KINDS else None,
    )


class _Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def hexdigest(self) -> str: ...


def _hash_files(hasher: _Hasher, uploads: Sequence[UploadFile], texts: Sequence[str]) -> str:
    for upload, text in zip(uploads, texts, strict=True):
        hasher.update(f"{upload.path}\0{upload.mode:o}\0".encode() + str(text).encode() + b"\0")
    return hasher.hexdigest()


def files_digest(uploads: Sequence[UploadFile]) -> pulumi.Output[str]:
    """SHA-256 over the config files' paths, modes and contents: plain, as they hold no secret."""
    if any(upload.secret for upload in uploads):
        raise ValueError("files_digest is for config files; secret files get secrets_hmac")
    contents = pulumi.Output.all(*[upload.content for upload in uploads])
    return contents.apply(lambda texts: _hash_files(hashlib.sha256(), uploads, texts))


def secrets_hmac(uploads: Sequence[UploadFile], key: pulumi.Input[str]) -> pulumi.Output[str]:
    """HMAC-SHA256 over the secret files under `key` (random, kept in the stack's state). Not
    secret: without the key it reveals nothing about the files, even a short password among them,
    and it changes exactly when one of them does."""
    contents = pulumi.Output.all(key, *[upload.content for upload in uploads])

    def digest(values: list[str]) -> str:
        return _hash_files(hmac.new(str(values[0]).encode(), digestmod=hashlib.sha256), uploads, values[1:])

    return pulumi.Output.unsecret(contents.apply(digest))


def carrier_plan(plan: ContainerPlan, kind: str, volume: pulumi.Input[str]) -> ContainerPlan:
    """The never-started container that receives `plan`'s config files (KIND_CONFIG) or secret
    files (KIND_SECRETS) into that kind's volume."""
    secret = kind == KIND_SECRETS
    return ContainerPlan(
        service=plan.service,
        image=plan.image,
        # Never started, so no command of ours: an empty list would not reach Docker (the provider
        # skips it), the state would read the image's CMD back, and every `up` would replace it.
        command=None,
        networks=[],
        healthcheck=None,
        uploads=[upload for upload in plan.uploads if upload.secret is secret],
        volumes=[(volume, plan.service.secrets_dir if secret else plan.service.config_dir, False)],
        memory_mb=16,
        stack=plan.stack,
        carrier=kind,
    )


def _check_paths(container_name: str, plan: ContainerPlan) -> None:
    service = plan.service
    misplaced = [
        f"{u.path} (expected under {service.secrets_dir if u.secret else service.config_dir})"
        for u in plan.uploads
        if not u.path.startswith((service.secrets_dir if u.secret else service.config_dir) + "/")
    ]
    if misplaced:
        raise ValueError(f"{container_name}: secret files live under secrets_dir, others under config_dir: {misplaced}")


def _carrier(
    resource_name: str, container_name: str, plan: ContainerPlan, kind: str, parent: pulumi.Resource | None
) -> tuple[docker.Volume, docker.Container]:
    """A carrier and its volume, both named `<container>-<kind>`."""
    volume = docker.Volume(
        f"{resource_name}-{kind}",
        name=f"{container_name}-{kind}",
        labels=[docker.VolumeLabelArgs(label=LABEL_STACK, value=plan.stack)],
        opts=pulumi.ResourceOptions(parent=parent),
    )  # named after its container, which may live outside the stack's naming scheme
    carrier = docker.Container(
        f"{resource_name}-{kind}",
        container_args(carrier_plan(plan, kind, volume.name), f"{container_name}-{kind}"),
        opts=pulumi.ResourceOptions(parent=parent, delete_before_replace=True),
    )
    return volume, carrier


def hardened_container(
    resource_name: str, container_name: str, plan: ContainerPlan, opts: pulumi.ResourceOptions
) -> docker.Container:
    """The service's container and, when it has files, a volume and carrier per kind of file
    (config, secrets), with a reload plan the command `<resource_name>-reload` that reloads it
    when they change, and with secret files the key of their digest (`<resource_name>-secrets-key`)."""
    # Fixed container names: the old container must go before its replacement can start.
    opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(delete_before_replace=True))
    if not plan.uploads:
        return docker.Container(resource_name, container_args(plan, container_name), opts=opts)
    _check_paths(container_name, plan)
    config = [u for u in plan.uploads if not u.secret]
    secret = [u for u in plan.uploads if u.secret]
    carriers: list[pulumi.Resource] = []
    mounts = list(plan.volumes)
    digests: list[tuple[str, pulumi.Output[str]]] = []  # (label, digest)
    if config:
        volume, carrier = _carrier(resource_name, container_name, plan, KIND_CONFIG, opts.parent)
        carriers.append(carrier)
        mounts.append((volume.name, plan.service.config_dir, True))
        digests.append((LABEL_CONFIG_SHA256, files_digest(config)))
    if secret:
        volume, carrier = _carrier(resource_name, container_name, plan, KIND_SECRETS, opts.parent)
        carriers.append(carrier)
        mounts.append((volume.name, plan.service.secrets_dir, True))
        key = random.RandomPassword(
            f"{resource_name}-secrets-key", length=32, special=False, opts=pulumi.ResourceOptions(parent=opts.parent)
        )
        digests.append((LABEL_SECRETS_HMAC, secrets_hmac(secret, key.result)))
    reload, via = plan.reload, plan.reload_via
    reloads = reload is not None and via is not None
    plan = dataclasses.replace(
        plan,
        uploads=(),
        volumes=mounts,
        # Without a reload, the service is replaced (restarted) exactly when its files change.
        extra_labels=[*plan.extra_labels] if reloads else [*plan.extra_labels, *digests],
    )
    # depends_on, not an input: a replaced carrier does not replace the service (Pulumi replaces a
    # dependent of a delete-before-replace resource only through the inputs that refer to it).
    opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=carriers))
    container = docker.Container(resource_name, container_args(plan, container_name), opts=opts)
    if reload is not None and via is not None:
        reload_command(
            f"{resource_name}-reload",
            container=container_name,
            plan=reload,
            digests=[digest for _, digest in digests],
            docker=via,
            opts=pulumi.ResourceOptions(parent=opts.parent, depends_on=[*carriers, container]),
        )
    return container
