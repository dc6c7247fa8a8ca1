"""Acceptance harness: the program's Docker containers as real processes in network namespaces.

    networks, containers = from_recorded(recorded)      # (type, name, inputs) from Pulumi mocks
    with Topology(networks, containers) as topo:        # bridges, netns, iptables, processes up
        topo.apply_host_script(firewall_script)         # the firewall component's iptables text
        topo.client("trusted").curl(f"https://{topo.host_address}:9090/-/ready", "-k")
        topo.kill("prometheus"); topo.start("prometheus")
        print(topo.log_path("prometheus"))

See DESIGN.md "How we verify" and each module's docstring. Needs root.
"""

from . import paths as _paths  # noqa: F401  (first: makes `components` importable)
from .images import PROFILES, ImageProfile, UnknownImageError, argv_for, profile_for, repository_of
from .netns import CommandError
from .sandbox import Sandbox, SandboxError
from .spec import (
    ContainerSpec,
    NetworkAttachment,
    NetworkSpec,
    Port,
    SpecError,
    Upload,
    Volume,
    from_recorded,
    unwrap_secrets,
)
from .topology import (
    DEFAULT_PLAN,
    HOST_ADDRESS,
    HOST_INTERFACE,
    AddressPlan,
    Client,
    ExtraNamespace,
    HarnessBusy,
    HarnessError,
    Topology,
    cleanup_stale,
)

__all__ = [
    "DEFAULT_PLAN",
    "HOST_ADDRESS",
    "HOST_INTERFACE",
    "PROFILES",
    "AddressPlan",
    "Client",
    "CommandError",
    "ContainerSpec",
    "ExtraNamespace",
    "HarnessBusy",
    "HarnessError",
    "ImageProfile",
    "NetworkAttachment",
    "NetworkSpec",
    "Port",
    "Sandbox",
    "SandboxError",
    "SpecError",
    "Topology",
    "UnknownImageError",
    "Upload",
    "Volume",
    "argv_for",
    "cleanup_stale",
    "from_recorded",
    "profile_for",
    "repository_of",
    "unwrap_secrets",
]
