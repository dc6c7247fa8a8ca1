"""The whole program under Pulumi mocks: every component's resources and their inputs."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import bcrypt
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from components.core import catalog
from components.core.hardening import DEFAULT_PIDS_LIMIT, NOBODY_TASKS
from components.proxy.render import DUMMY_USER
from testing.mock_stack import (
    LOCAL_COMMAND,
    NETWORK,
    REMOTE_COMMAND,
    REMOTE_IMAGE,
    VOLUME,
    RecordedStack,
    contains_secret,
    is_secret,
    run_program,
)
from testing.stack_config import load_scenario, load_stack_config
from tests.conftest import prod_config

COMPONENT_TYPES = {"Networks", "Pki", "Credentials", "Prometheus", "Alertmanager", "Proxy", "Firewall"}


def service_container(stack: RecordedStack, service: catalog.Service) -> dict[str, Any]:
    return stack.containers()[catalog.container_name(stack.stack, service)].inputs


def file_text(stack: RecordedStack, service: catalog.Service, path: str) -> str:
    return str(stack.container_files(catalog.container_name(stack.stack, service))[path]["content"])


# --- Inventory and structure ---------------------------------------------------------------


def test_dev_stack_inventory(dev_stack: RecordedStack) -> None:
    counts: dict[str, int] = {}
    for resource in dev_stack.resources:
        counts[resource.type] = counts.get(resource.type, 0) + 1
    assert {t.split(":")[-1] for t in counts if t.startswith(f"{catalog.PROJECT}:index:")} >= COMPONENT_TYPES
    assert counts[NETWORK] == 2
    # data: Prometheus, Alertmanager, proxy audit log, demo DuckDB, four demo Redis (RTS, RIS, RTSS, RTRS);
    # config and secrets: two per service with files (Prometheus, Alertmanager, proxy, both exporters,
    # four demo Redis, the trading simulator)
    assert counts[VOLUME] == 8 + 2 * 10
    # Prometheus, Alertmanager, proxy, redis_exporter, demo Redis, the trading simulator's Python
    assert counts[REMOTE_IMAGE] == 6
    assert counts["tls:index/locallySignedCert:LocallySignedCert"] >= 5
    assert counts[LOCAL_COMMAND] == 4  # the firewall's rules, the reloads of Prometheus, Alertmanager, proxy
    assert {
        catalog.container_name("dev", catalog.PROMETHEUS),
        catalog.container_name("dev", catalog.ALERTMANAGER),
        catalog.container_name("dev", catalog.PROXY),
    } <= set(dev_stack.containers())


def test_every_resource_is_parented_to_a_component(any_stack: RecordedStack) -> None:
    for resource in any_stack.resources:
        if resource.type.startswith(("promshield:index:", "pulumi:providers:")):
            assert resource.parent_types[0] == "pulumi:pulumi:Stack"
            continue
        assert resource.parent_types[-2].startswith(f"{catalog.PROJECT}:index:"), (
            resource.type,
            resource.name,
            resource.urn,
        )


# --- Containers ----------------------------------------------------------------------------


def test_every_container_is_hardened(any_stack: RecordedStack) -> None:
    for name, container in any_stack.containers(kind=None).items():
        spec = container.inputs
        uid = int(spec["user"].split(":")[0])
        assert uid != 0, name
        labels = {label["label"]: label["value"] for label in spec["labels"]}
        # A never-started carrier has a writable root: the daemon refuses uploads into a read-only one.
        assert spec["readOnly"] is (labels[catalog.LABEL_KIND] not in catalog.CARRIER_KINDS), name
        assert spec["privileged"] is False, name
        assert spec["capabilities"]["drops"] == ["ALL"], name
        assert "adds" not in spec["capabilities"], name
        assert "no-new-privileges:true" in spec["securityOpts"], name
        assert spec["memory"] > 0 and spec["memorySwap"] == spec["memory"], name
        assert spec["ulimits"] == [
            {"name": "nproc", "soft": spec["ulimits"][0]["soft"], "hard": spec["ulimits"][0]["soft"]}
        ], name
        if labels[catalog.LABEL_KIND] == "job":  # one-shot (seeding a volume): no network, runs once
            assert spec["networkMode"] == "none" and spec["restart"] == "no" and spec["attach"] is True, name
        elif labels[catalog.LABEL_KIND] in catalog.CARRIER_KINDS:  # created, never started: carries the files
            assert spec["start"] is False and spec["networkMode"] == "none" and spec["restart"] == "no", name
        else:
            assert spec["restart"] == "unless-stopped", name
            assert spec["healthcheck"]["tests"][0] == "CMD", name
        assert spec["logDriver"] == "json-file" and spec["logOpts"] == {"max-size": "10m", "max-file": "5"}, name
        assert labels[catalog.LABEL_PROJECT] == "promshield" and labels[catalog.LABEL_STACK] == any_stack.stack
        # The only variable: the Go runtime's soft memory limit, below the container's (never a secret).
        go = labels[catalog.LABEL_KIND] == "service" and labels[catalog.LABEL_SERVICE] in ("prometheus", "alertmanager")
        expected = [f"GOMEMLIMIT={int(spec['memory'] * 0.8)}MiB"] if go else []
        assert (spec.get("envs") or []) == expected, name


def test_services_sharing_a_uid_share_one_task_budget(any_stack: RecordedStack) -> None:
    """nproc counts the uid's tasks on the whole host: services of one uid must each be allowed the
    sum of what they run (Alertmanager alone at 128 failed to start beside Prometheus' threads)."""
    by_uid: dict[int, set[int]] = {}
    for container in any_stack.containers().values():
        uid = int(container.inputs["user"].split(":")[0])
        by_uid.setdefault(uid, set()).add(container.inputs["ulimits"][0]["soft"])
    nobody = by_uid[catalog.PROMETHEUS.uid]
    assert catalog.ALERTMANAGER.uid == catalog.PROMETHEUS.uid and nobody == {NOBODY_TASKS}, by_uid
    assert NOBODY_TASKS >= 2 * DEFAULT_PIDS_LIMIT


def test_images_are_pinned(any_stack: RecordedStack) -> None:
    for image in any_stack.of_type(REMOTE_IMAGE):
        reference = image.inputs["name"]
        assert re.search(r":[\w.-]+$|@sha256:[0-9a-f]{64}$", reference) and not reference.endswith(":latest"), reference
        assert image.inputs["keepLocally"] is True


def test_only_the_proxy_publishes_and_never_on_every_interface(any_stack: RecordedStack) -> None:
    settings_bind = "127.0.0.1" if any_stack.stack == "dev" else "10.0.0.5"
    for name, container in any_stack.containers().items():
        ports = container.inputs.get("ports", [])
        if name.endswith("-proxy"):
            assert sorted((p["ip"], p["external"], p["internal"]) for p in ports) == [
                (settings_bind, 9090, catalog.PROXY_PROMETHEUS_PORT),
                (settings_bind, 9093, catalog.PROXY_ALERTMANAGER_PORT),
            ]
        else:
            assert ports == [], name


def test_configured_subnets_reach_the_networks_the_fixed_addresses_and_the_firewall() -> None:
    stack = load_scenario("subnets").run()
    subnets = {n.inputs["name"]: n.inputs["ipamConfigs"] for n in stack.of_type(NETWORK)}
    assert subnets == {
        "promshield-dev-backend": [{"subnet": "198.18.40.0/24", "gateway": "198.18.40.1"}],
        "promshield-dev-edge": [{"subnet": "198.18.41.0/24", "gateway": "198.18.41.1"}],
        "promshield-dev-egress": [{"subnet": "198.18.42.0/24", "gateway": "198.18.42.1"}],
    }
    assert service_container(stack, catalog.PROMETHEUS)["networksAdvanced"][1]["ipv4Address"] == "198.18.42.10"
    assert service_container(stack, catalog.ALERTMANAGER)["networksAdvanced"][0]["ipv4Address"] == "198.18.40.11"
    firewall = str(stack.firewall_command().inputs["create"])
    assert "-d 198.18.40.0/24" in firewall and "-d 198.18.41.0/24" in firewall and "172.30." not in firewall
    assert "-A PROMSHIELD-DEV-IN -s 198.18.42.0/24 -m conntrack --ctstate NEW -j DROP" in firewall


def test_backend_network_is_internal_and_backends_live_only_there(any_stack: RecordedStack) -> None:
    networks = {n.inputs["name"]: n.inputs for n in any_stack.of_type(NETWORK)}
    backend = networks[f"promshield-{any_stack.stack}-backend"]
    edge = networks[f"promshield-{any_stack.stack}-edge"]
    assert backend["internal"] is True and edge["internal"] is False
    assert backend["ipamConfigs"] == [ipam(catalog.DEFAULT_BACKEND_SUBNET)]
    prometheus = service_container(any_stack, catalog.PROMETHEUS)
    assert prometheus["networksAdvanced"][0] == {
        "name": backend["name"],
        "aliases": [catalog.PROMETHEUS.name],
        "ipv4Address": "172.30.10.10",
    }
    proxy = service_container(any_stack, catalog.PROXY)
    assert sorted(n["name"] for n in proxy["networksAdvanced"]) == sorted([backend["name"], edge["name"]])
    for service in (catalog.PROMETHEUS, catalog.ALERTMANAGER, catalog.REDIS_EXPORTER):
        joined = {n["name"] for n in service_container(any_stack, service)["networksAdvanced"]}
        assert edge["name"] not in joined, f"{service.name} must leave the host only through the egress network"


def test_the_egress_network_exists_and_is_joined_only_where_something_is_outside_the_host(
    dev_stack: RecordedStack, prod_stack: RecordedStack
) -> None:
    """dev: every target is a container of the stack, so no egress network at all. prod: targets,
    Redis instances and receivers are outside, so Prometheus, Alertmanager and the Redis exporter
    each join it at their fixed address (and nothing else does)."""
    assert "promshield-dev-egress" not in {n.inputs["name"] for n in dev_stack.of_type(NETWORK)}
    networks = {n.inputs["name"]: n.inputs for n in prod_stack.of_type(NETWORK)}
    egress = networks["promshield-prod-egress"]
    assert egress["internal"] is False and egress["attachable"] is False
    assert egress["ipamConfigs"] == [ipam(catalog.DEFAULT_EGRESS_SUBNET)]
    joined = {
        name: [n for n in container.inputs["networksAdvanced"] if n["name"] == egress["name"]]
        for name, container in prod_stack.containers().items()
        if any(n["name"] == egress["name"] for n in container.inputs.get("networksAdvanced", []))
    }
    assert joined == {
        "promshield-prod-prometheus": [{"name": egress["name"], "aliases": [], "ipv4Address": "172.30.30.10"}],
        "promshield-prod-alertmanager": [{"name": egress["name"], "aliases": [], "ipv4Address": "172.30.30.11"}],
        "promshield-prod-redis-exporter": [{"name": egress["name"], "aliases": [], "ipv4Address": "172.30.30.12"}],
    }


def test_files_reach_read_only_services_through_config_carriers(any_stack: RecordedStack) -> None:
    """Docker refuses uploads into a read-only root fs: never-started carriers write them into the
    service's volumes, which the service mounts read-only: the config carrier's (plain uploads) at
    its config directory, the secrets carrier's (secret uploads) at its secrets directory."""
    services = any_stack.containers()
    assert services
    for name, service in services.items():
        assert not service.inputs.get("uploads"), name
        carriers = any_stack.carriers_of(name)
        if not carriers:
            continue
        kinds = {}
        for carrier in carriers:
            labels = {label["label"]: label["value"] for label in carrier.inputs["labels"]}
            kind = labels[catalog.LABEL_KIND]
            kinds[kind] = carrier
            assert carrier.inputs["name"] == f"{name}-{kind}"
            (carried,) = carrier.inputs["volumes"]
            assert carried["readOnly"] is False and carrier.inputs["start"] is False and not carrier.inputs.get("ports")
            mount = next(v for v in service.inputs["volumes"] if v.get("volumeName") == carried["volumeName"])
            assert mount["readOnly"] is True and mount["containerPath"] == carried["containerPath"]
            assert all(u["file"].startswith(carried["containerPath"] + "/") for u in carrier.inputs["uploads"])
            # The config carrier's uploads are plain (reviewable); the secrets carrier's all secret.
            assert is_secret(carrier.raw_inputs["uploads"]) is (kind == catalog.KIND_SECRETS), carrier.name
        assert set(kinds) == {catalog.KIND_CONFIG, catalog.KIND_SECRETS}, name  # every service has both
        assert kinds[catalog.KIND_SECRETS].inputs["volumes"][0]["containerPath"] == catalog.SECRETS_DIR
        labels = {label["label"]: label["value"] for label in service.inputs["labels"]}
        # Reloaded in place (tests/unit/test_reload.py) or replaced when the files change.
        reloaded = name.endswith(("-prometheus", "-alertmanager", "-proxy"))
        for label in (catalog.LABEL_CONFIG_SHA256, catalog.LABEL_SECRETS_HMAC):
            assert (label in labels) is not reloaded, name
            if not reloaded:
                assert re.fullmatch(r"[0-9a-f]{64}", labels[label]), name


def test_uploads_have_strict_modes_and_the_service_owner(any_stack: RecordedStack) -> None:
    owners = {
        f"promshield-{any_stack.stack}-{s.name}": s for s in (catalog.PROMETHEUS, catalog.ALERTMANAGER, catalog.PROXY)
    }
    for name, service in owners.items():
        for path, upload in any_stack.container_files(name).items():
            assert upload["owner"] == str(service.uid) and upload["group"] == str(service.gid), path
            holds_secret = path.endswith((".key", "htpasswd", "digest-key.conf")) or "/secrets/" in path
            assert upload["permissions"] == ("0400" if holds_secret else "0600"), path
            assert upload["secret"] is holds_secret, path  # the others travel in the plain config carrier


def test_stack_volumes_are_named_per_stack(any_stack: RecordedStack) -> None:
    carried = ("-demo-data", "-config", "-secrets")
    retained = {v.inputs["name"] for v in any_stack.of_type(VOLUME) if not v.name.endswith(carried)}
    assert retained == {
        f"promshield-{any_stack.stack}-{suffix}" for suffix in ("prometheus-data", "alertmanager-data", "proxy-audit")
    }


# --- Prometheus ----------------------------------------------------------------------------


def test_prometheus_command(any_stack: RecordedStack) -> None:
    command = service_container(any_stack, catalog.PROMETHEUS)["command"]
    assert f"--config.file={catalog.PROMETHEUS_CONFIG_FILE}" in command
    assert f"--web.config.file={catalog.PROMETHEUS_WEB_CONFIG_FILE}" in command
    assert ":9090" in next(c for c in command if c.startswith("--web.listen-address="))
    assert "--web.max-connections=256" in command
    assert "--log.format=json" in command and "--web.enable-lifecycle" in command
    assert any(c.startswith("--storage.tsdb.retention.time=") for c in command)
    assert "--web.enable-admin-api" not in command
    assert not any("remote-write-receiver" in c or "otlp" in c for c in command)


def test_prometheus_yml(dev_stack: RecordedStack) -> None:
    config = yaml.safe_load(file_text(dev_stack, catalog.PROMETHEUS, catalog.PROMETHEUS_CONFIG_FILE))
    assert config["global"]["scrape_interval"] == "5s"
    assert config["global"]["evaluation_interval"] == "5s"
    assert config["global"]["scrape_timeout"] == "3s"
    assert config["global"]["query_log_file"] == catalog.PROMETHEUS_QUERY_LOG_FILE
    assert "remote_write" not in config
    alerting = config["alerting"]["alertmanagers"][0]
    assert alerting["scheme"] == "https" and alerting["tls_config"]["cert_file"].endswith("client.crt")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for job in ("prometheus", "alertmanager"):
        assert jobs[job]["scheme"] == "https" and jobs[job]["tls_config"]["key_file"].endswith("client.key")
    assert config["rule_files"] and all(f.startswith(catalog.PROMETHEUS_RULES_DIR) for f in config["rule_files"])


def test_web_configs_require_client_certificates(any_stack: RecordedStack) -> None:
    for service, path in (
        (catalog.PROMETHEUS, catalog.PROMETHEUS_WEB_CONFIG_FILE),
        (catalog.ALERTMANAGER, catalog.ALERTMANAGER_WEB_CONFIG_FILE),
    ):
        tls = yaml.safe_load(file_text(any_stack, service, path))["tls_server_config"]
        assert tls["client_auth_type"] == "RequireAndVerifyClientCert"
        assert tls["min_version"] == "TLS12"
        assert tls["client_ca_file"] == f"{service.tls_dir}/ca.crt"


def test_remote_write_and_admin_api_only_when_enabled() -> None:
    stack = load_scenario("remotewrite").run()
    config = yaml.safe_load(file_text(stack, catalog.PROMETHEUS, catalog.PROMETHEUS_CONFIG_FILE))
    (remote,) = config["remote_write"]
    assert remote["url"].startswith("https://") and remote["basic_auth"]["password_file"].startswith(
        catalog.PROMETHEUS_SECRETS_DIR
    )
    assert "password" not in remote["basic_auth"]
    files = stack.container_files("promshield-remotewrite-prometheus")
    assert files[remote["basic_auth"]["password_file"]]["permissions"] == "0400"
    assert "a-long-remote-write-password" not in file_text(stack, catalog.PROMETHEUS, catalog.PROMETHEUS_CONFIG_FILE)
    assert "--web.enable-admin-api" in service_container(stack, catalog.PROMETHEUS)["command"]
    nginx = file_text(stack, catalog.PROXY, catalog.PROXY_CONFIG_FILE)
    assert "/api/v1/admin/tsdb/" in nginx


# --- Alertmanager --------------------------------------------------------------------------


def test_alertmanager_config_and_command(any_stack: RecordedStack) -> None:
    config = yaml.safe_load(file_text(any_stack, catalog.ALERTMANAGER, catalog.ALERTMANAGER_CONFIG_FILE))
    assert config["global"]["resolve_timeout"] == "5m"
    assert config["route"]["group_by"] == ["alertname", "job"]
    receivers = {r["name"]: r for r in config["receivers"]}
    assert config["route"]["receiver"] in receivers
    assert receivers[config["route"]["receiver"]]["webhook_configs"][0]["url"].startswith(("http://", "https://"))
    command = service_container(any_stack, catalog.ALERTMANAGER)["command"]
    assert "--cluster.listen-address=" in command
    assert f"--web.config.file={catalog.ALERTMANAGER_WEB_CONFIG_FILE}" in command


# --- Proxy ---------------------------------------------------------------------------------


def test_nginx_config_essentials(dev_stack: RecordedStack) -> None:
    nginx = file_text(dev_stack, catalog.PROXY, catalog.PROXY_CONFIG_FILE)
    for line in (
        "server_tokens off;",
        "ssl_protocols TLSv1.2 TLSv1.3;",
        "limit_conn per_client 10;",
        "client_max_body_size 1048576;",
        "limit_req_status 429;",
        "auth_request /_authn;",
        "proxy_ssl_verify on;",
        "Strict-Transport-Security",
        f"auth_basic_user_file {catalog.PROXY_HTPASSWD_FILE};",
        f"access_log {catalog.PROXY_AUDIT_LOG_FILE} audit;",
    ):
        assert line in nginx, line
    assert "TLSv1 " not in nginx and "TLSv1.1" not in nginx
    assert nginx.count(" granted;") >= 15
    assert '"guest" "no-access";' in nginx


def test_proxy_secrets_are_secret_and_absent_from_plain_files(dev_stack: RecordedStack) -> None:
    files = dev_stack.container_files(catalog.container_name("dev", catalog.PROXY))
    htpasswd = files[catalog.PROXY_HTPASSWD_FILE]["content"]
    *users, dummy = htpasswd.splitlines()
    assert all(re.fullmatch(r"[a-z0-9._-]+:\$2b\$1[0-9]\$[./A-Za-z0-9]{53}", line) for line in users)
    # Unknown user names are checked against a hash of the same cost (no enumeration by timing).
    assert re.fullmatch(rf"{DUMMY_USER}:\$2b\$10\$[./A-Za-z0-9]{{53}}", dummy), dummy
    assert len(users) == len(dev_stack.exports["passwords"])
    passwords = dev_stack.exports["passwords"]
    for path, upload in files.items():
        for password in passwords.values():
            assert password not in upload["content"], path


# --- Credentials ---------------------------------------------------------------------------


def test_passwords_are_secret_outputs_and_hashes_verify(dev_stack: RecordedStack) -> None:
    assert "passwords" in dev_stack.secret_exports
    assert "users" not in dev_stack.secret_exports
    passwords: dict[str, str] = dev_stack.exports["passwords"]
    assert set(passwords) == {"admin", "ops", "read-only", "grafana", "guest"}
    htpasswd = dev_stack.container_files(catalog.container_name("dev", catalog.PROXY))[catalog.PROXY_HTPASSWD_FILE][
        "content"
    ]
    hashes = dict(line.split(":", 1) for line in htpasswd.splitlines())
    for user, password in passwords.items():
        assert len(password) >= 32
        assert int(hashes[user].split("$")[2]) >= 10
        assert bcrypt.checkpw(password.encode(), hashes[user].encode())
        assert not bcrypt.checkpw(b"wrong" + password.encode(), hashes[user].encode())


def test_configured_password_is_used_not_generated(prod_stack: RecordedStack) -> None:
    assert prod_stack.exports["passwords"]["alice"] == "alice-chose-this-passphrase"
    random_passwords = {r.name for r in prod_stack.of_type("random:index/randomPassword:RandomPassword")}
    assert "credentials-alice-password" not in random_passwords and "credentials-grafana-password" in random_passwords


def test_provider_secrets_stay_secret(dev_stack: RecordedStack) -> None:
    for key in dev_stack.of_type("tls:index/privateKey:PrivateKey"):
        assert is_secret(key.outputs["privateKeyPem"])
    for name in (
        catalog.container_name("dev", catalog.PROMETHEUS),
        catalog.container_name("dev", catalog.ALERTMANAGER),
        catalog.container_name("dev", catalog.PROXY),
        catalog.container_name("dev", catalog.DUCKDB_EXPORTER),
    ):
        carriers = {c.inputs["name"]: c for c in dev_stack.carriers_of(name)}
        assert is_secret(carriers[f"{name}-secrets"].raw_inputs["uploads"]), name
        assert not contains_secret(carriers[f"{name}-config"].raw_inputs["uploads"]), name


def test_two_runs_register_identical_inputs() -> None:
    config = load_stack_config("dev")
    first = run_program(config, stack="dev")
    second = run_program(config, stack="dev")
    before = {(r.type, r.name): r.inputs for r in first.resources}
    after = {(r.type, r.name): r.inputs for r in second.resources}
    assert before.keys() == after.keys()
    changed = [key for key in before if before[key] != after[key]]
    assert changed == [], f"inputs changed between runs: {changed}"


# --- PKI -----------------------------------------------------------------------------------


def test_pki_issues_p256_certificates_that_chain_to_the_ca(dev_stack: RecordedStack) -> None:
    for key in dev_stack.of_type("tls:index/privateKey:PrivateKey"):
        assert key.inputs["algorithm"] == "ECDSA" and key.inputs["ecdsaCurve"] == "P256"
    ca = x509.load_pem_x509_certificate(dev_stack.named("pki-ca").outputs["certPem"].encode())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for cert in dev_stack.of_type("tls:index/locallySignedCert:LocallySignedCert"):
        assert 0 < cert.inputs["earlyRenewalHours"] < cert.inputs["validityPeriodHours"]
        leaf = x509.load_pem_x509_certificate(cert.outputs["certPem"].encode())
        leaf.verify_directly_issued_by(ca)
        assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey) and leaf.public_key().curve.name == "secp256r1"
    proxy = x509.load_pem_x509_certificate(dev_stack.named("pki-proxy-server-cert").outputs["certPem"].encode())
    sans = proxy.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    usages = {
        cert.name: set(cert.inputs["allowedUses"])
        for cert in dev_stack.of_type("tls:index/locallySignedCert:LocallySignedCert")
    }
    assert "client_auth" in usages["pki-proxy-client-cert"] and "server_auth" not in usages["pki-proxy-client-cert"]
    assert (
        "server_auth" in usages["pki-prometheus-server-cert"]
        and "client_auth" not in usages["pki-prometheus-server-cert"]
    )


