"""The one table of config keys: key, type, default, secret, description.

`Pulumi.yaml`'s `config:` block (`python -m tools.config_schema`), docs/configuration.md's
reference (`python -m tools.readme`) and the known and secret keys the reader checks are all
generated from it; tests/unit/test_config_keys.py fails when one of them drifts. A default is
given here only where Pulumi.yaml declares one; the readers take theirs from `default_of`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.core import catalog

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

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT


# One row per key, in the order Pulumi.yaml and docs/configuration.md list them.
CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(
        "dockerHost",
        "string",
        default="unix:///var/run/docker.sock",
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
        "firewallSudo",
        "boolean",
        description="Run the firewall commands through `sudo -n` (default true for a local engine, false over SSH).",
    ),
    ConfigKey(
        "bindAddress",
        "string",
        default="127.0.0.1",
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
            '"bindAddress": "10.30.0.11"}, ...] (then without dockerHost and bindAddress). Each host runs Prometheus '
            "(replica label = its name), a clustered Alertmanager, the proxy and the firewall; the first keeps the "
            'one-host resource names: append hosts, never reorder (see docs/multi-host.md).'
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
        "users",
        "array",
        items="object",
        description=(
            'Proxy users: [{"name": "alice", "role": "admin|ops|read-only|no-access"}]. Default: admin, ops, read-only.'
        ),
    ),
    ConfigKey(
        "userPasswords",
        "object",
        secret=True,
        description=(
            "Optional passwords by user name (>= 12 characters), set with `pulumi config set --secret --path "
            "userPasswords.alice ...`; absent ones are generated."
        ),
    ),
    ConfigKey("scrapeInterval", "string", default="5s", description="Global scrape interval."),
    ConfigKey("scrapeTimeout", "string", default="3s", description="Global scrape timeout (at most scrapeInterval)."),
    ConfigKey("evaluationInterval", "string", default="5s", description="Rule evaluation interval."),
    ConfigKey("retentionTime", "string", default="15d", description="Prometheus TSDB retention."),
    ConfigKey(
        "limits",
        "object",
        description=(
            'Proxy limits: {"requestsPerSecond": 20, "burst": 40, "connectionsPerClient": 10, "maxBodyBytes": 1048576, '
            '"backendMaxConnections": 256, "connectionsPerSource": 128, "assetsPerSecond": 50, "assetBurst": 200}. '
            "connectionsPerSource: new connections one source address may hold to each published port (host "
            "firewall, before TLS); assetsPerSecond/assetBurst: the web UIs' static files, a budget of their own "
            "per credential apart from requestsPerSecond/burst."
        ),
    ),
    ConfigKey(
        "queryLimits",
        "object",
        description=(
            'What one query may cost: {"maxSamples": 2500000, "timeout": "30s", "maxConcurrency": 4, '
            '"lookbackDelta": "5m", "concurrentPerCredential": 2, "maxSelectors": 64, "maxSubquerySteps": 11000, '
            '"maxQueryBytes": 8192, "maxBodyBytes": 65536}. maxSamples, timeout, maxConcurrency and lookbackDelta '
            "are Prometheus' --query.* flags (maxSamples x maxConcurrency x 48 bytes must fit half its memory). "
            "The proxy answers 429 to a credential with more than concurrentPerCredential (< maxConcurrency) read "
            "requests in flight; 400 to more match[] than maxSelectors, a subquery of more than maxSubquerySteps "
            "steps (its range, stretched by every subquery range around it, over its resolution), a query longer "
            "than maxQueryBytes or a POST body that is not a form; 413 to a body over maxBodyBytes."
        ),
    ),
    ConfigKey(
        "silenceLimits",
        "object",
        description=(
            '{"maxBodyBytes": 4096, "perMinute": 6, "burst": 20, "snapshotInterval": "250ms"}: the proxy refuses a '
            "silence body over maxBodyBytes (413) and more than perMinute silences per credential (burst, then "
            "429); Alertmanager writes its silences to disk every snapshotInterval, so one acknowledged is on disk "
            "before a crash a second later."
        ),
    ),
    ConfigKey(
        "logLimits",
        "object",
        description=(
            '{"queryLogBytes": 16777216, "auditLogBytes": 67108864}: Prometheus\' query log is copied to query.log.1 '
            "and emptied past queryLogBytes (one old copy kept); the audit log is rotated past auditLogBytes (every "
            "rotated file kept, gzipped: the record; the alert ProxyAuditVolumeFilling fires before its volume is "
            "full, alertThresholds.auditVolumeFreeRatio)."
        ),
    ),
    ConfigKey(
        "clientCertificateAuth",
        "object",
        description=(
            'Off by default. {"caPem": "-----BEGIN CERTIFICATE-----..."}: the proxy also requires a client certificate '
            "issued by this CA (not a secret) from every client, before any password is checked."
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
        "alertmanagerReceivers",
        "array",
        items="object",
        description=(
            'Receivers by type: {"name": "hook", "webhookUrl": "http://alert-receiver:4000/alerts"}, '
            '{"name": "pager", "pagerduty": {}}, {"name": "chat", "slack": {"channel": "#trading-alerts"}}, '
            '{"name": "ops-genie", "opsgenie": {}}, {"name": "mail", "email": {"to": "...", "from": "...", '
            '"smarthost": "smtp.example:587"}}; optional "url" (API endpoint override) inside pagerduty/opsgenie, '
            '"caPem" (a private CA to verify the receiver against) and "sendResolved". Credentials go in '
            "alertmanagerReceiverSecrets."
        ),
    ),
    ConfigKey(
        "alertmanagerReceiverSecrets",
        "object",
        secret=True,
        description=(
            "Each receiver's credential by receiver name (PagerDuty routing key, Slack webhook URL, Opsgenie API "
            "key, SMTP password): `pulumi config set --secret --path 'alertmanagerReceiverSecrets.pager' ...`. "
            "Reaches Alertmanager only as a 0400 file."
        ),
    ),
    ConfigKey(
        "alertRoutes",
        "array",
        items="object",
        description=(
            'Ordered routes: [{"matchers": ["severity=\\"critical\\""], "receiver": "pager", "continue": false, '
            '"activeTimeIntervals": [], "muteTimeIntervals": []}]. Default: critical to the first pagerduty/opsgenie '
            "receiver."
        ),
    ),
    ConfigKey(
        "alertDefaultReceiver",
        "string",
        description="Receiver of every alert no route takes. Default: the first slack or webhook receiver.",
    ),
    ConfigKey(
        "watchdogReceiver",
        "string",
        description=(
            "A dead-man's-switch receiver for the always-firing Watchdog alert. Default: none (a null receiver)."
        ),
    ),
    ConfigKey(
        "timeIntervals",
        "object",
        description=(
            'Named time intervals for routes: {"business-hours": [{"weekdays": ["monday:friday"], "times": '
            '[{"startTime": "08:00", "endTime": "18:00"}], "location": "Europe/London"}]}; also daysOfMonth, months, '
            "years."
        ),
    ),
    ConfigKey(
        "alertmanagerEgress",
        "boolean",
        default=False,
        description=(
            "Let Alertmanager reach its receivers outside the host: it joins the egress network, and the firewall "
            "grants it each receiver's address and port (an IP in its URL or smarthost, or the receiver's "
            '"egressCidrs": [...]; required for pagerduty, opsgenie and slack) and nothing else.'
        ),
    ),
    ConfigKey(
        "remoteWrite",
        "object",
        description=(
            'Off by default. {"enabled": true, "url": "https://...", "username": "...", "mtls": false, "caPem": "...", '
            '"headers": {"X-Scope-OrgID": "desk"}, "queue": {"capacity": 10000, "maxShards": 50, "minShards": 1, '
            '"maxSamplesPerSend": 2000, "batchSendDeadline": "5s", "minBackoff": "30ms", "maxBackoff": "5s"}, '
            '"dropReplicaLabel": false, "egressCidrs": [...]}; basic-auth password in remoteWritePassword; "mtls" '
            "presents Prometheus' stack client certificate (the store trusts the stack CA); egressCidrs: the "
            "endpoint's addresses when its URL names a host outside the Docker host by DNS name (an IP in the URL "
            'stands for itself). See docs/multi-host.md, "Remote write".'
        ),
    ),
    ConfigKey(
        "remoteWritePassword",
        "string",
        secret=True,
        description="Basic-auth password for remote write. Set with --secret.",
    ),
    ConfigKey(
        "enableAdminApi",
        "boolean",
        default=False,
        description="Enable Prometheus' TSDB admin API (admin role only, through the proxy).",
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
        "instanceManagerTargets",
        "array",
        items="object",
        description=(
            'Instance Manager endpoints: [{"address": "im-1:9400", "scheme": "https", "labels": {...}, "caPem": "...", '
            '"username": "...", "egressCidrs": ["10.0.5.20/32"]}]. An address outside the Docker host is an IP, or a '
            "DNS name with the egressCidrs it resolves into (the firewall grants Prometheus exactly those on the "
            "target's port); a name without egressCidrs is a container on the backend network."
        ),
    ),
    ConfigKey(
        "instanceManagerTargetsPasswords",
        "object",
        secret=True,
        description="Basic-auth passwords for Instance Manager targets, by address.",
    ),
    ConfigKey(
        "tradeEngineTargets",
        "array",
        items="object",
        description="Trade Engine endpoints, same shape as instanceManagerTargets.",
    ),
    ConfigKey(
        "tradeEngineTargetsPasswords",
        "object",
        secret=True,
        description="Basic-auth passwords for Trade Engine targets, by address.",
    ),
    ConfigKey(
        "redisInstances",
        "array",
        items="object",
        description=(
            'The monitored Redis instances: [{"name": "RTS", "address": "redis-rts:6379", "tls": false, '
            '"adminUsername": "...", "exporterUsername": "prometheus", "checkKeys": [], "egressCidrs": [...]}]; '
            '"name" is unique and becomes the `redis_instance` label. Each gets its own exporter ACL user and '
            "generated password. A Redis outside the Docker host has an IP address or egressCidrs (as "
            "instanceManagerTargets)."
        ),
    ),
    ConfigKey(
        "redisAdminPasswords",
        "object",
        secret=True,
        description=(
            "Password of each instance's admin user (the one that manages the exporter's ACL user) by instance "
            "name: `pulumi config set --secret --path 'redisAdminPasswords.RTS' ...`."
        ),
    ),
    ConfigKey(
        "duckdb",
        "object",
        description=(
            'The monitored DuckDB: {"snapshotDir": "/srv/trading/monitoring", "metricsTable": "metrics", '
            '"probeQueries": {...}, "memoryLimit": "64MB", "threads": 1}. The exporter reads only the snapshot '
            "the writer publishes into snapshotDir (exporters/duckdb/duckdb_snapshot.py); reading the live file "
            '("readLiveFile": true with "databasePath") is an opt-in that contends with the writer '
            '(see docs/targets.md, "DuckDB: a published snapshot, never the live file").'
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
    ConfigKey(
        "alertThresholds",
        "object",
        description='Alert thresholds by camelCase name (see docs/alerting.md, "Alert thresholds").',
    ),
)
BY_KEY = {spec.key: spec for spec in CONFIG_KEYS}
KNOWN_KEYS = tuple(BY_KEY)
SECRET_KEYS = tuple(spec.key for spec in CONFIG_KEYS if spec.secret)


def default_of(key: str) -> Any:
    """The default the table declares for `key` (KeyError when it declares none)."""
    spec = BY_KEY[key]
    if not spec.has_default:
        raise KeyError(f"{key} has no declared default")
    return spec.default
