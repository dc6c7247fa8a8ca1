"""The single source of truth for the stack's fixed facts.

Ports, container paths, uids, network names and pinned images are defined here once and
imported everywhere else (components, renderers, tests, policies, the acceptance harness).
"""

from __future__ import annotations

from dataclasses import dataclass

PROJECT = "promshield"

# --- Published (host) ports: defaults for settings -----------------------------------------
DEFAULT_PROMETHEUS_PUBLISHED_PORT = 9090
DEFAULT_ALERTMANAGER_PUBLISHED_PORT = 9093


@dataclass(frozen=True)
class Service:
    """One container's fixed identity: its name on the networks, uid/gid, port and paths."""

    name: str
    uid: int
    gid: int
    port: int
    config_dir: str
    data_dir: str

    @property
    def user(self) -> str:
        return f"{self.uid}:{self.gid}"

    @property
    def tls_dir(self) -> str:
        return f"{self.config_dir}/tls"

    @property
    def secrets_dir(self) -> str:
        """Keys, hashes and passwords: a volume of their own (filled by the service's secrets
        carrier), apart from the config files, so those stay plain in Pulumi's inputs."""
        return SECRETS_DIR

    @property
    def key_file(self) -> str:
        return f"{self.secrets_dir}/{TLS_KEY_FILE}"

    @property
    def client_key_file(self) -> str:
        return f"{self.secrets_dir}/{TLS_CLIENT_KEY_FILE}"


# The official images run as these users: keep them so volume ownership matches the image.
PROMETHEUS = Service("prometheus", 65534, 65534, 9090, "/etc/prometheus", "/prometheus")
ALERTMANAGER = Service("alertmanager", 65534, 65534, 9093, "/etc/alertmanager", "/alertmanager")
# nginx-unprivileged runs as uid 101 and cannot bind ports below 1024.
# /var/cache/nginx is owned by uid 101 in the image, so a fresh volume there is writable by it.
PROXY = Service("proxy", 101, 101, 8443, "/etc/nginx", "/var/cache/nginx")
REDIS_EXPORTER = Service("redis-exporter", 59000, 59000, 9121, "/etc/redis-exporter", "/nonexistent")
DUCKDB_EXPORTER = Service("duckdb-exporter", 10001, 10001, 9188, "/etc/duckdb-exporter", "/data")
DEMO_REDIS = Service("demo-redis", 999, 999, 6379, "/etc/redis", "/data")
# The dev demo's trading simulator (exporters/trading_sim): its port serves the Instance Manager's
# metrics; the Trade Engine's and the loopback-only control port are below. Writes nothing.
TRADING_SIM = Service("trading-sim", 10002, 10002, 9400, "/etc/trading-sim", "/nonexistent")
TRADING_SIM_TRADE_ENGINE_PORT = 9401
TRADING_SIM_CONTROL_PORT = 9409  # 127.0.0.1 inside its container: only `docker exec` reaches it
TRADING_SIM_SCRAPE_USER = "prometheus"  # Prometheus' basic-auth user at both endpoints

# Memory limits (MiB) of the services whose cost limits are sized against them (settings/costs.py).
PROMETHEUS_MEMORY_MB = 1024
ALERTMANAGER_MEMORY_MB = 256

# The proxy's listeners inside its container (each published on a host port by settings).
PROXY_PROMETHEUS_PORT = 8443
PROXY_ALERTMANAGER_PORT = 8444
# Loopback-only listeners inside the proxy container.
PROXY_AUTH_PORT = 8081  # the bcrypt check behind auth_request
PROXY_DENY_PORT = 8082  # answers 403 for requests the role table refuses
PROXY_HEALTH_PORT = 8080  # container healthcheck
# The proxy's metrics (audit volume size and free space) for Prometheus: mTLS, never published.
PROXY_METRICS_PORT = 8446
# Multi-host stacks (`hosts`): alerts from the other hosts' Prometheus arrive on this listener
# (mTLS, POST /api/v2/alerts only), published on the host address at PEER_ALERTS_PUBLISHED_PORT.
PROXY_PEER_ALERTS_PORT = 8445
PEER_ALERTS_PUBLISHED_PORT = 9095
# Alertmanager's gossip (memberlist over mutual TLS: TCP only), the same port inside the
# container and on the host address.
ALERTMANAGER_CLUSTER_PORT = 9094

