"""Acceptance harness: what the program registers, deployed on a real Docker Engine of our own.

    engine = Engine(prefix="pd", netns="pd-host").start()        # dockerd in the Docker host netns
    standins.ensure_images(engine.client(), references)          # pinned names, built from Debian
    deployment = deploy(engine.client(), recorded.resources)     # the provider's meaning of each input
    with LiveStack(recorded.resources, host_script=firewall) as live:   # all of it, plus a LAN of clients
        live.client("trusted").connect("198.19.0.1", 9090)
    hosts = [Host("mon-a", "198.19.0.1", "ssh://deploy@198.19.0.1", firewall_a), ...]   # one dockerd each
    with LiveStack(recorded.resources, hosts=hosts, services=[receiver.service()]) as live:
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
