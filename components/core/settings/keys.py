"""How a config key is declared (`ConfigKey`: key, type, default, secret, description), and the shared keys.

Every service declares its own keys beside its readers (`KEYS` in `components/<service>/settings.py`); the
stack layer (components/stack/keys.py) joins them into the one table `Pulumi.yaml`'s `config:` block
(`python -m tools.config_schema`), docs/configuration.md's reference (`python -m tools.readme`) and the
known and secret keys come from; tests/unit/test_config_keys.py fails when one of them drifts. A default is
given only where Pulumi.yaml declares one; the readers take theirs from the table (`defaults`).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

from components.core import catalog
from components.core.settings.declare import Declared
from components.core.settings.limits import Limits

_NO_DEFAULT = object()


@dataclass(frozen=True)
class ConfigKey:
    """One `promshield:<key>` setting as `Pulumi.yaml` declares it."""

    key: str
    type: str  # Pulumi config type: string, integer, boolean, array or object
    default: Any = _NO_DEFAULT
    secret: bool = False
    items: str | None = None  # element type of an array
    description: str = ""
    # An object whose nested keys are declared (components/core/settings/declare.py).
    model: builtins.type[Declared] | None = None
    # Whether Pulumi.yaml declares it with its default. The real engine applies a declared default as if
    # the stack had set the key, so a key that must be *unset* in some stacks (dockerHost and
    # bindAddress with `hosts`) keeps its default in code only (found by the first real multi-host up).
    declared: bool = True

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT


# The shared keys (hosts, ports, TLS, edge, networks, images), in the order Pulumi.yaml and the README list them;
# each service declares its own in `components/<service>/settings.py` (`KEYS`), components/stack/keys.py joins them.
CORE_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(
        "dockerHost",
        "string",
        default="unix:///var/run/docker.sock",
        declared=False,
        description=(
            "Docker engine to deploy to (unix:///..., ssh://user@host or tcp://host:2376). With ssh:// the firewall "
            "commands run over SSH too."
        ),
    ),
    ConfigKey(
        "sshPrivateKey",
        "string",
        secret=True,
        description=(
            "SSH private key for the remote Docker host's firewall commands (required with dockerHost "
            "ssh://). Set with --secret."
        ),
    ),
    ConfigKey(
        "sshHostKey",
        "string",
        description=(
            "The SSH host key of the ssh:// dockerHost, '<type> <base64>' (required with ssh://): pinned for the "
            "firewall and reload commands and for the docker provider's ssh, never trusted on first use. With hosts, "
            "each ssh:// host has its own hosts[i].sshHostKey."
        ),
    ),
    ConfigKey(
        "bindAddress",
        "string",
        default="127.0.0.1",
        declared=False,
        description="The one host address the proxy's ports are published on. 0.0.0.0 or :: requires allowPublicBind.",
    ),
    ConfigKey(
        "allowPublicBind",
        "boolean",
        default=False,
        description="Explicitly accept publishing on every interface (0.0.0.0 / ::).",
    ),
    ConfigKey(
        "hosts",
        "array",
        items="object",
        description=(
            'Several Docker hosts, one HA member each: [{"name": "mon-a", "dockerHost": "ssh://deploy@10.30.0.11", '
            '"bindAddress": "10.30.0.11", "sshHostKey": "ssh-ed25519 AAAA..."}, ...] (then without dockerHost and '
            "bindAddress; sshHostKey, the host's pinned key, for ssh:// hosts). Each host runs Prometheus "
            "(replica label = its name), a clustered Alertmanager, the proxy and the firewall; the first keeps the "
            "one-host resource names: append hosts, never reorder (see docs/multi-host.md)."
        ),
    ),
    ConfigKey(
        "prometheusPort",
        "integer",
        default=catalog.DEFAULT_PROMETHEUS_PUBLISHED_PORT,
        description="Host port for Prometheus through the proxy.",
    ),
    ConfigKey(
        "alertmanagerPort",
        "integer",
        default=catalog.DEFAULT_ALERTMANAGER_PUBLISHED_PORT,
        description="Host port for Alertmanager through the proxy.",
    ),
    ConfigKey(
        "trustedCidrs",
        "array",
        default=["10.0.0.0/24"],
        items="string",
        description="Source networks the host firewall lets reach the published ports; everyone else is dropped.",
    ),
    ConfigKey(
        "tls",
        "object",
        description=(
            'Proxy certificate names and lifetime: {"dnsNames": [...], "ipAddresses": [...], "validityHours": 8760, '
            '"earlyRenewalHours": 720}.'
        ),
    ),
    ConfigKey(
        "proxyTlsCertificate",
        "string",
        secret=True,
        description="Bring-your-own proxy certificate (PEM, with chain). Needs proxyTlsPrivateKey.",
    ),
    ConfigKey(
        "proxyTlsPrivateKey",
        "string",
        secret=True,
        description="Bring-your-own proxy private key (PEM). Set with --secret.",
    ),
    ConfigKey(
        "limits",
        "object",
        model=Limits,
        description=(
            'Proxy limits: {"requestsPerSecond": 20, "burst": 40, "connectionsPerClient": 10, "maxBodyBytes": 1048576, '
            '"backendMaxConnections": 256, "connectionsPerSource": 128, "assetsPerSecond": 50, "assetBurst": 200}. '
            "connectionsPerSource: new connections one source address may hold to each published port (host "
            "firewall, before TLS); assetsPerSecond/assetBurst: the web UIs' static files, a budget of their own "
            "per credential apart from requestsPerSecond/burst."
        ),
    ),
    ConfigKey(
        "networks",
        "object",
        description=(
            'Subnets of the Docker networks: {"backendSubnet": "172.30.10.0/24", "edgeSubnet": "172.30.20.0/24", '
            '"egressSubnet": "172.30.30.0/24"}. Move them when they clash with a LAN or VPN; Prometheus and '
            "Alertmanager take host numbers .10 and .11 of the backend subnet. The egress network exists only when "
            "something is outside the host (a target, Redis, remote write or receiver with an IP address or "
            "egressCidrs); Prometheus, Alertmanager and the Redis exporter take .10, .11 and .12 of it, and the "
            "firewall lets each reach exactly its own destinations."
        ),
    ),
    ConfigKey(
        "egressDnsServers",
        "array",
        items="string",
        description=(
            "The Docker host's resolvers (IPv4), when a destination outside the host is named by DNS: Docker's "
            "embedded DNS forwards a container's look-ups from the container's own namespace, so each service on "
            "the egress network is granted udp/tcp 53 to these. Default: none, so such names do not resolve: give "
            "IP addresses instead."
        ),
    ),
    ConfigKey(
        "images",
        "object",
        description=(
            "Override pinned images by key (prometheus, alertmanager, proxy, redis_exporter, duckdb_exporter_base, "
            "demo_redis, trading_sim). Never latest or untagged."
        ),
    ),
    ConfigKey(
        "demo",
        "boolean",
        default=False,
        description=(
            "Also deploy four demo Redis servers (RTS, RIS, RTSS, RTRS), a demo DuckDB file and a trading simulator "
            "(the Instance Manager and Trade Engine targets, over TLS with basic auth, when their target lists are "
            'unset) so every target is up on a fresh machine (dev stack; docs/getting-started.md, "The dev demo").'
        ),
    ),
)


def defaults(keys: tuple[ConfigKey, ...]) -> dict[str, Any]:
    """The declared defaults of a table of keys, by key (keys without one are left out)."""
    return {spec.key: spec.default for spec in keys if spec.has_default}


CORE_DEFAULTS = defaults(CORE_KEYS)
