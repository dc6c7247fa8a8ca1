"""Pure rendering of Prometheus' files: prometheus.yml, the web config and the healthcheck client."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from components.core import catalog
from components.core.settings import NetworkSettings
from components.prometheus.settings import DEFAULT_LOG_LIMITS, DEFAULT_QUERY_LIMITS, QueryLimits, RemoteWrite

if TYPE_CHECKING:  # the stack layer's whole settings, of which this service takes its slice
    from components.stack.settings import Settings

PROMETHEUS_TLS = catalog.PROMETHEUS.tls_dir

# Go names of the TLS 1.2 suites we accept (TLS 1.3 suites are not configurable in Go).
GO_TLS12_CIPHER_SUITES = (
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
)
SAMPLE_LIMIT = 50_000
BODY_SIZE_LIMIT = "16MB"
PROMETHEUS_BINARY = "/bin/prometheus"  # the image's entrypoint (the rotation script execs it)
QUERY_LOG_CHECK_SECONDS = 5  # how often the query log's size is checked (queryLogBytes)
HEALTHCHECK_CONFIG_FILE = f"{catalog.PROMETHEUS.config_dir}/healthcheck.yml"
REMOTE_WRITE_PASSWORD_FILE = f"{catalog.PROMETHEUS_SECRETS_DIR}/remote-write-password"
REMOTE_WRITE_CA_FILE = f"{PROMETHEUS_TLS}/remote-write-ca.crt"


@dataclass(frozen=True)
class TlsClient:
    """Prometheus as a TLS client of a target: CA to trust, optional client cert, expected name."""

    ca_file: str
    server_name: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    def as_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"ca_file": self.ca_file, "min_version": "TLS12"}
        if self.cert_file:
            config["cert_file"] = self.cert_file
            config["key_file"] = self.key_file
        if self.server_name:
            config["server_name"] = self.server_name
        return config


# Prometheus' own mTLS identity towards the stack's services (same CA as every server cert).
STACK_MTLS = TlsClient(
    ca_file=f"{PROMETHEUS_TLS}/{catalog.TLS_CA_FILE}",
    cert_file=f"{PROMETHEUS_TLS}/{catalog.TLS_CLIENT_CERT_FILE}",
    key_file=catalog.PROMETHEUS.client_key_file,
)


def stack_mtls(server_name: str) -> TlsClient:
    return TlsClient(STACK_MTLS.ca_file, server_name, STACK_MTLS.cert_file, STACK_MTLS.key_file)


@dataclass(frozen=True)
class ScrapeJob:
    name: str
    targets: Sequence[str]
    scheme: str = "https"
    tls: TlsClient | None = None
    username: str | None = None
    password_file: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    metrics_path: str = "/metrics"
    params: Mapping[str, Sequence[str]] = field(default_factory=dict)  # URL query parameters (multi-target)

    def as_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "job_name": self.name,
            "scheme": self.scheme,
            "metrics_path": self.metrics_path,
            "sample_limit": SAMPLE_LIMIT,
            "body_size_limit": BODY_SIZE_LIMIT,
            "static_configs": [
                {"targets": list(self.targets), **({"labels": dict(self.labels)} if self.labels else {})}
            ],
        }
        if self.params:
            config["params"] = {key: list(values) for key, values in self.params.items()}
        if self.tls is not None:
            config["tls_config"] = self.tls.as_config()
        if self.username is not None:
            config["basic_auth"] = {"username": self.username, "password_file": self.password_file}
        return config


def core_jobs() -> list[ScrapeJob]:
    """Prometheus itself, Alertmanager and the proxy's own metrics (its audit volume), all over mTLS."""
    return [
        ScrapeJob(
            catalog.JOB_PROMETHEUS, [f"localhost:{catalog.PROMETHEUS.port}"], tls=stack_mtls(catalog.PROMETHEUS.name)
        ),
        ScrapeJob(
            catalog.JOB_ALERTMANAGER,
            [f"{catalog.ALERTMANAGER.name}:{catalog.ALERTMANAGER.port}"],
            tls=stack_mtls(catalog.ALERTMANAGER.name),
        ),
        ScrapeJob(
            catalog.JOB_PROXY,
            [f"{catalog.PROXY.name}:{catalog.PROXY_METRICS_PORT}"],
            tls=stack_mtls(catalog.PROXY.name),
        ),
    ]


def _dump(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(data), sort_keys=False, default_flow_style=False)


