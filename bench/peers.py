"""`make bench`: the peers, what a user would pick instead of our proxy (pure parts: no processes).

- `caddy`: Debian's Caddy with `basicauth` (bcrypt, its hash cache as shipped), TLS 1.2+, reverse
  proxy to the same Prometheus over mTLS with the proxy's client certificate (`caddyfile`).
- `prometheus_native`: a second Prometheus (same image and config) whose web config checks
  `basic_auth_users` (bcrypt) itself over TLS, no proxy (`native_web_config`).
- `nginx_no_auth`: our rendered nginx.conf with authentication and the role table removed,
  everything else equal: the ceiling of any NGINX-based design (`no_auth_nginx_conf`).

`peers_summary` makes `peers.<name>` of build/bench.json: req/s, latencies and the CPU per request of
the auth/proxy layer (the proxy container; for prometheus_native, its Prometheus minus what the
direct path's Prometheus spends per request: the TLS and the bcrypt check it does itself).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from bench.lib import (
    AUTH_REQUEST_LINE,
    AUTH_REQUEST_SET_LINE,
    CADDY,
    DIRECT,
    NAIVE,
    NATIVE,
    NO_AUTH,
    PROXIED,
    TransformError,
    proxied_servers,
)

PEERS = (CADDY, NATIVE, NO_AUTH)
# Published at the proxy's ports + offset (naive: +100, --variant runs: +200, +300, ...).
PEER_PORT_OFFSETS = {NO_AUTH: 1000, CADDY: 1100, NATIVE: 1200}
# The layer whose CPU is the peer's cost, by path: the proxy container, or Prometheus itself.
LAYER = {PROXIED: "proxy", NAIVE: "proxy", CADDY: "proxy", NO_AUTH: "proxy", NATIVE: "prometheus"}

_AUTHZ_MAP = re.compile(r'^(\s*)map "\$canonical_path:[^"]*" \$authz \{\n(?:.*\n)*?\1\}\n', re.MULTILINE)


def no_auth_nginx_conf(conf: str) -> str:
    """The rendered nginx.conf without authentication (no auth_request) and without the role table
    (every request `granted`): TLS, limits, headers, audit log, mTLS upstream and keepalive unchanged."""
    proxied = proxied_servers(conf)
    kept: list[str] = []
    for line in conf.splitlines(keepends=True):
        if line.strip() == AUTH_REQUEST_LINE:  # $auth_user stays defined (the log, headers): empty
            kept.append(line.replace(AUTH_REQUEST_LINE, 'set $auth_user "";'))
        elif line.strip() != AUTH_REQUEST_SET_LINE:
            kept.append(line)
    removed = len(conf.splitlines()) - len(kept)
    if not proxied or removed < proxied or AUTH_REQUEST_LINE in "".join(kept):
        raise TransformError(f"removed {removed} auth_request_set lines, expected one per proxied service ({proxied})")
    result, maps = _AUTHZ_MAP.subn(
        lambda m: (
            f"{m.group(1)}# bench ceiling: no role table\n{m.group(1)}map $promshield_service $authz {{\n"
            f"{m.group(1)}    default granted;\n{m.group(1)}}}\n"
        ),
        "".join(kept),
    )
    if maps != 1:
        raise TransformError(f"expected one role-table map ($authz), found {maps}")
    return result


def htpasswd_hash(htpasswd: str, user: str) -> str:
    for line in htpasswd.splitlines():
        name, _, digest = line.partition(":")
        if name == user:
            if not re.fullmatch(r"\$2[aby]\$10\$[./A-Za-z0-9]{53}", digest):
                raise ValueError(f"{user}: not a bcrypt cost-10 hash")
            return digest
    raise KeyError(user)


def caddyfile(
    *, user: str, bcrypt_hash: str, upstream: str, server_name: str, tls_dir: str, secrets_dir: str, listen_port: int
) -> str:
    """Caddy 2.6: TLS 1.2+ with the proxy's certificate (keys under `secrets_dir`), basicauth,
    reverse_proxy over mTLS.

    Caddy 2.6's Caddyfile wants the bcrypt hash base64-encoded; its basicauth caches hash results
    (the Caddyfile adapter enables the cache). No admin API, no automatic HTTPS, no access log
    (Caddy logs no requests unless told to)."""
    encoded = base64.b64encode(bcrypt_hash.encode()).decode()
    return f"""{{
\tadmin off
\tauto_https off
\tservers {{
\t\tprotocols h1 h2
\t}}
}}

