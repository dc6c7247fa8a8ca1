"""Each policy on small hand-made resources: it rejects the failing example and accepts the passing one.

Tables: (case id, the change to a known-good resource, the text the violation must contain, or
None when the policy must accept). Props go through the analyzer's own deserialization and
unknown-checking proxy (tests/policy/policy_harness.py), so they look as they would under the CLI.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from components.core import catalog
from policy import monitoring, policies
from tests.policy.policy_harness import (
    Outcome,
    check_resource,
    check_stack,
    options,
    policy_props,
    stack_config_env,
    urn_for,
)

DIGEST = "sha256:" + "ab" * 32
BCRYPT_LINE = "admin:$2b$10$" + "N9qo8uLOickgx2ZMRZoMye" + "IjZAgcfl7p92ldGxad68LJZdL17lhWy"
PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----\n"
CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIBpTCCAUygAwIBAgIU\n-----END CERTIFICATE-----\n"


def labels(service: str | None, kind: str = "service") -> list[dict[str, str]]:
    found = [{"label": catalog.LABEL_KIND, "value": kind}]
    return found + ([{"label": catalog.LABEL_SERVICE, "value": service}] if service else [])


GOOD_CONTAINER: dict[str, Any] = {
    "name": "promshield-test-proxy",
    "image": catalog.DEFAULT_IMAGES["proxy"],
    "user": catalog.PROXY.user,
    "readOnly": True,
    "privileged": False,
    "capabilities": {"drops": ["ALL"], "adds": ["NET_BIND_SERVICE"]},
    "securityOpts": ["no-new-privileges:true"],
    "memory": 256.0,
    "labels": labels(catalog.PROXY.name),
    "ports": [{"internal": 8443.0, "external": 9090.0, "ip": "127.0.0.1", "protocol": "tcp"}],
    "volumes": [
        {"hostPath": "/srv/trading", "containerPath": "/data", "readOnly": True},
        {"volumeName": "audit", "containerPath": "/var/log/audit"},
    ],
    "envs": ["TZ=UTC", "REDIS_PASSWORD_FILE=/etc/redis-exporter/secrets/password", "PASSWORD="],
    "uploads": [
        {"file": catalog.PROXY_HTPASSWD_FILE, "content": BCRYPT_LINE + "\n", "permissions": "0400"},
        {"file": f"{catalog.PROXY.tls_dir}/{catalog.TLS_KEY_FILE}", "content": PRIVATE_KEY, "permissions": "0600"},
        {"file": f"{catalog.PROXY.tls_dir}/{catalog.TLS_CERT_FILE}", "content": CERTIFICATE, "permissions": "0644"},
        {"file": catalog.PROXY_CONFIG_FILE, "content": "events {}\n", "permissions": "0644"},
    ],
}
GOOD_MONITOR: dict[str, Any] = {
    **copy.deepcopy(GOOD_CONTAINER),
    "name": "promshield-test-prometheus",
    "image": catalog.DEFAULT_IMAGES["prometheus"],
    "labels": labels(catalog.PROMETHEUS.name),
    "ports": [],
    "command": [
        f"--config.file={catalog.PROMETHEUS_CONFIG_FILE}",
        f"--web.config.file={catalog.PROMETHEUS_WEB_CONFIG_FILE}",
        "--web.enable-lifecycle",
    ],
}


Change = Callable[[dict[str, Any]], None]


def put(key: str, value: Any) -> Change:
    def change(props: dict[str, Any]) -> None:
        props[key] = value

    return change


def drop(key: str) -> Change:
    def change(props: dict[str, Any]) -> None:
        props.pop(key, None)

    return change


def upload(path: str, content: Any, permissions: str | None, **extra: Any) -> Change:
    def change(props: dict[str, Any]) -> None:
        entry = {"file": path, "content": content, **extra}
        if permissions is not None:
            entry["permissions"] = permissions
        if content is None:
            entry.pop("content")
        props["uploads"] = [entry]

    return change


def keep(props: dict[str, Any]) -> None:
    """The known-good resource, unchanged."""


def run(
    policy_name: str,
    typ: str,
    base: dict[str, Any],
    change: Change,
    *,
    config: dict[str, Any] | None = None,
    pack: dict[str, Any] | None = None,
) -> Outcome:
    policy = policies.policies_by_name()[policy_name]
    assert isinstance(policy, policies.ResourceValidationPolicy)
    props = copy.deepcopy(base)
    change(props)
    with stack_config_env(config):
        return check_resource(policy, typ, props, name="subject", pack_config=pack)


def verdict(outcome: Outcome, expected: str | None) -> None:
    if expected is None:
        assert outcome.violations == [], outcome.violations
    else:
        assert outcome.violations, f"expected a violation mentioning {expected!r}"
        assert any(expected in message for message in outcome.violations), outcome.violations
        # every message names the resource and says how to fix it
        assert all('"subject"' in message and "Fix:" in message for message in outcome.violations), outcome.violations


CONTAINER_CASES: list[tuple[str, str, Change, str | None]] = [
    # policy, change, expected
    ("container-not-privileged", "accept", keep, None),
    ("container-not-privileged", "privileged", put("privileged", True), "runs privileged"),
    (
        "container-not-privileged",
        "sys-admin",
        put("capabilities", {"drops": ["ALL"], "adds": ["CAP_SYS_ADMIN"]}),
        "SYS_ADMIN",
    ),
    (
        "container-not-privileged",
        "seccomp-off",
        put("securityOpts", ["no-new-privileges:true", "seccomp=unconfined"]),
        "seccomp=unconfined",
    ),
    ("container-not-privileged", "devices", put("devices", [{"hostPath": "/dev/mem"}]), "host devices"),
    ("container-non-root-user", "accept", keep, None),
    ("container-non-root-user", "accept-name", put("user", "nobody"), None),
    ("container-non-root-user", "unset", drop("user"), "sets no `user`"),
    ("container-non-root-user", "root", put("user", "root"), "runs as root"),
    ("container-non-root-user", "uid-0", put("user", "0:0"), "runs as root"),
    ("container-non-root-user", "root-group", put("user", "101:0"), "root group"),
    ("container-read-only-root", "accept", keep, None),
    ("container-read-only-root", "writable", put("readOnly", False), "writable root filesystem"),
    ("container-read-only-root", "unset", drop("readOnly"), "writable root filesystem"),
    ("container-drop-all-capabilities", "accept", keep, None),
    ("container-drop-all-capabilities", "accept-lowercase", put("capabilities", {"drops": ["all"]}), None),
    ("container-drop-all-capabilities", "unset", drop("capabilities"), "default capabilities"),
    ("container-drop-all-capabilities", "some", put("capabilities", {"drops": ["NET_RAW"]}), "default capabilities"),
    ("container-no-new-privileges", "accept", keep, None),
    ("container-no-new-privileges", "accept-bare", put("securityOpts", ["no-new-privileges"]), None),
    ("container-no-new-privileges", "accept-equals", put("securityOpts", ["no-new-privileges=true"]), None),
    ("container-no-new-privileges", "unset", drop("securityOpts"), "gain privileges"),
    ("container-no-new-privileges", "false", put("securityOpts", ["no-new-privileges:false"]), "gain privileges"),
    ("container-memory-limit", "accept", keep, None),
    ("container-memory-limit", "unset", drop("memory"), "no memory limit"),
    ("container-memory-limit", "zero", put("memory", 0), "no memory limit"),
    ("container-no-host-access", "accept", keep, None),
    ("container-no-host-access", "accept-no-network", put("networkMode", "none"), None),
    ("container-no-host-access", "host-network", put("networkMode", "host"), "host's network namespace"),
    ("container-no-host-access", "host-pid", put("pidMode", "host"), "host's pid namespace"),
    (
        "container-no-host-access",
        "docker-socket",
        put("volumes", [{"hostPath": "/var/run/docker.sock", "containerPath": "/s", "readOnly": True}]),
        "runtime socket",
    ),
    (
        "container-no-host-access",
        "writable-host-path",
        put("volumes", [{"hostPath": "/srv/trading", "containerPath": "/data"}]),
        "writable",
    ),
    (
        "container-no-host-access",
        "writable-bind-mount",
        put("mounts", [{"type": "bind", "source": "/etc", "target": "/host-etc"}]),
        "writable",
    ),
    ("container-no-secrets-in-env", "accept", keep, None),
    (
        "container-no-secrets-in-env",
        "accept-non-secret-names",
        put("envs", ["BASIC_AUTH_USER=prometheus", "TZ=UTC", "GOMAXPROCS=2"]),
        None,
    ),
    ("container-no-secrets-in-env", "password", put("envs", ["REDIS_PASSWORD=hunter2hunter2"]), "REDIS_PASSWORD"),
    ("container-no-secrets-in-env", "token", put("envs", ["GITHUB_TOKEN=ghp_x"]), "GITHUB_TOKEN"),
    ("container-no-secrets-in-env", "private-key", put("envs", [f"TLS={PRIVATE_KEY}"]), "secret material"),
    ("container-no-secrets-in-env", "bcrypt", put("envs", [f"USERS={BCRYPT_LINE}"]), "secret material"),
    (
        "container-no-secrets-in-env",
        "url-password",
        put("envs", ["DSN=redis://user:pass@redis:6379/0"]),
        "secret material",
    ),
    ("image-pinned", "accept", keep, None),
    ("image-pinned", "accept-image-id", put("image", DIGEST), None),
    ("image-pinned", "accept-unknown-in-preview", put("image", UNKNOWN_STRING_VALUE), None),
    ("image-pinned", "latest", put("image", "nginx:latest"), "`latest`"),
    ("image-pinned", "untagged", put("image", "nginx"), "no tag"),
    ("ports-bound-to-one-address", "accept", keep, None),
    (
        "ports-bound-to-one-address",
        "any-ipv4",
        put("ports", [{"internal": 8443.0, "external": 9090.0, "ip": "0.0.0.0"}]),
        "every interface",
    ),
    (
        "ports-bound-to-one-address",
        "any-ipv6",
        put("ports", [{"internal": 8443.0, "external": 9090.0, "ip": "::"}]),
        "every interface",
    ),
    (
        "ports-bound-to-one-address",
        "any-ipv6-brackets",
        put("ports", [{"internal": 8443.0, "external": 9090.0, "ip": "[::]"}]),
        "every interface",
    ),
    (
        "ports-bound-to-one-address",
        "ip-unset",
        put("ports", [{"internal": 8443.0, "external": 9090.0}]),
        "Docker's default 0.0.0.0",
    ),
    ("ports-bound-to-one-address", "publish-all", put("publishAllPorts", True), "publish_all_ports"),
    ("ports-only-proxy-publishes", "accept", keep, None),
    (
        "ports-only-proxy-publishes",
        "accept-prometheus-without-ports",
        lambda p: p.update(labels=labels(catalog.PROMETHEUS.name), ports=[]),
        None,
    ),
    ("ports-only-proxy-publishes", "prometheus", put("labels", labels(catalog.PROMETHEUS.name)), "only the proxy"),
    ("ports-only-proxy-publishes", "unlabelled", put("labels", []), "unlabelled"),
    (
        "ports-only-proxy-publishes",
        "accept-alertmanager-gossip",
        lambda p: p.update(
            labels=labels(catalog.ALERTMANAGER.name),
            ports=[{"internal": 9094, "external": 9094, "ip": "10.30.0.11", "protocol": "tcp"}],
            command=["--cluster.tls-config=/etc/alertmanager/cluster-tls.yml"],
        ),
        None,
    ),
    (
        "ports-only-proxy-publishes",
        "alertmanager-gossip-without-tls",
        lambda p: p.update(
            labels=labels(catalog.ALERTMANAGER.name),
            ports=[{"internal": 9094, "external": 9094, "ip": "10.30.0.11", "protocol": "tcp"}],
            command=["--cluster.listen-address=0.0.0.0:9094"],
        ),
        "only the proxy",
    ),
    (
        "ports-only-proxy-publishes",
        "alertmanager-web-port",
        lambda p: p.update(
            labels=labels(catalog.ALERTMANAGER.name),
            ports=[{"internal": 9093, "external": 9093, "ip": "10.30.0.11", "protocol": "tcp"}],
        ),
        "only the proxy",
    ),
    ("files-secrets-apart-from-config", "accept-a-service", upload("/etc/x/tls/server.key", PRIVATE_KEY, "0400"), None),
    (
        "files-secrets-apart-from-config",
        "accept-plain-config",
        lambda p: (upload("/etc/x/x.yml", "a: 1\n", "0600")(p), p.update(labels=labels("x", kind="config"))),
        None,
    ),
    (
        "files-secrets-apart-from-config",
        "accept-secrets-carrier",
        lambda p: (upload("/run/secrets/x.key", PRIVATE_KEY, "0400")(p), p.update(labels=labels("x", kind="secrets"))),
        None,
    ),
    (
        "files-secrets-apart-from-config",
        "key-in-config-carrier",
        lambda p: (upload("/etc/x/anything.pem", PRIVATE_KEY, "0400")(p), p.update(labels=labels("x", kind="config"))),
        "config carrier",
    ),
    (
        "files-secrets-apart-from-config",
        "password-by-path-in-config-carrier",
        lambda p: (upload("/etc/x/secrets/pw", None, "0400")(p), p.update(labels=labels("x", kind="config"))),
        "secrets directory",
    ),
    ("files-secret-modes", "accept", keep, None),
    ("files-secret-modes", "accept-certificate-0644", upload("/etc/x/tls/server.crt", CERTIFICATE, "0644"), None),
    ("files-secret-modes", "accept-key-0400", upload("/etc/x/anything.pem", PRIVATE_KEY, "0400"), None),
    ("files-secret-modes", "key-by-content", upload("/etc/x/anything.pem", PRIVATE_KEY, "0644"), "holds a private key"),
    (
        "files-secret-modes",
        "key-base64",
        upload("/etc/x/anything.pem", None, "0640", contentBase64=base64.b64encode(PRIVATE_KEY.encode()).decode()),
        "holds a private key",
    ),
    ("files-secret-modes", "hash-by-content", upload("/etc/x/users.txt", BCRYPT_LINE, "0440"), "password hash"),
    (
        "files-secret-modes",
        "redis-acl-hash",
        upload("/etc/redis/users.acl", "user default off\nuser prometheus on #" + "5d" * 32 + " +ping\n", "0644"),
        "Redis ACL",
    ),
    (
        "files-secret-modes",
        "redis-acl-plaintext",
        upload("/etc/redis/users.acl", "user app on >hunter2 ~* +@read\n", "0644"),
        "Redis ACL",
    ),
    (
        "files-secret-modes",
        "accept-redis-acl-without-password",
        upload("/etc/redis/users.acl", "user default reset off resetpass -@all\n", "0644"),
        None,
    ),
    ("files-secret-modes", "htpasswd-by-path", upload("/etc/nginx/htpasswd", "not-visible-here", "0644"), "htpasswd"),
    (
        "files-secret-modes",
        "secrets-dir-default-mode",
        upload("/etc/prometheus/secrets/remote-write", "s3cr3t", None),
        "secrets directory",
    ),
    ("files-secret-modes", "key-executable", upload("/etc/x/tls/server.key", PRIVATE_KEY, "0700"), "execute"),
    (
        "files-secret-modes",
        "unparseable-mode",
        upload("/etc/x/tls/server.key", PRIVATE_KEY, "rw-------"),
        "unreadable permissions",
    ),
    # A value unknown during preview (content from pulumi-tls not created yet): judged by path.
    (
        "files-secret-modes",
        "unknown-content-key-path",
        upload("/etc/x/tls/server.key", UNKNOWN_STRING_VALUE, "0644"),
        "ends with .key",
    ),
    (
        "files-secret-modes",
        "unknown-content-plain-path",
        upload("/etc/x/tls/server.pem", UNKNOWN_STRING_VALUE, "0644"),
        None,
    ),
]


@pytest.mark.parametrize(
    ("policy_name", "case", "change", "expected"), CONTAINER_CASES, ids=[f"{p}:{c}" for p, c, _, _ in CONTAINER_CASES]
)
def test_container_policies(policy_name: str, case: str, change: Change, expected: str | None) -> None:
    outcome = run(policy_name, catalog.CONTAINER_TYPE, GOOD_CONTAINER, change)
    verdict(outcome, expected)
    assert outcome.deferred is None


def test_every_resource_policy_has_a_failing_and_a_passing_case() -> None:
    covered = {
        (name, expected is None)
        for name, _, _, expected in CONTAINER_CASES + IMAGE_CASES + NETWORK_CASES + MONITOR_FLAG_CASES
    }
    for policy in policies.RESOURCE_POLICIES:
        assert (policy.name, True) in covered, f"{policy.name} has no accepting case"
        assert (policy.name, False) in covered, f"{policy.name} has no rejecting case"
    stack_covered = {(name, expected is None) for name, _, _, expected in STACK_CASES}
    for stack_policy in policies.STACK_POLICIES:
        assert (stack_policy.name, True) in stack_covered and (stack_policy.name, False) in stack_covered, (
            stack_policy.name
        )


def test_policies_ignore_other_resource_types() -> None:
    for policy in policies.RESOURCE_POLICIES:
        assert check_resource(
            policy, "docker:index/volume:Volume", {"name": "promshield-dev-backend", "privileged": True}
        ).passed


# --- Public bind: allowed only by the stack's own config ---------------------------------------------
ANY_ADDRESS = put("ports", [{"internal": 8443.0, "external": 9090.0, "ip": "0.0.0.0"}])


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (None, "every interface"),
        ({}, "every interface"),
        ({"allowPublicBind": "false"}, "every interface"),
        ({"allowPublicBind": True}, None),
        ({"allowPublicBind": "true"}, None),
    ],
)
def test_public_bind_needs_the_stack_to_allow_it(config: dict[str, Any] | None, expected: str | None) -> None:
    verdict(
        run("ports-bound-to-one-address", catalog.CONTAINER_TYPE, GOOD_CONTAINER, ANY_ADDRESS, config=config), expected
    )


# --- Images: RemoteImage names, built Image names and base-image build args ---------------------------
IMAGE_CASES: list[tuple[str, str, Change, str | None]] = [
    ("image-pinned", "remote:release", put("name", "prom/prometheus:v3.5.0"), None),
    ("image-pinned", "remote:registry-port", put("name", "registry.internal:5000/prom/prometheus:3.5.0"), None),
    ("image-pinned", "remote:digest", put("name", f"redis@{DIGEST}"), None),
    ("image-pinned", "remote:tag-and-digest", put("name", f"redis:7@{DIGEST}"), None),
    ("image-pinned", "remote:latest", put("name", "prom/prometheus:latest"), "`latest`"),
    ("image-pinned", "remote:untagged", put("name", "prom/prometheus"), "no tag"),
    ("image-pinned", "remote:registry-port-untagged", put("name", "registry.internal:5000/prom/prometheus"), "no tag"),
    ("image-pinned", "remote:floating-major", put("name", "redis:7"), "names no release"),
    ("image-pinned", "remote:channel", put("name", "nginx:stable-alpine"), "names no release"),
    ("image-pinned", "remote:missing", drop("name"), "no image reference"),
]


@pytest.mark.parametrize(
    ("policy_name", "case", "change", "expected"), IMAGE_CASES, ids=[c for _, c, _, _ in IMAGE_CASES]
)
def test_remote_image_names(policy_name: str, case: str, change: Change, expected: str | None) -> None:
    verdict(
        run(policy_name, catalog.REMOTE_IMAGE_TYPE, {"name": "prom/prometheus:v3.5.0", "keepLocally": True}, change),
        expected,
    )


@pytest.mark.parametrize(
    ("image_name", "base_image", "expected"),
    [
        ("promshield/duckdb-exporter:0.1.0-a7b7a401044d", catalog.DEFAULT_IMAGES["duckdb_exporter_base"], None),
        ("promshield/duckdb-exporter:latest", catalog.DEFAULT_IMAGES["duckdb_exporter_base"], "`latest`"),
        ("promshield/duckdb-exporter:0.1.0", "python:3", "build.args.BASE_IMAGE"),
    ],
)
def test_built_images(image_name: str, base_image: str, expected: str | None) -> None:
    props = {
        "imageName": image_name,
        "build": {"context": "exporters/duckdb", "args": {"BASE_IMAGE": base_image, "VERSION": "x"}},
        "skipPush": True,
    }
    verdict(run("image-pinned", catalog.BUILT_IMAGE_TYPE, props, keep), expected)


# --- Networks ------------------------------------------------------------------------------------------
NETWORK_CASES: list[tuple[str, str, Change, str | None]] = [
    ("network-backend-internal", "backend-internal", keep, None),
    (
        "network-backend-internal",
        "edge-may-route",
        lambda p: p.update(name=f"promshield-dev-{catalog.EDGE_NETWORK}", internal=False),
        None,
    ),
    ("network-backend-internal", "backend-routable", put("internal", False), "not internal"),
    ("network-backend-internal", "backend-unset", drop("internal"), "not internal"),
]


@pytest.mark.parametrize(
    ("policy_name", "case", "change", "expected"), NETWORK_CASES, ids=[c for _, c, _, _ in NETWORK_CASES]
)
def test_networks(policy_name: str, case: str, change: Change, expected: str | None) -> None:
    base = {"name": f"promshield-dev-{catalog.BACKEND_NETWORK}", "internal": True, "driver": "bridge"}
    verdict(run(policy_name, catalog.NETWORK_TYPE, base, change), expected)


def test_backend_network_is_recognised_by_its_resource_name_too() -> None:
    policy = policies.policies_by_name()["network-backend-internal"]
    assert isinstance(policy, policies.ResourceValidationPolicy)
    outcome = check_resource(
        policy, catalog.NETWORK_TYPE, {"name": "some-other-name", "internal": False}, name="networks-backend"
    )
    assert outcome.violations


# --- Prometheus flags: admin API (stack config) and receivers (pack config) ----------------------------
def flags(*extra: str) -> Change:
    def change(props: dict[str, Any]) -> None:
        props["command"] = [*props["command"], *extra]

    return change


MONITOR_FLAG_CASES: list[tuple[str, str, Change, str | None]] = [
    ("prometheus-admin-endpoints-off", "accept", keep, None),
    ("prometheus-admin-endpoints-off", "accept-explicitly-off", flags("--web.enable-admin-api=false"), None),
    ("prometheus-admin-endpoints-off", "admin-api", flags("--web.enable-admin-api"), "--web.enable-admin-api"),
    (
        "prometheus-admin-endpoints-off",
        "admin-api-in-entrypoint",
        lambda p: p.update(entrypoints=["/bin/prometheus", "--web.enable-admin-api"]),
        "--web.enable-admin-api",
    ),
    (
        "prometheus-admin-endpoints-off",
        "remote-write-receiver",
        flags("--web.enable-remote-write-receiver"),
        "accepts pushed samples",
    ),
    ("prometheus-admin-endpoints-off", "otlp-receiver", flags("--web.enable-otlp-receiver"), "accepts pushed samples"),
    (
        "prometheus-admin-endpoints-off",
        "receiver-feature",
        flags("--enable-feature=exemplar-storage,remote-write-receiver"),
        "accepts pushed samples",
    ),
]


@pytest.mark.parametrize(
    ("policy_name", "case", "change", "expected"), MONITOR_FLAG_CASES, ids=[c for _, c, _, _ in MONITOR_FLAG_CASES]
)
def test_prometheus_flags(policy_name: str, case: str, change: Change, expected: str | None) -> None:
    verdict(run(policy_name, catalog.CONTAINER_TYPE, GOOD_MONITOR, change), expected)


def test_admin_api_is_allowed_by_the_stack_config() -> None:
    verdict(
        run(
            "prometheus-admin-endpoints-off",
            catalog.CONTAINER_TYPE,
            GOOD_MONITOR,
            flags("--web.enable-admin-api"),
            config={"enableAdminApi": True},
        ),
        None,
    )


def test_receiver_is_allowed_only_by_the_pack_config() -> None:
    receiver = flags("--web.enable-remote-write-receiver")
    # a stack cannot allow it for itself ...
    verdict(
        run(
            "prometheus-admin-endpoints-off",
            catalog.CONTAINER_TYPE,
            GOOD_MONITOR,
            receiver,
            config={"allowRemoteWriteReceiver": True},
        ),
        "accepts pushed samples",
    )
    # ... the pack's config (pulumi preview --policy-pack-config) can
    verdict(
        run(
            "prometheus-admin-endpoints-off",
            catalog.CONTAINER_TYPE,
            GOOD_MONITOR,
            receiver,
            pack={"allowRemoteWriteReceiver": True},
        ),
        None,
    )


def test_alertmanager_is_recognised_by_image_without_labels() -> None:
    unlabelled = {**copy.deepcopy(GOOD_MONITOR), "labels": [], "image": "quay.io/prometheus/alertmanager:v0.28.1"}
    verdict(
        run("prometheus-admin-endpoints-off", catalog.CONTAINER_TYPE, unlabelled, flags("--web.enable-admin-api")),
        "--web.enable-admin-api",
    )


# --- Stack policies: web config, remote write, firewall ------------------------------------------------
WEB_CONFIG = """tls_server_config:
  cert_file: /etc/prometheus/tls/server.crt
  key_file: /etc/prometheus/tls/server.key
  client_ca_file: /etc/prometheus/tls/ca.crt
  client_auth_type: RequireAndVerifyClientCert
  min_version: TLS12
