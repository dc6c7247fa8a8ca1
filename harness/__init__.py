"""Acceptance harness: the program deployed by the real `pulumi up` on a real Docker Engine of our own.

    project = pulumi_engine.PulumiProject(netns="pd-host")      # every `pulumi` in the Docker host's netns
    def pulumi_up(live): pulumi_engine.Deployment(project, "acceptance", live.engine.host, config, log).up()
    with LiveStack(images=references, deployer=pulumi_up) as live:   # engine, stand-ins, then the real `up`
        live.client("trusted").connect("198.19.0.1", 9090)
    hosts = [Host("mon-a", "198.19.0.1", "ssh://deploy@198.19.0.1", firewall_a), ...]   # one dockerd each
    with LiveStack(hosts=hosts, services=[receiver.service()]) as live:   # `pulumi up` over SSH: multihost.py
        live.inspect("promshield-multi-prometheus", host="mon-b")

Needs root. See README.md beside this file.
"""

from . import paths as _paths  # noqa: F401  (first: makes `components` importable)
from .live import (
    HOST_ADDRESS,
    Client,
    Fixture,
    HarnessBusy,
    HarnessError,
    Host,
    LanService,
    LiveStack,
    Member,
    NetworkView,
)
from .netns import CommandError

__all__ = [
    "HOST_ADDRESS",
    "Client",
    "CommandError",
    "Fixture",
    "HarnessBusy",
    "HarnessError",
    "Host",
    "LanService",
    "LiveStack",
    "Member",
    "NetworkView",
]
