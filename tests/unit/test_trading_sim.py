"""The dev demo's trading simulator under Pulumi mocks: hardened like every service, its passwords only
in 0400 files (the simulator holds their SHA-256, Prometheus the password), and the Instance Manager
and Trade Engine jobs scrape it over TLS with basic auth, as they would a real target."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import yaml

from components.core import catalog
from components.trading_sim import render
from testing.mock_stack import RecordedStack, contains_secret, unwrap
from testing.stack_config import load_scenario

SIM = catalog.TRADING_SIM
SIM_CONTAINER = catalog.container_name("dev", SIM)
JOBS = {catalog.JOB_INSTANCE_MANAGER: "instance-manager-1", catalog.JOB_TRADE_ENGINE: "trade-engine-1"}


def scrape_configs(stack: RecordedStack) -> dict[str, dict[str, Any]]:
    files = stack.container_files(catalog.container_name(stack.stack, catalog.PROMETHEUS))
    return {
        job["job_name"]: job
        for job in yaml.safe_load(files[catalog.PROMETHEUS_CONFIG_FILE]["content"])["scrape_configs"]
    }


def sim_passwords(stack: RecordedStack) -> dict[str, str]:
    """The simulator's generated passwords by job (the RandomPassword results under mocks)."""
    found = {}
    for resource in stack.of_type("random:index/randomPassword:RandomPassword"):
        for job in catalog.TRADING_SIM_PORTS:
            if resource.name == f"trading-sim-{job}-password":
                found[job] = str(unwrap(resource.outputs["result"]))
    return found


def test_the_simulator_is_hardened_like_every_service(dev_stack: RecordedStack) -> None:
    spec = dev_stack.containers()[SIM_CONTAINER].inputs
    assert spec["user"] == f"{SIM.uid}:{SIM.gid}" and SIM.uid != 0
    assert spec["readOnly"] is True and spec["privileged"] is False
    assert spec["capabilities"] == {"drops": ["ALL"]} and spec["securityOpts"] == ["no-new-privileges:true"]
    assert spec["memory"] == spec["memorySwap"] == 64 and spec["ulimits"][0]["hard"] == 32
    assert spec["restart"] == "unless-stopped" and spec["image"] == catalog.DEFAULT_IMAGES["trading_sim"]
    assert spec["healthcheck"]["tests"] == ["CMD", *render.simulator_command("check")]
    assert spec["command"] == render.simulator_command("serve")
    assert not spec.get("ports") and not spec.get("envs")
    # only on the internal backend network, under its service name
    assert [(n["name"], n["aliases"]) for n in spec["networksAdvanced"]] == [("promshield-dev-backend", [SIM.name])]
    labels = {label["label"]: label["value"] for label in spec["labels"]}
    assert labels[catalog.LABEL_SERVICE] == SIM.name and labels[catalog.LABEL_KIND] == "service"
    assert len(labels[catalog.LABEL_CONFIG_SHA256]) == 64, "changed files (or simulator code) replace it"
    assert len(labels[catalog.LABEL_SECRETS_HMAC]) == 64, "so do changed passwords or keys"
    # its files come through two carriers into volumes it mounts read-only: config (plain) and secrets
    assert sorted((v["containerPath"], v["readOnly"]) for v in spec["volumes"]) == [
        (SIM.config_dir, True),
        (SIM.secrets_dir, True),
    ]
    carriers = {c.inputs["name"]: c.inputs for c in dev_stack.carriers_of(SIM_CONTAINER)}
    assert set(carriers) == {f"{SIM_CONTAINER}-config", f"{SIM_CONTAINER}-secrets"}
    assert all(c["start"] is False and c["networkMode"] == "none" for c in carriers.values())


def test_the_simulator_code_and_config_are_uploaded_plain(dev_stack: RecordedStack) -> None:
    files = dev_stack.container_files(SIM_CONTAINER)
    assert files[render.SCRIPT_FILE]["content"] == render.SOURCE.read_text()
    config = json.loads(files[render.CONFIG_FILE]["content"])
    assert config["ports"] == catalog.TRADING_SIM_PORTS and config["control_port"] == catalog.TRADING_SIM_CONTROL_PORT
    assert config["auth_file"] == render.AUTH_FILE and config["server_name"] == SIM.name
    assert {f["owner"] for f in files.values()} == {str(SIM.uid)}
    # plain in Pulumi's inputs (a preview shows a change to the simulator line by line) ...
    assert not files[render.SCRIPT_FILE]["secret"] and not files[render.CONFIG_FILE]["secret"]
    # ... while its key and password hashes travel secret
    for path in (SIM.key_file, render.AUTH_FILE):
        assert files[path]["permissions"] == "0400" and files[path]["secret"], path


