"""Pure parts of `make bench` (bench/__main__.py): no processes, no namespaces, no clock.

- `naive_nginx_conf`: the seed's naive design made from the rendered proxy config, for the baseline.
- `wrk_lua` / `parse_wrk`: the wrk request script (Authorization header) and its one-line result.
- `WRK_CLIENT_CERT_SHIM`: C source of an LD_PRELOAD shim that gives wrk a TLS client certificate,
  so the same load generator measures the direct mTLS path too.
- `summarize` / `format_table` / `scale_growth`: the numbers written to build/bench.json.
"""

from __future__ import annotations

import base64
import itertools
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from components.core import catalog

PROXIED, DIRECT, NAIVE = "proxied", "direct", "naive"
CADDY, NATIVE, NO_AUTH = "caddy", "prometheus_native", "nginx_no_auth"  # the peers (bench/peers.py)
PATHS = (PROXIED, DIRECT, NAIVE, CADDY, NATIVE, NO_AUTH)
PATH_DESCRIPTIONS = {
    PROXIED: (
        "through the proxy (TLS, basic auth with the cached bcrypt check, role table, mTLS upstream), read-only user, "
        "from the trusted client"
    ),
    DIRECT: "straight to Prometheus over mTLS (the proxy's client certificate) from a namespace on the backend network",
    NAIVE: "the same proxy with the seed's auth_basic in the proxied location: one bcrypt check per request",
    CADDY: "Debian's Caddy: basicauth (bcrypt cost 10, its hash cache), TLS 1.2+, reverse_proxy over mTLS",
    NATIVE: "a second Prometheus (same image and config) with TLS and basic_auth_users (bcrypt) in its web config",
    NO_AUTH: "our rendered proxy config without authentication and the role table, everything else equal",
}

# --- the naive baseline -----------------------------------------------------------------------
# The rendered proxied location starts with the cached check:
#     auth_request /_authn;
#     auth_request_set $auth_user $upstream_http_x_promshield_user;
# The naive variant puts bcrypt (auth_basic) directly in that location, as the seed did. The role
# map still reads $auth_user: it becomes the name in the Authorization header (`set`, rewrite
# phase); only requests auth_basic accepted reach the content phase, where proxy_pass evaluates
# the role map, so the value used for authorization is the verified user. Everything else (TLS,
# limits, njs digest for the rate-limit key, role table, audit log, mTLS upstream, keepalive) is
# the same text, so the difference measured is the authentication design alone.
AUTH_REQUEST_LINE = "auth_request /_authn;"
AUTH_REQUEST_SET_LINE = "auth_request_set $auth_user $upstream_http_x_promshield_user;"


def proxied_servers(conf: str) -> int:
    """The TLS servers that proxy a service (each must run the cached check): every `listen ... ssl`
    but the proxy's own metrics listener."""
    listens = re.findall(r"^\s*listen (\S+) ssl;", conf, flags=re.MULTILINE)
    return sum(1 for listen in listens if listen.rpartition(":")[2] != str(catalog.PROXY_METRICS_PORT))


class TransformError(ValueError):
    """The rendered config no longer looks like what the naive transform expects."""


def naive_nginx_conf(conf: str, htpasswd_path: str) -> str:
    """The rendered nginx.conf with `auth_basic` (bcrypt every request) instead of the cached check."""
    proxied = proxied_servers(conf)
    lines = conf.splitlines(keepends=True)
    out: list[str] = []
    replaced = 0
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if stripped == AUTH_REQUEST_LINE:
            following = lines[index + 1].strip() if index + 1 < len(lines) else ""
            if following != AUTH_REQUEST_SET_LINE:
                raise TransformError(
                    f"expected {AUTH_REQUEST_SET_LINE!r} after {AUTH_REQUEST_LINE!r}, found {following!r}"
                )
            indent = line[: len(line) - len(line.lstrip())]
            out += [
                f"{indent}# bench baseline (the seed's design): bcrypt on every request, no cache.\n",
                f'{indent}auth_basic "promshield";\n',
                f"{indent}auth_basic_user_file {htpasswd_path};\n",
                f"{indent}set $auth_user $remote_user;\n",
            ]
            replaced += 1
            index += 2
            continue
        out.append(line)
        index += 1
    # At least one per proxied service (UI assets have locations of their own); the check's own /_authn
    # location stays, unused. Completeness: no auth_request may be left (below).
    if not proxied or replaced < proxied:
        raise TransformError(f"replaced {replaced} cached checks, expected one per proxied service ({proxied})")
    result = "".join(out)
    if AUTH_REQUEST_LINE in result:
        raise TransformError("an auth_request is left in the naive config")
    return result