"""
PROMETHEUS_YML = "global:\n  scrape_interval: 5s\nscrape_configs: []\n"
REMOTE_WRITE_OK = """remote_write:
- url: https://lts.example/api/v1/write
  basic_auth: {username: prom, password_file: /etc/prometheus/secrets/remote-write-password}
"""
FIREWALL_SCRIPT = (
    "iptables-restore <<RULES\n-A PROMSHIELD-TEST -s 10.0.0.0/24 -p tcp -m conntrack --ctorigdstport 9090 "
    "--ctorigdst 127.0.0.1 -j RETURN\n-A PROMSHIELD-TEST -p tcp --ctorigdstport 9090 --ctorigdst 127.0.0.1 -j DROP\n"
    "RULES\n"
)
CONFIG_VOLUME = "promshield-test-prometheus-config"


def mini_stack(
    *,
    web_config: Any = WEB_CONFIG,
    prometheus_yml: Any = PROMETHEUS_YML,
    command: list[str] | None = None,
    firewall: str | None = "component+command",
    script: str = FIREWALL_SCRIPT,
    service_volumes: list[dict[str, Any]] | None = None,
    own_uploads: list[dict[str, Any]] | None = None,
) -> list[PolicyResource]:
    """A proxy publishing 9090, Prometheus fed by a config carrier, and (optionally) the firewall."""

    def resource(
        typ: str, name: str, props: dict[str, Any], parents: tuple[str, ...] = ("pulumi:pulumi:Stack",)
    ) -> PolicyResource:
        return PolicyResource(
            typ, policy_props(props), urn_for(typ, name, parents), name, options(), None, None, [], {}
        )

    carrier_uploads = [
        {"file": f"{catalog.PROMETHEUS.tls_dir}/{catalog.TLS_KEY_FILE}", "content": PRIVATE_KEY, "permissions": "0400"}
    ]
    if web_config is not None:
        carrier_uploads.append(
            {"file": catalog.PROMETHEUS_WEB_CONFIG_FILE, "content": web_config, "permissions": "0600"}
        )
    if prometheus_yml is not None:
        carrier_uploads.append(
            {"file": catalog.PROMETHEUS_CONFIG_FILE, "content": prometheus_yml, "permissions": "0600"}
        )
    prometheus = {
        **copy.deepcopy(GOOD_MONITOR),
        "uploads": own_uploads or [],
        "volumes": service_volumes
        if service_volumes is not None
        else [{"volumeName": CONFIG_VOLUME, "containerPath": catalog.PROMETHEUS.config_dir, "readOnly": True}],
    }
    if command is not None:
        prometheus["command"] = command
    carrier = {
        **copy.deepcopy(GOOD_MONITOR),
        "labels": labels(catalog.PROMETHEUS.name, kind="config"),
        "command": [],
        "start": False,
        "networkMode": "none",
        "uploads": carrier_uploads,
        "volumes": [{"volumeName": CONFIG_VOLUME, "containerPath": catalog.PROMETHEUS.config_dir}],
    }
    resources = [
        resource(
            catalog.CONTAINER_TYPE,
            "proxy-container",
            copy.deepcopy(GOOD_CONTAINER),
            ("pulumi:pulumi:Stack", "promshield:index:Proxy"),
        ),
        resource(
            catalog.CONTAINER_TYPE,
            "prometheus-container",
            prometheus,
            ("pulumi:pulumi:Stack", "promshield:index:Prometheus"),
        ),
        resource(
            catalog.CONTAINER_TYPE,
            "prometheus-container-config",
            carrier,
            ("pulumi:pulumi:Stack", "promshield:index:Prometheus"),
        ),
    ]
    if firewall and "component" in firewall:
        resources.append(resource(catalog.FIREWALL_TYPE, "firewall", {}))
    if firewall and "command" in firewall:
        parents = (
            ("pulumi:pulumi:Stack", catalog.FIREWALL_TYPE) if "orphan" not in firewall else ("pulumi:pulumi:Stack",)
        )
        resources.append(
            resource("command:remote:Command", "firewall-rules", {"create": script, "delete": "true"}, parents)
        )
    return resources


def web(**changes: Any) -> str:
    lines = [line for line in WEB_CONFIG.splitlines() if line.split(":")[0].strip() not in changes]
    return "\n".join(lines + [f"  {key}: {value}" for key, value in changes.items() if value is not None]) + "\n"


STACK_CASES: list[tuple[str, str, Callable[[], list[PolicyResource]], str | None]] = [
    ("monitoring-web-config-mtls", "accept-through-carrier", mini_stack, None),
    (
        "monitoring-web-config-mtls",
        "accept-own-upload",
        lambda: mini_stack(
            service_volumes=[],
            own_uploads=[{"file": catalog.PROMETHEUS_WEB_CONFIG_FILE, "content": WEB_CONFIG, "permissions": "0600"}],
        ),
        None,
    ),
    ("monitoring-web-config-mtls", "accept-tls13", lambda: mini_stack(web_config=web(min_version="TLS13")), None),
    (
        "monitoring-web-config-mtls",
        "no-flag",
        lambda: mini_stack(command=[f"--config.file={catalog.PROMETHEUS_CONFIG_FILE}"]),
        "without --web.config.file",
    ),
    (
        "monitoring-web-config-mtls",
        "file-missing",
        lambda: mini_stack(web_config=None),
        "no container of the stack uploads it",
    ),
    ("monitoring-web-config-mtls", "not-mounted", lambda: mini_stack(service_volumes=[]), "whatever the image holds"),
    (
        "monitoring-web-config-mtls",
        "host-path",
        lambda: mini_stack(
            service_volumes=[{"hostPath": "/etc/prometheus", "containerPath": "/etc/prometheus", "readOnly": True}]
        ),
        "from the host",
    ),
    ("monitoring-web-config-mtls", "tls11", lambda: mini_stack(web_config=web(min_version="TLS11")), "below 1.2"),
    (
        "monitoring-web-config-mtls",
        "min-version-unset",
        lambda: mini_stack(web_config=web(min_version=None)),
        "below 1.2",
    ),
    (
        "monitoring-web-config-mtls",
        "client-cert-optional",
        lambda: mini_stack(web_config=web(client_auth_type="RequestClientCert")),
        "client_auth_type",
    ),
    (
        "monitoring-web-config-mtls",
        "no-client-ca",
        lambda: mini_stack(web_config=web(client_ca_file=None)),
        "client_ca_file",
    ),
    (
        "monitoring-web-config-mtls",
        "plain-http",
        lambda: mini_stack(web_config="http_server_config: {}\n"),
        "no tls_server_config",
    ),
    (
        "monitoring-web-config-mtls",
        "not-yaml",
        lambda: mini_stack(web_config="tls_server_config: [unclosed\n"),
        "not valid YAML",
    ),
    ("prometheus-remote-write-secure", "accept-none", mini_stack, None),
    (
        "prometheus-remote-write-secure",
        "accept-basic-auth-file",
        lambda: mini_stack(prometheus_yml=PROMETHEUS_YML + REMOTE_WRITE_OK),
        None,
    ),
    (
        "prometheus-remote-write-secure",
        "accept-credentials-file",
        lambda: mini_stack(
            prometheus_yml=(
                "remote_write:\n- url: https://x/w\n  authorization: {credentials_file: /etc/prometheus/secrets/t}\n"
            )
        ),
        None,
    ),
    (
        "prometheus-remote-write-secure",
        "http",
        lambda: mini_stack(prometheus_yml=REMOTE_WRITE_OK.replace("https://", "http://")),
        "unencrypted",
    ),
    (
        "prometheus-remote-write-secure",
        "inline-password",
        lambda: mini_stack(
            prometheus_yml="remote_write:\n- url: https://x/w\n  basic_auth: {username: u, password: hunter2}\n"
        ),
        "inline",
    ),
    (
        "prometheus-remote-write-secure",
        "no-credentials",
        lambda: mini_stack(prometheus_yml="remote_write:\n- url: https://x/w\n"),
        "without credentials",
    ),
    (
        "prometheus-remote-write-secure",
        "skip-verify",
        lambda: mini_stack(prometheus_yml=REMOTE_WRITE_OK + "  tls_config: {insecure_skip_verify: true}\n"),
        "skips certificate verification",
    ),
    (
        "prometheus-remote-write-secure",
        "config-not-visible",
        lambda: mini_stack(prometheus_yml=None),
        "cannot be checked",
    ),
    ("firewall-guards-published-ports", "accept", mini_stack, None),
    (
        "firewall-guards-published-ports",
        "no-firewall",
        lambda: mini_stack(firewall=None),
        "no promshield:index:Firewall component",
    ),
    (
        "firewall-guards-published-ports",
        "component-without-rules",
        lambda: mini_stack(firewall="component"),
        "rule command",
    ),
    (
        "firewall-guards-published-ports",
        "command-outside-component",
        lambda: mini_stack(firewall="component+command+orphan"),
        "rule command",
    ),
    (
        "firewall-guards-published-ports",
        "port-not-covered",
        lambda: mini_stack(script=FIREWALL_SCRIPT.replace("9090", "9093")),
        "[9090]",
    ),
    (
        "firewall-guards-published-ports",
        "another-hosts-rules",
        lambda: mini_stack(script=FIREWALL_SCRIPT.replace("127.0.0.1", "10.30.0.12")),
        "[9090]",
    ),
    (
        "firewall-guards-published-ports",
        "accept-nothing-published",
        lambda: [r for r in mini_stack(firewall=None) if r.name != "proxy-container"],
        None,
    ),
]


@pytest.mark.parametrize(
    ("policy_name", "case", "resources", "expected"), STACK_CASES, ids=[f"{p}:{c}" for p, c, _, _ in STACK_CASES]
)
def test_stack_policies(
    policy_name: str, case: str, resources: Callable[[], list[PolicyResource]], expected: str | None
) -> None:
    policy = policies.policies_by_name()[policy_name]
    assert isinstance(policy, policies.StackValidationPolicy)
    outcome = check_stack(policy, resources())
    assert outcome.deferred is None
    if expected is None:
        assert outcome.violations == [], outcome.violations
    else:
        assert any(expected in message for message in outcome.violations), outcome.violations
        assert all("Fix:" in message and message.startswith("urn:pulumi:") for message in outcome.violations), (
            outcome.violations
        )


def test_carriers_that_never_start_need_no_web_config_flag() -> None:
    """The config carrier runs the Prometheus image's entrypoint never: only the service is checked."""
    stack = [r for r in mini_stack(firewall=None) if r.name != "proxy-container"]
    policy = policies.policies_by_name()["monitoring-web-config-mtls"]
    assert isinstance(policy, policies.StackValidationPolicy)
    assert check_stack(policy, stack).violations == []
    assert [name for name, _ in ((r.name, s) for r, s in monitoring.monitoring_containers(stack))] == [
        "prometheus-container"
    ]


def test_unknown_web_config_is_deferred_not_passed() -> None:
    """In a fresh preview an unknown web config defers the content check (the SDK reports it as
    "can't run policy during preview"); the checks that need no content still run."""
    policy = policies.policies_by_name()["monitoring-web-config-mtls"]
    assert isinstance(policy, policies.StackValidationPolicy)
    outcome = check_stack(policy, mini_stack(web_config=UNKNOWN_STRING_VALUE))
    assert outcome.violations == [] and outcome.deferred and "can't be known during preview" in outcome.deferred
    # a second Prometheus without the flag is still reported while the first is deferred
    stack = mini_stack(web_config=UNKNOWN_STRING_VALUE)
    flagless = mini_stack(command=["--config.file=/etc/prometheus/prometheus.yml"])[1]
    renamed = PolicyResource(
        flagless.resource_type, flagless.props, flagless.urn + "-2", "prometheus-2", options(), None, None, [], {}
    )
    outcome = check_stack(policy, [*stack, renamed])
    assert outcome.deferred and any("without --web.config.file" in v for v in outcome.violations)
