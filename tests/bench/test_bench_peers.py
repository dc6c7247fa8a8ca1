"""The peers' pure parts (bench/peers.py): configs made from the rendered ones, the summary."""

from __future__ import annotations

import base64

import pytest

from bench.lib import CADDY, DIRECT, NATIVE, NO_AUTH, PROXIED, TransformError
from bench.peers import (
    caddyfile,
    format_peers,
    htpasswd_hash,
    native_web_config,
    no_auth_nginx_conf,
    peers_summary,
)
from components.proxy.render import ProxySettings, render_nginx_conf
from components.stack.settings import load_settings

HASH = "$2b$10$ETwKyyeCTB.Mjj0TEtPzquTbZ4HlDdHhpMokqaRgZ47MMbG29Ya9y"


def rendered() -> str:
    return render_nginx_conf(ProxySettings.of(load_settings(lambda key: None, "bench")))


def test_no_auth_conf_drops_authentication_and_the_role_table_only() -> None:
    conf = rendered()
    ceiling = no_auth_nginx_conf(conf)
    assert "auth_request /_authn;" not in ceiling
    assert "$auth_user $upstream_http_x_promshield_user" not in ceiling
    assert "$canonical_path:$promshield_service" not in ceiling
    assert "map $promshield_service $authz {" in ceiling and "default granted;" in ceiling
    # Everything else is the same text: TLS, limits, audit log, upstream mTLS.
    for kept in ("ssl_protocols TLSv1.2 TLSv1.3;", "limit_req zone=per_user", "access_log /dev/stdout audit ",
                 "proxy_ssl_certificate ", "keepalive_requests 10000;"):  # fmt: skip
        assert conf.count(kept) == ceiling.count(kept) > 0
    with pytest.raises(TransformError):
        no_auth_nginx_conf(ceiling)


def test_htpasswd_hash_wants_bcrypt_cost_10() -> None:
    assert htpasswd_hash(f"admin:x\nviewer:{HASH}\n", "viewer") == HASH
    with pytest.raises(ValueError):
        htpasswd_hash("viewer:" + HASH.replace("$10$", "$04$"), "viewer")
    with pytest.raises(KeyError):
        htpasswd_hash("admin:" + HASH, "viewer")


def test_caddyfile_and_native_web_config() -> None:
    text = caddyfile(user="viewer", bcrypt_hash=HASH, upstream="prometheus:9090", server_name="prometheus",
                     tls_dir="/etc/nginx/tls", secrets_dir="/run/secrets", listen_port=8443)  # fmt: skip
    assert f"viewer {base64.b64encode(HASH.encode()).decode()}" in text
    assert "protocols tls1.2 tls1.3" in text and "reverse_proxy https://prometheus:9090" in text
    assert "tls /etc/nginx/tls/server.crt /run/secrets/server.key" in text
    assert "tls_client_auth /etc/nginx/tls/client.crt /run/secrets/client.key" in text
    web = (
        "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n"
        "  client_auth_type: RequireAndVerifyClientCert\n  min_version: TLS12\n"
    )
    native = native_web_config(web, "viewer", HASH)
    assert "client_" not in native and "min_version: TLS12" in native
    assert native.endswith(f"basic_auth_users:\n  viewer: '{HASH}'\n")
    with pytest.raises(TransformError):
        native_web_config(native, "viewer", HASH)


def _path(rps: float, cpu: dict[str, float]) -> dict[str, object]:
    return {"rps": rps, "p50_ms": 1.0, "p90_ms": 2.0, "p99_ms": 3.0, "errors": 0, "cpu_us_per_request": cpu}


def test_peers_summary_layer_cpu_and_goals() -> None:
    paths = {
        PROXIED: _path(1000, {"proxy": 300, "prometheus": 400}),
        DIRECT: _path(1500, {"prometheus": 400}),
        CADDY: _path(900, {"proxy": 350, "prometheus": 410}),
        NATIVE: _path(1100, {"prometheus": 550}),
        NO_AUTH: _path(1050, {"proxy": 250, "prometheus": 400}),
    }
    peers = peers_summary(paths)
    assert peers["paths"][CADDY]["cpu_us_per_request"] == 350
    assert peers["paths"][NATIVE]["cpu_us_per_request"] == 150  # minus direct's Prometheus
    assert peers["paths"][DIRECT]["cpu_us_per_request"] is None  # no auth/proxy layer
    assert peers["goals"] == {"proxied >= caddy": True, "proxied >= prometheus_native": False,
                              "proxied >= 0.9 x nginx_no_auth": True}  # fmt: skip
    assert "prometheus_native" in format_peers(peers)
