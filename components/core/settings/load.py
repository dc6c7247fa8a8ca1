"""`load_settings`: every section's reader in turn, all problems reported together."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from components.core import catalog
from components.core.durations import duration_ms
from components.core.settings.alerting import read_remote_write, read_thresholds
from components.core.settings.costs import read_log_limits, read_query_limits, read_silence_limits
from components.core.settings.edge import (
    read_bind,
    read_cidrs,
    read_client_certificate_auth,
    read_limits,
    read_networks,
    read_tls,
)
from components.core.settings.egress import check_egress, read_dns_servers
from components.core.settings.hosts import (
    check_cluster_ports,
    check_docker_host,
    firewall_sudo,
    host_addresses,
    is_remote,
    read_firewall_sudo,
    read_hosts,
)
from components.core.settings.keys import KNOWN_KEYS, default_of
from components.core.settings.reader import NAMESPACE, ConfigReader, Reader, SettingsError, check_duration, check_port
from components.core.settings.routing import read_receivers, read_routing
from components.core.settings.sources import read_duckdb, read_images, read_redis_instances, read_targets
from components.core.settings.types import Settings
from components.core.settings.users import read_users

DEFAULT_DOCKER_HOST: str = default_of("dockerHost")
# Keys a release replaced, with what to set instead (a plain "unknown key" would not say how).
REPLACED_KEYS = {
    "redis": "list the instance in promshield:redisInstances (with a unique name, the old instanceLabel)",
    "redisAdminPassword": "set it per instance: pulumi config set --secret --path 'redisAdminPasswords.RTS' ...",
}


def load_settings(read: ConfigReader, stack: str, present_keys: Iterable[str] = ()) -> Settings:
    """Build the settings from a key → raw string reader; raise SettingsError listing every problem.

    `present_keys` are the keys the stack sets (without the namespace): an unknown one (a typo)
    is a problem too, with the closest known key as a hint."""
    r = Reader(read)
    for key in sorted(set(present_keys) - set(KNOWN_KEYS)):
        if key in REPLACED_KEYS:
            r.problems.append(f"{NAMESPACE}:{key} is no longer a promshield setting; {REPLACED_KEYS[key]}")
            continue
        guess = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
        reference = "see the configuration reference in docs/configuration.md"
        hint = f"did you mean {NAMESPACE}:{guess[0]}?" if guess else reference
        r.problems.append(f"{NAMESPACE}:{key} is not a promshield setting; {hint}")
    docker_host = r.string("dockerHost", DEFAULT_DOCKER_HOST)
    check_docker_host(r, "dockerHost", docker_host)
    sudo = read_firewall_sudo(r)
    hosts = read_hosts(r, sudo)
    bind_address, allow_public = read_bind(r)
    if hosts:  # the top-level values are the first host's (exports, the one-host readers)
        docker_host, bind_address = hosts[0].docker_host, hosts[0].bind_address
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
        egress_dns_servers=read_dns_servers(r),
    )
    check_egress(r, settings)
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
    return load_settings(read, pulumi.get_stack(), present)
