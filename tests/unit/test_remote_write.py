"""Remote write to a long-term store (issue 17, item 4): https always, basic auth and/or the stack
client certificate, a private CA, tenant headers, queue settings, and the replica label kept for
Thanos/Mimir or dropped for VictoriaMetrics. Prometheus' own check of the result is in
tests/render (promtool)."""

from __future__ import annotations

import json
from typing import Any

import yaml

from components.core import catalog
from components.core.settings import SettingsError
from components.prometheus.render import REMOTE_WRITE_CA_FILE, REMOTE_WRITE_PASSWORD_FILE
from components.stack.settings import load_settings
from testing.fake_tls import private_key_pem, self_signed_cert
from testing.mock_stack import RecordedStack, run_program

URL = "https://mimir.lts.example/api/v1/push"


def prometheus_yml(stack: RecordedStack) -> dict[str, Any]:
    name = catalog.container_name(stack.stack, catalog.PROMETHEUS)
    return yaml.safe_load(stack.container_files(name)[catalog.PROMETHEUS_CONFIG_FILE]["content"])


def store_ca() -> str:
    key = private_key_pem({"algorithm": "ECDSA", "ecdsaCurve": "P256"})
    return self_signed_cert({"privateKeyPem": key, "subject": {"commonName": "store CA"}, "isCaCertificate": True})


def test_mtls_with_a_private_ca_a_tenant_and_queue_settings() -> None:
    ca = store_ca()
    remote = {
        "enabled": True,
        "url": URL,
        "mtls": True,
        "caPem": ca,
        "headers": {"X-Scope-OrgID": "desk"},
        "queue": {"capacity": 20000, "minShards": 2, "maxShards": 40, "minBackoff": "50ms", "maxBackoff": "10s"},
    }
    stack = run_program({"remoteWrite": remote}, stack="rw")
    (entry,) = prometheus_yml(stack)["remote_write"]
    assert entry == {
        "url": URL,
        "headers": {"X-Scope-OrgID": "desk"},
        "tls_config": {
            "min_version": "TLS12",
            "ca_file": REMOTE_WRITE_CA_FILE,
            "cert_file": f"{catalog.PROMETHEUS.tls_dir}/{catalog.TLS_CLIENT_CERT_FILE}",
            "key_file": catalog.PROMETHEUS.client_key_file,
        },
        "queue_config": {
            "capacity": 20000,
            "min_shards": 2,
            "max_shards": 40,
            "min_backoff": "50ms",
            "max_backoff": "10s",
        },
    }
    files = stack.container_files(catalog.container_name("rw", catalog.PROMETHEUS))
    assert files[REMOTE_WRITE_CA_FILE]["content"] == ca.strip() + "\n"
    assert REMOTE_WRITE_PASSWORD_FILE not in files  # no basic auth, no password file


def test_basic_auth_and_mtls_together() -> None:
    stack = run_program(
        {
            "remoteWrite": {"enabled": True, "url": URL, "username": "desk", "mtls": True},
            "remoteWritePassword": "a-long-remote-write-password",
        },
        stack="rw",
        secret_keys=("remoteWritePassword",),
    )
    (entry,) = prometheus_yml(stack)["remote_write"]
    assert entry["basic_auth"] == {"username": "desk", "password_file": REMOTE_WRITE_PASSWORD_FILE}
    assert entry["tls_config"]["cert_file"].endswith(catalog.TLS_CLIENT_CERT_FILE)


def test_victoria_metrics_drops_the_replica_label_thanos_and_mimir_keep_it() -> None:
    hosts = [
        {"name": "mon-a", "dockerHost": "unix:///run/docker-a.sock", "bindAddress": "10.30.0.11"},
        {"name": "mon-b", "dockerHost": "unix:///run/docker-b.sock", "bindAddress": "10.30.0.12"},
    ]
    remote = {"enabled": True, "url": URL, "mtls": True, "dropReplicaLabel": True}
    stack = run_program({"hosts": hosts, "trustedCidrs": ["10.30.0.0/24"], "remoteWrite": remote}, stack="vm")
    for provider, replica in (("docker", "mon-a"), ("docker-mon-b", "mon-b")):
        name = catalog.container_name("vm", catalog.PROMETHEUS)
        config = yaml.safe_load(stack.container_files(name, provider)[catalog.PROMETHEUS_CONFIG_FILE]["content"])
        assert config["global"]["external_labels"]["replica"] == replica
        (entry,) = config["remote_write"]
        assert entry["write_relabel_configs"] == [{"action": "labeldrop", "regex": catalog.EXTERNAL_LABEL_REPLICA}]


def test_every_remote_write_problem_at_once() -> None:
    remote = {
        "enabled": True,
        "url": URL,
        "mtls": "yes",
        "caPem": "not a certificate",
        "headers": {"Bad Header": "x", "X-Empty": ""},
        "queue": {"minShards": 5, "maxShards": 2, "batchSendDeadline": "soon", "shards": 3},
    }
    config = {"remoteWrite": remote, "remoteWritePassword": "pw-without-a-user"}
    raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    try:
        load_settings(raw.get, "rw", raw)
    except SettingsError as error:
        problems = error.problems
    else:
        raise AssertionError("no problem reported")
    joined = "\n".join(problems)
    for key in (
        "remoteWrite.mtls",
        "remoteWrite.caPem",
        "remoteWrite.headers.Bad Header",
        "remoteWrite.headers.X-Empty",
        "remoteWrite.queue.batchSendDeadline",
        "remoteWrite.queue.shards",
        "remoteWrite.queue.minShards",
        "remoteWrite.username",
        "remoteWritePassword",
    ):
        assert f"promshield:{key} " in joined, (key, joined)
    assert "pw-without-a-user" not in joined  # a secret is never printed
