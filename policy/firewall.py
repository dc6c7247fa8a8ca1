"""The host firewall: published ports are guarded by the Firewall component's DOCKER-USER rules."""

from __future__ import annotations

import re
from functools import partial

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from components.core.catalog import CONTAINER_TYPE, FIREWALL_TYPE, LOCAL_COMMAND_TYPE, REMOTE_COMMAND_TYPE
from policy.network import every_interface, published_ports
from policy.support import known, type_chain, visible


def firewall_guards_published_ports(args: StackValidationArgs, report: ReportViolation) -> None:
    """Whenever a container publishes a port, the Firewall component applies host rules (DOCKER-USER) that name every
    published port, in the rules of the host the port is published on (one script naming both the port and its
    address: a multi-host stack has a firewall per host).
    """
    publishers: list[tuple[PolicyResource, set[tuple[str, int]]]] = []
    for resource in args.resources:
        if resource.resource_type != CONTAINER_TYPE:
            continue
        ok, ports = visible(partial(published_ports, resource.props))
        publish_all = known(resource.props, "publishAllPorts")[1] is True
        if ok and (ports or publish_all):
            externals = {
                (str(p.get("ip") or ""), int(p.get("external")))
                for p in ports
                if isinstance(p.get("external"), int | float)
            }
            publishers.append((resource, externals))
    if not publishers:
        return
    components = [r for r in args.resources if r.resource_type == FIREWALL_TYPE]
    commands = [
        r
        for r in args.resources
        if r.resource_type in (LOCAL_COMMAND_TYPE, REMOTE_COMMAND_TYPE) and FIREWALL_TYPE in type_chain(r)[:-1]
    ]
    if not components or not commands:
        missing = "component" if not components else "rule command (command:local/remote:Command child)"
        for resource, _ in publishers:
            report(
                f'container "{resource.name}" publishes ports but the stack has no {FIREWALL_TYPE} {missing}: '
                "Docker's published ports bypass the host's INPUT rules and are open to every source. "
                "Fix: add the Firewall component (components/firewall/component.py), which allow-lists "
                "promshield:trustedCidrs in DOCKER-USER.",
                resource.urn,
            )
        return
    scripts: list[str] = []
    for command in commands:
        ok, create = known(command.props, "create")
        if not ok:
            return  # rendered from values not known yet: checked at `pulumi up`
        scripts.append(str(create or ""))

    def covered(address: str, port: int) -> bool:
        # A port on every interface is ports-bound-to-one-address's to report; any script naming it covers it.
        # Else the rules match its address as the connection's original destination: the same address
        # elsewhere (another host's rules admitting this host as a peer, `-s`) guards nothing here.
        names_address = (
            None if every_interface(address) else re.compile(rf"--ctorigdst {re.escape(address)}(?![0-9A-Fa-f.:/])")
        )
        return any(
            re.search(rf"(?<![0-9]){port}(?![0-9])", script) and (names_address is None or names_address.search(script))
            for script in scripts
        )

    for resource, externals in publishers:
        uncovered = sorted(port for address, port in externals if not covered(address, port))
        if uncovered:
            report(
                f'container "{resource.name}" publishes host ports {uncovered}, which no firewall rule names. '
                "Fix: give the Firewall component every published port (settings.published_ports).",
                resource.urn,
            )