# --- Files inside containers ---------------------------------------------------------------
# Every service's secret files, in every container (each has its own): outside its config
# directory because Docker cannot create a mount point inside a read-only volume.
SECRETS_DIR = "/run/secrets"
PROMETHEUS_CONFIG_FILE = f"{PROMETHEUS.config_dir}/prometheus.yml"
PROMETHEUS_WEB_CONFIG_FILE = f"{PROMETHEUS.config_dir}/web.yml"
PROMETHEUS_RULES_DIR = f"{PROMETHEUS.config_dir}/rules"
# The console pages (components/dashboards/consoles.py), served at /consoles/<page>.html.
PROMETHEUS_CONSOLES_DIR = f"{PROMETHEUS.config_dir}/consoles"
PROMETHEUS_CONSOLE_LIBRARIES_DIR = f"{PROMETHEUS.config_dir}/console_libraries"
PROMETHEUS_SECRETS_DIR = PROMETHEUS.secrets_dir
PROMETHEUS_QUERY_LOG_FILE = f"{PROMETHEUS.data_dir}/query.log"

ALERTMANAGER_CONFIG_FILE = f"{ALERTMANAGER.config_dir}/alertmanager.yml"
ALERTMANAGER_WEB_CONFIG_FILE = f"{ALERTMANAGER.config_dir}/web.yml"
ALERTMANAGER_SECRETS_DIR = ALERTMANAGER.secrets_dir
ALERTMANAGER_CLUSTER_TLS_FILE = f"{ALERTMANAGER.config_dir}/cluster-tls.yml"

PROXY_CONFIG_FILE = f"{PROXY.config_dir}/nginx.conf"
PROXY_HTPASSWD_FILE = f"{PROXY.secrets_dir}/htpasswd"
# The credential-digest key as an NGINX variable (an include), so the njs module holds no secret.
PROXY_DIGEST_KEY_FILE = f"{PROXY.secrets_dir}/digest-key.conf"
PROXY_NJS_FILE = f"{PROXY.config_dir}/njs/promshield.js"
PROXY_AUDIT_LOG_FILE = f"{PROXY.data_dir}/audit.log"
PROXY_AUDIT_LOG_MODE = "0640"  # the umask the proxy starts with makes NGINX create it so
# A private tmpfs inside the proxy container, not the host's /tmp.
PROXY_RUNTIME_DIR = "/tmp"  # noqa: S108  # nosec B108

# TLS material: every service keeps the same file names, certificates under its tls_dir, keys
# under its secrets_dir.
TLS_CA_FILE = "ca.crt"
TLS_CERT_FILE = "server.crt"
TLS_KEY_FILE = "server.key"
TLS_CLIENT_CERT_FILE = "client.crt"
TLS_CLIENT_KEY_FILE = "client.key"
TLS_PEER_CERT_FILE = "peer.crt"  # the proxy's peer-alerts listener (multi-host stacks)
TLS_PEER_KEY_FILE = "peer.key"
TLS_CLIENT_CA_FILE = "client-ca.crt"  # clientCertificateAuth: the CA of the clients' certificates (proxy)
PROXY_CLIENT_CA_FILE = f"{PROXY.tls_dir}/{TLS_CLIENT_CA_FILE}"

# Upload modes (octal): secrets are owner-read-only, the rest owner-read-write at most.
MODE_SECRET = 0o400
MODE_CONFIG = 0o600
MODE_PUBLIC = 0o444

# --- Networks ------------------------------------------------------------------------------
BACKEND_NETWORK = "backend"
EDGE_NETWORK = "edge"
EGRESS_NETWORK = "egress"  # only for leaving the host: each member's new connections are granted one by one
# Defaults for the `networks` setting: users move them when they clash with a LAN or VPN.
DEFAULT_BACKEND_SUBNET = "172.30.10.0/24"
DEFAULT_EDGE_SUBNET = "172.30.20.0/24"
DEFAULT_EGRESS_SUBNET = "172.30.30.0/24"
# Fixed backend addresses, as host numbers inside the backend subnet: the proxy resolves its
# upstreams once, at start, so a recreated Prometheus or Alertmanager must come back at the
# same address.
BACKEND_HOST_NUMBERS = {"prometheus": 10, "alertmanager": 11}
# Fixed egress addresses: the firewall grants each source address its own destinations, so a
# member's address must never change (nor be taken by another container).
EGRESS_HOST_NUMBERS = {"prometheus": 10, "alertmanager": 11, "redis-exporter": 12}

# --- Pinned images (never `latest`): defaults for settings ---------------------------------
PYTHON_IMAGE = "python:3.11.13-slim-bookworm"
DEFAULT_IMAGES: dict[str, str] = {
    "prometheus": "prom/prometheus:v3.5.0",
    "alertmanager": "prom/alertmanager:v0.28.1",
    # 1.30.6: the first stable release without a known CVE (gixy's nginx_cves check, `make lint`).
    "proxy": "nginxinc/nginx-unprivileged:1.30.6",
    "redis_exporter": "oliver006/redis_exporter:v1.74.0-alpine",
    "duckdb_exporter_base": PYTHON_IMAGE,
    "demo_redis": "redis:7.4.5-bookworm",
    # The demo trading simulator runs its standard-library code (uploaded) on the plain Python image.
    "trading_sim": PYTHON_IMAGE,
}


