"""The three-host stack test_95_multi_host.py attacks: the program's resources on three real engines.

`MultiHostStack.start()` runs `__main__.py` under Pulumi mocks for tests/stacks/multihost-acceptance.yaml
(plus this run's central-store CA and password), starts one dockerd per host namespace on the
LAN (harness `LiveStack(hosts=...)`), runs each host's firewall command (the program's, verbatim) in
that host's namespace, deploys each host's Docker resources on its own engine (routed by provider),
adds a fake Instance Manager on every host's backend network, and, on the LAN, the central
long-term store (VictoriaMetrics behind vmauth, TLS + basic auth, deduplicating per scrape interval:
harness/central.py) and a webhook receiver every host's Alertmanager notifies.

Prefix `<prefix>m` (the single-host suite's stack is down by then: conftest.py tears it down after
the last test that uses it).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.client
import json
import shutil
import ssl
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

from pulumi import automation as auto

from components.core import catalog
from components.core.durations import duration_seconds
from components.core.hardening import DEFAULT_PIDS_LIMIT
from harness import pulumi_engine as pe
from harness.central import CentralStore
from harness.live import TEST_USER, Fixture, Host, LanService, LiveStack
from harness.paths import MULTI_HOST_PREFIX, REPO_ROOT, RUN_ROOT
from harness.sshhosts import DEPLOY_USER, Deployer, SshHosts
from harness.stack import FIXTURE_IMAGE, FIXTURE_SCRIPT, wait_until
from testing.stack_config import load_scenario

PREFIX = MULTI_HOST_PREFIX
SCENARIO = "multihost-acceptance"
TRUSTED = "198.19.0.10"
UNTRUSTED = "198.19.0.20"
CENTRAL = "198.19.0.30"
WEBHOOK_ADDRESS = "198.19.0.31"
DEPLOYER = "198.19.0.40"  # the deploying machine: runs `pulumi up`, reaches each host over SSH
CLIENTS = {"trusted": TRUSTED, "untrusted": UNTRUSTED}
SSH_ROOT = Path(f"/run/promshield-{PREFIX}-ssh")  # root-owned up to / (sshd's StrictModes)
POLICY_PACK = str(REPO_ROOT / "policy")
PORTS = {"prometheus": 9090, "alertmanager": 9093}
STATE_DIR = "/state"  # inside the fake Instance Managers: the test's switches (fakes.py --state)
FAKES = Path(__file__).with_name("fakes.py")


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class MultiHostStack:
    stack_name: str
    outputs: dict[str, Any]  # the stack's outputs, secrets decrypted (the Automation API)
    live: LiveStack
    store: CentralStore
    config: dict[str, Any]
    webhook_out: Path
    state_dir: Path
    files_dir: Path
    ssh: SshHosts
    deployer: Deployer
    project: pe.PulumiProject
    pulumi_stack: auto.Stack
    timings: dict[str, float]

    # --- facts from the config and the deployed stack -------------------------------------------------
    @property
    def hosts(self) -> dict[str, str]:
        """Host name -> its LAN (bind) address, in config order."""
        return {str(h["name"]): str(h["bindAddress"]) for h in self.config["hosts"]}

    @property
    def passwords(self) -> dict[str, str]:
        return dict(self.outputs["passwords"])

    @property
    def ca_file(self) -> Path:
        return self.files_dir / "stack-ca.crt"

    def container(self, service: str) -> str:
        """The Docker name of a service (the same on every host)."""
        return catalog.resource_name(self.stack_name, service)

    # --- through a host's proxy -------------------------------------------------------------------------
    def request(
        self,
        host: str,
        method: str,
        service: str,
        path: str,
        *,
        user: str | None = "admin",
        client: str = "trusted",
        body: bytes | None = None,
        content_type: str | None = None,
        timeout: float = 10.0,
    ) -> Response:
        address = self.hosts[host]
        headers = {"Connection": "close", "Host": f"{address}:{PORTS[service]}"}
        if user is not None:
            token = base64.b64encode(f"{user}:{self.passwords[user]}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        if content_type is not None:
            headers["Content-Type"] = content_type
        context = ssl.create_default_context(cafile=str(self.ca_file))
        sock = self.live.client(client).connect(address, PORTS[service], timeout=timeout)
        connection = http.client.HTTPSConnection(address, PORTS[service], timeout=timeout)
        try:
            connection.sock = context.wrap_socket(sock, server_hostname=address)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return Response(response.status, response.read())
        finally:
            connection.close()
            sock.close()

    @property
    def scrape_interval(self) -> float:
        """The replicas' scrape interval (s): also the store's deduplication interval."""
        return duration_seconds(str(self.config["scrapeInterval"]))

    def store_rows_received(self) -> int:
        """Rows the store has ingested by remote write so far, every replica's, before deduplication."""
        return self.store.rows_received(self.live)

    def query(self, host: str, promql: str, user: str = "read-only", at: float | None = None) -> list[dict[str, Any]]:
        form = {"query": promql} | ({"time": f"{at:.3f}"} if at is not None else {})
        response = self.request(
            host,
            "POST",
            "prometheus",
            "/api/v1/query",
            user=user,
            body=urlencode(form).encode(),
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status == 200, (host, response.status, response.body[:300])
        result: list[dict[str, Any]] = response.json()["data"]["result"]
        return result

    def alerts(self, host: str, alertname: str) -> list[dict[str, Any]]:
        """That host's Alertmanager's alerts named `alertname` (silenced ones included)."""
        path = "/api/v2/alerts?" + urlencode({"filter": f'alertname="{alertname}"'})
        response = self.request(host, "GET", "alertmanager", path, user="read-only")
        assert response.status == 200, (host, response.status, response.body[:300])
        found: list[dict[str, Any]] = response.json()
        return found

    # --- what the webhook received ------------------------------------------------------------------
    def notifications(self, alertname: str, status: str = "firing") -> list[dict[str, Any]]:
        """Each POST the webhook got that carried `alertname` with `status` (one per notification)."""
        if not self.webhook_out.exists():
            return []
        found = []
        for line in self.webhook_out.read_text().splitlines():
            record = json.loads(line)
            alerts = (record.get("payload") or {}).get("alerts") or []
            if any(a["labels"].get("alertname") == alertname and a.get("status") == status for a in alerts):
                found.append(record)
        return found

    def set_instance_manager_memory(self, ratio: float) -> None:
        """Every fake Instance Manager reports resident memory at `ratio` of its limit from its next scrape."""
        path = self.state_dir / "memory_ratio"
        path.write_text(f"{ratio}\n")
        path.chmod(0o644)

    # --- lifecycle ----------------------------------------------------------------------------------
    @classmethod
    @contextlib.contextmanager
    def start(cls) -> Iterator[MultiHostStack]:
        started = time.monotonic()
        scenario = load_scenario(SCENARIO)
        remote_write = dict(scenario.config["remoteWrite"])
        # The store deduplicates the replicas' samples per scrape interval (they drop their replica label).
        store = CentralStore.create(
            RUN_ROOT / f"{PREFIX}-central",
            address=CENTRAL,
            username=str(remote_write["username"]),
            dedup_interval=str(scenario.config["scrapeInterval"]),
        )
        assert urlparse(str(remote_write["url"])).hostname == CENTRAL, remote_write
        assert remote_write.get("dropReplicaLabel") is True, remote_write
        webhook_dir, state_dir = RUN_ROOT / f"{PREFIX}-webhook", RUN_ROOT / f"{PREFIX}-state"
        for directory in (webhook_dir, state_dir):
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir(parents=True)
        webhook_dir.chmod(0o777)  # the webhook runs as TEST_USER
        state_dir.chmod(0o755)
        (hook,) = scenario.config["alertmanagerReceivers"]
        webhook_url = urlparse(str(hook["webhookUrl"]))
        assert webhook_url.hostname == WEBHOOK_ADDRESS, webhook_url
        webhook = LanService(
            "webhook",
            WEBHOOK_ADDRESS,
            [
                "/usr/bin/python3",
                str(FAKES),
                "webhook",
                f"--port={webhook_url.port}",
                f"--out={webhook_dir}/received.jsonl",
            ],
        )
        backend = catalog.resource_name(scenario.stack, catalog.BACKEND_NETWORK)
        # The fake listens where the scenario's one Instance Manager target says (fake-im:<port>).
        (im_target,) = scenario.config["instanceManagerTargets"]
        fake_im_port = int(str(im_target["address"]).rpartition(":")[2])
        hosts = []
        fixtures = []
        for entry in scenario.config["hosts"]:
            name, address = str(entry["name"]), str(entry["bindAddress"])
            assert entry["dockerHost"] == f"ssh://{DEPLOY_USER}@{address}", entry  # reached over SSH only
            hosts.append(Host(name, address, str(entry["dockerHost"])))  # no script: the stack's firewall runs
            command = ["python3", FIXTURE_SCRIPT, "instance-manager", "--port", str(fake_im_port), "--state", STATE_DIR]
            binds = {str(FAKES): FIXTURE_SCRIPT, str(state_dir): STATE_DIR}
            fake = Fixture("fake-im", backend, ("fake-im",), command, FIXTURE_IMAGE, binds, user=TEST_USER, host=name)
            fixtures.append(fake)
        used = wait_for_nproc_room()
        print(f"[multi-host] uid {NOBODY} runs {used} tasks before the stack starts", file=sys.stderr)
        # Engines only: every resource is the real `pulumi up`'s, over SSH from the deployer's namespace.
        live = LiveStack(
            prefix=PREFIX,
            clients={**CLIENTS, "deployer": DEPLOYER},
            hosts=hosts,
            services=[store.service(), webhook],
            images=sorted(set(catalog.DEFAULT_IMAGES.values())),
        )
        with live, contextlib.ExitStack() as cleanup:
            ssh = SshHosts.create(
                SSH_ROOT,
                {h.name: (h.address, live.netns_of(h.name), live.engine_of(h.name).host) for h in hosts},
                live.run_dir / "logs",
            )
            cleanup.callback(shutil.rmtree, SSH_ROOT, True)
            cleanup.callback(ssh.stop)
            ssh.start()
            deployer = Deployer(SSH_ROOT / "agent")
            cleanup.callback(deployer.stop)
            deployer.start(ssh.deploy_key, live.netns_of("deployer"))
            host_keys = {h.name: h.host_key for h in ssh.hosts}
            config = {
                **scenario.config,
                "hosts": [{**entry, "sshHostKey": host_keys[str(entry["name"])]} for entry in scenario.config["hosts"]],
                "remoteWrite": {**remote_write, "caPem": store.ca_pem},
            }
            secret = {"sshPrivateKey": ssh.deploy_key.read_text(), "remoteWritePassword": store.password}
            plain = {key: value for key, value in config.items() if key not in (*scenario.secret_keys, *secret)}
            project = pe.PulumiProject(live.netns_of("deployer"), extra_env=deployer.env)
            cleanup.callback(project.close)
            pulumi_stack = project.stack(scenario.stack, plain, secret)
            mark = time.monotonic()
            with open(live.run_dir / "logs" / "pulumi-up.log", "w") as log:
                result = pulumi_stack.up(
                    color="never", policy_packs=[POLICY_PACK], on_output=lambda line: log.write(line + "\n")
                )
            timings = {"pulumi up (s)": round(time.monotonic() - mark, 1)}
            print(f"[multi-host] pulumi up over SSH: {pe.changes(result.summary)} in {timings}", file=sys.stderr)
            live.start_fixtures(fixtures)
            outputs = {key: output.value for key, output in pulumi_stack.outputs().items()}
            stack = cls(
                scenario.stack,
                outputs,
                live,
                store,
                config,
                webhook_dir / "received.jsonl",
                state_dir,
                live.run_dir / "files",
                ssh,
                deployer,
                project,
                pulumi_stack,
                timings,
            )
            stack.ca_file.write_text(str(outputs["ca_certificate"]))
            store.wait_ready(live)
            listening = functools.partial(
                live.client("trusted").can_connect, WEBHOOK_ADDRESS, int(webhook_url.port or 0)
            )
            wait_until(listening, timeout=20, interval=0.2, what="the webhook")
            for host in stack.hosts:
                wait_until(
                    functools.partial(answers_unauthorized, stack, host),
                    timeout=60,
                    interval=0.3,
                    what=f"{host}'s proxy",
                )
            timings["up to every proxy answering (s)"] = round(time.monotonic() - mark, 1)
            print(
                f"[multi-host] {len(hosts)} hosts up in {time.monotonic() - started:.1f}s {live.timings} {timings}; "
                f"logs under {live.run_dir}",
                file=sys.stderr,
            )
            yield stack


# The stack's services run as uid 65534, Alertmanager with an `nproc` ulimit of 128; RLIMIT_NPROC
# counts every task of that uid on the machine, and here the three "hosts" share one kernel (and
# other runs on the machine may hold nobody's tasks too). Three replicas' Prometheus and Alertmanager
# threads take about 50 of them (60 with room for healthchecks): start only when that many are free.
NOBODY = 65534
NPROC_LIMIT = DEFAULT_PIDS_LIMIT  # Alertmanager's
NPROC_NEEDED = 60


def tasks_of(uid: int) -> int:
    """How many tasks (threads) run as `uid` on this machine (what RLIMIT_NPROC counts)."""
    count = 0
    for status in Path("/proc").glob("[0-9]*/task/[0-9]*/status"):
        with contextlib.suppress(OSError):
            for line in status.read_text().splitlines():
                if line.startswith("Uid:"):
                    count += line.split()[1] == str(uid)
                    break
    return count


def wait_for_nproc_room(timeout: float = 180) -> int:
    """Wait (bounded) until uid 65534 has room for this stack's tasks; fail saying why otherwise."""
    deadline = time.monotonic() + timeout
    while (used := tasks_of(NOBODY)) > NPROC_LIMIT - NPROC_NEEDED:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"uid {NOBODY} already runs {used} tasks on this machine (other acceptance runs?): the stack's "
                f"Alertmanagers (nproc ulimit {NPROC_LIMIT}, counted machine-wide) could not start; try again later"
            )
        time.sleep(5)
    return used


def answers_unauthorized(stack: MultiHostStack, host: str) -> bool:
    """The host's proxy is up: an unauthenticated request gets its 401."""
    return bool(stack.request(host, "GET", "prometheus", "/-/ready", user=None).status == 401)
