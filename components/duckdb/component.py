"""Read-only DuckDB monitoring: our exporter image, the writer's snapshot directory mounted read-only.

DuckDB has no users or GRANTs: least privilege is a process that sees only the tables the
writer publishes for it (exporters/duckdb/duckdb_snapshot.py), never the trading database,
opens that snapshot read-only with hardened settings, as a non-root uid, through a `:ro` mount,
and serves its metrics only over mTLS on the internal backend network.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components.core import catalog
from components.core.hardening import (
    ContainerPlan,
    Healthcheck,
    NetworkAttachment,
    UploadFile,
    config_file,
    hardened_container,
    stack_volume,
    tmpfs_for,
)
from components.core.pki import Certificate, tls_files
from components.duckdb.render import CONFIG_FILE, EXPORTER_DIR, host_directory, image_tag, render_exporter_config
from components.duckdb.settings import DuckDbSettings
from components.prometheus.render import ScrapeJob, stack_mtls

SERVICE = catalog.DUCKDB_EXPORTER
MEMORY_MB = 256


@dataclass(frozen=True)
class DuckDbAccessArgs:
    stack: str
    duckdb: DuckDbSettings
    base_image: str  # the exporter image's base (settings' images.duckdb_exporter_base)
    backend_network: pulumi.Input[str]
    ca_cert_pem: pulumi.Input[str]
    server: Certificate


def exporter_files(args: DuckDbAccessArgs) -> list[UploadFile]:
    return [
        config_file(CONFIG_FILE, render_exporter_config(args.duckdb)),
        *tls_files(SERVICE, args.ca_cert_pem, args.server),
    ]


def scrape_job() -> ScrapeJob:
    return ScrapeJob(catalog.JOB_DUCKDB, [f"{SERVICE.name}:{SERVICE.port}"], tls=stack_mtls(SERVICE.name))


class DuckDbAccess(pulumi.ComponentResource):
    image: docker.Image
    container: docker.Container
    files: list[UploadFile]
    demo_volume: docker.Volume | None

    def __init__(self, name: str, args: DuckDbAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(catalog.DUCKDB_ACCESS_TYPE, name, None, opts)
        duckdb = args.duckdb
        child = pulumi.ResourceOptions(parent=self)
        self.image = docker.Image(
            f"{name}-image",
            image_name=image_tag(),
            build=docker.DockerBuildArgs(
                context=str(EXPORTER_DIR),
                dockerfile=str(EXPORTER_DIR / "Dockerfile"),
                args={"BASE_IMAGE": args.base_image},
                platform="linux/amd64",
            ),
            skip_push=True,
            build_on_preview=False,
            opts=child,
        )
        self.demo_volume = None
        volumes: list[tuple[pulumi.Input[str], str, bool]] = []
        host_mounts: list[tuple[str, str]] = []
        if duckdb.demo:
            self.demo_volume = self._demo_database(name, args.stack)
            volumes.append((self.demo_volume.name, SERVICE.data_dir, True))
        else:
            host_mounts.append((host_directory(duckdb), SERVICE.data_dir))
        self.files = exporter_files(args)
        plan = ContainerPlan(
            service=SERVICE,
            image=self.image.repo_digest.apply(lambda digest: digest or image_tag()),
            command=["--config", CONFIG_FILE],
            networks=[NetworkAttachment(args.backend_network, [SERVICE.name])],
            healthcheck=Healthcheck(
                ["python", "-c", f"import socket; socket.create_connection(('127.0.0.1', {SERVICE.port}), 3).close()"]
            ),
            uploads=self.files,
            tmpfs=tmpfs_for(SERVICE, "/tmp"),  # noqa: S108 - private tmpfs
            memory_mb=MEMORY_MB,
            stack=args.stack,
            volumes=volumes,
            host_mounts=host_mounts,
        )
        depends = [self._seeder] if duckdb.demo else []
        self.container = hardened_container(
            f"{name}-container",
            catalog.container_name(args.stack, SERVICE),
            plan,
            pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        self.register_outputs({"container_name": self.container.name})

    def _demo_database(self, name: str, stack: str) -> docker.Volume:
        """The dev stack's demo snapshot: a volume seeded once by a one-shot run of the image.

        The seeder builds the demo database in memory and publishes only its metrics table, so
        the volume holds what a writer would publish. Static demo data: nothing republishes it.
        """
        volume = stack_volume(f"{name}-demo-data", stack, "demo-duckdb", self)
        seed = ContainerPlan(
            service=SERVICE,
            image=self.image.repo_digest.apply(lambda digest: digest or image_tag()),
            entrypoint=["python", "/app/make_demo_db.py"],
            command=["--snapshot-dir", SERVICE.data_dir, "--if-missing"],
            networks=[],
            healthcheck=None,
            volumes=[(volume.name, SERVICE.data_dir, False)],
            memory_mb=MEMORY_MB,
            stack=stack,
            one_shot=True,
        )
        self._seeder = hardened_container(
            f"{name}-demo-seed",
            catalog.resource_name(stack, "demo-duckdb-seed"),
            seed,
            pulumi.ResourceOptions(parent=self),
        )
        return volume
