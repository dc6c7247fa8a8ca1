"""The NGINX reverse proxy: the only container that publishes ports.

TLS 1.2/1.3, basic auth checked once per credential per minute (cached bcrypt), the role
table, rate/connection/body limits, a JSON audit log, mTLS to the backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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
    secret_file,
    stack_volume,
    tmpfs_for,
)
from components.core.images import pulled_image
from components.core.pki import Certificate, tls_files
from components.core.reload import DockerAccess, ReloadPlan
from components.prometheus.settings import DEFAULT_LOG_LIMITS
from components.proxy.render import (
    AUTH_CACHE_DIR,
    METRICS,
    ProxySettings,
    audit_rotation_loop,
    render_digest_key,
    render_nginx_conf,
    render_njs,
)

SERVICE = catalog.PROXY
MEMORY_MB = 256
# SIGHUP: the master re-reads nginx.conf, htpasswd, the njs module and the certificates, starts new
# workers and lets the old ones finish their requests (open keep-alive connections are closed
# once idle). On an error it logs [emerg] and keeps the old workers. With `error_log ... warn` a
# good reload logs nothing, so its outcome is the new worker processes. The auth cache survives a
# reload (tmpfs and shared memory): emptied first, so a changed password stops working at once, as
# it did when the proxy was replaced (htpasswd is read per request, and the files are already new).
RELOAD = ReloadPlan(
    validate=[["nginx", "-t", "-q", "-c", catalog.PROXY_CONFIG_FILE]],
    prepare=[["find", AUTH_CACHE_DIR, "-mindepth", "1", "-delete"]],
    failure_log="[emerg]",
    workers="nginx: worker process",
)


@dataclass(frozen=True)
class ProxyArgs:
    settings: ProxySettings
    backend_network: pulumi.Input[str]
    edge_network: pulumi.Input[str]
    ca_cert_pem: pulumi.Input[str]
    server: Certificate  # what clients see (issued by the stack CA, or brought by the user)
    client: Certificate  # the proxy's identity towards Prometheus and Alertmanager
    htpasswd: pulumi.Input[str]  # secret
    digest_key: pulumi.Input[str]  # secret
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    docker: DockerAccess | None = None  # where reload commands run; None: changed files replace the container
    peer_server: Certificate | None = None  # multi-host: the peer-alerts listener's (names the host's address)
    metrics_server: Certificate | None = None  # the metrics listener's (names `proxy`, for Prometheus)


def proxy_files(args: ProxyArgs) -> list[UploadFile]:
    names = [user.name for user in args.settings.users]
    files = [
        config_file(catalog.PROXY_CONFIG_FILE, render_nginx_conf(args.settings)),
        config_file(
            catalog.PROXY_NJS_FILE, render_njs(names, args.settings.query_limits, args.settings.evaluation_interval)
        ),
        secret_file(catalog.PROXY_DIGEST_KEY_FILE, pulumi.Output.from_input(args.digest_key).apply(render_digest_key)),
        secret_file(catalog.PROXY_HTPASSWD_FILE, args.htpasswd),
        *tls_files(SERVICE, args.ca_cert_pem, args.server, args.client),
    ]
    if args.metrics_server is not None:
        files += [
            config_file(METRICS.cert_path, args.metrics_server.cert_pem),
            secret_file(METRICS.key_path, args.metrics_server.key_pem),
        ]
    if args.settings.client_ca_pem is not None:
        files.append(config_file(catalog.PROXY_CLIENT_CA_FILE, args.settings.client_ca_pem))
    if args.settings.peer_alerts:
        if args.peer_server is None:
            raise ValueError("the peer-alerts listener needs its certificate (ProxyArgs.peer_server)")
        files += [
            config_file(f"{SERVICE.tls_dir}/{catalog.TLS_PEER_CERT_FILE}", args.peer_server.cert_pem),
            secret_file(f"{SERVICE.secrets_dir}/{catalog.TLS_PEER_KEY_FILE}", args.peer_server.key_pem),
        ]
    return files


def proxy_command(audit_log_bytes: int = DEFAULT_LOG_LIMITS.audit_log_bytes) -> list[str]:
    """NGINX creates its log files 0644 (less the umask) and has no directive for their mode: it
    starts under umask 027, so the audit log it creates on the audit volume, on a first start or
    on a reopen, is 0640, owned by the proxy's uid; one an older release left 0644 is narrowed.
    NGINX never rotates a log: the audit rotation loop runs beside it (render.audit_rotation_loop),
    and NGINX is exec'd as PID 1 (the reload's `kill -HUP 1` and the loop's `kill -USR1 1` reach it)."""
    audit = catalog.PROXY_AUDIT_LOG_FILE
    nginx = f"exec nginx -c {catalog.PROXY_CONFIG_FILE} -g 'daemon off;'"
    return [
        "/bin/sh",
        "-c",
        f"umask 027 && if [ -e {audit} ]; then chmod {catalog.PROXY_AUDIT_LOG_MODE} {audit}; fi || exit 1; "
        f"({audit_rotation_loop(audit_log_bytes)}) & {nginx}",
    ]


def published_ports(settings: ProxySettings) -> list[docker.ContainerPortArgs]:
    """Always bound to one host address (Docker's default would be 0.0.0.0)."""
    peer = (
        [
            docker.ContainerPortArgs(
                internal=catalog.PROXY_PEER_ALERTS_PORT,
                external=catalog.PEER_ALERTS_PUBLISHED_PORT,
                ip=settings.bind_address,
                protocol="tcp",
            )
        ]
        if settings.peer_alerts
        else []
    )
    return [
        docker.ContainerPortArgs(
            internal=catalog.PROXY_PROMETHEUS_PORT,
            external=settings.prometheus_port,
            ip=settings.bind_address,
            protocol="tcp",
        ),
        docker.ContainerPortArgs(
            internal=catalog.PROXY_ALERTMANAGER_PORT,
            external=settings.alertmanager_port,
            ip=settings.bind_address,
            protocol="tcp",
        ),
        *peer,
    ]


class Proxy(pulumi.ComponentResource):
    container: docker.Container
    audit_volume: docker.Volume
    files: list[UploadFile]

    def __init__(self, name: str, args: ProxyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(catalog.PROXY_TYPE, name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.audit_volume = stack_volume(f"{name}-audit", settings.stack, "proxy-audit", self, keep=True)
        image = pulled_image(f"{name}-image", settings.image, child)
        self.files = proxy_files(args)
        plan = ContainerPlan(
            service=SERVICE,
            image=image,
            command=proxy_command(settings.audit_log_bytes),
            networks=[NetworkAttachment(args.edge_network), NetworkAttachment(args.backend_network, [SERVICE.name])],
            healthcheck=Healthcheck(["curl", "-fsS", f"http://127.0.0.1:{catalog.PROXY_HEALTH_PORT}/healthz"]),
            uploads=self.files,
            volumes=[(self.audit_volume.name, SERVICE.data_dir, False)],
            tmpfs=tmpfs_for(SERVICE, catalog.PROXY_RUNTIME_DIR, size_mb=64),
            ports=published_ports(settings),
            memory_mb=MEMORY_MB,
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
