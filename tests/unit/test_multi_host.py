"""One stack across three Docker hosts (issue 17), under mocks: a provider per host, every host's
resources on its own provider, the Alertmanager cluster's peers and TLS, every Prometheus sending
to every Alertmanager, per-host certificates, the firewall's gossip rules, and the one-host stack
left exactly as it was. The real-engine tests of the cluster are in tests/acceptance."""

from __future__ import annotations

import ipaddress
import json
import shutil
import subprocess  # nosec B404
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509

from components.core import catalog
from components.core.settings import SettingsError
from components.firewall.render import rule_lines
from components.stack.settings import load_settings
from testing.mock_stack import (
    CONTAINER,
    NETWORK,
    PROVIDER_DOCKER,
    REMOTE_COMMAND,
    REMOTE_IMAGE,
    VOLUME,
    RecordedStack,
    Registered,
    run_program,
)
from testing.stack_config import load_scenario

SCENARIO = load_scenario("threehosts")
HOSTS = SCENARIO.config["hosts"]
PROVIDERS = {"mon-a": "docker", "mon-b": "docker-mon-b", "mon-c": "docker-mon-c"}
ADDRESSES = {h["name"]: h["bindAddress"] for h in HOSTS}
DOCKER_TYPES = (CONTAINER, NETWORK, VOLUME, REMOTE_IMAGE, "docker:index/image:Image")


@pytest.fixture(scope="module")
def ha() -> RecordedStack:
    return SCENARIO.run()


def name(service: catalog.Service) -> str:
    return catalog.container_name("ha", service)


def files(stack: RecordedStack, host: str, service: catalog.Service) -> dict[str, dict[str, Any]]:
    return stack.container_files(name(service), PROVIDERS[host])


def text(stack: RecordedStack, host: str, service: catalog.Service, path: str) -> str:
    return str(files(stack, host, service)[path]["content"])


def container(stack: RecordedStack, host: str, service: catalog.Service) -> dict[str, Any]:
    return stack.host_containers(PROVIDERS[host])[name(service)].inputs


def flags(stack: RecordedStack, host: str, prefix: str) -> list[str]:
    return [f for f in container(stack, host, catalog.ALERTMANAGER)["command"] if f.startswith(prefix)]


