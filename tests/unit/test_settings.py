"""Settings: defaults, and a table of bad configurations with the exact message each gives.

Every problem in a configuration is reported at once, naming the key, the bad value and
what is expected, before any resource is created.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.core.settings import Settings, SettingsError, load_settings


def load(config: dict[str, Any], stack: str = "test") -> Settings:
    raw = {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}
    return load_settings(raw.get, stack, raw.keys())


def problems_of(config: dict[str, Any]) -> list[str]:
    with pytest.raises(SettingsError) as error:
        load(config)
    return error.value.problems


def test_defaults_follow_the_seed_and_design() -> None:
    settings = load({})
    assert (settings.scrape_interval, settings.scrape_timeout, settings.evaluation_interval) == ("5s", "3s", "5s")
    assert settings.published_ports == (9090, 9093)
    assert settings.bind_address == "127.0.0.1"
    assert settings.trusted_cidrs == ("10.0.0.0/24",)
    assert settings.limits.connections_per_client == 10
    assert settings.limits.max_body_bytes == 1024 * 1024
    assert settings.remote_write.enabled is False
    assert settings.enable_admin_api is False
    assert [(u.name, u.role) for u in settings.users] == [
        ("admin", "admin"),
        ("ops", "ops"),
        ("read-only", "read-only"),
    ]
    assert settings.receivers[0].webhook_url.endswith(":4000/alerts")
    assert all(":" in ref and not ref.endswith(":latest") for ref in settings.images.values())


def test_settings_are_immutable() -> None:
    settings = load({})
    with pytest.raises(AttributeError):
        settings.bind_address = "0.0.0.0"  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.images["prometheus"] = "prom/prometheus:latest"  # type: ignore[index]


def test_secrets_never_show_in_repr_or_errors() -> None:
    settings = load({"userPasswords": {"admin": "correct horse battery staple"}})
    assert "correct horse" not in repr(settings)
    problems = problems_of({"userPasswords": {"admin": "short-pw"}})
    assert problems == [
        "promshield:userPasswords.admin = <secret>: expected at least 12 characters (or unset it to generate one)"
    ]
    assert not any("short-pw" in p for p in problems)


BAD_CONFIGS: list[tuple[str, dict[str, Any], str]] = [
    (
        "port out of range",
        {"prometheusPort": 70000},
        "promshield:prometheusPort = 70000: expected a TCP port between 1 and 65535",
    ),
    (
        "port not a number",
        {"alertmanagerPort": "nine"},
        'promshield:alertmanagerPort = "nine": expected a TCP port between 1 and 65535',
    ),
    (
        "ports clash",
        {"prometheusPort": 9443, "alertmanagerPort": 9443},
        "promshield:alertmanagerPort = 9443: clashes with promshield:prometheusPort (9443); "
        "expected two different ports",
    ),
    (
        "bad CIDR",
        {"trustedCidrs": ["10.0.0.0/33"]},
        'promshield:trustedCidrs = "10.0.0.0/33": expected an IPv4/IPv6 network in CIDR form with host bits '
        "zero, e.g. 10.0.0.0/24",
    ),
    (
        "CIDR with host bits",
        {"trustedCidrs": ["10.0.0.5/24"]},
        'promshield:trustedCidrs = "10.0.0.5/24": expected an IPv4/IPv6 network in CIDR form with host bits '
        "zero, e.g. 10.0.0.0/24",
    ),
    (
        "no trusted CIDR",
        {"trustedCidrs": []},
        "promshield:trustedCidrs = []: expected at least one CIDR allowed to reach the proxy",
    ),
    (
        "bind on every interface",
        {"bindAddress": "0.0.0.0"},
        'promshield:bindAddress = "0.0.0.0": binds the proxy on every interface; set one host address, or set '
        "promshield:allowPublicBind true to accept it",
    ),
    (
        "bind not an address",
        {"bindAddress": "localhost"},
        'promshield:bindAddress = "localhost": expected one IP address of the Docker host, e.g. 127.0.0.1 or 10.0.0.5',
    ),
    (
        "duplicate user",
        {"users": [{"name": "admin", "role": "admin"}, {"name": "admin", "role": "ops"}]},
        'promshield:users[].name = "admin": duplicate user: each name must appear once',
    ),
    (
        "unknown role",
        {"users": [{"name": "admin", "role": "admin"}, {"name": "bob", "role": "superuser"}]},
        'promshield:users[bob].role = "superuser": unknown role; expected one of admin, ops, read-only, no-access',
    ),
    (
        "bad user name",
        {"users": [{"name": "admin", "role": "admin"}, {"name": "Bob:x", "role": "ops"}]},
        'promshield:users[].name = "Bob:x": expected a lowercase name of 1-32 characters: letters, '
        "digits, '.', '_' or '-'",
    ),
    (
        "no admin",
        {"users": [{"name": "viewer", "role": "read-only"}]},
        'promshield:users = ["viewer"]: expected at least one user with role admin',
    ),
    (
        "password for unknown user",
        {"userPasswords": {"mallory": "a-long-enough-password"}},
        'promshield:userPasswords = "mallory": has a password for a user not listed in promshield:users',
    ),
    (
        "timeout above interval",
        {"scrapeInterval": "5s", "scrapeTimeout": "10s"},
        'promshield:scrapeTimeout = "10s": expected at most scrapeInterval (5s)',
    ),
    (
        "bad duration",
        {"evaluationInterval": "five seconds"},
        'promshield:evaluationInterval = "five seconds": expected a Prometheus duration such as 5s, 1m or 15d',
    ),
    (
        "remote write over http",
        {
            "remoteWrite": {"enabled": True, "url": "http://lts.example/api/v1/write", "username": "p"},
            "remoteWritePassword": "pw-long-enough",
        },
        'promshield:remoteWrite.url = "http://lts.example/api/v1/write": remote write sends every sample: '
        "expected an https:// URL",
    ),
    (
        "remote write without username",
        {
            "remoteWrite": {"enabled": True, "url": "https://lts.example/api/v1/write"},
            "remoteWritePassword": "pw-long-enough",
        },
        'promshield:remoteWrite.username = "": remote write needs basic-auth credentials: set remoteWrite.username',
    ),
    (
        "remote write without password",
        {"remoteWrite": {"enabled": True, "url": "https://lts.example/api/v1/write", "username": "p"}},
        "promshield:remoteWritePassword = null: remote write needs a password: pulumi config set --secret "
        "remoteWritePassword ...",
    ),
    (
        "image on latest",
        {"images": {"prometheus": "prom/prometheus:latest"}},
        'promshield:images.prometheus = "prom/prometheus:latest": expected a pinned version tag (at least '
        "major.minor, e.g. v3.5.0) or @sha256 digest, never latest, untagged or floating",
    ),
    (
        "image untagged",
        {"images": {"alertmanager": "prom/alertmanager"}},
        'promshield:images.alertmanager = "prom/alertmanager": expected a pinned version tag (at least major.minor, '
        "e.g. v3.5.0) or @sha256 digest, never latest, untagged or floating",
    ),
    (
        "floating major tag",
        {"images": {"demo_redis": "redis:7"}},
        'promshield:images.demo_redis = "redis:7": expected a pinned version tag (at least major.minor, e.g. v3.5.0) '
        "or @sha256 digest, never latest, untagged or floating",
    ),
    (
        "unknown image key",
        {"images": {"grafana": "grafana/grafana:11.0.0"}},
        'promshield:images.grafana = "grafana/grafana:11.0.0": unknown image key; expected one of prometheus, '
        "alertmanager, proxy, redis_exporter, duckdb_exporter_base, demo_redis",
    ),
    (
        "limit out of range",
        {"limits": {"connectionsPerClient": 0}},
        "promshield:limits.connectionsPerClient = 0: expected an integer between 1 and 10000",
    ),
    (
        "subnet not a network",
        {"networks": {"backendSubnet": "172.30.10.5/24"}},
        'promshield:networks.backendSubnet = "172.30.10.5/24": expected an IPv4 subnet in CIDR form with host bits '
        "zero and room for 12 hosts, e.g. 172.30.10.0/24",
    ),
    (
        "subnet too small",
        {"networks": {"edgeSubnet": "198.18.0.0/30"}},
        'promshield:networks.edgeSubnet = "198.18.0.0/30": expected an IPv4 subnet in CIDR form with host bits zero '
        "and room for 12 hosts, e.g. 172.30.10.0/24",
    ),
    (
        "subnets overlap",
        {"networks": {"backendSubnet": "198.18.0.0/16", "edgeSubnet": "198.18.5.0/24"}},
        'promshield:networks.edgeSubnet = "198.18.5.0/24": overlaps networks.backendSubnet (198.18.0.0/16); expected '
        "two separate subnets",
    ),
    (
        "subnet holds the bind address",
        {"bindAddress": "172.30.20.7"},
        'promshield:networks.edgeSubnet = "172.30.20.0/24": contains promshield:bindAddress (172.30.20.7); expected a '
        "subnet no host address is in",
    ),
    (
        "unknown network key",
        {"networks": {"backend": "198.18.0.0/24"}},
        'promshield:networks.backend = "198.18.0.0/24": unknown key; expected backendSubnet or edgeSubnet',
    ),
    (
        "unknown limit",
        {"limits": {"maxConns": 5}},
        "promshield:limits.maxConns = 5: unknown key; expected requestsPerSecond, burst, connectionsPerClient, "
        "maxBodyBytes or backendMaxConnections",
    ),
    (
        "receiver URL without scheme",
        {"alertmanagerReceivers": [{"name": "oncall", "webhookUrl": "alerts.example/hook"}]},
        'promshield:alertmanagerReceivers[oncall].webhookUrl = "alerts.example/hook": expected a http or '
        "https URL with a host",
    ),
    (
        "receiver URL with credentials",
        {"alertmanagerReceivers": [{"name": "oncall", "webhookUrl": "https://u:p@alerts.example/hook"}]},
        'promshield:alertmanagerReceivers[oncall].webhookUrl = "<url with credentials>": expected no credentials '
        "inside the URL; use the dedicated secret key",
    ),
    (
        "remote Docker without SSH key",
        {"dockerHost": "ssh://deploy@10.0.0.5"},
        "promshield:sshPrivateKey = null: a remote Docker host needs the SSH key for the firewall commands: pulumi "
        "config set --secret sshPrivateKey < key",
    ),
    (
        "bad docker host",
        {"dockerHost": "docker.example:2375"},
        'promshield:dockerHost = "docker.example:2375": expected unix:///var/run/docker.sock, ssh://user@host or tcp://host:2376',
    ),
    (
        "target without port",
        {"tradeEngineTargets": [{"address": "te-1.internal"}]},
        'promshield:tradeEngineTargets[].address = "te-1.internal": expected host:port with a port 1-65535',
    ),
    (
        "target password over http",
        {
            "tradeEngineTargets": [{"address": "te-1:9400", "username": "p"}],
            "tradeEngineTargetsPasswords": {"te-1:9400": "scrape-password"},
        },
        'promshield:tradeEngineTargets[te-1:9400].scheme = "http": a target with a password must be scraped over https',
    ),
    (
        "target password without user",
        {
            "instanceManagerTargets": [{"address": "im-1:9400", "scheme": "https"}],
            "instanceManagerTargetsPasswords": {"im-1:9400": "scrape-password"},
        },
        'promshield:instanceManagerTargetsPasswords = "im-1:9400": basic auth needs both the target\'s username and '
        "its password (set with --secret)",
    ),
    (
        "reserved label",
        {"instanceManagerTargets": [{"address": "im-1:9400", "labels": {"__address__": "x"}}]},
        'promshield:instanceManagerTargets[im-1:9400].labels = {"__address__": "x"}: expected a map of Prometheus '
        "label names (letters, digits, _) to strings",
    ),
    (
        "redis without admin password",
        {"redis": {"address": "redis.internal:6379"}},
        "promshield:redisAdminPassword = null: managing the exporter's ACL user needs the Redis admin password: "
        "pulumi config set --secret redisAdminPassword ...",
    ),
    (
        "duckdb relative path",
        {"duckdb": {"databasePath": "data/metrics.duckdb"}},
        'promshield:duckdb.databasePath = "data/metrics.duckdb": expected the absolute host path of the '
        "DuckDB file to monitor",
    ),
    (
        "BYO cert without key",
        {"proxyTlsCertificate": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----"},
        "promshield:proxyTlsPrivateKey = null: a bring-your-own proxy certificate needs both proxyTlsCertificate and "
        "proxyTlsPrivateKey (set with --secret)",
    ),
    (
        "bad DNS name",
        {"tls": {"dnsNames": ["prometheus_internal!"]}},
        'promshield:tls.dnsNames = "prometheus_internal!": expected DNS names such as prometheus.example.com',
    ),
    (
        "early renewal beyond validity",
        {"tls": {"validityHours": 48, "earlyRenewalHours": 48}},
        "promshield:tls.earlyRenewalHours = 48: expected hours between 1 and validityHours (48) - 1",
    ),
    ("not JSON", {"trustedCidrs": "10.0.0.0/24"}, 'promshield:trustedCidrs = "10.0.0.0/24": expected a JSON list'),
    (
        "typo in a key",
        {"prometheusPrt": 9443},
        "promshield:prometheusPrt is not a promshield setting; did you mean promshield:prometheusPort?",
    ),
    (
        "unknown key",
        {"grafana": True},
        "promshield:grafana is not a promshield setting; see the configuration reference in README.md",
    ),
    ("not a boolean", {"enableAdminApi": "yes"}, 'promshield:enableAdminApi = "yes": expected true or false'),
    (
        "unknown threshold",
        {"alertThresholds": {"latencyP99": 1}},
        "promshield:alertThresholds.latencyP99: unknown threshold; expected one of ",
    ),
    (
        "negative threshold",
        {"alertThresholds": {"tradeLatencyP99Seconds": -1}},
        "promshield:alertThresholds.tradeLatencyP99Seconds = -1.0: expected a number greater than 0",
    ),
    (
        "ratio above one",
        {"alertThresholds": {"redisMemoryRatio": 1.5}},
        "promshield:alertThresholds.redisMemoryRatio = 1.5: expected a ratio greater than 0 and at most "
        "1 (e.g. 0.9 for 90%)",
    ),
    (
        "fractional count",
        {"alertThresholds": {"instanceManagerRestarts": 2.5}},
        "promshield:alertThresholds.instanceManagerRestarts = 2.5: expected a whole number >= 1",
    ),
]


@pytest.mark.parametrize(("case", "config", "expected"), BAD_CONFIGS, ids=[case for case, _, _ in BAD_CONFIGS])
def test_bad_configuration_gives_its_message(case: str, config: dict[str, Any], expected: str) -> None:
    problems = problems_of(config)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected) if expected.endswith("one of ") else problems[0] == expected


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as error:
        load(
            {
                "prometheusPort": 0,
                "bindAddress": "0.0.0.0",
                "trustedCidrs": ["300.0.0.0/8"],
                "images": {"proxy": "nginx"},
                "scrapeTimeout": "9s",
            }
        )
    message = str(error.value)
    assert message.startswith("5 configuration problem(s); nothing was created:")
    for key in ("prometheusPort", "bindAddress", "trustedCidrs", "images.proxy", "scrapeTimeout"):
        assert f"promshield:{key} = " in message


def test_network_subnets_are_settings_with_the_fixed_addresses_inside() -> None:
    settings = load({"networks": {"backendSubnet": "198.18.40.0/24", "edgeSubnet": "198.18.41.0/28"}})
    assert settings.networks.subnets == ("198.18.41.0/28", "198.18.40.0/24")
    assert dict(settings.networks.backend_addresses) == {"prometheus": "198.18.40.10", "alertmanager": "198.18.40.11"}
    assert load({}).networks.backend_subnet == "172.30.10.0/24"


def test_public_bind_is_accepted_only_when_explicit() -> None:
    assert load({"bindAddress": "0.0.0.0", "allowPublicBind": True}).bind_address == "0.0.0.0"


def test_good_production_like_configuration_loads() -> None:
    settings = load(
        {
            "dockerHost": "ssh://deploy@10.0.0.5",
            "sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
            "bindAddress": "10.0.0.5",
            "users": [{"name": "alice", "role": "admin"}, {"name": "guest", "role": "no-access"}],
            "remoteWrite": {"enabled": True, "url": "https://lts.example/api/v1/write", "username": "prom"},
            "remoteWritePassword": "a-long-remote-write-password",
            "tradeEngineTargets": [
                {"address": "te-1:9400", "scheme": "https", "username": "prom", "labels": {"venue": "xetra"}}
            ],
            "tradeEngineTargetsPasswords": {"te-1:9400": "scrape-password"},
            "alertThresholds": {"tradeLatencyP99Seconds": 0.5, "tradeLatencyFor": "2m"},
        }
    )
    assert settings.is_remote_docker and not settings.firewall_sudo
    assert settings.remote_write.enabled and settings.remote_write.password is not None
    assert settings.trade_engine_targets[0].labels == {"venue": "xetra"}
    assert settings.alert_thresholds.trade_latency_p99_seconds == 0.5
    assert settings.alert_thresholds.trade_latency_for == "2m"


def test_bad_config_stops_the_program_before_any_resource() -> None:
    from testing.mock_stack import run_program

    with pytest.raises(Exception, match="promshield:prometheusPort = 0") as error:
        run_program({"prometheusPort": 0}, stack="broken")
    assert "nothing was created" in str(error.value)
