"""Monitored services under mocks: Redis access, DuckDB access and the trading targets."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from components.core import catalog
from components.redis.acl import acl_rule_string
from testing.mock_stack import RecordedStack, contains_secret

REDIS_ACL_USER = "pulumi-python:dynamic/redis:RedisAclUser"


def prometheus_yml(stack: RecordedStack) -> dict:
    files = stack.container_files(f"promshield-{stack.stack}-prometheus")
    return yaml.safe_load(files[catalog.PROMETHEUS_CONFIG_FILE]["content"])


def jobs(stack: RecordedStack) -> dict[str, dict]:
    return {job["job_name"]: job for job in prometheus_yml(stack)["scrape_configs"]}


DEMO_NAMES = ("RTS", "RIS", "RTSS", "RTRS")


@pytest.mark.parametrize("instance", DEMO_NAMES)
def test_dev_demo_redis_has_only_acl_users_with_least_privilege(dev_stack: RecordedStack, instance: str) -> None:
    service = f"{catalog.DEMO_REDIS.name}-{instance.lower()}"
    files = dev_stack.container_files(f"promshield-dev-{service}")
    acl = files[f"{catalog.DEMO_REDIS.secrets_dir}/users.acl"]
    assert acl["permissions"] == "0400" and acl["owner"] == str(catalog.DEMO_REDIS.uid)
    lines = acl["content"].splitlines()
    assert lines[0] == "user default reset off resetpass resetkeys resetchannels -@all"
    exporter_line = next(line for line in lines if line.startswith("user prometheus "))
    tokens = exporter_line.split()
    assert re.fullmatch(r"#[0-9a-f]{64}", next(t for t in tokens if t.startswith("#")))
    assert all(token in tokens for token in acl_rule_string().split())
    assert "+@all" not in exporter_line and "allcommands" not in acl["content"]
    conf = files[f"{catalog.DEMO_REDIS.config_dir}/redis.conf"]["content"]
    directives = [line.split()[0] for line in conf.splitlines() if line.strip() and not line.startswith("#")]
    assert "requirepass" not in directives and f"aclfile {catalog.DEMO_REDIS.secrets_dir}/users.acl" in conf
    assert not files[f"{catalog.DEMO_REDIS.config_dir}/redis.conf"]["secret"]  # no password: plain, reviewable
    demo = dev_stack.containers()[f"promshield-dev-{service}"].inputs
    assert demo["networksAdvanced"][0]["aliases"] == [service] and not demo.get("ports")
    assert not dev_stack.of_type(REDIS_ACL_USER)  # unreachable from the deploying machine: rendered instead


def test_redis_exporter_gets_its_password_only_from_a_bound_file(any_stack: RecordedStack) -> None:
    name = f"promshield-{any_stack.stack}-redis-exporter"
    exporter = any_stack.containers()[name].inputs
    command = exporter["command"]
    assert "--redis.user=prometheus" in command
    password_flag = next(c for c in command if c.startswith("--redis.password-file="))
    path = password_flag.split("=", 1)[1]
    passwords = any_stack.container_files(name)[path]
    assert passwords["permissions"] == "0400" and passwords["secret"]
    by_url = json.loads(passwords["content"])
    targets = [job["params"]["target"][0] for name, job in jobs(any_stack).items() if name.startswith("redis-")]
    assert sorted(by_url) == sorted(targets) and len(by_url) == 4  # one password per instance, bound to its URL
    assert next(c for c in command if c.startswith("--redis.addr=")).split("=", 1)[1] in by_url
    assert len(set(by_url.values())) == 4  # each instance its own password
    assert all(len(pw) == 32 and pw not in " ".join(command) for pw in by_url.values())
    assert not exporter.get("envs")
    assert {"--tls-server-cert-file", "--tls-server-key-file", "--tls-server-ca-cert-file"} <= {
        c.split("=")[0] for c in command
    }


def test_production_redis_user_is_a_typed_resource_with_secret_passwords(prod_stack: RecordedStack) -> None:
    users = prod_stack.of_type(REDIS_ACL_USER)
    assert sorted(u.inputs["host"] for u in users) == sorted(f"redis-{n.lower()}.internal" for n in DEMO_NAMES)
    for user in users:
        assert user.inputs["username"] == "prometheus" and user.inputs["port"] == 6379
        assert contains_secret(user.raw_inputs["password"]) and contains_secret(user.raw_inputs["admin_password"])
    exporter = prod_stack.containers()[catalog.container_name("prod", catalog.REDIS_EXPORTER)].inputs
    assert len(exporter["networksAdvanced"]) == 2  # backend + the edge route to the trading Redis
    assert any(c == "--redis.addr=rediss://redis-rts.internal:6379" for c in exporter["command"])


def test_prometheus_scrapes_every_monitored_service_over_tls(any_stack: RecordedStack) -> None:
    scrape = jobs(any_stack)
    redis_jobs = [f"{catalog.JOB_REDIS}-{n.lower()}" for n in DEMO_NAMES]
    for job, server_name in (
        *((job, catalog.REDIS_EXPORTER.name) for job in redis_jobs),
        (catalog.JOB_DUCKDB, catalog.DUCKDB_EXPORTER.name),
    ):
        assert scrape[job]["scheme"] == "https"
        assert scrape[job]["tls_config"]["server_name"] == server_name
        assert scrape[job]["tls_config"]["cert_file"].endswith("client.crt")
    for name, job in zip(DEMO_NAMES, redis_jobs, strict=True):
        # every Redis series carries job="redis", its Redis address as instance and its name
        labels = scrape[job]["static_configs"][0]["labels"]
        assert labels["job"] == catalog.JOB_REDIS and labels["redis_instance"] == name
        assert scrape[job]["metrics_path"] == "/scrape"
        assert scrape[job]["params"]["target"] == [
            f"{'rediss' if any_stack.stack == 'prod' else 'redis'}://{labels['instance']}"
        ]


def test_trading_targets_get_per_target_jobs_with_password_files(prod_stack: RecordedStack) -> None:
    scrape = jobs(prod_stack)
    trade = scrape["trade-engine-1"]
    assert trade["static_configs"] == [
        {"targets": ["te-1.internal:9400"], "labels": {"venue": "xetra", "job": "trade-engine"}}
    ]
    assert trade["scheme"] == "https" and trade["basic_auth"]["username"] == "prometheus"
    password_path = trade["basic_auth"]["password_file"]
    files = prod_stack.container_files(catalog.container_name("prod", catalog.PROMETHEUS))
    assert files[password_path]["permissions"] == "0400"
    assert "password" not in trade["basic_auth"]
    im = scrape["instance-manager-1"]
    assert im["static_configs"][0]["labels"] == {"site": "fra1", "job": "instance-manager"} and "basic_auth" not in im


def test_duckdb_exporter_reads_a_read_only_mount(any_stack: RecordedStack) -> None:
    name = f"promshield-{any_stack.stack}-duckdb-exporter"
    exporter = any_stack.containers()[name].inputs
    data = [v for v in exporter["volumes"] if v["containerPath"] == catalog.DUCKDB_EXPORTER.data_dir]
    assert len(data) == 1 and data[0]["readOnly"] is True
    config = yaml.safe_load(
        any_stack.container_files(name)[f"{catalog.DUCKDB_EXPORTER.config_dir}/config.yml"]["content"]
    )
    assert config["snapshot_dir"] == catalog.DUCKDB_EXPORTER.data_dir and "database" not in config
    assert set(config["tls"]) == {"cert_file", "key_file", "client_ca_file"}
    if any_stack.stack == "prod":
        assert data[0]["hostPath"] == "/srv/trading/monitoring"


def test_duckdb_image_base_matches_the_catalog() -> None:
    from components.duckdb.render import EXPORTER_DIR

    dockerfile = (EXPORTER_DIR / "Dockerfile").read_text()
    assert f"ARG BASE_IMAGE={catalog.DEFAULT_IMAGES['duckdb_exporter_base']}" in dockerfile
