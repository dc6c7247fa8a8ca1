"""`clientCertificateAuth` (issue 11, finding 9): with the option on, the proxy also requires a
client certificate from the configured CA, before any password is looked at.

The running proxy is switched to the option's files (nginx.conf and the client CA, as the
program renders them for the same stack with the option set), reloaded, attacked, and switched
back. Late in the suite: it changes the running proxy.
"""

from __future__ import annotations

import datetime
import http.client
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from components.core import catalog
from harness.stack import CONFIG, HOST_ADDRESS, PORTS, STACK, AcceptanceStack, basic, wait_until
from testing.mock_stack import run_program

pytestmark = pytest.mark.acceptance

CLIENT = "trusted"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # keyCertSign, cRLSign
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_client(ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate], tmp: Path, name: str) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(ca[1].subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca[0], hashes.SHA256())
    )
    cert_file, key_file = tmp / f"{name}.crt", tmp / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    return str(cert_file), str(key_file)


def reload_proxy(stack: AcceptanceStack) -> None:
    result = stack.topo.container_exec(
        stack.container("proxy"), ["nginx", "-c", catalog.PROXY_CONFIG_FILE, "-s", "reload"]
    )
    assert result.returncode == 0, result.stderr
    time.sleep(2)  # the new workers take over


@pytest.fixture(scope="module")
def client_certs(stack: AcceptanceStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple]]:
    tmp = tmp_path_factory.mktemp("client-certs")
    ca = make_ca("promshield acceptance client CA")
    foreign = make_ca("some other CA")
    ca_pem = ca[1].public_bytes(serialization.Encoding.PEM).decode()
    recorded = run_program({**CONFIG, "clientCertificateAuth": {"caPem": ca_pem}}, stack=STACK)
    files = recorded.container_files(stack.container("proxy"))
    conf_path = stack.upload_path("proxy", catalog.PROXY_CONFIG_FILE)
    ca_path = stack.upload_path("proxy", catalog.PROXY_CLIENT_CA_FILE)
    original = conf_path.read_text()
    assert files[catalog.PROXY_CLIENT_CA_FILE]["content"] == ca_pem
    ca_path.write_text(ca_pem)
    ca_path.chmod(0o444)
    conf_path.write_text(files[catalog.PROXY_CONFIG_FILE]["content"])
    reload_proxy(stack)
    try:
        yield {"ours": make_client(ca, tmp, "alice-laptop"), "foreign": make_client(foreign, tmp, "mallory")}
    finally:
        # When this is the last module run, the stack is gone already (conftest tears it down
        # right after the last test): nothing to switch back.
        if conf_path.parent.exists():
            conf_path.write_text(original)
            reload_proxy(stack)
            ca_path.unlink()
            wait_until(
                lambda: stack.request("GET", "prometheus", "/-/ready", user="read-only", record=False).status == 200,
                timeout=10,
                what="the proxy without client certificates",
            )


def get(stack: AcceptanceStack, service: str, cert: tuple[str, str] | None, user: str | None) -> int | str:
    context = stack.tls_context()
    if cert is not None:
        context.load_cert_chain(*cert)
    try:
        sock = stack.tls_connect(CLIENT, PORTS[service], context=context)
    except (ssl.SSLError, OSError) as exc:
        return f"TLS refused ({type(exc).__name__})"
    connection = http.client.HTTPSConnection(HOST_ADDRESS, PORTS[service], timeout=5)
    connection.sock = sock
    headers = {"Host": f"{HOST_ADDRESS}:{PORTS[service]}", "Connection": "close"}
    if user is not None:
        stack.pacer.wait(basic(user, stack.passwords[user]))
        headers["Authorization"] = basic(user, stack.passwords[user])
    try:
        connection.request("GET", "/-/ready", headers=headers)
        return connection.getresponse().status
    except (ssl.SSLError, OSError, http.client.HTTPException) as exc:
        return f"TLS refused ({type(exc).__name__})"
    finally:
        connection.close()


@pytest.mark.parametrize("service", ["prometheus", "alertmanager"])
def test_without_a_certificate_from_the_configured_ca_nothing_passes(
    stack: AcceptanceStack, client_certs: dict[str, tuple], service: str
) -> None:
    results = {
        "no certificate, right password": get(stack, service, None, "read-only"),
        "foreign CA, right password": get(stack, service, client_certs["foreign"], "read-only"),
    }
    print(f"client certificates, {service}: {results}")
    for what, result in results.items():
        assert result == 400 or str(result).startswith("TLS refused"), (what, result)


@pytest.mark.parametrize("service", ["prometheus", "alertmanager"])
def test_with_a_certificate_from_the_configured_ca_the_usual_auth_applies(
    stack: AcceptanceStack, client_certs: dict[str, tuple], service: str
) -> None:
    ours = client_certs["ours"]
    results = (get(stack, service, ours, None), get(stack, service, ours, "read-only"))
    print(f"client certificates, {service}, our CA: without credentials, with read-only: {results}")
    assert results == (401, 200), results