def resource_name(stack: str, name: str) -> str:
    """Docker names of the stack's containers and volumes: `promshield-<stack>-<name>`."""
    return f"{PROJECT}-{stack}-{name}"


def image_version(reference: str) -> str:
    """The version in a pinned tag: `nginxinc/nginx-unprivileged:1.30.6-alpine` -> `1.30.6`."""
    tag = reference.rsplit(":", 1)[1]
    return tag.lstrip("v").split("-", 1)[0]


def container_name(stack: str, service: Service) -> str:
    """The Docker name of a service's container: `promshield-<stack>-<service>`."""
    return resource_name(stack, service.name)


# Labels on every resource we create: who owns it, for `docker ps --filter`.
LABEL_PREFIX = "io.promshield"
LABEL_PROJECT = f"{LABEL_PREFIX}.project"
LABEL_SERVICE = f"{LABEL_PREFIX}.service"
LABEL_STACK = f"{LABEL_PREFIX}.stack"
LABEL_KIND = f"{LABEL_PREFIX}.kind"  # one of the KIND_* values below
LABEL_CONFIG_SHA256 = f"{LABEL_PREFIX}.config-sha256"  # config files' digest of a service without a reload
LABEL_SECRETS_HMAC = f"{LABEL_PREFIX}.secrets-hmac-sha256"  # the same for its secret files (keyed: hides them)
KIND_SERVICE = "service"
KIND_JOB = "job"  # runs once to completion
KIND_CONFIG = "config"  # a never-started carrier of a service's config files (plain in Pulumi's inputs)
KIND_SECRETS = "secrets"  # a never-started carrier of its secret files (secret in Pulumi's inputs)
CARRIER_KINDS = (KIND_CONFIG, KIND_SECRETS)
# Prometheus external labels of a multi-host stack: the HA pair (`cluster`) and which member
# (`replica`): what long-term stores deduplicate on. Alerts drop the replica label.
EXTERNAL_LABEL_CLUSTER = "cluster"
EXTERNAL_LABEL_REPLICA = "replica"

# --- Pulumi type tokens ---------------------------------------------------------------------
# The program's component types. Never rename one: the state knows every resource by its type,
# so a new token would make `pulumi up` delete and recreate the whole stack.
PKI_TYPE = f"{PROJECT}:index:Pki"
CREDENTIALS_TYPE = f"{PROJECT}:index:Credentials"
NETWORKS_TYPE = f"{PROJECT}:index:Networks"
PROMETHEUS_TYPE = f"{PROJECT}:index:Prometheus"
ALERTMANAGER_TYPE = f"{PROJECT}:index:Alertmanager"
PROXY_TYPE = f"{PROJECT}:index:Proxy"
FIREWALL_TYPE = f"{PROJECT}:index:Firewall"
REDIS_ACCESS_TYPE = f"{PROJECT}:index:RedisAccess"
DUCKDB_ACCESS_TYPE = f"{PROJECT}:index:DuckDbAccess"
TRADING_SIM_TYPE = f"{PROJECT}:index:TradingSim"
# The provider resources the components create (the policies, the mocks and the harness match on them).
CONTAINER_TYPE = "docker:index/container:Container"
NETWORK_TYPE = "docker:index/network:Network"
VOLUME_TYPE = "docker:index/volume:Volume"
REMOTE_IMAGE_TYPE = "docker:index/remoteImage:RemoteImage"
BUILT_IMAGE_TYPE = "docker:index/image:Image"
LOCAL_COMMAND_TYPE = "command:local:Command"
REMOTE_COMMAND_TYPE = "command:remote:Command"

# --- Scrape job names (rules, dashboards and the metric contract refer to these) ----------
JOB_PROMETHEUS = "prometheus"
JOB_ALERTMANAGER = "alertmanager"
JOB_REDIS = "redis"
JOB_DUCKDB = "duckdb"
JOB_INSTANCE_MANAGER = "instance-manager"
JOB_TRADE_ENGINE = "trade-engine"
JOB_PROXY = "proxy"  # the proxy's own metrics (its audit volume), over mTLS on the backend network

# The demo simulator's endpoint of each trading job (the demo targets of `instanceManagerTargets`
# and `tradeEngineTargets`).
TRADING_SIM_PORTS = {JOB_INSTANCE_MANAGER: TRADING_SIM.port, JOB_TRADE_ENGINE: TRADING_SIM_TRADE_ENGINE_PORT}
