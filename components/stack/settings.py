"""The stack's settings: the shared sections (components/core/settings) and every service's own
(`components/<service>/settings.py`) read into one immutable `Settings`, every problem reported together,
before any resource exists, each naming the config key, the bad value and what is expected."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from components.alertmanager.settings import (
    DEFAULT_SILENCE_LIMITS,
    AlertRouting,
    Receiver,
    SilenceLimits,
    read_receivers,
    read_routing,
    read_silence_limits,
)
from components.core import catalog
from components.core.durations import duration_ms
from components.core.settings.edge import read_bind, read_cidrs, read_limits, read_networks, read_tls
from components.core.settings.egress import EGRESS_KEY, check_egress, read_dns_servers
from components.core.settings.hosts import (
    check_cluster_ports,
    check_docker_host,
    check_ssh_host_key,
    firewall_sudo,
    host_addresses,
    is_remote,
    read_hosts,
)
from components.core.settings.images import read_images
from components.core.settings.limits import Limits
from components.core.settings.reader import (
    NAMESPACE,
    SECRET_VALUE,
    ConfigReader,
    Reader,
    SettingsError,
    check_duration,
    check_port,
    unknown_key,
)
from components.core.settings.types import (
    DEFAULT_NETWORKS,
    HostSettings,
    NetworkSettings,
    SecretValue,
    TlsSettings,
)
from components.duckdb.settings import DuckDbSettings, read_duckdb
from components.firewall.settings import read_firewall_sudo
from components.prometheus.rules.thresholds import AlertThresholds
from components.prometheus.settings import (
    DEFAULT_LOG_LIMITS,
    DEFAULT_QUERY_LIMITS,
    LogLimits,
    QueryLimits,
    RemoteWrite,
    ScrapeTarget,
    read_log_limits,
    read_query_limits,
    read_remote_write,
    read_targets,
    read_thresholds,
)
from components.proxy.settings import User, read_client_certificate_auth, read_users
from components.redis.settings import RedisSettings, read_redis_instances
from components.stack.keys import KNOWN_KEYS, SECRET_KEYS, default_of


@dataclass(frozen=True)
class Settings:
    stack: str
    docker_host: str
    ssh_private_key: SecretValue | None
    bind_address: str
    allow_public_bind: bool
    prometheus_port: int
    alertmanager_port: int
    trusted_cidrs: tuple[str, ...]
    tls: TlsSettings
    users: tuple[User, ...]
    scrape_interval: str
    scrape_timeout: str
    evaluation_interval: str
    retention_time: str
    limits: Limits
    receivers: tuple[Receiver, ...]
    alertmanager_egress: bool
    remote_write: RemoteWrite
    enable_admin_api: bool
    images: Mapping[str, str]
    instance_manager_targets: tuple[ScrapeTarget, ...]
    trade_engine_targets: tuple[ScrapeTarget, ...]
    redis_instances: tuple[RedisSettings, ...]
    duckdb: DuckDbSettings | None
    demo: bool
    firewall_sudo: bool
    alert_thresholds: AlertThresholds = field(default_factory=AlertThresholds)
    networks: NetworkSettings = DEFAULT_NETWORKS
    query_limits: QueryLimits = field(default_factory=lambda: DEFAULT_QUERY_LIMITS)
    silence_limits: SilenceLimits = field(default_factory=lambda: DEFAULT_SILENCE_LIMITS)
    log_limits: LogLimits = field(default_factory=lambda: DEFAULT_LOG_LIMITS)
    alert_routing: AlertRouting = field(default_factory=AlertRouting)
    # PEM of the CA whose client certificates the proxy requires (None: no client certificates).
    client_ca_pem: str | None = None
    # The `hosts` of a multi-host stack (empty: one host, from docker_host and bind_address, which
    # otherwise hold the first host's), and the host a per-host view (`for_host`) is for.
    hosts: tuple[HostSettings, ...] = ()
    host: HostSettings | None = None
    # The pinned public key of the (one, or this view's) host when it is reached over SSH.
    ssh_host_key: str = ""

    @property
    def multi_host(self) -> bool:
        return bool(self.hosts)

    @property
    def deploy_hosts(self) -> tuple[HostSettings, ...]:
        """Every host to deploy to: the `hosts`, or the single host."""
        return self.hosts or (
            HostSettings("", self.docker_host, self.bind_address, self.firewall_sudo, 0, self.ssh_host_key),
        )

    def for_host(self, host: HostSettings) -> Settings:
        """These settings as one host sees them: its engine, bind address and firewall privilege."""
        return dataclasses.replace(
            self,
            docker_host=host.docker_host,
            bind_address=host.bind_address,
            firewall_sudo=host.firewall_sudo,
            host=host,
            ssh_host_key=host.ssh_host_key,
        )

    @property
    def peers(self) -> tuple[HostSettings, ...]:
        """The other hosts of a per-host view (none in a one-host stack)."""
        return tuple(h for h in self.hosts if self.host is None or h.name != self.host.name)

    # The Docker host's resolvers, granted (udp/tcp 53) to each service that leaves the host.
    egress_dns_servers: tuple[str, ...] = ()

    @property
    def external_host(self) -> str:
        """The host users reach the proxy at: the certificate's first DNS name, else the bind address."""
        return self.tls.dns_names[0] if self.tls.dns_names else self.bind_address

    def external_url(self, port: int) -> str:
        """`https://<external host>:<port>/`: what the services announce and the stack exports."""
        return f"https://{self.external_host}:{port}/"

    @property
    def runs_trading_sim(self) -> bool:
        """The stack deploys the demo trading simulator: some trading target is its endpoint."""
        return any(t.demo for t in (*self.instance_manager_targets, *self.trade_engine_targets))

    @property
    def is_remote_docker(self) -> bool:
        return self.docker_host.startswith("ssh://")

    @property
    def published_ports(self) -> tuple[int, int]:
        return (self.prometheus_port, self.alertmanager_port)

    def user(self, name: str) -> User:
        return next(u for u in self.users if u.name == name)


