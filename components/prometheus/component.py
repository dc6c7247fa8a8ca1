"""Prometheus: pinned image, mTLS-only web config, scrape jobs, rules and a data volume."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

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
from components.prometheus.render import (
    HEALTHCHECK_CONFIG_FILE,
    REMOTE_WRITE_CA_FILE,
    REMOTE_WRITE_PASSWORD_FILE,
    PrometheusSettings,
    ScrapeJob,
    core_jobs,
    prometheus_command,
    prometheus_entrypoint,
    render_healthcheck_client,
    render_prometheus_yml,
    render_web_config,
    stack_mtls,
)

SERVICE = catalog.PROMETHEUS
MEMORY_MB = catalog.PROMETHEUS_MEMORY_MB
# SIGHUP re-reads prometheus.yml and the rule files; on an error Prometheus keeps the old ones
# (and sets prometheus_config_last_reload_successful 0). The log phrases are the same in 2.x and 3.x.
# web.yml and the TLS files behind it are re-read on every new connection (exporter-toolkit).
RELOAD = ReloadPlan(
    validate=[
        ["promtool", "check", "config", catalog.PROMETHEUS_CONFIG_FILE],
        ["promtool", "check", "web-config", catalog.PROMETHEUS_WEB_CONFIG_FILE],
    ],
    success_log="Completed loading of configuration file",
    failure_log="Error reloading config",
)


@dataclass(frozen=True)
class PrometheusArgs:
    settings: PrometheusSettings
    backend_network: pulumi.Input[str]
    ca_cert_pem: pulumi.Input[str]
    server: Certificate
    client: Certificate  # Prometheus' identity towards Alertmanager, itself and the exporters
    rule_files: Mapping[str, str]  # file name -> YAML
    console_files: Mapping[str, str] = field(default_factory=dict)  # container path -> console page or library
    extra_jobs: Sequence[ScrapeJob] = ()
    extra_uploads: Sequence[UploadFile] = ()
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    docker: DockerAccess | None = None  # where reload commands run; None: changed files replace the container
    # Multi-host stacks: the route to the other hosts' peer-alerts listeners (the backend network is internal).
    edge_network: pulumi.Input[str] | None = None
    # (egress network, Prometheus' fixed address on it): only when a target or remote write is outside the host.
    egress: tuple[pulumi.Input[str], str] | None = None


def prometheus_files(args: PrometheusArgs) -> list[UploadFile]:
    """Every file the container gets, at its container path."""
    settings = args.settings
    jobs = core_jobs() + list(args.extra_jobs)
    files = [
        config_file(catalog.PROMETHEUS_CONFIG_FILE, render_prometheus_yml(settings, jobs, sorted(args.rule_files))),
        config_file(catalog.PROMETHEUS_WEB_CONFIG_FILE, render_web_config(SERVICE)),
        config_file(HEALTHCHECK_CONFIG_FILE, render_healthcheck_client(stack_mtls(SERVICE.name))),
        *tls_files(SERVICE, args.ca_cert_pem, args.server, args.client),
    ]
    files += [
        config_file(f"{catalog.PROMETHEUS_RULES_DIR}/{name}", text) for name, text in sorted(args.rule_files.items())
    ]
    files += [config_file(path, text) for path, text in sorted(args.console_files.items())]
    if settings.remote_write.enabled and settings.remote_write.password is not None:
        files.append(secret_file(REMOTE_WRITE_PASSWORD_FILE, settings.remote_write.password.reveal()))
    if settings.remote_write.enabled and settings.remote_write.ca_pem:
        files.append(config_file(REMOTE_WRITE_CA_FILE, settings.remote_write.ca_pem))
    return files + list(args.extra_uploads)


class Prometheus(pulumi.ComponentResource):
    container: docker.Container
    data_volume: docker.Volume
    files: list[UploadFile]

    def __init__(self, name: str, args: PrometheusArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(catalog.PROMETHEUS_TYPE, name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.data_volume = stack_volume(f"{name}-data", settings.stack, "prometheus-data", self, keep=True)
        image = pulled_image(f"{name}-image", settings.image, child)
        self.files = prometheus_files(args)
        networks = [
            NetworkAttachment(args.backend_network, [SERVICE.name], settings.networks.backend_addresses[SERVICE.name])
        ]
        if settings.multi_host and args.edge_network is not None:
            networks.append(NetworkAttachment(args.edge_network))
        if args.egress is not None:
            networks.append(NetworkAttachment(args.egress[0], (), args.egress[1]))
        plan = ContainerPlan(
            service=SERVICE,
            image=image,
            command=prometheus_command(settings),
            entrypoint=prometheus_entrypoint(settings),
            networks=networks,
            healthcheck=Healthcheck(
                [
                    "promtool",
                    "check",
                    "healthy",
                    f"--url=https://localhost:{SERVICE.port}",
                    f"--http.config.file={HEALTHCHECK_CONFIG_FILE}",
                ]
            ),
            uploads=self.files,
            volumes=[(self.data_volume.name, SERVICE.data_dir, False)],
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