def test_bring_your_own_proxy_certificate() -> None:
    scenario = load_scenario("byo")
    cert, key = scenario.config["proxyTlsCertificate"], scenario.config["proxyTlsPrivateKey"]
    stack = scenario.run()
    assert not [r for r in stack.resources if r.name.startswith("pki-proxy-server")]
    files = stack.container_files("promshield-byo-proxy")
    assert files[f"{catalog.PROXY.tls_dir}/server.crt"]["content"] == cert
    assert files[catalog.PROXY.key_file]["content"] == key
    # A certificate is public (every client gets it): plain and reviewable; its key stays secret.
    assert not files[f"{catalog.PROXY.tls_dir}/server.crt"]["secret"] and files[catalog.PROXY.key_file]["secret"]


# --- Firewall ------------------------------------------------------------------------------


def test_local_firewall_rules(dev_stack: RecordedStack) -> None:
    rules = dev_stack.firewall_command()
    assert rules.type == LOCAL_COMMAND
    create, delete = rules.inputs["create"], rules.inputs["delete"]
    assert create.startswith("sudo -n sh -c ")
    assert (
        "-A PROMSHIELD-DEV -s 127.0.0.1/32 -p tcp -m conntrack --ctdir ORIGINAL --ctorigdstport 9090 "
        "--ctorigdst 127.0.0.1 -j RETURN" in create
    )
    assert (
        "-A PROMSHIELD-DEV -p tcp -m conntrack --ctdir ORIGINAL --ctorigdstport 9093 --ctorigdst 127.0.0.1 -j DROP"
        in create
    )
    assert "iptables -w -I DOCKER-USER 1 -j PROMSHIELD-DEV" in create
    # The published ports never pass INPUT; the only INPUT rule is the host guard's jump.
    assert [line for line in create.splitlines() if "INPUT" in line] == [
        "iptables -w -C INPUT -j PROMSHIELD-DEV-IN 2>/dev/null || iptables -w -I INPUT 1 -j PROMSHIELD-DEV-IN"
    ]
    for subnet in (catalog.DEFAULT_EDGE_SUBNET, catalog.DEFAULT_BACKEND_SUBNET):
        assert (
            f"-A PROMSHIELD-DEV ! -s {subnet} -d {subnet} -m conntrack --ctstate NEW -m conntrack ! "
            "--ctstate DNAT -j DROP" in create
        )
        assert f"-A PROMSHIELD-DEV-IN -s {subnet} -m conntrack --ctstate NEW -j DROP" in create
    assert "iptables -w -D DOCKER-USER -j PROMSHIELD-DEV" in delete and "-X PROMSHIELD-DEV" in delete
    assert "iptables -w -D INPUT -j PROMSHIELD-DEV-IN" in delete and "-X PROMSHIELD-DEV-IN" in delete
    assert rules.inputs["update"] == create