https://:{listen_port} {{
\ttls {tls_dir}/server.crt {secrets_dir}/server.key {{
\t\tprotocols tls1.2 tls1.3
\t}}
\tbasicauth {{
\t\t{user} {encoded}
\t}}
\treverse_proxy https://{upstream} {{
\t\theader_up -Authorization
\t\ttransport http {{
\t\t\ttls_client_auth {tls_dir}/client.crt {secrets_dir}/client.key
\t\t\ttls_trusted_ca_certs {tls_dir}/ca.crt
\t\t\ttls_server_name {server_name}
\t\t}}
\t}}
}}
"""


def native_web_config(web_yml: str, user: str, bcrypt_hash: str) -> str:
    """Prometheus's web config with TLS only (no client certificate asked) and basic_auth_users."""
    lines = [line for line in web_yml.splitlines() if not re.match(r"^\s+(client_ca_file|client_auth_type):", line)]
    if len(lines) != len(web_yml.splitlines()) - 2 or "basic_auth_users" in web_yml:
        raise TransformError("expected a web config with client_ca_file, client_auth_type and no basic_auth_users")
    return "\n".join(lines).rstrip("\n") + f"\nbasic_auth_users:\n  {user}: '{bcrypt_hash}'\n"


def _layer_cpu(name: str, summary: Mapping[str, Any], direct: Mapping[str, Any] | None) -> float | None:
    cpu = summary.get("cpu_us_per_request", {})
    layer = cpu.get(LAYER.get(name, "proxy"))
    if layer is None:
        return None
    if name == NATIVE:  # its Prometheus answers the query too: subtract what Prometheus costs direct
        base = (direct or {}).get("cpu_us_per_request", {}).get("prometheus")
        return None if base is None else round(layer - base, 1)
    return layer


def peers_summary(paths: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """`peers.<name>` for every measured path of one query, and how ours compares."""
    direct = paths.get(DIRECT)
    peers: dict[str, Any] = {}
    for name, p in paths.items():
        peers[name] = {
            "rps": p["rps"],
            "p50_ms": p["p50_ms"],
            "p90_ms": p["p90_ms"],
            "p99_ms": p["p99_ms"],
            "errors": p["errors"],
            "cpu_us_per_request": _layer_cpu(name, p, direct),
            "cpu_layer": "prometheus minus direct's prometheus" if name == NATIVE else LAYER.get(name, "-"),
            "cpu_us_per_request_by_component": p["cpu_us_per_request"],
        }
    ours = paths.get(PROXIED)
    goals: dict[str, bool | None] = {}
    if ours is not None:
        for peer, factor in ((CADDY, 1.0), (NATIVE, 1.0), (NO_AUTH, 0.9)):
            label = f"proxied >= {factor} x {peer}" if factor != 1.0 else f"proxied >= {peer}"
            goals[label] = None if peer not in paths else ours["rps"] >= factor * paths[peer]["rps"]
    return {"paths": peers, "goals": goals}


def format_peers(peers: Mapping[str, Any]) -> str:
    header = f"{'path':<18} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'layer us/req':>12}  by component"
    lines = [header, "-" * len(header)]
    for name, p in peers["paths"].items():
        layer = "-" if p["cpu_us_per_request"] is None else f"{p['cpu_us_per_request']:.0f}"
        parts = ", ".join(f"{k} {v:.0f}" for k, v in p["cpu_us_per_request_by_component"].items() if v is not None)
        lines.append(
            f"{name:<18} {p['rps']:>9.1f} {p['p50_ms']:>8.2f} {p['p90_ms']:>8.2f} {p['p99_ms']:>8.2f} "
            f"{layer:>12}  {parts}"
        )
    lines.append(
        "goals: "
        + ", ".join(f"{k}: {'-' if v is None else 'met' if v else 'MISSED'}" for k, v in peers["goals"].items())
    )
    return "\n".join(lines)
