"""promshield: a secured Prometheus monitoring stack on one Docker host.

trusted CIDR -> host:bindAddress:9090/9093 -> firewall (DOCKER-USER) -> proxy (TLS, auth, roles)
    -> mTLS -> Prometheus / Alertmanager on the internal backend network -> scrape targets
Prometheus, Alertmanager, the Redis exporter -> egress network (only their granted destinations) -> LAN
"""

import pulumi
import pulumi_docker as docker

from components.alertmanager.component import Alertmanager, AlertmanagerArgs
from components.alertmanager.render import AlertmanagerSettings
from components.core import catalog
from components.core import pki as certs
from components.core.network import Networks
from components.core.reload import DockerAccess
from components.core.settings import from_pulumi_config
from components.firewall.component import Firewall, FirewallSettings
from components.firewall.egress import egress_plan
from components.monitored import monitored_services
from components.prometheus.component import Prometheus, PrometheusArgs
from components.prometheus.render import PrometheusSettings
from components.prometheus.rules import render_rule_files
from components.proxy.component import Proxy, ProxyArgs
from components.proxy.credentials import Credentials
from components.proxy.render import ProxySettings

settings = from_pulumi_config()  # every config problem is reported here, before any resource
docker_host = pulumi.ResourceOptions(providers=[docker.Provider("docker", host=settings.docker_host)])
docker_cli = DockerAccess.of(settings)  # reload commands: changed files reach running services in place

egress = egress_plan(settings)  # what leaves the host: from which fixed address, to exactly where
networks = Networks("networks", settings.stack, settings.networks, opts=docker_host, egress=egress.needed)


def egress_of(service: catalog.Service) -> tuple[pulumi.Output[str], str] | None:
    """(the egress network, the service's address on it) when the service has a destination outside the host."""
    address = egress.address_of(service)
    return (networks.egress_name, address) if address and networks.egress_name is not None else None


pki = certs.Pki("pki", settings.stack, settings.tls, certs.stack_leaves(settings))
credentials = Credentials("credentials", settings.users)

alertmanager = Alertmanager(
    "alertmanager",
    AlertmanagerArgs(
        settings=AlertmanagerSettings.of(settings),
        backend_network=networks.backend_name,
        ca_cert_pem=pki.ca_cert_pem,
        server=pki.certificates[certs.ALERTMANAGER_SERVER],
        docker=docker_cli,
        egress=egress_of(catalog.ALERTMANAGER),
    ),
    opts=docker_host,
)
monitored = monitored_services(settings, networks, pki, opts=docker_host, egress=egress_of(catalog.REDIS_EXPORTER))
prometheus = Prometheus(
    "prometheus",
    PrometheusArgs(
        settings=PrometheusSettings.of(settings),
        backend_network=networks.backend_name,
        ca_cert_pem=pki.ca_cert_pem,
        server=pki.certificates[certs.PROMETHEUS_SERVER],
        client=pki.certificates[certs.PROMETHEUS_CLIENT],
        rule_files=render_rule_files(settings.alert_thresholds),
        extra_jobs=monitored.jobs,
        extra_uploads=monitored.uploads,
        depends_on=[alertmanager.container, *monitored.exporters],
        docker=docker_cli,
        egress=egress_of(catalog.PROMETHEUS),
    ),
    opts=docker_host,
)
proxy = Proxy(
    "proxy",
    ProxyArgs(
        settings=ProxySettings.of(settings),
        backend_network=networks.backend_name,
        edge_network=networks.edge_name,
        ca_cert_pem=pki.ca_cert_pem,
        server=certs.proxy_server_certificate(settings, pki),
        client=pki.certificates[certs.PROXY_CLIENT],
        htpasswd=credentials.htpasswd,
        digest_key=credentials.digest_key,
        depends_on=[prometheus.container, alertmanager.container],
        docker=docker_cli,
    ),
    opts=docker_host,
)
firewall = Firewall(
    "firewall", FirewallSettings.of(settings, egress), opts=pulumi.ResourceOptions(depends_on=[proxy.container])
)

pulumi.export("prometheus_url", settings.external_url(settings.prometheus_port))
pulumi.export("alertmanager_url", settings.external_url(settings.alertmanager_port))
pulumi.export("ca_certificate", pki.ca_cert_pem)
pulumi.export("users", {user.name: user.role for user in settings.users})
pulumi.export("passwords", pulumi.Output.secret(credentials.passwords))
pulumi.export("firewall_chain", firewall.plan.chain)
