"""`make bench`, the load test: the real `pulumi up` deploys the stack (and the bench's extras) on the harness's
engine, wrk drives each path, the rounds are measured."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import resource
import subprocess  # nosec B404 - drives wrk, cc and the harness on purpose
import time
from pathlib import Path
from typing import Any

from bench.dashboard import DashboardClient, format_dashboard, run_dashboard
from bench.host import (
    BENCH_USER,
    C1_QUERY,
    DASHBOARD_CLIENTS,
    DASHBOARD_PORT_OFFSET,
    FLOOD_CLIENT,
    NAIVE_PORT_OFFSET,
    PREFIX,
    RANGE_SECONDS,
    RANGE_STEP_S,
    bench_config,
    cpu_times,
    log,
    process_cpu,
)
from bench.lib import (
    CADDY,
    DIRECT,
    NAIVE,
    NATIVE,
    PATH_DESCRIPTIONS,
    PATHS,
    PROXIED,
    WRK_CLIENT_CERT_SHIM,
    Run,
    basic_authorization,
    naive_nginx_conf,
    parse_wrk,
    query_summary,
    wrk_lua,
)
from bench.stack import extras_document, peer_records, proxy_copy
from components.firewall.render import FirewallPlan
from harness import Fixture, LiveStack
from harness import pulumi_engine as pe
from harness.stack import CLIENTS, FIXTURE_IMAGE, proc_pids
from testing.mock_stack import PROJECT_DIR, RecordedStack, unwrap


def bench_program(proxy_conf: str | None = None, extras: Path | None = None) -> str:
    """The bench's `__main__.py`: the project's program as it is (`pulumi_engine.program_with`), then, with
    `extras`, the bench's own resources from that file (bench/program.py). `proxy_conf` (the --proxy-conf
    experiment): the program's proxy renders that file as its nginx.conf."""
    prelude = [
        "import sys",
        "",
        "# bench.program: the project copy links only the program's own files",
        f"sys.path.append({str(PROJECT_DIR)!r})",
    ]
    if proxy_conf:
        prelude += [
            "",
            "from pathlib import Path",
            "",
            "from components.proxy import component as _proxy",
            "",
            f"_proxy.render_nginx_conf = lambda *args, **kwargs: Path({str(Path(proxy_conf).resolve())!r}).read_text()",
        ]
    text = pe.program_with("\n".join(prelude))
    if extras is not None:
        text += f"\nfrom bench.program import register_extras\n\nregister_extras({str(extras)!r})\n"
    return text


# --- the load test ---------------------------------------------------------------------------
def build_shim(out_dir: Path) -> Path:
    """Compile the wrk client-certificate shim (cached by source)."""
    import hashlib

    digest = hashlib.sha256(WRK_CLIENT_CERT_SHIM.encode()).hexdigest()[:12]
    target = out_dir / f"wrk-client-cert-{digest}.so"
    if target.exists():
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    source = out_dir / "wrk-client-cert.c"
    source.write_text(WRK_CLIENT_CERT_SHIM)

    def found(command: str) -> bool:
        probe = ["sh", "-c", f"command -v {command}"]  # a fixed probe of our own compiler names
        return subprocess.run(probe, capture_output=True, check=False).returncode == 0  # nosec

    compiler = next((c for c in ("cc", "gcc", "clang") if found(c)), None)
    if compiler is None:
        raise SystemExit("make bench needs a C compiler (gcc) for wrk's client-certificate shim")
    subprocess.run(
        [compiler, "-O2", "-shared", "-fPIC", "-o", str(target), str(source), "-ldl"], check=True, timeout=120
    )  # nosec B603
    return target


@dataclasses.dataclass
class Target:
    path: str  # proxied / direct / naive
    netns: str  # where wrk runs: a LAN client or a container
    base_url: str
    headers: dict[str, str]
    env: dict[str, str]
    cpu_components: dict[str, str]  # name -> container whose processes' CPU is counted
    resolve: str | None = None  # curl --resolve host:port:address (wrk is given the address)


