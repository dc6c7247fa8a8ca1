"""Published ports and networks: one host address, only the proxy publishes, the backend is internal."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from components.core import catalog
from components.core.catalog import NETWORK_TYPE
from policy.support import ALLOW_PUBLIC_BIND, as_list, container_policy, describe, known, service_of, stack_flag


def every_interface(ip: str) -> bool:
    """Unset (Docker's default), 0.0.0.0, :: or any other spelling of the unspecified address."""
    if not ip:
        return True
    try:
        return ipaddress.ip_address(ip.strip("[]")).is_unspecified
    except ValueError:
        return False


def published_ports(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [port for port in as_list(props.get("ports")) if port is not None]


@container_policy
def ports_on_one_address(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Published ports bind one host address: never 0.0.0.0, `::` or unset, unless the stack sets allowPublicBind."""
    if stack_flag(ALLOW_PUBLIC_BIND):
        return
    who = describe(args)
    if args.props.get("publishAllPorts") is True:
        report(
            f"{who} publishes every exposed port on every interface (`publish_all_ports`). Fix: remove it and publish "
            "through the proxy on one address.",
            None,
        )
    for port in published_ports(args.props):
        ip = str(port.get("ip") or "").strip()
        if every_interface(ip):
            shown = ip or "unset (Docker's default 0.0.0.0)"
            report(
                f"{who} publishes port {_int(port.get('external'))}->{_int(port.get('internal'))} on {shown}: every "
                "interface of the host. "
                "Fix: set the port's `ip` to one host address (promshield:bindAddress), or set "
                f"promshield:{ALLOW_PUBLIC_BIND} true to accept it.",
                None,
            )


def _gossip_only(service: str | None, ports: list[Mapping[str, Any]], command: Any) -> bool:
    """A clustered Alertmanager's one published port: its gossip, the same port inside and out, and only
    over mutual TLS (`--cluster.tls-config`): plain memberlist would let anyone who reaches it join."""
    gossip = catalog.ALERTMANAGER_CLUSTER_PORT
    flags = [str(flag) for flag in as_list(command)]
    return (
        service == catalog.ALERTMANAGER.name
        and any(flag.startswith("--cluster.tls-config=") and flag != "--cluster.tls-config=" for flag in flags)
        and len(ports) == 1
        and _int(ports[0].get("internal")) == gossip
        and _int(ports[0].get("external")) == gossip
        and str(ports[0].get("protocol") or "tcp") == "tcp"
    )


@container_policy
def only_proxy_publishes(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Only the proxy publishes ports: every other service is reached through it, except a clustered
    Alertmanager's gossip port (mutual TLS, the firewall admits only the other hosts)."""
    service = service_of(args.props)
    if service == catalog.PROXY.name:
        return
    ports = published_ports(args.props)
    if args.props.get("publishAllPorts") is not True and _gossip_only(service, ports, args.props.get("command")):
        return
    if ports or args.props.get("publishAllPorts") is True:
        report(
            f"{describe(args)} (service {service or 'unlabelled'}) publishes ports; only the proxy "
            f"({catalog.PROXY.name}) may. "
            "Fix: remove `ports` and route clients through the proxy (TLS, auth, roles, audit log).",
            None,
        )


def _int(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def backend_network_internal(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """The backend network is internal (no route out of the host)."""
    if args.resource_type != NETWORK_TYPE:
        return
    suffix = f"-{catalog.BACKEND_NETWORK}"
    names = [args.name]
    ok, docker_name = known(args.props, "name")
    if ok and isinstance(docker_name, str):
        names.append(docker_name)
    if not any(name == catalog.BACKEND_NETWORK or name.endswith(suffix) for name in names):
        return
    if args.props.get("internal") is not True:
        report(
            f"{describe(args)} is the backend network but not internal: Prometheus, Alertmanager and the exporters "
            "could reach (and be reached from) outside. "
            "Fix: set `internal=True`.",
            None,
        )