DEFAULT_DOCKER_HOST: str = default_of("dockerHost")
# Keys a release replaced, with what to set instead (a plain "unknown key" would not say how).
REPLACED_KEYS = {
    "redis": "list the instance in promshield:redisInstances (with a unique name, the old instanceLabel)",
    "redisAdminPassword": "set it per instance: pulumi config set --secret --path 'redisAdminPasswords.RTS' ...",
}


def check_plain_secrets(r: Reader, present_keys: Iterable[str], secret_keys: Iterable[str] | None) -> None:
    """A secret in plain config is a problem: a declared secret key set without --secret (when `secret_keys`, the keys
    set with --secret, are known), or a value that is a private key or a password hash under any plain key."""
    present = sorted(set(present_keys) & set(KNOWN_KEYS))
    if secret_keys is not None:
        for key in sorted(set(present) & set(SECRET_KEYS) - set(secret_keys)):
            r.problems.append(
                f"{NAMESPACE}:{key} is a secret set in plain config (it is in the stack file unencrypted): "
                f"set it again with `pulumi config set --secret {key} ...` (--path for one entry)"
            )
    for key in present:
        if key in SECRET_KEYS:
            continue
        text = r.raw(key)
        try:
            value = json.loads(text) if text is not None else None
        except json.JSONDecodeError:
            value = text
        for path, item in _strings(key, value):
            if SECRET_VALUE.search(item):
                r.plain_secrets.add(path)
                r.problems.append(
                    f"{NAMESPACE}:{path} holds a private key or password hash in plain config: remove it; secrets "
                    "are set with `pulumi config set --secret` (see docs/configuration.md)"
                )