def queries_now() -> dict[str, str]:
    end = int(time.time())
    start = end - RANGE_SECONDS
    return {
        "instant": "/api/v1/query?query=up",
        "range": f"/api/v1/query_range?query=up&start={start}&end={end}&step={RANGE_STEP_S}s",
    }


class LoadBench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.variants: dict[str, str] = dict(v.split("=", 1) for v in args.variant)  # name -> nginx.conf file
        self.paths = [p for p in PATHS if p in args.paths] + list(self.variants)
        self.topo: Any = None
        self.shim = Path()
        self.files: dict[str, Path] = {}  # ca, client_cert, client_key
        self.direct: Target | None = None
        self.idle_cores: dict[str, float] = {}  # container -> cores used with no load
        self.dashboard: dict[str, Any] | None = None  # scenarios.dashboard
        self.deploy_seconds: dict[str, float] = {}  # each `pulumi up`: the program, then the extras

    def extras(
        self,
        stack: RecordedStack,
        config: dict[str, Any],
        dashboard_conf: str | None,
        variant_names: dict[str, tuple[str, int]],
    ) -> tuple[list[Any], dict[str, dict[str, Any]]]:
        """The bench's resources beside the program's, built from the deployed stack's state: the naive proxy,
        the variants, the dashboard's proxy (copies of the program's proxy with another nginx.conf) and the
        peers; and per peer, where it listens (bench/stack.py: `peer_records`)."""
        from components.core import catalog

        proxy_name = catalog.container_name("bench", catalog.PROXY)
        rendered_conf = str(unwrap(stack.container_files(proxy_name)[catalog.PROXY_CONFIG_FILE]["content"]))
        records: list[Any] = []
        if NAIVE in self.paths:
            naive_conf = naive_nginx_conf(rendered_conf, catalog.PROXY_HTPASSWD_FILE)
            records += proxy_copy(stack.resources, proxy_name, "naive", NAIVE_PORT_OFFSET, naive_conf)
        peer_resources, peers = peer_records(stack, self.paths, config["bindAddress"], BENCH_USER)
        records += peer_resources
        for variant, (_, offset) in variant_names.items():
            conf_file = self.variants[variant]
            log(f"EXPERIMENT: variant {variant!r} is a proxy with {conf_file}, published at +{offset}")
            records += proxy_copy(stack.resources, proxy_name, variant, offset, Path(conf_file).read_text())
        if dashboard_conf is not None:
            records += proxy_copy(stack.resources, proxy_name, "dash", DASHBOARD_PORT_OFFSET, dashboard_conf)
        return records, peers

    def run(self) -> dict[str, Any]:
        from components.core import catalog
        from harness.standins import CADDY_REFERENCE
        from testing.mock_stack import run_program

        config = bench_config()
        proxy_name = catalog.container_name("bench", catalog.PROXY)
        prometheus_name = catalog.container_name("bench", catalog.PROMETHEUS)
        backend = catalog.resource_name("bench", catalog.BACKEND_NETWORK)
        published = (catalog.DEFAULT_PROMETHEUS_PUBLISHED_PORT, catalog.DEFAULT_ALERTMANAGER_PUBLISHED_PORT)
        if self.args.proxy_conf:
            log(f"EXPERIMENT: the proxied path uses {self.args.proxy_conf} instead of the rendered nginx.conf")
        dashboard_seconds = getattr(self.args, "dashboard_seconds", 0)
        dashboard_name = f"{proxy_name}-dash"
        naive_name = f"{proxy_name}-naive"
        dashboard_conf = None
        if dashboard_seconds > 0:
            # The scenario runs at the stack's default limits: the proxy config the program renders without
            # the bench's raised limits (plain text, rendered under mocks), in a copy of the proxy.
            defaults = {k: v for k, v in config.items() if k not in ("limits", "queryLimits")}
            default_stack = run_program(defaults, stack="bench")
            dashboard_conf = str(default_stack.container_files(proxy_name)[catalog.PROXY_CONFIG_FILE]["content"])
            if self.args.proxy_conf:
                dashboard_conf = Path(self.args.proxy_conf).read_text()
                log("EXPERIMENT: the dashboard scenario's proxy runs --proxy-conf too (its limits as written there)")
        variant_names = {
            variant: (f"{proxy_name}-{variant}", index * NAIVE_PORT_OFFSET)
            for index, variant in enumerate(self.variants, start=2)
        }
        peers: dict[str, dict[str, Any]] = {}
        deployed: dict[str, pe.Deployment] = {}
        project = pe.PulumiProject(netns=f"{PREFIX}-host")

        def bench_up(live: LiveStack) -> None:
            """The real `pulumi up` of the bench stack (the program's own resources: the measured path), then a
            second `up` of the same program with the bench's extras (bench/program.py), whose inputs are
            built from the state the first one left (real certificates and password hashes)."""
            deployment = pe.Deployment(project, "bench", live.engine.host, config, live.run_dir / "pulumi.log")
            deployed["stack"] = deployment
            log("pulumi up of the bench stack (the program)")
            deployment.up(program=bench_program(self.args.proxy_conf))
            self.deploy_seconds["program"] = round(deployment.seconds, 1)
            records, found = self.extras(_state(deployment), config, dashboard_conf, variant_names)
            peers.update(found)
            offsets = [NAIVE_PORT_OFFSET] if NAIVE in self.paths else []
            offsets += [offset for _, offset in variant_names.values()]
            offsets += [DASHBOARD_PORT_OFFSET] if dashboard_seconds > 0 else []
            offsets += [peer["port"] - published[0] for peer in peers.values()]
            extra_plan = FirewallPlan(
                "PROMSHIELD-BENCH-EXTRA",
                config["bindAddress"],
                [p + o for o in offsets for p in published],
                config["trustedCidrs"],
            )
            extras = project.root / "bench-extras.json"
            extras.touch(mode=0o600)
            extras.write_text(json.dumps(extras_document(records, extra_plan if offsets else None)))
            log(f"pulumi up of the bench's extras ({len(records)} resources; no policy pack: they are not the program)")
            outcome = deployment.up(program=bench_program(self.args.proxy_conf, extras), policy=False)
            self.deploy_seconds["extras"] = round(deployment.seconds, 1)
            if outcome.replaced or outcome.removed:
                raise RuntimeError(f"the extras' update changed the program's resources: {outcome}")

        self.shim = build_shim(PROJECT_DIR / "build" / "bench")
        # A container on the backend network whose network namespace the direct path's wrk runs in.
        loadgen = Fixture("loadgen", backend, ("loadgen",), ["sleep", "infinity"], FIXTURE_IMAGE)
        clients = {"trusted": CLIENTS["trusted"]}
        if dashboard_seconds > 0:
            clients |= {**DASHBOARD_CLIENTS, FLOOD_CLIENT[0]: FLOOD_CLIENT[1]}
        images = set(catalog.DEFAULT_IMAGES.values()) | ({CADDY_REFERENCE} if CADDY in self.paths else set())
        live = LiveStack(prefix=PREFIX, clients=clients, fixtures=[loadgen], images=sorted(images), deployer=bench_up)
        live.cleanup_stale()
        with contextlib.ExitStack() as cleanup:
            cleanup.callback(project.close)
            topo = cleanup.enter_context(live)
            self.topo = topo
            stack = _state(deployed["stack"])
            proxy_files = stack.container_files(proxy_name)
            # The proxied path's config as deployed: where a --proxy-conf experiment starts from.
            topo.write_file("nginx.conf", str(unwrap(proxy_files[catalog.PROXY_CONFIG_FILE]["content"])), 0o644)
            authorization = basic_authorization(BENCH_USER, stack.exports["passwords"][BENCH_USER])
            tls_dir = catalog.PROXY.tls_dir
            client_cert = unwrap(proxy_files[f"{tls_dir}/{catalog.TLS_CLIENT_CERT_FILE}"]["content"])
            client_key = unwrap(proxy_files[catalog.PROXY.client_key_file]["content"])
            self.files = {
                "ca": topo.write_file("ca.crt", stack.exports["ca_certificate"], 0o644),
                "client_cert": topo.write_file("client.crt", str(client_cert)),
                "client_key": topo.write_file("client.key", str(client_key)),
            }
            host = topo.host_address
            prometheus = f"{catalog.PROMETHEUS.name}:{catalog.PROMETHEUS.port}"
            basic = {"Authorization": authorization}
            mtls = {
                "BENCH_CLIENT_CERT": str(self.files["client_cert"]),
                "BENCH_CLIENT_KEY": str(self.files["client_key"]),
            }
            targets = {
                PROXIED: Target(
                    PROXIED,
                    "trusted",
                    f"https://{host}:{published[0]}",
                    basic,
                    {},
                    {"proxy": proxy_name, "prometheus": prometheus_name},
                ),
                DIRECT: Target(
                    DIRECT,
                    "loadgen",
                    f"https://{prometheus}",
                    {},
                    mtls,
                    {"prometheus": prometheus_name},
                    f"{prometheus}:{topo.address_of(prometheus_name, backend)}",
                ),
                NAIVE: Target(
                    NAIVE,
                    "trusted",
                    f"https://{host}:{published[0] + NAIVE_PORT_OFFSET}",
                    basic,
                    {},
                    {"proxy": naive_name, "prometheus": prometheus_name},
                ),
            }
            for variant, (container, offset) in variant_names.items():
                targets[variant] = Target(
                    variant,
                    "trusted",
                    f"https://{host}:{published[0] + offset}",
                    basic,
                    {},
                    {"proxy": container, "prometheus": prometheus_name},
                )
            for name, peer in peers.items():  # the URL names what the peer's certificate holds
                url_host = f"{peer['name']}:{peer['port']}"
                resolve = None if peer["name"] == host else f"{url_host}:{host}"
                targets[name] = Target(name, "trusted", f"https://{url_host}", basic, {}, peer["cpu"], resolve)
            self.direct = targets[DIRECT]
            self.wait_for_first_scrape(targets[DIRECT])
            time.sleep(RANGE_STEP_S + 1)  # so the range's last step (end = now) falls after the first sample
            queries = queries_now()
            if self.args.queries:
                queries = {k: v for k, v in queries.items() if k in self.args.queries}
            scripts = {
                path: topo.write_file(f"bench-{path}.lua", wrk_lua(targets[path].headers)) for path in self.paths
            }
            self.sanity(targets, queries, authorization)
            nginx_workers = self._count_processes(proxy_name, "nginx: worker")
            log(
                f"wrk: {self.args.connections} connections, {self.args.threads} threads, {self.args.duration}s per "
                f"run, {self.args.rounds} round(s); warm-up {self.args.warmup}s"
            )
            self.idle_cores = self.measure_idle(
                {name for t in targets.values() if t.path in self.paths for name in t.cpu_components.values()}
            )
            log("idle CPU (cores): " + ", ".join(f"{k} {v:.3f}" for k, v in self.idle_cores.items()))
            for request in queries.values():
                for path in self.paths:
                    if self.args.warmup > 0:
                        self.wrk(targets[path], scripts[path], request, self.args.warmup)
            runs: list[Run] = []
            for round_number in range(1, self.args.rounds + 1):
                order = self.paths[round_number - 1 :] + self.paths[: round_number - 1]
                for query, request in queries.items():
                    for path in order:
                        run = self.measure(targets[path], scripts[path], query, request, round_number)
                        result = run.result
                        log(
                            f"round {round_number} {query:<8} {path:<8} {result.rps:9.1f} req/s  p50 "
                            f"{result.p50_us / 1000:7.2f} ms  "
                            f"p99 {result.p99_us / 1000:7.2f} ms  errors {result.errors}  other load "
                            f"{run.other_busy_cores:.2f} cores"
                        )
                        runs.append(run)
            if self.args.c1_duration > 0 and "instant" in queries:
                # Unloaded latency: one connection, nothing queues for a CPU; the overhead per request.
                requests = dict(queries)
                requests[C1_QUERY] = queries["instant"]
                for path in self.paths:
                    run = self.measure(
                        targets[path],
                        scripts[path],
                        C1_QUERY,
                        queries["instant"],
                        1,
                        connections=1,
                        duration=self.args.c1_duration,
                    )
                    log(
                        f"1 connection  {path:<8} {run.result.rps:9.1f} req/s  p50 {run.result.p50_us / 1000:7.2f} ms  "
                        f"p99 {run.result.p99_us / 1000:7.2f} ms  errors {run.result.errors}"
                    )
                    runs.append(run)
                queries = requests
            if dashboard_seconds > 0:
                self.dashboard = self.run_dashboard(
                    f"https://{host}:{published[0] + DASHBOARD_PORT_OFFSET}", stack.exports["passwords"],
                    dashboard_name, prometheus_name, dashboard_seconds,
                )  # fmt: skip
                if DIRECT in self.paths:
                    self.dashboard["direct_control"] = self.dashboard_direct(targets[DIRECT], dashboard_seconds)
        summaries = {
            query: query_summary([r for r in runs if r.query == query], request) for query, request in queries.items()
        }
        return {
            "summaries": summaries,
            "dashboard": self.dashboard,
            "method": {
                "load_generator": (
                    "wrk (Debian), HTTP/1.1 keep-alive, closed loop; LD_PRELOAD shim for the direct "
                    "path's client certificate"
                ),
                "connections": self.args.connections,
                "threads": self.args.threads,
                "duration_s": self.args.duration,
                "rounds": self.args.rounds,
                "warmup_s": self.args.warmup,
                "aggregation": (
                    "median over rounds (best round too: interference only slows a run down); path "
                    "order rotated each round"
                ),
                "unloaded": (
                    f"{C1_QUERY}: the instant query on 1 connection, {self.args.c1_duration}s per "
                    "path, after the rounds"
                ),
                "paths": {
                    p: PATH_DESCRIPTIONS.get(p, f"EXPERIMENT: a proxy running {self.variants.get(p)}")
                    for p in self.paths
                },
                "nginx_workers": nginx_workers,
                "idle_cores": self.idle_cores,
                "auth_cache_seconds": _auth_cache_seconds(),
                "tsdb": (
                    "fresh: only the samples scraped since the stack started (the query_range covers the last hour)"
                ),
                "proxy_conf": self.args.proxy_conf or "rendered by the program (files/proxy/nginx.conf.j2)",
                "deployment": (
                    "the real `pulumi up` of the bench stack (the program as it is: the measured path), then a "
                    "second `up` adding the extra proxies and peers (bench/program.py); seconds of each"
                ),
                "deploy_s": self.deploy_seconds,
            },
        }

    def run_dashboard(
        self, url: str, passwords: dict[str, Any], proxy: str, prometheus: str, seconds: int
    ) -> dict[str, Any]:
        """scenarios.dashboard (bench/dashboard.py), with the proxy's and Prometheus' CPU meanwhile."""
        from components.prometheus.settings import DEFAULT_QUERY_LIMITS
        from testing.mock_stack import unwrap

        def client(name: str) -> DashboardClient:
            return DashboardClient(name, name, basic_authorization(name, str(unwrap(passwords[name]))))

        users = [client(name) for name in DASHBOARD_CLIENTS]
        connections = DEFAULT_QUERY_LIMITS.concurrent_per_credential
        log(
            f"dashboard: {len(users)} users, {connections} connections each, + a flooding user, {seconds} s, "
            f"default limits ({proxy})"
        )
        pids = {"proxy": self._pids(proxy), "prometheus": self._pids(prometheus)}
        cpu_before = {name: process_cpu(p) for name, p in pids.items()}
        load_before = Path("/proc/loadavg").read_text().split()[:3]
        busy_before, _, total_before = cpu_times()
        summary = run_dashboard(
            self.topo.exec_in, self.topo.write_file, url, users,
            client(FLOOD_CLIENT[0]), connections=connections, duration_s=seconds,
        )  # fmt: skip
        busy_after, _, total_after = cpu_times()
        cpu = {name: process_cpu(p) - cpu_before[name] for name, p in pids.items()}
        requests = summary["overall"]["requests"] + summary.get("flood", {}).get("requests", 0)
        elapsed = (total_after - total_before) / (os.cpu_count() or 1)
        summary["cpu_us_per_request"] = {k: round(v * 1e6 / requests, 1) if requests else None for k, v in cpu.items()}
        summary["machine"] = {
            "loadavg_before": " ".join(load_before),
            "loadavg_after": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
            "busy_cores": round((busy_after - busy_before) / elapsed, 2) if elapsed > 0 else None,
        }
        log("dashboard:\n" + format_dashboard(summary))
        return summary

    def dashboard_direct(self, direct: Target, seconds: int) -> dict[str, Any]:
        """The control: the same users' schedule straight to Prometheus (mTLS, no proxy, no flooder), for
        what the queries themselves spread; shorter (at most 60 s)."""

        seconds = min(seconds, 60)
        users = [DashboardClient("loadgen", name, "Basic none") for name in DASHBOARD_CLIENTS]
        env = ["env", f"LD_PRELOAD={self.shim}", *(f"{k}={v}" for k, v in direct.env.items())]
        log(f"dashboard control: the same {len(users)} users straight to Prometheus for {seconds} s")
        summary = run_dashboard(
            self.topo.exec_in, self.topo.write_file, _wrk_url(direct), users, None,
            connections=2, duration_s=seconds, wrk_env=env,
        )  # fmt: skip
        log("dashboard control (direct):\n" + format_dashboard(summary))
        return {k: summary[k] for k in ("overall", "profile", "goals", "method") if k in summary}

    def curl(self, target: Target, request: str, *extra: str) -> subprocess.CompletedProcess[str]:
        auth = (
            ["--cert", str(self.files["client_cert"]), "--key", str(self.files["client_key"])]
            if target.path == DIRECT
            else []
        )
        headers = [arg for k, v in target.headers.items() for arg in ("-H", f"{k}: {v}")]
        if target.resolve:
            extra = ("--resolve", target.resolve, *extra)
        return self.topo.client(target.netns).curl(
            "--cacert", str(self.files["ca"]), *auth, *headers, *extra, target.base_url + request, timeout=10
        )

    def wait_for_first_scrape(self, direct: Target) -> None:
        deadline = time.monotonic() + 60
        while True:
            result = self.curl(direct, "/api/v1/query?query=up")
            if '"status":"success"' in result.stdout and '"result":[]' not in result.stdout:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Prometheus has no `up` sample after 60 s: {result.stdout[:300]} {result.stderr[:300]}"
                )
            time.sleep(1)

    def sanity(self, targets: dict[str, Target], queries: dict[str, str], authorization: str) -> None:
        """Every path answers 200 with data before anything is measured; a wrong password is refused."""
        for path in self.paths:
            for request in queries.values():
                result = self.curl(targets[path], request, "-w", "\n%{http_code}")
                body, _, code = result.stdout.rpartition("\n")
                if code != "200" or '"status":"success"' not in body or '"result":[]' in body:
                    raise RuntimeError(f"{path} {request}: HTTP {code!r} {body[:300]!r} {result.stderr[:300]}")
        wrong_password = {"Authorization": basic_authorization(BENCH_USER, "not-the-password")}
        for path in [p for p in (PROXIED, NAIVE, CADDY, NATIVE) if p in targets and p in self.paths]:
            wrong = dataclasses.replace(targets[path], headers=wrong_password)
            refused = self.curl(wrong, next(iter(queries.values())), "-o", "/dev/null", "-w", "%{http_code}")
            if refused.stdout != "401":
                raise RuntimeError(f"a wrong password got HTTP {refused.stdout!r} from {path}, expected 401")
        log("sanity: every path answers 200 with data; a wrong password gets 401 wherever there is auth")

    def wrk(
        self, target: Target, script: Path, request: str, duration: int, connections: int | None = None
    ) -> tuple[subprocess.CompletedProcess[str], float]:
        connections = connections or self.args.connections
        threads = min(self.args.threads, connections)
        argv = [
            "env", f"LD_PRELOAD={self.shim}", *(f"{k}={v}" for k, v in target.env.items()),
            "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
            "-s", str(script), _wrk_url(target) + request,
        ]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = self.topo.exec_in(target.netns, argv, timeout=duration + 30)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            raise RuntimeError(
                f"wrk failed ({result.returncode}) on {target.path}: {result.stderr[-1500:]}{result.stdout[-1500:]}"
            )
        return result, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)

    def measure_idle(self, members: set[str], seconds: float = 5.0) -> dict[str, float]:
        """Cores each container uses with no load (Prometheus scrapes and evaluates rules meanwhile)."""
        pids = {name: self._pids(name) for name in members}
        before = {name: process_cpu(p) for name, p in pids.items()}
        started = time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - started
        return {name: round((process_cpu(p) - before[name]) / elapsed, 4) for name, p in sorted(pids.items())}

    def prometheus_accepted(self) -> int | None:
        """Connections Prometheus has accepted (its conntrack listener counter), over mTLS."""
        if self.direct is None:
            return None
        result = self.curl(self.direct, "/metrics")
        match = re.search(
            r'^net_conntrack_listener_conn_accepted_total\{listener_name="http"\} (\S+)$', result.stdout, re.MULTILINE
        )
        return int(float(match.group(1))) if match else None

    def _pids(self, container: str) -> list[int]:
        """A running container's processes: its main process and everything it started."""

        return proc_pids(self.topo.main_pid(container))

    def _engine_pids(self) -> list[int]:
        dockerd = int(self.topo.engine.pidfile.read_text().strip())

        containers = {pid for name in self.topo.members for pid in self._pids(name)}
        return [pid for pid in proc_pids(dockerd) if pid not in containers]

    def _count_processes(self, container: str, needle: str) -> int:
        count = 0
        for pid in self._pids(container):
            try:
                count += needle in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
        return count

    def measure(
        self,
        target: Target,
        script: Path,
        query: str,
        request: str,
        round_number: int,
        *,
        connections: int | None = None,
        duration: int | None = None,
    ) -> Run:
        pids = {name: self._pids(member) for name, member in target.cpu_components.items()}
        pids["engine"] = self._engine_pids()  # dockerd, containerd, the shims: the log pumps, port proxies
        accepted_before = self.prometheus_accepted()
        cpu_before = {name: process_cpu(p) for name, p in pids.items()}
        busy_before, irq_before, total_before = cpu_times()
        result, wrk_cpu = self.wrk(target, script, request, duration or self.args.duration, connections)
        busy_after, irq_after, total_after = cpu_times()
        cpu = {name: process_cpu(p) - cpu_before[name] for name, p in pids.items()}
        cpu["wrk"] = wrk_cpu
        cpu["softirq"] = irq_after - irq_before  # the network path between the namespaces (no process)
        accepted_after = self.prometheus_accepted()
        elapsed = (total_after - total_before) / (os.cpu_count() or 1)
        machine_busy = (busy_after - busy_before) / elapsed if elapsed > 0 else 0.0
        ours = sum(cpu.values()) / elapsed if elapsed > 0 else 0.0
        # The two /metrics scrapes of this accounting are connections too.
        connections = (
            accepted_after - accepted_before - 1 if accepted_after is not None and accepted_before is not None else None
        )
        idle = {
            name: self.idle_cores[member] for name, member in target.cpu_components.items() if member in self.idle_cores
        }
        return Run(
            query,
            target.path,
            round_number,
            parse_wrk(result.stdout),
            cpu,
            machine_busy,
            max(0.0, machine_busy - ours),
            connections,
            idle,
        )


def _state(deployment: pe.Deployment) -> RecordedStack:
    if deployment.recorded is None:
        raise RuntimeError("the bench stack has no state: its `pulumi up` did not run")
    return deployment.recorded


def _wrk_url(target: Target) -> str:
    """wrk resolves nothing inside a container's namespace: give it the address curl resolves."""
    if target.resolve is None:
        return target.base_url
    host, port, address = target.resolve.split(":")
    return target.base_url.replace(f"//{host}:{port}", f"//{address}:{port}")


def _auth_cache_seconds() -> int:
    from components.proxy.render import AUTH_CACHE_SECONDS

    return AUTH_CACHE_SECONDS