@dataclass(frozen=True)
class PrometheusSettings:
    """The part of the stack's settings Prometheus uses."""

    stack: str
    image: str
    scrape_interval: str
    scrape_timeout: str
    evaluation_interval: str
    retention_time: str
    remote_write: RemoteWrite
    enable_admin_api: bool
    max_connections: int  # the proxy's backend connections (limits.backendMaxConnections)
    external_url: str
    networks: NetworkSettings
    external_labels: Mapping[str, str] = field(default_factory=dict)  # besides `stack`: cluster and replica
    # Multi-host stacks: the other hosts' peer-alerts listeners (address:port), each a second path to an
    # Alertmanager of the cluster.
    peer_alertmanagers: tuple[str, ...] = ()
    multi_host: bool = False
    query_limits: QueryLimits = DEFAULT_QUERY_LIMITS
    query_log_bytes: int = DEFAULT_LOG_LIMITS.query_log_bytes

    @classmethod
    def of(cls, settings: Settings) -> PrometheusSettings:
        labels: dict[str, str] = {}
        if settings.multi_host and settings.host is not None:
            labels = {
                catalog.EXTERNAL_LABEL_CLUSTER: settings.stack,
                catalog.EXTERNAL_LABEL_REPLICA: settings.host.name,
            }
        return cls(
            stack=settings.stack,
            image=settings.images["prometheus"],
            scrape_interval=settings.scrape_interval,
            scrape_timeout=settings.scrape_timeout,
            evaluation_interval=settings.evaluation_interval,
            retention_time=settings.retention_time,
            remote_write=settings.remote_write,
            enable_admin_api=settings.enable_admin_api,
            max_connections=settings.limits.backend_max_connections,
            external_url=settings.external_url(settings.prometheus_port),
            networks=settings.networks,
            external_labels=labels,
            peer_alertmanagers=tuple(
                host_port(peer.bind_address, catalog.PEER_ALERTS_PUBLISHED_PORT) for peer in settings.peers
            ),
            multi_host=settings.multi_host,
            query_limits=settings.query_limits,
            query_log_bytes=settings.log_limits.query_log_bytes,
        )


def host_port(address: str, port: int) -> str:
    """`address:port`, with an IPv6 address in brackets."""
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def render_prometheus_yml(settings: PrometheusSettings, jobs: Sequence[ScrapeJob], rule_files: Sequence[str]) -> str:
    names = [job.name for job in jobs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"scrape job names must be unique: {duplicates}")
    alerting: dict[str, Any] = {}
    if settings.multi_host:
        # Every replica sends the same alerts; without its replica label they are the same alerts
        # to the Alertmanager cluster, which then notifies once.
        alerting["alert_relabel_configs"] = [{"action": "labeldrop", "regex": catalog.EXTERNAL_LABEL_REPLICA}]
    alerting["alertmanagers"] = [
        {
            "scheme": "https",
            "tls_config": stack_mtls(catalog.ALERTMANAGER.name).as_config(),
            "static_configs": [{"targets": [f"{catalog.ALERTMANAGER.name}:{catalog.ALERTMANAGER.port}"]}],
        }
    ]
    if settings.peer_alertmanagers:
        # The other hosts' proxies (peer-alerts listener): their certificates name their address.
        alerting["alertmanagers"].append(
            {
                "scheme": "https",
                "tls_config": TlsClient(
                    STACK_MTLS.ca_file, None, STACK_MTLS.cert_file, STACK_MTLS.key_file
                ).as_config(),
                "static_configs": [{"targets": list(settings.peer_alertmanagers)}],
            }
        )
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": settings.scrape_interval,
            "scrape_timeout": settings.scrape_timeout,
            "evaluation_interval": settings.evaluation_interval,
            "query_log_file": catalog.PROMETHEUS_QUERY_LOG_FILE,
            "external_labels": {"stack": settings.stack, **settings.external_labels},
        },
        "alerting": alerting,
        "rule_files": [f"{catalog.PROMETHEUS_RULES_DIR}/{name}" for name in rule_files],
        "scrape_configs": [job.as_config() for job in jobs],
    }
    if settings.remote_write.enabled:
        config["remote_write"] = [remote_write_config(settings.remote_write)]
    return _dump(config)