def _strings(path: str, value: object) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(f"{path}.{key}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(f"{path}[{index}]", item)


def load_settings(
    read: ConfigReader, stack: str, present_keys: Iterable[str] = (), secret_keys: Iterable[str] | None = None
) -> Settings:
    """Build the settings from a key → raw string reader; raise SettingsError listing every problem.

    `present_keys` are the keys the stack sets (without the namespace): an unknown one (a typo)
    is a problem too, with the closest known key as a hint. `secret_keys`, when known, are the ones
    set with --secret: a declared secret outside them is a problem."""
    r = Reader(read)
    present_keys = list(present_keys)
    check_plain_secrets(r, present_keys, secret_keys)
    for key in sorted(set(present_keys) - set(KNOWN_KEYS)):
        if key in REPLACED_KEYS:
            r.problems.append(f"{NAMESPACE}:{key} is no longer a promshield setting; {REPLACED_KEYS[key]}")
            continue
        r.problems.append(unknown_key(key, KNOWN_KEYS))
    docker_host = r.string("dockerHost", DEFAULT_DOCKER_HOST)
    check_docker_host(r, "dockerHost", docker_host)
    sudo = read_firewall_sudo(r)
    hosts = read_hosts(r, sudo)
    bind_address, allow_public = read_bind(r)
    if hosts:  # the top-level values are the first host's (exports, the one-host readers)
        docker_host, bind_address = hosts[0].docker_host, hosts[0].bind_address
        ssh_host_key = hosts[0].ssh_host_key
        if r.raw("sshHostKey") is not None:
            r.problem(
                "sshHostKey",
                r.raw("sshHostKey"),
                "is set together with promshield:hosts, where each ssh:// host pins its own (hosts[i].sshHostKey); "
                "unset it (pulumi config rm sshHostKey)",
            )
    else:
        ssh_host_key = check_ssh_host_key(r, "sshHostKey", docker_host, r.raw("sshHostKey"))
    ssh_key = r.secret("sshPrivateKey")
    if ssh_key is None and any(is_remote(h) for h in [docker_host, *(host.docker_host for host in hosts)]):
        r.problem(
            "sshPrivateKey",
            None,
            "a remote Docker host needs the SSH key for the firewall commands: pulumi config set "
            "--secret sshPrivateKey < key",
        )
    prometheus_port = check_port(r, "prometheusPort", default_of("prometheusPort"))
    alertmanager_port = check_port(r, "alertmanagerPort", default_of("alertmanagerPort"))
    if prometheus_port == alertmanager_port:
        r.problem(
            "alertmanagerPort",
            alertmanager_port,
            f"clashes with promshield:prometheusPort ({prometheus_port}); expected two different ports",
        )
    if hosts:
        check_cluster_ports(r, {"prometheusPort": prometheus_port, "alertmanagerPort": alertmanager_port})
    scrape_interval = check_duration(r, "scrapeInterval", default_of("scrapeInterval"))
    scrape_timeout = check_duration(r, "scrapeTimeout", default_of("scrapeTimeout"))
    if duration_ms(scrape_timeout) > duration_ms(scrape_interval):
        r.problem("scrapeTimeout", scrape_timeout, f"expected at most scrapeInterval ({scrape_interval})")
    demo = r.boolean("demo", default_of("demo"))
    alertmanager_egress = r.boolean("alertmanagerEgress", default_of("alertmanagerEgress"))
    receivers, receiver_names = read_receivers(r, alertmanager_egress)
    settings = Settings(
        stack=stack,
        docker_host=docker_host,
        ssh_private_key=ssh_key,
        bind_address=bind_address,
        allow_public_bind=allow_public,
        prometheus_port=prometheus_port,
        alertmanager_port=alertmanager_port,
        trusted_cidrs=read_cidrs(r),
        tls=read_tls(r),
        users=read_users(r),
        scrape_interval=scrape_interval,
        scrape_timeout=scrape_timeout,
        evaluation_interval=check_duration(r, "evaluationInterval", default_of("evaluationInterval")),
        retention_time=check_duration(r, "retentionTime", default_of("retentionTime")),
        limits=read_limits(r),
        query_limits=read_query_limits(r),
        silence_limits=read_silence_limits(r),
        log_limits=read_log_limits(r),
        receivers=receivers,
        alertmanager_egress=alertmanager_egress,
        remote_write=read_remote_write(r),
        enable_admin_api=r.boolean("enableAdminApi", default_of("enableAdminApi")),
        images=read_images(r),
        instance_manager_targets=read_targets(r, "instanceManagerTargets", catalog.JOB_INSTANCE_MANAGER, demo),
        trade_engine_targets=read_targets(r, "tradeEngineTargets", catalog.JOB_TRADE_ENGINE, demo),
        redis_instances=read_redis_instances(r, demo),
        duckdb=read_duckdb(r, demo),
        demo=demo,
        firewall_sudo=firewall_sudo(sudo, docker_host),
        alert_thresholds=read_thresholds(r),
        networks=read_networks(r, host_addresses(bind_address, hosts)),
        alert_routing=read_routing(r, receivers, receiver_names),
        client_ca_pem=read_client_certificate_auth(r),
        hosts=hosts,
        ssh_host_key=ssh_host_key,
        egress_dns_servers=read_dns_servers(r),
    )
    check_egress(r, settings.networks, egress_destinations(settings))
    if r.problems:
        raise SettingsError(r.problems)
    return settings


def from_pulumi_config() -> Settings:
    """Read the current stack's config (the raw runtime values, so secrets are never logged)."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    def read(key: str) -> str | None:
        value = runtime_config.get_config(f"{NAMESPACE}:{key}")
        return None if value is None else str(value)

    everything = {**(runtime_config.get_config_env() or {}), **runtime_config.CONFIG.get()}
    present = [key.split(":", 1)[1] for key in everything if key.startswith(f"{NAMESPACE}:")]
    secret = {*runtime_config.get_config_secret_keys_env(), *runtime_config._SECRET_KEYS.get()}
    secret_keys = [key.split(":", 1)[1] for key in secret if key.startswith(f"{NAMESPACE}:")]
    return load_settings(read, pulumi.get_stack(), present, secret_keys)


def egress_destinations(settings: Settings) -> Iterable[tuple[str, tuple[str, ...]]]:
    """(the key that set them, CIDRs) of every destination outside the host (`check_egress`)."""
    for key, targets in (
        ("instanceManagerTargets", settings.instance_manager_targets),
        ("tradeEngineTargets", settings.trade_engine_targets),
    ):
        for target in targets:
            yield f"{key}[{target.address}].{EGRESS_KEY}", target.egress_cidrs
    for redis in settings.redis_instances:
        yield f"redisInstances[{redis.name}].{EGRESS_KEY}", redis.egress_cidrs
    if settings.remote_write.enabled:
        yield f"remoteWrite.{EGRESS_KEY}", settings.remote_write.egress_cidrs
    for receiver in settings.receivers:
        yield f"alertmanagerReceivers[{receiver.name}].{EGRESS_KEY}", receiver.egress_cidrs
    for server in settings.egress_dns_servers:
        yield "egressDnsServers", (f"{server}/32",)