def test_remote_firewall_runs_over_ssh_with_a_secret_key(prod_stack: RecordedStack) -> None:
    assert not prod_stack.of_type(LOCAL_COMMAND)
    rules = prod_stack.firewall_command()
    assert rules.type == REMOTE_COMMAND
    connection = rules.raw_inputs["connection"]
    assert contains_secret(connection)
    plain = rules.inputs["connection"]
    assert (plain["host"], plain["user"]) == ("10.0.0.5", "deploy")
    assert (
        "-A PROMSHIELD-PROD -s 10.0.0.0/24 -p tcp -m conntrack --ctdir ORIGINAL --ctorigdstport 9090 "
        "--ctorigdst 10.0.0.5 -j RETURN" in rules.inputs["create"]
    )
    assert not rules.inputs["create"].startswith("sudo")
    assert "PRIVATE KEY" not in rules.inputs["create"]


def test_a_typo_in_the_stack_config_stops_the_program() -> None:
    import pytest

    with pytest.raises(
        Exception, match=r"promshield:retentionTme is not a promshield setting; did you mean promshield:retentionTime\?"
    ):
        run_program({"retentionTme": "30d"}, stack="typo")


def test_production_like_stack_loads_the_example_file() -> None:
    config = prod_config()
    assert config["trustedCidrs"] == ["10.0.0.0/24"]
    assert config["dockerHost"].startswith("ssh://")


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_exports(stack_name: str, dev_stack: RecordedStack, prod_stack: RecordedStack) -> None:
    stack = dev_stack if stack_name == "dev" else prod_stack
    assert stack.exports["prometheus_url"].endswith(":9090/")
    assert stack.exports["alertmanager_url"].endswith(":9093/")
    assert "BEGIN CERTIFICATE" in stack.exports["ca_certificate"]
    assert stack.exports["firewall_chain"] == f"PROMSHIELD-{stack_name.upper()}"