def test_each_endpoint_has_its_own_password_held_only_as_secret_files(dev_stack: RecordedStack) -> None:
    passwords = sim_passwords(dev_stack)
    assert set(passwords) == set(JOBS) and len(set(passwords.values())) == 2
    sim_files = dev_stack.container_files(SIM_CONTAINER)
    auth = sim_files[render.AUTH_FILE]
    assert auth["permissions"] == "0400" and auth["owner"] == str(SIM.uid) and auth["secret"]
    credentials = json.loads(auth["content"])
    prometheus = catalog.container_name("dev", catalog.PROMETHEUS)
    prometheus_files = dev_stack.container_files(prometheus)
    jobs = scrape_configs(dev_stack)
    for job, name in JOBS.items():
        password = passwords[job]
        assert credentials[job] == {
            "username": catalog.TRADING_SIM_SCRAPE_USER,
            "password_sha256": hashlib.sha256(password.encode()).hexdigest(),
        }
        assert password not in auth["content"], "the simulator holds only the hash"
        password_file = prometheus_files[jobs[name]["basic_auth"]["password_file"]]
        assert password_file["content"] == password
        assert password_file["permissions"] == "0400" and password_file["owner"] == str(catalog.PROMETHEUS.uid)
        assert password_file["secret"]
    # nowhere else in plain text: not in a command, a label, a healthcheck or a plain file
    for resource in dev_stack.resources:
        if resource.type == "random:index/randomPassword:RandomPassword":
            continue
        plain_parts = {k: v for k, v in resource.raw_inputs.items() if not contains_secret(v)}
        text = json.dumps(plain_parts)
        assert not any(p in text for p in passwords.values()), resource.name
    for container in dev_stack.containers(kind=None).values():
        for upload in container.inputs.get("uploads", []):
            if any(p in str(upload["content"]) for p in passwords.values()):
                assert upload["permissions"] == "0400" and contains_secret(container.raw_inputs["uploads"])


def test_the_trading_jobs_scrape_the_simulator_over_tls_with_basic_auth(dev_stack: RecordedStack) -> None:
    jobs = scrape_configs(dev_stack)
    for job, name in JOBS.items():
        config = jobs[name]
        assert config["static_configs"] == [
            {"targets": [f"{SIM.name}:{catalog.TRADING_SIM_PORTS[job]}"], "labels": {"desk": "demo", "job": job}}
        ]
        assert config["scheme"] == "https"
        # the stack CA, the simulator's name; no client certificate: it is a target like the real ones
        assert config["tls_config"] == {
            "ca_file": f"{catalog.PROMETHEUS.tls_dir}/{catalog.TLS_CA_FILE}",
            "min_version": "TLS12",
            "server_name": SIM.name,
        }
        assert config["basic_auth"] == {
            "username": catalog.TRADING_SIM_SCRAPE_USER,
            "password_file": f"{catalog.PROMETHEUS_SECRETS_DIR}/{name}-password",
        }


def test_its_certificate_names_it(dev_stack: RecordedStack) -> None:
    (csr,) = [r for r in dev_stack.of_type("tls:index/certRequest:CertRequest") if "trading-sim" in r.name]
    assert csr.inputs["dnsNames"] == [SIM.name, "localhost"]
    cert = dev_stack.container_files(SIM_CONTAINER)[f"{SIM.tls_dir}/{catalog.TLS_CERT_FILE}"]
    assert cert["permissions"] == "0600" and not cert["secret"]


def test_real_targets_replace_the_simulator(prod_stack: RecordedStack) -> None:
    assert SIM_CONTAINER.replace("dev", "prod") not in prod_stack.containers(kind=None)
    assert not sim_passwords(prod_stack)


def test_the_demo_simulates_only_the_unset_target_list() -> None:
    stack = load_scenario("demo-own-im").run()
    jobs = scrape_configs(stack)
    assert jobs["instance-manager-1"]["static_configs"][0]["targets"] == ["im-1.internal:9400"]
    assert jobs["trade-engine-1"]["static_configs"][0]["targets"] == [
        f"{SIM.name}:{catalog.TRADING_SIM_TRADE_ENGINE_PORT}"
    ]
    assert SIM_CONTAINER in stack.containers()


@pytest.mark.parametrize("demo", [True, False])
def test_the_simulator_runs_only_in_the_demo(demo: bool) -> None:
    from testing.mock_stack import run_program
    from testing.stack_config import load_stack_config

    config = {**load_stack_config("dev"), "demo": demo}
    if not demo:
        config["duckdb"] = {"snapshotDir": "/srv/trading/monitoring"}
    stack = run_program(config, stack="dev")
    assert (SIM_CONTAINER in stack.containers()) is demo
    assert ("instance-manager-1" in scrape_configs(stack)) is demo
