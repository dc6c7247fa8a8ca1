"""Every rendered file through its real validator (Debian's promtool, amtool, nginx, and gixy).

The files are the exact uploads the program registers under mocks, placed at their container
paths in a bwrap view, so relative paths, TLS files and includes are checked as deployed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from components.core import catalog
from components.core.settings import DEFAULT_NETWORKS
from testing.mock_stack import RecordedStack
from testing.stack_config import load_scenario
from tests.render.sandboxed import materialize, run_in_view

GIXY = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "gixy")


def container(stack: RecordedStack, service: catalog.Service) -> str:
    return catalog.container_name(stack.stack, service)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout + result.stderr


def test_promtool_accepts_prometheus_config(any_stack: RecordedStack, tmp_path: Path) -> None:
    root = materialize(any_stack, container(any_stack, catalog.PROMETHEUS), tmp_path / "root")
    output = ok(run_in_view(root, ["promtool", "check", "config", catalog.PROMETHEUS_CONFIG_FILE]))
    assert "SUCCESS" in output
    # every rule file was found and parsed (promtool reports each with its rule count)
    assert output.count("rules found") >= 4, output


def test_promtool_accepts_web_configs(any_stack: RecordedStack, tmp_path: Path) -> None:
    for service, web_config in (
        (catalog.PROMETHEUS, catalog.PROMETHEUS_WEB_CONFIG_FILE),
        (catalog.ALERTMANAGER, catalog.ALERTMANAGER_WEB_CONFIG_FILE),
    ):
        root = materialize(any_stack, container(any_stack, service), tmp_path / service.name)
        assert "SUCCESS" in ok(run_in_view(root, ["promtool", "check", "web-config", web_config]))


def test_promtool_rejects_a_broken_web_config(dev_stack: RecordedStack, tmp_path: Path) -> None:
    """The validator really validates: a key file that is not there fails."""
    root = materialize(dev_stack, container(dev_stack, catalog.PROMETHEUS), tmp_path / "root")
    (root / catalog.PROMETHEUS.key_file.lstrip("/")).unlink()
    result = run_in_view(root, ["promtool", "check", "web-config", catalog.PROMETHEUS_WEB_CONFIG_FILE])
    assert result.returncode != 0


def test_amtool_accepts_alertmanager_config(any_stack: RecordedStack, tmp_path: Path) -> None:
    root = materialize(any_stack, container(any_stack, catalog.ALERTMANAGER), tmp_path / "root")
    output = ok(run_in_view(root, ["amtool", "check-config", catalog.ALERTMANAGER_CONFIG_FILE]))
    assert "SUCCESS" in output


def test_nginx_accepts_proxy_config(any_stack: RecordedStack, tmp_path: Path) -> None:
    root = materialize(any_stack, container(any_stack, catalog.PROXY), tmp_path / "root")
    hosts = "127.0.0.1 localhost\n" + "".join(
        f"{ip} {name}\n" for name, ip in DEFAULT_NETWORKS.backend_addresses.items()
    )
    result = run_in_view(
        root, ["nginx", "-t", "-c", catalog.PROXY_CONFIG_FILE], hosts=hosts, writable=(catalog.PROXY.data_dir,)
    )
    assert "test is successful" in ok(result)


def test_gixy_finds_nothing_medium_or_high(any_stack: RecordedStack, tmp_path: Path) -> None:
    root = materialize(any_stack, container(any_stack, catalog.PROXY), tmp_path / "root")
    config = root / catalog.PROXY_CONFIG_FILE.lstrip("/")
    version = catalog.image_version(catalog.DEFAULT_IMAGES["proxy"])  # also checks the pinned NGINX's known CVEs
    result = subprocess.run(
        [GIXY, "-ll", "--nginx-version", version, str(config)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Medium: 0" in result.stdout and "High: 0" in result.stdout


def test_nginx_and_gixy_accept_the_client_certificate_option(tmp_path: Path) -> None:
    """clientCertificateAuth on: the client CA file is where ssl_client_certificate points."""
    stack = load_scenario("clientcerts").run()
    root = materialize(stack, container(stack, catalog.PROXY), tmp_path / "root")
    hosts = "127.0.0.1 localhost\n" + "".join(
        f"{ip} {name}\n" for name, ip in DEFAULT_NETWORKS.backend_addresses.items()
    )
    result = run_in_view(
        root, ["nginx", "-t", "-c", catalog.PROXY_CONFIG_FILE], hosts=hosts, writable=(catalog.PROXY.data_dir,)
    )
    assert "test is successful" in ok(result)
    config = root / catalog.PROXY_CONFIG_FILE.lstrip("/")
    version = catalog.image_version(catalog.DEFAULT_IMAGES["proxy"])
    gixy = subprocess.run(
        [GIXY, "-ll", "--nginx-version", version, str(config)], capture_output=True, text=True, timeout=60, check=False
    )
    assert gixy.returncode == 0 and "High: 0" in gixy.stdout, gixy.stdout + gixy.stderr


def test_a_second_hosts_files_pass_their_validators(tmp_path: Path) -> None:
    """A multi-host stack's other host: prometheus.yml with the peer Alertmanagers and remote write,
    Alertmanager's config, and nginx.conf with the peer-alerts listener (nginx -t, gixy)."""
    stack = load_scenario("threehosts").run()
    provider = "docker-mon-b"

    def root_of(service: catalog.Service) -> Path:
        return materialize(stack, container(stack, service), tmp_path / service.name, provider)

    output = ok(
        run_in_view(root_of(catalog.PROMETHEUS), ["promtool", "check", "config", catalog.PROMETHEUS_CONFIG_FILE])
    )
    assert "SUCCESS" in output
    output = ok(
        run_in_view(root_of(catalog.ALERTMANAGER), ["amtool", "check-config", catalog.ALERTMANAGER_CONFIG_FILE])
    )
    assert "SUCCESS" in output
    proxy = root_of(catalog.PROXY)
    hosts = "127.0.0.1 localhost\n" + "".join(
        f"{ip} {name}\n" for name, ip in DEFAULT_NETWORKS.backend_addresses.items()
    )
    result = run_in_view(
        proxy, ["nginx", "-t", "-c", catalog.PROXY_CONFIG_FILE], hosts=hosts, writable=(catalog.PROXY.data_dir,)
    )
    assert "test is successful" in ok(result)
    config = proxy / catalog.PROXY_CONFIG_FILE.lstrip("/")
    assert f"listen {catalog.PROXY_PEER_ALERTS_PORT} ssl;" in config.read_text()
    version = catalog.image_version(catalog.DEFAULT_IMAGES["proxy"])
    gixy = subprocess.run(
        [GIXY, "-ll", "--nginx-version", version, str(config)], capture_output=True, text=True, timeout=60, check=False
    )
    assert gixy.returncode == 0 and "Medium: 0" in gixy.stdout and "High: 0" in gixy.stdout, gixy.stdout + gixy.stderr


def test_promtool_accepts_remote_write_with_a_client_certificate(tmp_path: Path) -> None:
    """mtls, a private CA, a tenant header, queue settings and the replica label dropped (VictoriaMetrics)."""
    from testing.fake_tls import private_key_pem, self_signed_cert
    from testing.mock_stack import run_program

    ca = self_signed_cert(
        {
            "privateKeyPem": private_key_pem({"algorithm": "ECDSA", "ecdsaCurve": "P256"}),
            "subject": {"commonName": "store CA"},
        }
    )
    remote = {
        "enabled": True,
        "url": "https://vm.lts.example:8428/api/v1/write",
        "mtls": True,
        "caPem": ca,
        "headers": {"X-Scope-OrgID": "desk"},
        "queue": {"maxShards": 10, "batchSendDeadline": "5s", "minBackoff": "30ms", "maxBackoff": "5s"},
        "dropReplicaLabel": True,
    }
    stack = run_program({"remoteWrite": remote}, stack="rw")
    root = materialize(stack, container(stack, catalog.PROMETHEUS), tmp_path / "root")
    assert "SUCCESS" in ok(run_in_view(root, ["promtool", "check", "config", catalog.PROMETHEUS_CONFIG_FILE]))