def test_client_certificate_auth_uploads_the_ca_and_requires_certificates() -> None:
    """clientCertificateAuth: the CA (not a secret) is uploaded next to the proxy's TLS files and
    NGINX requires a certificate from it; off (the dev stack), neither is there."""
    scenario = load_scenario("clientcerts")
    ca_pem = scenario.config["clientCertificateAuth"]["caPem"]
    files = scenario.run().container_files(catalog.container_name(scenario.stack, catalog.PROXY))
    nginx = files[catalog.PROXY_CONFIG_FILE]["content"]
    assert files[catalog.PROXY_CLIENT_CA_FILE]["content"] == ca_pem.strip() + "\n"
    assert f"ssl_client_certificate {catalog.PROXY_CLIENT_CA_FILE};" in nginx
    assert "ssl_verify_client on;" in nginx
    assert "client-certificate-refused" in nginx


def test_without_client_certificate_auth_no_client_certificate_is_asked(dev_stack: RecordedStack) -> None:
    files = dev_stack.container_files(catalog.container_name("dev", catalog.PROXY))
    assert catalog.PROXY_CLIENT_CA_FILE not in files
    conf = files[catalog.PROXY_CONFIG_FILE]["content"]
    # Only the metrics listener (Prometheus' certificate, backend network) asks; no published listener does.
    http_level, *servers = conf.split("\n    server {\n")
    assert "ssl_verify_client" not in http_level
    asking = [block.split("\n")[0].strip() for block in servers if "ssl_verify_client" in block]
    assert asking == [f"listen {catalog.PROXY_METRICS_PORT} ssl;"], asking