# --- wrk ----------------------------------------------------------------------------------------
RESULT_MARK = "BENCH_RESULT"
_RESULT_FIELDS = (
    "requests", "duration_us", "bytes", "connect_errors", "read_errors", "write_errors",
    "status_errors", "timeouts", "p50_us", "p90_us", "p99_us", "max_us", "mean_us",
)  # fmt: skip


def basic_authorization(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _lua_string(text: str) -> str:
    if any(ch in text for ch in '\\"\n\r') or not text.isprintable():
        raise ValueError("header values must be printable without quotes or backslashes")
    return f'"{text}"'


def wrk_lua(headers: Mapping[str, str]) -> str:
    """A wrk script: GET with `headers` on every request (keep-alive: HTTP/1.1 default), and one
    result line from `done` (wrk counts every non-2xx/3xx answer in status_errors)."""
    header_lines = "".join(f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}\n" for k, v in headers.items())
    return f"""-- generated by bench/__main__.py
wrk.method = "GET"
{header_lines}
function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("{RESULT_MARK} %d %d %d %d %d %d %d %d %d %d %d %d %.1f\\n",
        summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_us: int
    bytes: int
    connect_errors: int
    read_errors: int
    write_errors: int
    status_errors: int
    timeouts: int
    p50_us: int
    p90_us: int
    p99_us: int
    max_us: int
    mean_us: float

    @property
    def rps(self) -> float:
        return self.requests / (self.duration_us / 1e6) if self.duration_us else 0.0

    @property
    def errors(self) -> int:
        return self.connect_errors + self.read_errors + self.write_errors + self.status_errors + self.timeouts


def parse_wrk(stdout: str) -> WrkResult:
    for line in stdout.splitlines():
        if line.startswith(RESULT_MARK + " "):
            parts = line.split()[1:]
            if len(parts) != len(_RESULT_FIELDS):
                break
            values: list[Any] = [int(p) for p in parts[:-1]] + [float(parts[-1])]
            return WrkResult(*values)
    raise ValueError(f"no {RESULT_MARK} line in wrk's output:\n{stdout[-2000:]}")


# An LD_PRELOAD shim for wrk (which has no client-certificate option): after wrk creates its
# SSL_CTX, load the certificate and key named by two environment variables. Without them it
# changes nothing, so the three paths run the very same client. dlsym only: no OpenSSL headers.
WRK_CLIENT_CERT_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef void SSL_CTX;
typedef void SSL_METHOD;

SSL_CTX *SSL_CTX_new(const SSL_METHOD *method) {
    SSL_CTX *(*real_new)(const SSL_METHOD *) = (SSL_CTX *(*)(const SSL_METHOD *))dlsym(RTLD_NEXT, "SSL_CTX_new");
    SSL_CTX *ctx = real_new(method);
    const char *cert = getenv("BENCH_CLIENT_CERT");
    const char *key = getenv("BENCH_CLIENT_KEY");
    if (ctx == NULL || cert == NULL || key == NULL) {
        return ctx;
    }
    int (*use_chain)(SSL_CTX *, const char *) =
        (int (*)(SSL_CTX *, const char *))dlsym(RTLD_DEFAULT, "SSL_CTX_use_certificate_chain_file");
    int (*use_key)(SSL_CTX *, const char *, int) =
        (int (*)(SSL_CTX *, const char *, int))dlsym(RTLD_DEFAULT, "SSL_CTX_use_PrivateKey_file");
    int (*check_key)(const SSL_CTX *) = (int (*)(const SSL_CTX *))dlsym(RTLD_DEFAULT, "SSL_CTX_check_private_key");
    if (use_chain == NULL || use_key == NULL || check_key == NULL
            || use_chain(ctx, cert) != 1 || use_key(ctx, key, 1 /* SSL_FILETYPE_PEM */) != 1 || check_key(ctx) != 1) {
        fprintf(stderr, "bench shim: cannot load the client certificate %s / key %s\n", cert, key);
        exit(3);
    }
    fprintf(stderr, "bench shim: client certificate %s loaded\n", cert);
    return ctx;
}
"""


# --- results ------------------------------------------------------------------------------------
@dataclass
class Run:
    """One wrk run of one path and query, with the CPU the pieces used meanwhile."""

    query: str
    path: str
    round: int
    result: WrkResult
    cpu_s: dict[str, float] = field(default_factory=dict)  # component -> CPU seconds during the run
    machine_busy_cores: float = 0.0  # all CPUs, from /proc/stat
    other_busy_cores: float = 0.0  # busy minus what our components and wrk used
    prometheus_connections: int | None = None  # TCP connections Prometheus accepted during the run
    idle_cores: dict[str, float] = field(default_factory=dict)  # component -> cores it used with no load


def _per_thousand(counts: Sequence[int | None], requests: int) -> float | None:
    known = [c for c in counts if c is not None]
    if len(known) != len(counts) or not requests:
        return None
    return round(1000.0 * sum(known) / requests, 2)


def _ms(us: float) -> float:
    return round(us / 1000.0, 3)


def path_summary(runs: Sequence[Run]) -> dict[str, Any]:
    """Median over rounds (wrk cannot merge histograms across runs); every round kept."""
    results = [run.result for run in runs]
    requests = sum(r.requests for r in results)
    components = sorted({name for run in runs for name in run.cpu_s})
    cpu_per_request = {
        name: round(1e6 * sum(run.cpu_s.get(name, 0.0) for run in runs) / requests, 1) if requests else None
        for name in components
    }
    net_per_request = {
        name: round(
            1e6
            * sum(max(0.0, run.cpu_s[name] - run.idle_cores[name] * run.result.duration_us / 1e6) for run in runs)
            / requests,
            1,
        )
        for name in components
        if requests and all(name in run.idle_cores and name in run.cpu_s for run in runs)
    }
    return {
        "rps": round(statistics.median(r.rps for r in results), 1),
        "rps_best": round(max(r.rps for r in results), 1),
        "p50_ms_best": _ms(min(r.p50_us for r in results)),
        "p50_ms": _ms(statistics.median(r.p50_us for r in results)),
        "p90_ms": _ms(statistics.median(r.p90_us for r in results)),
        "p99_ms": _ms(statistics.median(r.p99_us for r in results)),
        "mean_ms": _ms(statistics.median(r.mean_us for r in results)),
        "requests": requests,
        "errors": sum(r.errors for r in results),
        "cpu_us_per_request": cpu_per_request,
        # without what the component burns with no load (scrapes, rules)
        "cpu_us_per_request_minus_idle": net_per_request,
        "other_busy_cores": round(statistics.median(run.other_busy_cores for run in runs), 2),
        "prometheus_connections_per_1000_requests": _per_thousand([r.prometheus_connections for r in runs], requests),
        "rounds": [
            {
                "round": run.round,
                "rps": round(run.result.rps, 1),
                "p50_ms": _ms(run.result.p50_us),
                "p99_ms": _ms(run.result.p99_us),
                "errors": run.result.errors,
                "cpu_s": {k: round(v, 2) for k, v in run.cpu_s.items()},
                "machine_busy_cores": round(run.machine_busy_cores, 2),
                "other_busy_cores": round(run.other_busy_cores, 2),
                "prometheus_connections": run.prometheus_connections,
                "wrk": asdict(run.result),
            }
            for run in runs
        ],
    }


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def query_summary(runs: Sequence[Run], query_path: str) -> dict[str, Any]:
    order = [p for p in PATHS if any(r.path == p for r in runs)] + list(
        dict.fromkeys(r.path for r in runs if r.path not in PATHS)
    )
    by_path = {path: path_summary([r for r in runs if r.path == path]) for path in order}
    if DIRECT in by_path:
        for p in by_path.values():
            p["ratio_to_direct"] = _ratio(p["rps"], by_path[DIRECT]["rps"])
            p["p50_overhead_ms"] = round(p["p50_ms"] - by_path[DIRECT]["p50_ms"], 3)
    summary: dict[str, Any] = {"request": query_path, "paths": by_path}
    if PROXIED in by_path and DIRECT in by_path:
        proxied, direct = by_path[PROXIED], by_path[DIRECT]
        summary["throughput_ratio"] = _ratio(proxied["rps"], direct["rps"])
        summary["p50_overhead_ms"] = round(proxied["p50_ms"] - direct["p50_ms"], 3)
        summary["p99_overhead_ms"] = round(proxied["p99_ms"] - direct["p99_ms"], 3)
        summary["throughput_ratio_best"] = _ratio(proxied["rps_best"], direct["rps_best"])
        summary["p50_overhead_ms_best"] = round(proxied["p50_ms_best"] - direct["p50_ms_best"], 3)
    if NAIVE in by_path and DIRECT in by_path:
        summary["naive_ratio"] = _ratio(by_path[NAIVE]["rps"], by_path[DIRECT]["rps"])
    if NAIVE in by_path and PROXIED in by_path:
        summary["speedup_over_naive"] = _ratio(by_path[PROXIED]["rps"], by_path[NAIVE]["rps"])
    return summary


GOALS = {"throughput_ratio": 0.5, "throughput_ratio_stretch": 0.8, "p50_overhead_ms": 3.0}


def headline(queries: Mapping[str, dict[str, Any]], main_query: str) -> dict[str, Any]:
    """The top-level keys of bench.json, from the main (instant) query."""
    main = queries[main_query]
    paths = main["paths"]
    out: dict[str, Any] = {
        "proxied_rps": paths.get(PROXIED, {}).get("rps"),
        "direct_rps": paths.get(DIRECT, {}).get("rps"),
        "naive_rps": paths.get(NAIVE, {}).get("rps"),
        "throughput_ratio": main.get("throughput_ratio"),
        "naive_ratio": main.get("naive_ratio"),
        "p50_overhead_ms": main.get("p50_overhead_ms"),
        "proxied_p50_ms": paths.get(PROXIED, {}).get("p50_ms"),
        "direct_p50_ms": paths.get(DIRECT, {}).get("p50_ms"),
        "naive_p50_ms": paths.get(NAIVE, {}).get("p50_ms"),
    }
    ratio, overhead = out["throughput_ratio"], out["p50_overhead_ms"]
    out["goals"] = {
        "throughput_ratio >= 0.5": None if ratio is None else ratio >= GOALS["throughput_ratio"],
        "throughput_ratio >= 0.8 (stretch)": None if ratio is None else ratio >= GOALS["throughput_ratio_stretch"],
        "p50_overhead_ms <= 3": None if overhead is None else overhead <= GOALS["p50_overhead_ms"],
        "every query": {
            name: {
                "throughput_ratio >= 0.5": q.get("throughput_ratio") is not None
                and q["throughput_ratio"] >= GOALS["throughput_ratio"],
                "p50_overhead_ms <= 3": q.get("p50_overhead_ms") is not None
                and q["p50_overhead_ms"] <= GOALS["p50_overhead_ms"],
            }
            for name, q in queries.items()
        },
    }
    return out


def format_table(queries: Mapping[str, dict[str, Any]]) -> str:
    header = (
        f"{'query':<9} {'path':<17} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'/direct':>8} "
        f"{'errors':>6}  cpu us/request"
    )
    lines = [header, "-" * len(header)]
    for name, query in queries.items():
        direct_rps = query["paths"].get(DIRECT, {}).get("rps")
        for path, p in query["paths"].items():
            ratio = f"{p['rps'] / direct_rps:.3f}" if direct_rps else "-"
            cpu = ", ".join(f"{k} {v:.0f}" for k, v in p["cpu_us_per_request"].items() if v is not None)
            lines.append(
                f"{name:<9} {path:<17} {p['rps']:>9.1f} {p['p50_ms']:>8.2f} {p['p90_ms']:>8.2f} {p['p99_ms']:>8.2f} "
                f"{ratio:>8} {p['errors']:>6}  {cpu}"
            )
        extras = []
        if "throughput_ratio" in query:
            extras.append(f"throughput_ratio {query['throughput_ratio']}")
            extras.append(f"p50_overhead_ms {query['p50_overhead_ms']}")
            extras.append(f"p99_overhead_ms {query['p99_overhead_ms']}")
            extras.append(
                f"best rounds: ratio {query['throughput_ratio_best']}, p50 overhead {query['p50_overhead_ms_best']} ms"
            )
        if "naive_ratio" in query:
            extras.append(f"naive_ratio {query['naive_ratio']}")
        if "speedup_over_naive" in query:
            extras.append(f"proxied/naive {query['speedup_over_naive']}")
        lines.append(f"{'':<9} {'':<17} " + "; ".join(extras))
    return "\n".join(lines)


# --- program scale --------------------------------------------------------------------------
def scale_growth(seconds_by_targets: Mapping[int, float], noise_s: float = 0.2) -> dict[str, Any]:
    """Marginal cost per target between successive sizes, and whether growth is at most linear.

    Only steps whose cost rises by more than `noise_s` say anything; growth counts as superlinear
    when the marginal cost per target of such a step is over 1.5 times that of the previous one."""
    sizes = sorted(seconds_by_targets)
    marginal: dict[str, float] = {}
    measurable: list[float] = []
    for low, high in itertools.pairwise(sizes):
        delta = seconds_by_targets[high] - seconds_by_targets[low]
        rate_ms = 1000.0 * delta / (high - low)
        marginal[f"{low}->{high}"] = round(rate_ms, 3)
        if delta > noise_s:
            measurable.append(rate_ms)
    if len(measurable) < 2:
        verdict = "linear or better (increments within noise)"
    elif any(later > 1.5 * earlier for earlier, later in itertools.pairwise(measurable)):
        verdict = "superlinear"
    else:
        verdict = "linear"
    return {
        "marginal_ms_per_target": marginal,
        "growth": verdict,
        "growth_rule": (
            f"steps rising more than {noise_s}s compared; superlinear if one costs over 1.5x per target the previous"
        ),
    }