def cert(stack: RecordedStack, leaf: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(stack.named(f"pki-{leaf}-cert").outputs["certPem"].encode())


def sans(certificate: x509.Certificate) -> tuple[list[str], list[str]]:
    ext = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return ext.get_values_for_type(x509.DNSName), [str(ip) for ip in ext.get_values_for_type(x509.IPAddress)]


def prefix(host: str) -> str:
    return "" if host == "mon-a" else f"{host}-"


# --- Providers and placement ----------------------------------------------------------------


def test_three_hosts_make_three_providers_each_on_its_engine(ha: RecordedStack) -> None:
    providers = {r.name: r.inputs["host"] for r in ha.of_type(PROVIDER_DOCKER)}
    assert providers == {PROVIDERS[h["name"]]: h["dockerHost"] for h in HOSTS}


def test_every_docker_resource_is_on_an_explicit_host_provider(ha: RecordedStack) -> None:
    for resource in ha.resources:
        if resource.type in DOCKER_TYPES:
            assert ha.host_of(resource) in PROVIDERS.values(), (resource.name, resource.provider)


def test_every_host_runs_the_same_services_under_the_same_docker_names(ha: RecordedStack) -> None:
    services = {
        host: {n: container_kind_service(c) for n, c in ha.host_containers(provider).items()}
        for host, provider in PROVIDERS.items()
    }
    expected = {
        name(s): s.name
        for s in (
            catalog.PROMETHEUS,
            catalog.ALERTMANAGER,
            catalog.PROXY,
            catalog.REDIS_EXPORTER,
            catalog.DUCKDB_EXPORTER,
        )
    }
    assert services == {host: expected for host in PROVIDERS}
    for provider in PROVIDERS.values():
        on_host = ha.by_provider()[provider]
        # The egress network too: the webhook, the Redis instances and the store are outside the hosts.
        assert sorted(r.inputs["name"] for r in on_host if r.type == NETWORK) == [
            catalog.resource_name("ha", catalog.BACKEND_NETWORK),
            catalog.resource_name("ha", catalog.EDGE_NETWORK),
            catalog.resource_name("ha", catalog.EGRESS_NETWORK),
        ]


def container_kind_service(resource: Registered) -> str:
    labels = {label["label"]: label["value"] for label in resource.inputs["labels"]}
    return str(labels[catalog.LABEL_SERVICE])


def test_host_resources_are_named_by_host_and_the_first_keeps_the_one_host_names(ha: RecordedStack) -> None:
    for host, provider in PROVIDERS.items():
        for resource in ha.by_provider()[provider]:
            if resource.type == PROVIDER_DOCKER:
                continue
            if host == "mon-a":
                assert not resource.name.startswith(("mon-b-", "mon-c-")), resource.name
            else:
                assert resource.name.startswith(f"{host}-"), resource.name


def test_commands_run_on_their_own_host(ha: RecordedStack) -> None:
    """Reloads and firewall rules of each host go over SSH to that host, and only there."""
    for host, provider in PROVIDERS.items():
        commands = [r for r in ha.by_provider()[provider] if r.type == REMOTE_COMMAND]
        # the firewall and the reloads of Prometheus, Alertmanager and the proxy
        assert len(commands) == 4, [c.name for c in commands]
        assert {c.inputs["connection"]["host"] for c in commands} == {ADDRESSES[host]}
    firewalls = [r for r in ha.commands(catalog.FIREWALL_TYPE)]
    assert sorted(r.name for r in firewalls) == ["firewall-rules", "mon-b-firewall-rules", "mon-c-firewall-rules"]


def test_every_ssh_connection_pins_its_own_hosts_key(ha: RecordedStack) -> None:
    """No trust on first use: each host's remote commands (pulumi-command's `hostKey`; without it the
    provider accepts any key) and its docker provider (the system ssh, through `sshOpts`) accept
    exactly the key configured for that host."""
    keys = {h["name"]: h["sshHostKey"] for h in HOSTS}
    assert len(set(keys.values())) == len(keys)  # three different keys: a mix-up would show
    for host, provider in PROVIDERS.items():
        commands = [r for r in ha.by_provider()[provider] if r.type == REMOTE_COMMAND]
        assert commands and {c.inputs["connection"]["hostKey"] for c in commands} == {keys[host]}
        (docker,) = [r for r in ha.of_type(PROVIDER_DOCKER) if r.name == provider]
        options = json.loads(docker.inputs["sshOpts"])
        pairs = dict(option.split("=", 1) for option in options[1::2])
        assert options[::2] == ["-o"] * len(pairs)
        assert pairs["StrictHostKeyChecking"] == "yes"
        assert pairs["UserKnownHostsFile"] == pairs["GlobalKnownHostsFile"] == "/dev/null"
        assert pairs["KnownHostsCommand"] == f"/bin/echo {ADDRESSES[host]} {keys[host]}"
        assert pairs["HostKeyAlgorithms"] == "ssh-ed25519"


@pytest.mark.skipif(shutil.which("ssh") is None, reason="needs OpenSSH's ssh client")
def test_the_system_ssh_takes_the_pinning_options(ha: RecordedStack, tmp_path: Path) -> None:
    """The real OpenSSH client parses the provider's options as meant (`ssh -G` prints the resulting
    configuration without connecting), and the known_hosts line they produce is the host's key."""
    (docker,) = [r for r in ha.of_type(PROVIDER_DOCKER) if r.name == PROVIDERS["mon-b"]]
    options = json.loads(docker.inputs["sshOpts"])
    resolved = subprocess.run(  # nosec B603 B607 - the test's own argv
        ["ssh", "-G", "-F", "/dev/null", *options, "deploy@10.30.0.12"], capture_output=True, text=True, check=True
    ).stdout
    assert "stricthostkeychecking true" in resolved
    assert "userknownhostsfile /dev/null" in resolved
    assert "hostkeyalgorithms ssh-ed25519" in resolved
    command = next(line for line in resolved.splitlines() if line.startswith("knownhostscommand "))
    line = subprocess.run(  # nosec B603 - argv of the option itself, no shell
        command.split()[1:], capture_output=True, text=True, check=True
    ).stdout
    known = tmp_path / "known_hosts"
    known.write_text(line)
    found = subprocess.run(  # nosec B603 B607
        ["ssh-keygen", "-F", "10.30.0.12", "-f", str(known)], capture_output=True, text=True, check=False
    )
    assert found.returncode == 0 and HOSTS[1]["sshHostKey"] in found.stdout, (line, found.stdout)


def test_shared_resources_are_on_no_host(ha: RecordedStack) -> None:
    unplaced = {r.type for r in ha.by_provider()[None]}
    assert unplaced <= {
        "promshield:index:Pki",
        "promshield:index:Credentials",
        "tls:index/privateKey:PrivateKey",
        "tls:index/selfSignedCert:SelfSignedCert",
        "tls:index/certRequest:CertRequest",
        "tls:index/locallySignedCert:LocallySignedCert",
        "random:index/randomPassword:RandomPassword",
        "random:index/randomBytes:RandomBytes",
    }
    assert len(ha.of_type("tls:index/selfSignedCert:SelfSignedCert")) == 1  # one CA for every host


def test_exports_name_every_host(ha: RecordedStack) -> None:
    assert {h: v["bind_address"] for h, v in ha.exports["hosts"].items()} == ADDRESSES
    assert ha.exports["prometheus_url"] == "https://monitoring.desk.example:9090/"


# --- Alertmanager cluster -------------------------------------------------------------------


@pytest.mark.parametrize("host", PROVIDERS)
def test_every_alertmanager_peers_with_the_others_over_mutual_tls(ha: RecordedStack, host: str) -> None:
    port = catalog.ALERTMANAGER_CLUSTER_PORT
    assert flags(ha, host, "--cluster.listen-address=") == [f"--cluster.listen-address=0.0.0.0:{port}"]
    assert flags(ha, host, "--cluster.advertise-address=") == [f"--cluster.advertise-address={ADDRESSES[host]}:{port}"]
    assert sorted(flags(ha, host, "--cluster.peer=")) == sorted(
        f"--cluster.peer={address}:{port}" for other, address in ADDRESSES.items() if other != host
    )
    assert flags(ha, host, "--cluster.tls-config=") == [f"--cluster.tls-config={catalog.ALERTMANAGER_CLUSTER_TLS_FILE}"]
    tls = yaml.safe_load(text(ha, host, catalog.ALERTMANAGER, catalog.ALERTMANAGER_CLUSTER_TLS_FILE))
    tls_dir = catalog.ALERTMANAGER.tls_dir
    assert tls["tls_server_config"]["client_auth_type"] == "RequireAndVerifyClientCert"
    assert tls["tls_server_config"]["client_ca_file"] == f"{tls_dir}/{catalog.TLS_CA_FILE}"
    assert tls["tls_server_config"]["min_version"] == "TLS12"
    assert tls["tls_client_config"] == {
        "ca_file": f"{tls_dir}/{catalog.TLS_CA_FILE}",
        "cert_file": f"{tls_dir}/{catalog.TLS_CERT_FILE}",
        "key_file": catalog.ALERTMANAGER.key_file,
    }
    assert "insecure_skip_verify" not in str(tls)
    key = files(ha, host, catalog.ALERTMANAGER)[catalog.ALERTMANAGER.key_file]
    assert key["permissions"] == "0400" and key["secret"]


@pytest.mark.parametrize("host", PROVIDERS)
def test_the_gossip_port_is_published_on_the_host_address_only(ha: RecordedStack, host: str) -> None:
    am = container(ha, host, catalog.ALERTMANAGER)
    port = catalog.ALERTMANAGER_CLUSTER_PORT
    assert am["ports"] == [{"internal": port, "external": port, "ip": ADDRESSES[host], "protocol": "tcp"}]
    # Docker publishes no port of an internal network: the edge network carries it (and the route to the peers).
    # The egress network carries only the notifications to the webhook outside (alertmanagerEgress).
    attached = {n["name"] for n in am["networksAdvanced"]}
    assert attached == {
        catalog.resource_name("ha", network)
        for network in (catalog.BACKEND_NETWORK, catalog.EDGE_NETWORK, catalog.EGRESS_NETWORK)
    }


@pytest.mark.parametrize("host", PROVIDERS)
def test_every_prometheus_sends_to_every_alertmanager(ha: RecordedStack, host: str) -> None:
    config = yaml.safe_load(text(ha, host, catalog.PROMETHEUS, catalog.PROMETHEUS_CONFIG_FILE))
    local, peers = config["alerting"]["alertmanagers"]
    assert local["static_configs"] == [{"targets": ["alertmanager:9093"]}]
    assert local["tls_config"]["server_name"] == catalog.ALERTMANAGER.name
    peer_port = catalog.PEER_ALERTS_PUBLISHED_PORT
    assert sorted(peers["static_configs"][0]["targets"]) == sorted(
        f"{address}:{peer_port}" for other, address in ADDRESSES.items() if other != host
    )
    # mTLS with Prometheus' client certificate; the peer proxy is verified by the address it is dialled at.
    assert peers["scheme"] == "https"
    assert peers["tls_config"] == {
        "ca_file": "/etc/prometheus/tls/ca.crt",
        "min_version": "TLS12",
        "cert_file": "/etc/prometheus/tls/client.crt",
        "key_file": catalog.PROMETHEUS.client_key_file,
    }
    # Both replicas' alerts must be identical for the cluster to notify once.
    assert config["alerting"]["alert_relabel_configs"] == [{"action": "labeldrop", "regex": "replica"}]
    assert config["global"]["external_labels"] == {"stack": "ha", "cluster": "ha", "replica": host}


def test_the_replicas_scrape_and_evaluate_the_same(ha: RecordedStack) -> None:
    def comparable(host: str) -> dict[str, Any]:
        config = yaml.safe_load(text(ha, host, catalog.PROMETHEUS, catalog.PROMETHEUS_CONFIG_FILE))
        config["global"]["external_labels"].pop("replica")
        config.pop("alerting")
        return config

    configs = {host: comparable(host) for host in PROVIDERS}
    assert configs["mon-a"] == configs["mon-b"] == configs["mon-c"]
    rules = {
        host: {
            p: f["content"]
            for p, f in files(ha, host, catalog.PROMETHEUS).items()
            if p.startswith(catalog.PROMETHEUS_RULES_DIR)
        }
        for host in PROVIDERS
    }
    assert rules["mon-a"].keys() >= {f"{catalog.PROMETHEUS_RULES_DIR}/stack.yml"}
    assert rules["mon-a"] == rules["mon-b"] == rules["mon-c"]


@pytest.mark.parametrize("host", PROVIDERS)
def test_the_proxy_takes_peer_alerts_with_a_prometheus_certificate_only(ha: RecordedStack, host: str) -> None:
    proxy = container(ha, host, catalog.PROXY)
    peer = [p for p in proxy["ports"] if p["internal"] == catalog.PROXY_PEER_ALERTS_PORT]
    assert peer == [
        {"internal": catalog.PROXY_PEER_ALERTS_PORT, "external": 9095, "ip": ADDRESSES[host], "protocol": "tcp"}
    ]
    assert {p["ip"] for p in proxy["ports"]} == {ADDRESSES[host]}
    conf = text(ha, host, catalog.PROXY, catalog.PROXY_CONFIG_FILE)
    server = conf[conf.index(f"listen {catalog.PROXY_PEER_ALERTS_PORT} ssl;") :]
    server = server[: server.index("\n    }\n")]
    assert "ssl_verify_client on;" in server
    assert f"ssl_client_certificate {catalog.PROXY.tls_dir}/{catalog.TLS_CA_FILE};" in server
    assert "if ($peer_prometheus = 0)" in server and '"~(^|,)CN=prometheus(,|$)" 1;' in conf
    assert "location = /api/v2/alerts" in server and "limit_except POST" in server
    assert "auth_request" not in server  # no password: the certificate is the credential
    tls = files(ha, host, catalog.PROXY)
    key = tls[f"{catalog.PROXY.secrets_dir}/{catalog.TLS_PEER_KEY_FILE}"]
    assert key["permissions"] == "0400" and key["secret"]


# --- Certificates ---------------------------------------------------------------------------


@pytest.mark.parametrize("host", PROVIDERS)
def test_each_host_has_its_own_certificates_naming_it(ha: RecordedStack, host: str) -> None:
    address = ADDRESSES[host]
    others = [a for h, a in ADDRESSES.items() if h != host]
    am_dns, am_ips = sans(cert(ha, f"{prefix(host)}alertmanager-server"))
    assert am_dns == ["alertmanager", "localhost", host] and am_ips == ["127.0.0.1", address]
    peer_dns, peer_ips = sans(cert(ha, f"{prefix(host)}proxy-peer-server"))
    assert peer_dns == [host] and peer_ips == [address]
    proxy_dns, proxy_ips = sans(cert(ha, f"{prefix(host)}proxy-server"))
    assert proxy_dns == ["monitoring.desk.example", host] and proxy_ips == [address]
    for leaf in ("alertmanager-server", "proxy-peer-server", "proxy-server"):
        assert not set(sans(cert(ha, f"{prefix(host)}{leaf}"))[1]) & set(others)
    # Each host's Alertmanager holds its own key, and its certificate is what it uploads.
    uploaded = text(ha, host, catalog.ALERTMANAGER, f"{catalog.ALERTMANAGER.tls_dir}/{catalog.TLS_CERT_FILE}")
    assert x509.load_pem_x509_certificate(uploaded.encode()) == cert(ha, f"{prefix(host)}alertmanager-server")
    ca = x509.load_pem_x509_certificate(ha.named("pki-ca").outputs["certPem"].encode())
    assert cert(ha, f"{prefix(host)}alertmanager-server").issuer == ca.subject
    gossip_uses = cert(ha, f"{prefix(host)}alertmanager-server").extensions.get_extension_for_class(
        x509.ExtendedKeyUsage
    )
    assert {u._name for u in gossip_uses.value} == {"serverAuth", "clientAuth"}  # gossip server and client


def test_prometheus_client_certificates_carry_the_name_the_peer_proxies_admit(ha: RecordedStack) -> None:
    for host in PROVIDERS:
        subject = cert(ha, f"{prefix(host)}prometheus-client").subject
        assert subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == catalog.PROMETHEUS.name


# --- Firewall -------------------------------------------------------------------------------


@pytest.mark.parametrize("host", PROVIDERS)
def test_only_the_other_hosts_reach_the_gossip_and_peer_alert_ports(ha: RecordedStack, host: str) -> None:
    (rules,) = [r for r in ha.by_provider()[PROVIDERS[host]] if r.name == f"{prefix(host)}firewall-rules"]
    script = str(rules.inputs["create"])
    address = ADDRESSES[host]
    for port in (catalog.ALERTMANAGER_CLUSTER_PORT, catalog.PEER_ALERTS_PUBLISHED_PORT):
        match = f"-p tcp -m conntrack --ctdir ORIGINAL --ctorigdstport {port} --ctorigdst {address}"
        allowed = sorted(
            line.split(" -s ")[1].split(" ")[0]
            for line in script.splitlines()
            if match in line and line.endswith("-j RETURN")
        )
        assert allowed == sorted(f"{a}/32" for h, a in ADDRESSES.items() if h != host)
        assert f"-A PROMSHIELD-HA {match} -j DROP" in script
        assert f"-s 10.30.0.0/24 {match}" not in script  # the trusted CIDR is not a peer
    # The user ports keep their trusted CIDRs.
    assert "-A PROMSHIELD-HA -s 10.30.0.0/24 -p tcp -m conntrack --ctdir ORIGINAL --ctorigdstport 9090" in script


def test_peer_rules_come_from_the_plan() -> None:
    from components.firewall.render import FirewallPlan

    plan = FirewallPlan("C", "198.18.0.1", (9090,), ("198.18.5.0/24",), peer_ports=(9094,), peers=("198.18.0.2",))
    assert rule_lines(plan)[2:] == [
        "-A C -s 198.18.0.2/32 -p tcp -m conntrack --ctdir ORIGINAL --ctorigdstport 9094 --ctorigdst 198.18.0.1 "
        "-j RETURN",
        "-A C -p tcp -m conntrack --ctdir ORIGINAL --ctorigdstport 9094 --ctorigdst 198.18.0.1 -j DROP",
    ]


# --- What runs once -------------------------------------------------------------------------


def test_redis_exporter_users_are_managed_once_and_shared(ha: RecordedStack) -> None:
    acl_users = [r for r in ha.resources if r.name.endswith("-exporter-user")]
    assert sorted(r.name for r in acl_users) == ["redis-ris-exporter-user", "redis-rts-exporter-user"]
    passwords = [r for r in ha.resources if r.type == "random:index/randomPassword:RandomPassword"]
    assert sorted(r.name for r in passwords if r.name.endswith("-exporter-password")) == [
        "redis-ris-exporter-password",
        "redis-rts-exporter-password",
    ]
    from components.redis.component import PASSWORD_FILE as path

    password_files = {host: files(ha, host, catalog.REDIS_EXPORTER)[path] for host in PROVIDERS}
    assert len({f["content"] for f in password_files.values()}) == 1  # the same users on every host
    assert all(f["secret"] and f["permissions"] == "0400" for f in password_files.values())


def test_remote_write_carries_the_replica_label_and_the_store_settings(ha: RecordedStack) -> None:
    config = yaml.safe_load(text(ha, "mon-b", catalog.PROMETHEUS, catalog.PROMETHEUS_CONFIG_FILE))
    (remote,) = config["remote_write"]
    assert remote["headers"] == {"THANOS-TENANT": "desk"}
    assert remote["queue_config"] == {"max_shards": 20, "max_samples_per_send": 2000, "batch_send_deadline": "5s"}
    assert remote["basic_auth"]["password_file"].startswith(catalog.PROMETHEUS_SECRETS_DIR)
    assert "write_relabel_configs" not in remote  # Thanos and Mimir deduplicate on the replica label


# --- One host: unchanged --------------------------------------------------------------------


def test_one_host_stacks_have_nothing_of_a_cluster(any_stack: RecordedStack) -> None:
    """The snapshot test proves the one-host resources are those of before; this names what it would catch."""
    (provider,) = any_stack.of_type(PROVIDER_DOCKER)
    assert provider.name == "docker"
    am = any_stack.containers()[catalog.container_name(any_stack.stack, catalog.ALERTMANAGER)].inputs
    assert "--cluster.listen-address=" in am["command"] and not am.get("ports")
    assert not any(f.startswith("--cluster.peer") for f in am["command"])
    proxy = any_stack.containers()[catalog.container_name(any_stack.stack, catalog.PROXY)].inputs
    assert sorted(p["internal"] for p in proxy["ports"]) == [
        catalog.PROXY_PROMETHEUS_PORT,
        catalog.PROXY_ALERTMANAGER_PORT,
    ]
    assert "hosts" not in any_stack.exports
    assert not [r for r in any_stack.resources if "peer" in r.name]


def test_a_one_host_stack_moved_to_three_keeps_its_resources() -> None:
    """The first host of `hosts` keeps the names (and so the resources and data volumes) of the one-host
    stack it was: moving to three hosts adds resources, it replaces none by name."""
    base = {k: v for k, v in SCENARIO.config.items() if k != "hosts"}
    one = run_program(
        {
            **base,
            "dockerHost": HOSTS[0]["dockerHost"],
            "bindAddress": HOSTS[0]["bindAddress"],
            "sshHostKey": HOSTS[0]["sshHostKey"],
        },
        stack="ha",
        secret_keys=SCENARIO.secret_keys,
    )
    three = SCENARIO.run()
    names_one = {(r.type, r.name) for r in one.resources}
    names_three = {(r.type, r.name) for r in three.by_provider()["docker"]}
    names_three |= {(r.type, r.name) for r in three.by_provider()[None]}
    assert names_one <= names_three
    added = {n for t, n in names_three - names_one if not n.startswith(("pki-mon-b-", "pki-mon-c-"))}
    assert added == {"pki-proxy-peer-server-key", "pki-proxy-peer-server-csr", "pki-proxy-peer-server-cert"}
    volumes_one = {r.inputs["name"] for r in one.of_type(VOLUME)}
    volumes_first_host = {r.inputs["name"] for r in three.by_provider()["docker"] if r.type == VOLUME}
    assert volumes_one == volumes_first_host


def test_host_addresses_may_be_ipv6() -> None:
    hosts = [
        {"name": "mon-a", "dockerHost": "unix:///run/docker-11.sock", "bindAddress": "fd00:30::11"},
        {"name": "mon-b", "dockerHost": "unix:///run/docker-12.sock", "bindAddress": "fd00:30::12"},
    ]
    stack = run_program({"hosts": hosts, "trustedCidrs": ["fd00:30::/64"]}, stack="v6")
    command = stack.host_containers("docker")[catalog.container_name("v6", catalog.ALERTMANAGER)].inputs["command"]
    assert "--cluster.advertise-address=[fd00:30::11]:9094" in command
    assert "--cluster.peer=[fd00:30::12]:9094" in command
    assert ipaddress.ip_address("fd00:30::11")  # the addresses themselves were accepted as they are


def test_make_render_writes_each_host_apart(ha: RecordedStack, tmp_path: Path) -> None:
    from tools.render import write_render

    write_render(ha, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(PROVIDERS.values())
    for host, provider in PROVIDERS.items():
        config = tmp_path / provider / name(catalog.PROMETHEUS) / catalog.PROMETHEUS_CONFIG_FILE.lstrip("/")
        assert f"replica: {host}" in config.read_text()
        key = tmp_path / provider / name(catalog.ALERTMANAGER) / catalog.ALERTMANAGER.key_file.lstrip("/")
        assert key.read_text().startswith("<secret:")


def test_each_hosts_group_deploys_on_its_own(ha: RecordedStack) -> None:
    """What the acceptance harness does with `by_provider()`: deploy each group on its own engine. Every
    volume, network and image a container of a group uses is a resource of that group, and every reload
    command of a group targets a container of that group (nothing refers across hosts)."""
    for provider in PROVIDERS.values():
        group = ha.by_provider()[provider]
        volumes = {r.inputs["name"] for r in group if r.type == VOLUME}
        networks = {r.inputs["name"] for r in group if r.type == NETWORK}
        images = {r.outputs.get("imageId") or r.outputs.get("imageName") for r in group if r.type in DOCKER_TYPES[3:]}
        containers = [r for r in group if r.type == CONTAINER]
        for c in containers:
            spec = c.inputs
            assert {v["volumeName"] for v in spec.get("volumes", []) if v.get("volumeName")} <= volumes, c.name
            assert {n["name"] for n in spec.get("networksAdvanced", [])} <= networks, c.name
            assert spec["image"] in images, (c.name, spec["image"])
        names = {c.inputs["name"] for c in containers}
        for command in (r for r in group if r.type == REMOTE_COMMAND and r.name.endswith("-reload")):
            assert any(f" {n}" in str(command.inputs["create"]) for n in names), command.name


def test_a_hosts_stack_loads_with_the_defaults_the_real_engine_applies() -> None:
    """The Pulumi engine gives the program every default Pulumi.yaml declares, as if the stack had set
    it (the mocks do not). A default for dockerHost or bindAddress would make every `hosts` stack fail
    ("is set together with promshield:hosts"): the first real multi-host `pulumi up` did."""
    declared = yaml.safe_load((Path(__file__).resolve().parents[2] / "Pulumi.yaml").read_text())["config"]
    defaults = {key: spec["default"] for key, spec in declared.items() if "default" in spec}
    assert "dockerHost" not in defaults and "bindAddress" not in defaults
    stack = run_program({**defaults, **SCENARIO.config}, stack="ha", secret_keys=SCENARIO.secret_keys)
    assert {r.name for r in stack.of_type(PROVIDER_DOCKER)} == set(PROVIDERS.values())
    # The negative control: the engine's behaviour with a declared dockerHost default.
    config = {**defaults, "dockerHost": "unix:///var/run/docker.sock", **SCENARIO.config}
    raw = {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}
    with pytest.raises(SettingsError, match=r"promshield:dockerHost = .* is set together with promshield:hosts"):
        load_settings(raw.get, "ha", raw.keys())