def test_the_proxy_starts_under_a_umask_that_keeps_the_audit_log_private(dev_stack: RecordedStack) -> None:
    proxy = dev_stack.containers()[catalog.container_name("dev", catalog.PROXY)]
    command = proxy.inputs["command"]
    assert command[:2] == ["/bin/sh", "-c"] and command[2].startswith("umask 027 && "), command
    assert command[2].endswith(f"exec nginx -c {catalog.PROXY_CONFIG_FILE} -g 'daemon off;'"), command


def test_the_egress_scenario_attaches_each_service_and_grants_its_destinations() -> None:
    stack = load_scenario("egress").run()
    egress = "promshield-egress-egress"
    addresses = {
        service.name: [
            n["ipv4Address"] for n in service_container(stack, service)["networksAdvanced"] if n["name"] == egress
        ]
        for service in (catalog.PROMETHEUS, catalog.ALERTMANAGER, catalog.REDIS_EXPORTER, catalog.PROXY)
    }
    assert addresses == {
        "prometheus": ["198.18.30.10"],
        "alertmanager": ["198.18.30.11"],
        "redis-exporter": ["198.18.30.12"],
        "proxy": [],
    }
    firewall = str(stack.firewall_command().inputs["create"])
    for source, destination, port in (
        ("198.18.30.10", "198.19.0.30", 9400),
        ("198.18.30.10", "198.19.0.30", 9401),
        ("198.18.30.10", "198.19.0.50", 8443),
        ("198.18.30.11", "198.19.0.60", 4000),
        ("198.18.30.12", "198.19.0.40", 6379),
    ):
        assert f"-s {source}/32 -d {destination}/32 -p tcp --dport {port} " in firewall
    assert firewall.count("--dport 53 ") == 6  # udp and tcp to the resolver, for each of the three
    assert "-A PROMSHIELD-EGRESS -s 198.18.30.0/24 ! -d 198.18.30.0/24 -m conntrack --ctstate NEW -j DROP" in firewall


def ipam(subnet: str) -> dict[str, str]:
    """A network's declared pool: the subnet and its gateway, the first address (what Docker picks and
    `refresh` reads back; declared so that a refresh finds no drift)."""
    return {"subnet": subnet, "gateway": str(ipaddress.ip_network(subnet)[1])}
