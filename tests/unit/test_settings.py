"""Settings: defaults, and the bad configurations of tests/settings/ with the exact message each gives.

Every problem in a configuration is reported at once, naming the key, the bad value and
what is expected, before any resource is created.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.core.settings import SettingsError
from components.stack.settings import Settings, load_settings


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
        ("grafana", "read-only"),
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


# tests/settings/<case>.bad.yaml: one bad configuration each (as a stack file's `config:`) and the one
# problem it must be reported with, word for word (`expected`), or its beginning (`expected_prefix`).
# A well-formed host key (a throw-away ed25519 key's public half).
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC7wjB7t0AlX6AMhrRZthe797F5laUbk/p+OPPIjsO4L"
BAD_CONFIG_FILES = sorted((Path(__file__).resolve().parents[1] / "settings").glob("*.bad.yaml"))


def read_bad_config(path: Path) -> tuple[dict[str, Any], str, bool]:
    document = yaml.safe_load(path.read_text())
    config = {key.removeprefix("promshield:"): value for key, value in document["config"].items()}
    prefix = "expected_prefix" in document
    return config, document["expected_prefix"] if prefix else document["expected"], prefix


def test_there_are_bad_configurations() -> None:
    assert len(BAD_CONFIG_FILES) >= 50


@pytest.mark.parametrize("path", BAD_CONFIG_FILES, ids=[p.name.removesuffix(".bad.yaml") for p in BAD_CONFIG_FILES])
def test_bad_configuration_gives_its_message(path: Path) -> None:
    config, expected, prefix = read_bad_config(path)
    problems = problems_of(config)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected) if prefix else problems[0] == expected


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
            "sshHostKey": HOST_KEY,
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


def test_external_host_is_the_first_dns_name_else_the_bind_address() -> None:
    assert load({}).external_host == "prometheus.internal"
    no_names = load({"bindAddress": "10.0.0.5", "tls": {"dnsNames": [], "ipAddresses": ["10.0.0.5"]}})
    assert no_names.external_host == "10.0.0.5"
    assert no_names.external_url(9090) == "https://10.0.0.5:9090/"


def test_a_declared_secret_set_without_secret_is_reported_without_its_value() -> None:
    raw = {"userPasswords": json.dumps({"admin": "correct horse battery staple"}), "prometheusPort": "9090"}
    with pytest.raises(SettingsError) as error:
        load_settings(raw.get, "test", raw.keys(), secret_keys=())
    assert error.value.problems == [
        "promshield:userPasswords is a secret set in plain config (it is in the stack file unencrypted): set it "
        "again with `pulumi config set --secret userPasswords ...` (--path for one entry)"
    ]
    assert "correct horse" not in str(error.value)
    assert load_settings(raw.get, "test", raw.keys(), secret_keys=("userPasswords",)).user("admin").password


def test_a_typo_in_any_section_names_the_path_and_the_closest_key_not_the_missing_one() -> None:
    # The typo hides the real key: one problem (the typo), not a second one about the missing key.
    assert problems_of({"duckdb": {"snapshotDr": "/srv/x"}}) == [
        "promshield:duckdb.snapshotDr is not a promshield setting; did you mean promshield:duckdb.snapshotDir?"
    ]
    # Without the typo the missing key is still reported (negative control).
    assert problems_of({"duckdb": {}})[0].startswith("promshield:duckdb.snapshotDir = null")
    assert load({"tls": {"dnsNames": ["prometheus.example.com"]}}).tls.dns_names == ("prometheus.example.com",)


def test_every_config_key_has_a_bad_configuration_naming_it() -> None:
    from components.stack.keys import KNOWN_KEYS

    named: set[str] = set()
    for path in BAD_CONFIG_FILES:
        _, expected, _ = read_bad_config(path)
        named.update(k for k in KNOWN_KEYS if any(f"promshield:{k}{c}" in expected for c in (" ", ".", "[")))
    assert sorted(set(KNOWN_KEYS) - named) == []
