"""promshield: a secured Prometheus monitoring stack on one Docker host, or the same on several.

trusted CIDR -> host:bindAddress:9090/9093 -> firewall (DOCKER-USER) -> proxy (TLS, auth, roles)
    -> mTLS -> Prometheus / Alertmanager on the internal backend network -> scrape targets
Prometheus, Alertmanager, the Redis exporter -> egress network (only their granted destinations) -> LAN

With `hosts`, every host runs that stack (its own Docker provider, networks, Prometheus replica,
Alertmanager, proxy and firewall); the Alertmanagers gossip over mutual TLS and every Prometheus
sends alerts to every Alertmanager (docs/multi-host.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components.alertmanager.component import Alertmanager, AlertmanagerArgs
from components.alertmanager.render import AlertmanagerSettings
from components.core import catalog
from components.core.network import Networks
from components.core.reload import DockerAccess
from components.dashboards.consoles import render_console_files
from components.dashboards.panels import dashboards
from components.firewall.component import Firewall, FirewallSettings
from components.firewall.egress import egress_plan
from components.monitored import monitored_services
from components.prometheus.component import Prometheus, PrometheusArgs
from components.prometheus.render import PrometheusSettings
from components.prometheus.rules import render_rule_files
from components.proxy.component import Proxy, ProxyArgs
from components.proxy.credentials import Credentials
from components.proxy.render import ProxySettings
from components.redis.component import RedisAccess
from components.stack import certificates as certs
from components.stack.settings import Settings, from_pulumi_config

settings = from_pulumi_config()  # every config problem is reported here, before any resource
pki = certs.Pki("pki", settings.stack, settings.tls, certs.all_leaves(settings))
credentials = Credentials("credentials", settings.users)


@dataclass(frozen=True)
class HostStack:
    """What one host runs."""

    settings: Settings  # as the host sees them
    firewall: Firewall
    redis: RedisAccess | None


def deploy_host(view: Settings, shared_redis: RedisAccess | None) -> HostStack:
    """One host's stack; `view` is the stack's settings as that host sees them (`Settings.for_host`)."""
    host = view.deploy_hosts[0] if view.host is None else view.host
    name = host.resource  # the first host keeps the one-host names
    docker_cli = DockerAccess.of(view)  # reload commands: changed files reach running services in place
    # Over SSH the provider runs the system ssh: the host key pinned (DockerAccess.ssh_options).
    provider = docker.Provider(host.provider_name, host=view.docker_host, ssh_opts=docker_cli.ssh_options or None)
    docker_host = pulumi.ResourceOptions(providers=[provider])

    egress = egress_plan(view)  # what leaves the host: from which fixed address, to exactly where
    networks = Networks(name("networks"), view.stack, view.networks, opts=docker_host, egress=egress.needed)

    def egress_of(service: catalog.Service) -> tuple[pulumi.Output[str], str] | None:
        """(the egress network, the service's address on it) when the service has a destination outside the host."""
        address = egress.address_of(service)
        return (networks.egress_name, address) if address and networks.egress_name is not None else None

    alertmanager = Alertmanager(
        name("alertmanager"),
        AlertmanagerArgs(
            settings=AlertmanagerSettings.of(view),
            backend_network=networks.backend_name,
            edge_network=networks.edge_name,
            ca_cert_pem=pki.ca_cert_pem,
            server=certs.host_certificate(pki, view, certs.ALERTMANAGER_SERVER),
            docker=docker_cli,
            egress=egress_of(catalog.ALERTMANAGER),
        ),
        opts=docker_host,
    )
    monitored = monitored_services(
        view, networks, pki, opts=docker_host, shared_redis=shared_redis, egress=egress_of(catalog.REDIS_EXPORTER)
    )
    prometheus = Prometheus(
        name("prometheus"),
        PrometheusArgs(
            settings=PrometheusSettings.of(view),
            backend_network=networks.backend_name,
            ca_cert_pem=pki.ca_cert_pem,
            server=certs.host_certificate(pki, view, certs.PROMETHEUS_SERVER),
            client=certs.host_certificate(pki, view, certs.PROMETHEUS_CLIENT),
            rule_files=render_rule_files(view.alert_thresholds),
            console_files=render_console_files(dashboards(view.alert_thresholds)),
            extra_jobs=monitored.jobs,
            extra_uploads=monitored.uploads,
            depends_on=[alertmanager.container, *monitored.exporters],
            docker=docker_cli,
            edge_network=networks.edge_name,
            egress=egress_of(catalog.PROMETHEUS),
        ),
        opts=docker_host,
    )
    proxy = Proxy(
        name("proxy"),
        ProxyArgs(
            settings=ProxySettings.of(view),
            backend_network=networks.backend_name,
            edge_network=networks.edge_name,
            ca_cert_pem=pki.ca_cert_pem,
            server=certs.proxy_server_certificate(view, pki),
            client=certs.host_certificate(pki, view, certs.PROXY_CLIENT),
            htpasswd=credentials.htpasswd,
            digest_key=credentials.digest_key,
            depends_on=[prometheus.container, alertmanager.container],
            docker=docker_cli,
            peer_server=certs.host_certificate(pki, view, certs.PROXY_PEER_SERVER) if view.multi_host else None,
            metrics_server=certs.host_certificate(pki, view, certs.PROXY_METRICS_SERVER),
        ),
        opts=docker_host,
    )
    # After what publishes ports; the provider marks the host the (non-Docker) commands run on.
    published = [proxy.container, alertmanager.container] if view.multi_host else [proxy.container]
    firewall = Firewall(
        name("firewall"),
        FirewallSettings.of(view, egress),
        opts=pulumi.ResourceOptions(depends_on=published, providers=[provider]),
    )
    return HostStack(view, firewall, monitored.redis)


stacks: list[HostStack] = []
for each in settings.deploy_hosts:
    stacks.append(deploy_host(settings.for_host(each), stacks[0].redis if stacks else None))
first = stacks[0]

pulumi.export("prometheus_url", settings.external_url(settings.prometheus_port))
pulumi.export("alertmanager_url", settings.external_url(settings.alertmanager_port))
pulumi.export("ca_certificate", pki.ca_cert_pem)
pulumi.export("users", {user.name: user.role for user in settings.users})
pulumi.export("passwords", pulumi.Output.secret(credentials.passwords))
pulumi.export("firewall_chain", first.firewall.plan.chain)
if settings.multi_host:
    pulumi.export(
        "hosts",
        {
            stack.settings.host.name: {
                "docker_host": stack.settings.docker_host,
                "bind_address": stack.settings.bind_address,
                "prometheus_url": stack.settings.external_url(settings.prometheus_port),
                "alertmanager_url": stack.settings.external_url(settings.alertmanager_port),
            }
            for stack in stacks
            if stack.settings.host is not None
        },
    )
