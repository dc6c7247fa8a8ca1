"""Pure rendering of the NGINX proxy's files: nginx.conf, the njs helper and the htpasswd."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from components.alertmanager.settings import DEFAULT_SILENCE_LIMITS, SilenceLimits
from components.core import catalog
from components.core.durations import duration_ms, duration_seconds
from components.core.settings import Limits
from components.prometheus.settings import DEFAULT_LOG_LIMITS, DEFAULT_QUERY_LIMITS, QueryLimits
from components.proxy import rbac
from components.proxy.settings import User

if TYPE_CHECKING:  # the stack layer's whole settings, of which this service takes its slice
    from components.stack.settings import Settings

# TLS 1.2 suites: ECDHE + AEAD only (TLS 1.3 suites are all strong and not configurable here).
TLS12_CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
    )
)
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
NJS_MODULE = "/usr/lib/nginx/modules/ngx_http_js_module.so"
AUTH_CACHE_SECONDS = 60  # a changed or removed password stops working within this time
# A verified credential is re-checked in the background after this long (one request; the others keep
# using it), and refused AUTH_CACHE_SECONDS after its last successful check: a client that comes back
# within AUTH_CACHE_SECONDS - AUTH_REFRESH_SECONDS of expiry never waits for bcrypt (dashboards).
AUTH_REFRESH_SECONDS = 45
# How long a request waits for another request's bcrypt check of the same new credential (NGINX looks
# once per this, at most every 500 ms); above one check (cost 10: ~60 ms of CPU), else the waiter checks too.
AUTH_LOCK_TIMEOUT = "200ms"
# Verified credentials, on the container's tmpfs; a reload empties it (components/proxy/component.py).
AUTH_CACHE_DIR = f"{catalog.PROXY_RUNTIME_DIR}/authn-cache"
PASSWORD_CHECKS_PER_SECOND = 5  # bcrypt checks per client address (cache misses only)
PASSWORD_CHECK_BURST = 20
# Above Prometheus' --query.timeout (queryLimits.timeout), so Prometheus answers a slow query with its own error.
PROXY_READ_TIMEOUT_MARGIN_SECONDS = 10
# Prometheus' read endpoints, whose request shape promshield.js checks (forms and query strings) ...
CHECKED_QUERY_PATHS = (
    "/api/v1/(query|query_range|query_exemplars|series|labels|label/[^/]+/values|format_query|parse_query)|/federate"
)
# ... and the endpoints whose query the audit log keeps: those, and remote read (admin; a protobuf body).
AUDITED_QUERY_PATHS = f"{CHECKED_QUERY_PATHS}|/api/v1/read"
CHECKED_QUERY_LOCATION = "@prometheus_checked"  # where promshield.js passes a request it let through
# Concurrent requests per client address for the UIs' pages and files (a browser opens 6 connections per host).
ASSET_CONNECTIONS_PER_CLIENT = 16
UPSTREAM_KEEPALIVE = 8  # idle connections per worker to each backend (see nginx.conf.j2)
# Slowloris (see nginx.conf.j2): per-worker connections far above what the firewall lets sources
# hold (limits.connectionsPerSource per source and port) yet within the memory limit (a TLS
# connection holds tens of KiB), descriptors for 3 per connection.
WORKER_CONNECTIONS = 4096
WORKER_RLIMIT_NOFILE = 16384
HEADER_TIMEOUT = "10s"  # TLS handshake (NGINX < 1.25), request headers, and between two body reads
# The stdout copy of the audit log (nginx.conf.j2) is written in chunks of at most this much (about
# a dozen lines), or this late. 4 KiB is PIPE_BUF: a write to the pipe that size is atomic, so two
# workers' lines never interleave mid-line (NGINX writes a longer line alone, as without a buffer).
AUDIT_STDOUT_BUFFER = "4k"
AUDIT_STDOUT_FLUSH = "1s"
BODY_BUFFER_BYTES = 65536  # request bodies up to this stay in memory (and a query body is logged)
# Requests without a canonical credential, per client address: a browser's first request, health
# probes and a login page's retries fit; a flood gets 429.
ANONYMOUS_PER_SECOND = 10
ANONYMOUS_BURST = 50
# The htpasswd user that unknown user names are checked against (a bcrypt hash of a random
# secret). Upper case: never a configured user (user names are lower case).
DUMMY_USER = "PROMSHIELD-NO-SUCH-USER"
# The NGINX variable holding the credential-digest key (set in catalog.PROXY_DIGEST_KEY_FILE).
DIGEST_KEY_VARIABLE = "promshield_digest_key"


@dataclass(frozen=True)
class ProxiedService:
    name: str  # rbac service name, also the upstream host on the backend network
    host: str
    port: int
    listen_port: int
    ui: str  # the regex (over $uri) of its web UI: pages (static HTML) and static files


def proxied_services() -> tuple[ProxiedService, ...]:
    return (
        ProxiedService(
            rbac.PROMETHEUS,
            catalog.PROMETHEUS.name,
            catalog.PROMETHEUS.port,
            catalog.PROXY_PROMETHEUS_PORT,
            r"^/((static|assets|classic/static)/.*|graph/|classic/|(classic/)?(graph|alerts|targets|rules|config|flags"
            r"|status|service-discovery)|query|tsdb-status|alertmanager-discovery|favicon\.ico|favicon\.svg"
            r"|manifest\.json|)$",
        ),
        ProxiedService(
            rbac.ALERTMANAGER,
            catalog.ALERTMANAGER.name,
            catalog.ALERTMANAGER.port,
            catalog.PROXY_ALERTMANAGER_PORT,
            r"^/(lib/.*|script\.js|favicon\.ico|)$",
        ),
    )


@dataclass(frozen=True)
class PeerListener:
    """The multi-host peer-alerts listener: who may post (a client certificate's CN) and where it goes."""

    listen_port: int = catalog.PROXY_PEER_ALERTS_PORT
    client_common_name: str = catalog.PROMETHEUS.name  # the CN of every host's Prometheus client certificate
    service: str = "alertmanager-peer"  # in the audit log
    upstream: str = rbac.ALERTMANAGER
    upstream_host: str = catalog.ALERTMANAGER.name
    cert_path: str = f"{catalog.PROXY.tls_dir}/{catalog.TLS_PEER_CERT_FILE}"
    key_path: str = f"{catalog.PROXY.secrets_dir}/{catalog.TLS_PEER_KEY_FILE}"


@dataclass(frozen=True)
class MetricsListener:
    """The proxy's own metrics (its audit volume, written by the rotation loop) for Prometheus: mTLS with the
    stack CA, only Prometheus' client certificate (its CN), on the backend network; never published."""

    port: int = catalog.PROXY_METRICS_PORT
    client_common_name: str = catalog.PROMETHEUS.name
    cert_path: str = f"{catalog.PROXY.tls_dir}/metrics.crt"
    key_path: str = f"{catalog.PROXY.secrets_dir}/metrics.key"
    file: str = f"{catalog.PROXY_RUNTIME_DIR}/promshield-metrics.prom"


METRICS = MetricsListener()


@dataclass(frozen=True)
class ProxySettings:
    """The part of the stack's settings the proxy uses."""

    stack: str
    image: str
    users: tuple[User, ...]
    limits: Limits
    enable_admin_api: bool
    bind_address: str
    prometheus_port: int
    alertmanager_port: int
    client_ca_pem: str | None = None  # clientCertificateAuth: the CA client certificates must come from
    peer_alerts: bool = False  # multi-host stacks: the other hosts' Prometheus post alerts here
    query_limits: QueryLimits = DEFAULT_QUERY_LIMITS
    silence_limits: SilenceLimits = DEFAULT_SILENCE_LIMITS
    audit_log_bytes: int = DEFAULT_LOG_LIMITS.audit_log_bytes
    evaluation_interval: str = "1m"  # a subquery's default resolution (Prometheus' global evaluation_interval)

    @classmethod
    def of(cls, settings: Settings) -> ProxySettings:
        return cls(
            stack=settings.stack,
            image=settings.images["proxy"],
            users=settings.users,
            limits=settings.limits,
            enable_admin_api=settings.enable_admin_api,
            bind_address=settings.bind_address,
            prometheus_port=settings.prometheus_port,
            alertmanager_port=settings.alertmanager_port,
            client_ca_pem=settings.client_ca_pem,
            peer_alerts=settings.multi_host,
            query_limits=settings.query_limits,
            silence_limits=settings.silence_limits,
            audit_log_bytes=settings.log_limits.audit_log_bytes,
            evaluation_interval=settings.evaluation_interval,
        )


def enabled_features(settings: ProxySettings) -> frozenset[str]:
    return frozenset({rbac.ADMIN_API} if settings.enable_admin_api else set())


def proxy_read_timeout(query_limits: QueryLimits) -> str:
    """How long the proxy waits for a backend's answer: Prometheus' query timeout and a margin."""
    return f"{int(duration_seconds(query_limits.timeout)) + PROXY_READ_TIMEOUT_MARGIN_SECONDS}s"


def render_nginx_conf(settings: ProxySettings, worker_processes: str = "auto") -> str:
    from components.core.templates import render_template

    njs = PurePosixPath(catalog.PROXY_NJS_FILE)
    limits = settings.limits
    return render_template(
        TEMPLATES_DIR,
        "nginx.conf.j2",
        stack=settings.stack,
        njs_module=NJS_MODULE,
        worker_processes=worker_processes,
        runtime_dir=catalog.PROXY_RUNTIME_DIR,
        max_body_bytes=limits.max_body_bytes,
        body_buffer_size=BODY_BUFFER_BYTES,
        worker_connections=WORKER_CONNECTIONS,
        worker_rlimit_nofile=WORKER_RLIMIT_NOFILE,
        header_timeout=HEADER_TIMEOUT,
        anonymous_per_second=ANONYMOUS_PER_SECOND,
        anonymous_burst=ANONYMOUS_BURST,
        client_ca_file=catalog.TLS_CLIENT_CA_FILE if settings.client_ca_pem else None,
        njs_dir=str(njs.parent),
        njs_file=njs.name,
        users=settings.users,
        authz_patterns=rbac.nginx_authz_patterns(enabled_features(settings)),
        services=proxied_services(),
        requests_per_second=limits.requests_per_second,
        burst=limits.burst,
        connections_per_client=limits.connections_per_client,
        password_checks_per_second=PASSWORD_CHECKS_PER_SECOND,
        password_check_burst=PASSWORD_CHECK_BURST,
        auth_cache_seconds=AUTH_CACHE_SECONDS,
        auth_refresh_seconds=AUTH_REFRESH_SECONDS,
        auth_stale_seconds=AUTH_CACHE_SECONDS - AUTH_REFRESH_SECONDS,
        auth_lock_timeout=AUTH_LOCK_TIMEOUT,
        auth_cache_dir=AUTH_CACHE_DIR,
        auth_port=catalog.PROXY_AUTH_PORT,
        deny_port=catalog.PROXY_DENY_PORT,
        health_port=catalog.PROXY_HEALTH_PORT,
        ciphers=TLS12_CIPHERS,
        tls_dir=catalog.PROXY.tls_dir,
        cert_file=catalog.TLS_CERT_FILE,
        key_path=catalog.PROXY.key_file,
        client_cert_file=catalog.TLS_CLIENT_CERT_FILE,
        client_key_path=catalog.PROXY.client_key_file,
        digest_key_file=catalog.PROXY_DIGEST_KEY_FILE,
        digest_key_variable=DIGEST_KEY_VARIABLE,
        ca_file=catalog.TLS_CA_FILE,
        proxy_read_timeout=proxy_read_timeout(settings.query_limits),
        assets_per_second=limits.assets_per_second,
        asset_burst=limits.asset_burst,
        asset_connections=max(limits.connections_per_client, ASSET_CONNECTIONS_PER_CLIENT),
        checked_query_paths=CHECKED_QUERY_PATHS,
        audited_query_paths=AUDITED_QUERY_PATHS,
        checked_location=CHECKED_QUERY_LOCATION,
        query_body_bytes=settings.query_limits.max_body_bytes,
        queries_per_credential=settings.query_limits.concurrent_per_credential,
        silence_body_bytes=settings.silence_limits.max_body_bytes,
        silences_per_minute=settings.silence_limits.per_minute,
        silence_burst=settings.silence_limits.burst,
        upstream_keepalive=UPSTREAM_KEEPALIVE,
        audit_log_file=catalog.PROXY_AUDIT_LOG_FILE,
        audit_stdout_buffer=AUDIT_STDOUT_BUFFER,
        audit_stdout_flush=AUDIT_STDOUT_FLUSH,
        htpasswd_file=catalog.PROXY_HTPASSWD_FILE,
        peer=PeerListener() if settings.peer_alerts else None,
        metrics=METRICS,
    )


AUDIT_CHECK_SECONDS = 5  # how often the audit log's size is checked (logLimits.auditLogBytes)
# After the reopen signal, how long before the rotated file is compressed: workers reopen at their next
# event loop turn, so a line a worker writes just after the rename still lands in the rotated file.
AUDIT_REOPEN_GRACE_SECONDS = 5
# The request counters the loop keeps (key value lines) and their exposition, on the container's tmpfs:
# counters restart at 0 with the container, as a process's do.
REQUEST_COUNTS_FILE = f"{catalog.PROXY_RUNTIME_DIR}/promshield-requests.state"
REQUEST_METRICS_FILE = f"{catalog.PROXY_RUNTIME_DIR}/promshield-requests.prom"
# Counts the audit lines it reads (each a JSON object in the fixed field order of nginx.conf.j2's
# `audit` format, whose client-chosen fields are JSON-escaped, so `,"role":"` never occurs inside
# one) into the counters file, and writes their exposition. `requests` by service, role ("none"
# before authentication), decision and status code; failed logins: a 401 to a request that named a
# user; rate-limited: decision rate-limited (429). A line cut by the read (a write in progress) does
# not match and is not counted.
REQUEST_COUNTER_AWK = r"""
function field(name) {
  if (match($0, ",\"" name "\":\"[^\"]*\"")) return substr($0, RSTART + length(name) + 5, RLENGTH - length(name) - 6)
  return ""
}
BEGIN {
  while ((getline line < counts) > 0) { split(line, f, " "); n[f[1]] = f[2] + 0 }
  close(counts); n["failed_logins"] += 0; n["rate_limited"] += 0
}
/^\{.*\}$/ {
  role = field("role"); if (role == "") role = "none"
  code = ""; if (match($0, /,"status":[0-9]+,/)) code = substr($0, RSTART + 10, RLENGTH - 11)
  decision = field("decision")
  n["requests|" field("service") "|" role "|" decision "|" code]++
  if (decision == "rate-limited") n["rate_limited"]++
  if (code == "401" && field("claimed_user") != "") n["failed_logins"]++
}
END {
  for (k in n) print k, n[k] > counts
  print "# TYPE promshield_proxy_requests_total counter" > prom
  for (k in n) if (k ~ /^requests[|]/) {
    split(k, f, "|")
    printf "promshield_proxy_requests_total{service=\"%s\",role=\"%s\",decision=\"%s\",code=\"%s\"} %d\n",
      f[2], f[3], f[4], f[5], n[k] > prom
  }
  print "# TYPE promshield_proxy_failed_logins_total counter" > prom
  printf "promshield_proxy_failed_logins_total %d\n", n["failed_logins"] > prom
  print "# TYPE promshield_proxy_rate_limited_total counter" > prom
  printf "promshield_proxy_rate_limited_total %d\n", n["rate_limited"] > prom
}
""".strip()


def audit_rotation_loop(audit_log_bytes: int) -> str:
    """A shell loop (run beside NGINX in its container) that, every few seconds, counts the audit lines
    written since its last look (REQUEST_COUNTER_AWK: requests by service, role, decision and status,
    failed logins, rate-limited requests), writes the proxy's metrics (those counters and the audit
    volume's size, free space, the log's size, rotated files: served to Prometheus by the metrics
    listener) and rotates the audit log once it is over `audit_log_bytes`: rename to `audit.log.<UTC
    time>` (NGINX keeps writing to the open file), USR1 to the master (PID 1: every worker reopens
    `audit.log`, created anew under the proxy's umask), count what was written to the renamed file
    meanwhile, then gzip it. Nothing is deleted: the rotated files are the record (the alert
    ProxyAuditVolumeFilling watches the volume's free space)."""
    audit = catalog.PROXY_AUDIT_LOG_FILE
    metrics = METRICS.file
    lines = (
        "# TYPE promshield_audit_volume_size_bytes gauge\\npromshield_audit_volume_size_bytes %s\\n"
        "# TYPE promshield_audit_volume_free_bytes gauge\\npromshield_audit_volume_free_bytes %s\\n"
        "# TYPE promshield_audit_log_bytes gauge\\npromshield_audit_log_bytes %s\\n"
        "# TYPE promshield_audit_rotated_files gauge\\npromshield_audit_rotated_files %s\\n"
    )
    return (
        # tally: the counters plus the audit lines on stdin; count FILE: tally FILE's bytes from $off to its end
        f"tally() {{ awk -v counts={REQUEST_COUNTS_FILE} -v prom={REQUEST_METRICS_FILE} '{REQUEST_COUNTER_AWK}'; }}; "
        'count() { end=$(stat -c %s "$1" 2>/dev/null || echo 0); '
        'if [ "$end" -lt "$off" ]; then off=0; fi; '
        'if [ "$end" -gt "$off" ]; then tail -c +$((off + 1)) "$1" | head -c $((end - off)) | tally; off=$end; fi; }; '
        f"off=$(stat -c %s {audit} 2>/dev/null || echo 0); tally </dev/null; "
        "while :; do "
        f"count {audit}; size=$off; "
        f"set -- $(df -Pk {catalog.PROXY.data_dir} | tail -n 1); "
        f"{{ printf '{lines}' $(($2 * 1024)) $(($4 * 1024)) \"$size\" $(ls {audit}.* 2>/dev/null | wc -l); "
        f"cat {REQUEST_METRICS_FILE}; }} > {metrics}.tmp && mv {metrics}.tmp {metrics}; "
        f'if [ "$size" -gt {audit_log_bytes} ]; then '
        f'rotated={audit}.$(date -u +%Y%m%dT%H%M%SZ) && mv {audit} "$rotated" && kill -USR1 1 && '
        f'sleep {AUDIT_REOPEN_GRACE_SECONDS} && count "$rotated" && off=0 && gzip "$rotated"; '
        f"fi; sleep {AUDIT_CHECK_SECONDS}; done"
    )


def render_digest_key(digest_key: str) -> str:
    """The include that sets the credential-digest key (a secret file; nginx.conf includes it)."""
    if not digest_key.isalnum():
        raise ValueError("the credential digest key must be alphanumeric")
    return (
        "# promshield: the key of the proxy's credential digests (auth cache, rate limits). Secret.\n"
        f'map "" ${DIGEST_KEY_VARIABLE} {{ default {digest_key}; }}\n'
    )


def render_njs(
    user_names: Sequence[str], query_limits: QueryLimits = DEFAULT_QUERY_LIMITS, evaluation_interval: str = "1m"
) -> str:
    """The njs helper: the configured user names (to tell an unknown user, who is checked against
    DUMMY_USER's hash instead). No secret: it reads the digest key from an NGINX variable."""
    from components.core.templates import render_template

    known = sorted(user_names)
    if DUMMY_USER in known or not all(re.fullmatch(r"[A-Za-z0-9._-]+", name) for name in known):
        raise ValueError("user names must be plain (letters, digits, . _ -) and never the dummy user")
    return render_template(
        TEMPLATES_DIR,
        "promshield.js.j2",
        digest_key_variable=DIGEST_KEY_VARIABLE,
        user_names=known,
        dummy_user=DUMMY_USER,
        body_buffer_size=BODY_BUFFER_BYTES,
        max_selectors=query_limits.max_selectors,
        max_subquery_steps=query_limits.max_subquery_steps,
        evaluation_interval_ms=duration_ms(evaluation_interval),
        max_query_bytes=query_limits.max_query_bytes,
        checked_location=CHECKED_QUERY_LOCATION,
    )


def render_htpasswd(hashes: Mapping[str, str], dummy_hash: str | None = None) -> str:
    """`user:bcrypt` lines, in a stable order; the dummy user's (unknown user names) last."""
    lines = [f"{name}:{hashes[name]}\n" for name in sorted(hashes)]
    if dummy_hash is not None:
        lines.append(f"{DUMMY_USER}:{dummy_hash}\n")
    return "".join(lines)
