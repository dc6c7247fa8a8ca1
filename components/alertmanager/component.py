"""Alertmanager: pinned image, mTLS-only web config, receivers from settings, a data volume."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from components.alertmanager.render import (
    HEALTHCHECK_CONFIG_FILE,
    TEMPLATE_FILE,
    AlertmanagerSettings,
    alertmanager_command,
    ca_path,
    notification_template,
    render_alertmanager_yml,
    render_cluster_tls,
    secret_path,
)
from components.core import catalog
from components.core.hardening import (
    NOBODY_TASKS,
    ContainerPlan,
    Healthcheck,
    NetworkAttachment,
    UploadFile,
    config_file,
    hardened_container,
    secret_file,
    stack_volume,
)
from components.core.images import pulled_image
from components.core.pki import Certificate, tls_files
from components.core.reload import DockerAccess, ReloadPlan
from components.prometheus.render import TlsClient, render_healthcheck_client, render_web_config

SERVICE = catalog.ALERTMANAGER
MEMORY_MB = catalog.ALERTMANAGER_MEMORY_MB
# SIGHUP re-reads alertmanager.yml; on an error Alertmanager keeps the old one. Its alerts,
# silences and notification log stay in memory (and in its data volume) across a reload.
RELOAD = ReloadPlan(
    validate=[["amtool", "check-config", catalog.ALERTMANAGER_CONFIG_FILE]],
    success_log="Completed loading of configuration file",
    failure_log="Loading configuration file failed",
)


@dataclass(frozen=True)
class AlertmanagerArgs:
    settings: AlertmanagerSettings
    backend_network: pulumi.Input[str]
    ca_cert_pem: pulumi.Input[str]
    server: Certificate  # also its client identity for its own healthcheck
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    docker: DockerAccess | None = None  # where reload commands run; None: changed files replace the container
    # (egress network, Alertmanager's fixed address on it): only with alertmanagerEgress and a receiver outside.
    egress: tuple[pulumi.Input[str], str] | None = None
    # A cluster's route to its peers and its published gossip port (None: no cluster).
    edge_network: pulumi.Input[str] | None = None


def alertmanager_files(args: AlertmanagerArgs) -> list[UploadFile]:
    tls_dir = SERVICE.tls_dir
    own_identity = TlsClient(
        ca_file=f"{tls_dir}/{catalog.TLS_CA_FILE}",
        server_name=SERVICE.name,
        cert_file=f"{tls_dir}/{catalog.TLS_CERT_FILE}",
        key_file=SERVICE.key_file,
    )
    files = [
        config_file(catalog.ALERTMANAGER_CONFIG_FILE, render_alertmanager_yml(args.settings)),
        config_file(catalog.ALERTMANAGER_WEB_CONFIG_FILE, render_web_config(SERVICE)),
        config_file(HEALTHCHECK_CONFIG_FILE, render_healthcheck_client(own_identity)),
        config_file(TEMPLATE_FILE, notification_template()),
        *tls_files(SERVICE, args.ca_cert_pem, args.server),
        *receiver_files(args.settings),
    ]
    if args.settings.cluster is not None:
        files.append(config_file(catalog.ALERTMANAGER_CLUSTER_TLS_FILE, render_cluster_tls(SERVICE)))
    return files


def gossip_ports(settings: AlertmanagerSettings) -> list[docker.ContainerPortArgs]:
    """A clustered Alertmanager publishes its gossip port on the host address (the firewall admits only the
    other hosts); a single node publishes nothing."""
    if settings.cluster is None:
        return []
    port = catalog.ALERTMANAGER_CLUSTER_PORT
    return [docker.ContainerPortArgs(internal=port, external=port, ip=settings.cluster.bind_address, protocol="tcp")]


def receiver_files(settings: AlertmanagerSettings) -> list[UploadFile]:
    """Each receiver's credential (0400, a secret Output, no trailing newline: Alertmanager 0.25 reads the
    Opsgenie key and the SMTP password verbatim) and the private CA it is verified against."""
    files: list[UploadFile] = []
    for receiver in settings.receivers:
        if receiver.secret is not None:
            files.append(secret_file(secret_path(receiver), receiver.secret.reveal()))
        if receiver.ca_pem:
            files.append(config_file(ca_path(receiver), receiver.ca_pem))
    return files


class Alertmanager(pulumi.ComponentResource):
    container: docker.Container
    data_volume: docker.Volume
    files: list[UploadFile]

    def __init__(self, name: str, args: AlertmanagerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(catalog.ALERTMANAGER_TYPE, name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.data_volume = stack_volume(f"{name}-data", settings.stack, "alertmanager-data", self, keep=True)
        image = pulled_image(f"{name}-image", settings.image, child)
        self.files = alertmanager_files(args)
        networks = [
            NetworkAttachment(args.backend_network, [SERVICE.name], settings.networks.backend_addresses[SERVICE.name])
        ]
        # In a cluster the edge network carries the published gossip port and the route to the peers (the
        # backend network is internal: Docker publishes no port from it); receivers are reached by egress.
        if settings.cluster is not None and args.edge_network is not None:
            networks.append(NetworkAttachment(args.edge_network))
        if args.egress is not None:
            networks.append(NetworkAttachment(args.egress[0], (), args.egress[1]))
        plan = ContainerPlan(
            service=SERVICE,
            image=image,
            command=alertmanager_command(settings),
            networks=networks,
            healthcheck=Healthcheck(
                [
                    "amtool",
                    f"--alertmanager.url=https://localhost:{SERVICE.port}",
                    f"--http.config.file={HEALTHCHECK_CONFIG_FILE}",
                    "config",
                    "show",
                ]
            ),
            uploads=self.files,
            volumes=[(self.data_volume.name, SERVICE.data_dir, False)],
            ports=gossip_ports(settings),
            memory_mb=MEMORY_MB,
            go_runtime=True,
            pids_limit=NOBODY_TASKS,
            stack=settings.stack,
            reload=RELOAD,
            reload_via=args.docker,
        )
        self.container = hardened_container(
            f"{name}-container",
            catalog.container_name(settings.stack, SERVICE),
            plan,
            pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self.register_outputs({"container_name": self.container.name})