def remote_write_config(remote: RemoteWrite) -> dict[str, Any]:
    """One `remote_write` entry: https, basic auth from a 0400 file and/or the stack client certificate."""
    entry: dict[str, Any] = {"url": remote.url}
    if remote.headers:
        entry["headers"] = dict(remote.headers)
    if remote.username:
        entry["basic_auth"] = {"username": remote.username, "password_file": REMOTE_WRITE_PASSWORD_FILE}
    tls: dict[str, Any] = {"min_version": "TLS12"}
    if remote.ca_pem:
        tls["ca_file"] = REMOTE_WRITE_CA_FILE
    if remote.mtls:
        tls.update(cert_file=STACK_MTLS.cert_file, key_file=STACK_MTLS.key_file)
    entry["tls_config"] = tls
    if remote.queue_config:
        entry["queue_config"] = dict(remote.queue_config)
    if remote.drop_replica_label:
        # For stores that deduplicate identical series (VictoriaMetrics' -dedup.minScrapeInterval).
        entry["write_relabel_configs"] = [{"action": "labeldrop", "regex": catalog.EXTERNAL_LABEL_REPLICA}]
    return entry


def render_web_config(service: catalog.Service) -> str:
    """exporter-toolkit web config: TLS >= 1.2 and a client certificate signed by the stack CA."""
    return _dump(
        {
            "tls_server_config": {
                "cert_file": f"{service.tls_dir}/{catalog.TLS_CERT_FILE}",
                "key_file": service.key_file,
                "client_ca_file": f"{service.tls_dir}/{catalog.TLS_CA_FILE}",
                "client_auth_type": "RequireAndVerifyClientCert",
                "min_version": "TLS12",
                "cipher_suites": list(GO_TLS12_CIPHER_SUITES),
            },
            "http_server_config": {
                "headers": {
                    "Strict-Transport-Security": "max-age=63072000",
                    "X-Content-Type-Options": "nosniff",
                    "X-Frame-Options": "deny",
                }
            },
        }
    )


def render_healthcheck_client(tls: TlsClient) -> str:
    """HTTP client config for the container's own healthcheck (promtool/amtool over mTLS)."""
    return _dump({"tls_config": tls.as_config()})


def prometheus_command(settings: PrometheusSettings) -> list[str]:
    command = [
        f"--config.file={catalog.PROMETHEUS_CONFIG_FILE}",
        f"--web.config.file={catalog.PROMETHEUS_WEB_CONFIG_FILE}",
        f"--web.listen-address=:{catalog.PROMETHEUS.port}",
        f"--web.max-connections={settings.max_connections}",
        f"--web.external-url={settings.external_url}",
        f"--storage.tsdb.path={catalog.PROMETHEUS.data_dir}",
        f"--storage.tsdb.retention.time={settings.retention_time}",
        f"--query.timeout={settings.query_limits.timeout}",
        f"--query.max-samples={settings.query_limits.max_samples}",
        f"--query.max-concurrency={settings.query_limits.max_concurrency}",
        f"--query.lookback-delta={settings.query_limits.lookback_delta}",
        "--log.format=json",
        "--web.enable-lifecycle",
        # Our own console pages (components/dashboards/consoles.py), no shipped libraries.
        f"--web.console.templates={catalog.PROMETHEUS_CONSOLES_DIR}",
        f"--web.console.libraries={catalog.PROMETHEUS_CONSOLE_LIBRARIES_DIR}",
    ]
    if settings.enable_admin_api:
        command.append("--web.enable-admin-api")
    return command


def prometheus_entrypoint(settings: PrometheusSettings) -> list[str]:
    """Prometheus writes its query log with no size cap and no rotation: a shell (the image has one) starts a
    loop that copies the log to `query.log.1` and empties it (`copytruncate`: Prometheus appends, so it writes on
    at the start; a line written between the copy and the truncation is lost, the audit log keeps the query)
    once it is over queryLogBytes, then execs Prometheus as PID 1 (the reload's `kill -HUP 1` reaches it)."""
    log = catalog.PROMETHEUS_QUERY_LOG_FILE
    loop = (
        f"while sleep {QUERY_LOG_CHECK_SECONDS}; do "
        f"size=$(stat -c %s {log} 2>/dev/null || echo 0); "
        f'if [ "$size" -gt {settings.query_log_bytes} ]; then cp {log} {log}.1 && : > {log}; fi; '
        "done"
    )
    return ["/bin/sh", "-c", f'({loop}) & exec {PROMETHEUS_BINARY} "$@"', "prometheus"]
