"""The real Pulumi engine: `pulumi up`, `preview --diff`, `refresh` and `destroy` of a stack of its own.

The CLI, the Python language host and the providers are the ones `make deps` builds from Go source
(toolchain/build.sh); the Automation API drives them (harness/pulumi_engine.py) with a file backend
and a passphrase in a temporary folder, every `pulumi` running inside the Docker host's namespace, so
the program's firewall command acts on that namespace's `DOCKER-USER` chain. The images are the
stand-ins under the pinned names, loaded before `up`: the docker provider finds a pinned image
already present and does not pull it (kreuzwerker's `findImage` looks locally first), so the program
runs unchanged. The policy pack is enforced on every `up` and `preview`.

What only the engine can show, in order (one deployment, each test building on the last):
- `up` creates every resource, the services come up healthy, the proxy answers with the password the
  stack outputs (a secret output, decrypted by the Automation API);
- a second `up` changes nothing; `refresh` finds no drift;
- one threshold changed: `preview --diff` shows the new value in plain text and plans no container
  replacement; the `up` that follows keeps the Prometheus container (same id, same PID);
- `pulumi stack export` holds no generated password, private key or hash in plain text;
- a program change that breaks a mandatory policy stops `up` before anything changes;
- `destroy` removes every container, network and the firewall rules, keeps the data volumes, and a
  new `up` reuses them (a sample written before the destroy is still there);
- an `up` that fails halfway (the published port taken by another process) is completed by the next
  `up` once the port is free, with nothing orphaned.

This module runs before the shared stack starts (same prefix; its stack goes at the module's end).
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from components.core import catalog
from harness import netns as nx
from harness import pulumi_engine as pe
from harness import standins
from harness.live import HOST_ADDRESS, LiveStack
from harness.paths import HARNESS_PREFIX, REPO_ROOT
from harness.stack import basic, wait_until

STACK = "engine"
TRUSTED = "198.19.0.10"
CLIENTS = {"trusted": TRUSTED}
PROMETHEUS_PORT, ALERTMANAGER_PORT = 9090, 9093
THRESHOLD_KEY, THRESHOLD_NEW = "tradeLatencyP99Seconds", 0.375
POLICY_PACK = str(REPO_ROOT / "policy")

CONFIG: dict[str, Any] = {
    "bindAddress": HOST_ADDRESS,
    "trustedCidrs": [f"{TRUSTED}/32"],
    "firewallSudo": False,
    "tls": {"dnsNames": ["promshield.test"], "ipAddresses": [HOST_ADDRESS]},
    "users": [
        {"name": "admin", "role": "admin"},
        {"name": "ops", "role": "ops"},
        {"name": "read-only", "role": "read-only"},
        {"name": "guest", "role": "no-access"},
    ],
    "demo": True,
    "networks": {"backendSubnet": "198.18.10.0/24", "edgeSubnet": "198.18.20.0/24"},
}

# A developer's mistake the policy pack exists for: the program with Prometheus privileged.
PRIVILEGED_MAIN = """\
import runpy
import pulumi_docker as docker

_original = docker.Container.__init__


def _privileged(self, resource_name, *args, **kwargs):
    if resource_name.endswith("prometheus-container"):
        if args and isinstance(args[0], docker.ContainerArgs):  # the program passes typed args
            args[0].privileged = True
        else:
            kwargs["privileged"] = True
    _original(self, resource_name, *args, **kwargs)


docker.Container.__init__ = _privileged
runpy.run_path("{main}", run_name="__main__")
"""


@dataclass
class Deployed:
    topo: LiveStack
    project: pe.PulumiProject
    stack: auto.Stack

    def up(self, **kwargs: Any) -> auto.UpResult:
        started = time.monotonic()
        result = self.stack.up(policy_packs=[POLICY_PACK], color="never", on_output=_progress, **kwargs)
        print(f"[engine] up: {pe.changes(result.summary)} in {time.monotonic() - started:.1f}s")
        return result

    def containers(self) -> dict[str, Any]:
        """The stack's containers on the engine, running or not, by name."""
        client = self.topo.engine.client()
        prefix = catalog.resource_name(STACK, "")
        return {c.name: c for c in client.containers.list(all=True) if c.name.startswith(prefix)}

    def networks(self) -> list[str]:
        prefix = catalog.resource_name(STACK, "")
        return [n.name for n in self.topo.engine.client().networks.list() if n.name.startswith(prefix)]

    def volumes(self) -> list[str]:
        prefix = catalog.resource_name(STACK, "")
        return sorted(v.name for v in self.topo.engine.client().volumes.list() if v.name.startswith(prefix))

    def passwords(self) -> dict[str, str]:
        output = self.stack.outputs()["passwords"]
        assert output.secret, "the passwords output must be secret"
        return dict(output.value)

    def get(self, path: str, user: str = "admin", port: int = PROMETHEUS_PORT) -> tuple[int, bytes]:
        ca = self.project.root / "ca.crt"
        ca.write_text(str(self.stack.outputs()["ca_certificate"].value))
        argv = [
            "curl", "-sS", "--max-time", "10", "--cacert", str(ca), "-o", "-", "-w", "\n%{http_code}",
            "-H", f"Authorization: {basic(user, self.passwords()[user])}",
            f"https://{HOST_ADDRESS}:{port}{path}",
        ]  # fmt: skip
        result = self.topo.client("trusted").run(argv, timeout=20)
        body, _, code = result.stdout.rpartition("\n")
        return int(code or 0), body.encode()

    def firewall_rules(self) -> str:
        return self.topo.exec_in("host", ["iptables", "-w", "5", "-S"], check=True).stdout


def _progress(line: str) -> None:
    print(f"  {line.rstrip()}")


def _healthy(deployed: Deployed) -> bool:
    states = {}
    for name, container in deployed.containers().items():
        container.reload()
        state = container.attrs["State"]
        if state.get("Health"):
            states[name] = state["Health"]["Status"]
    return bool(states) and all(status == "healthy" for status in states.values())


@pytest.fixture(scope="module")
def deployed() -> Iterator[Deployed]:
    if os.geteuid() != 0:
        pytest.skip("the real-engine deployment needs root (network namespaces, dockerd, iptables)")
    try:
        pe.toolchain_bin()
    except pe.ToolchainMissing as missing:
        pytest.fail(str(missing))
    topo = LiveStack(prefix=HARNESS_PREFIX, clients=CLIENTS)
    with topo, pe.project(topo.host_ns) as project:
        client = topo.engine.client()
        started = time.monotonic()
        standins.ensure_images(client, sorted(set(catalog.DEFAULT_IMAGES.values())))
        print(f"[engine] stand-in images ready in {time.monotonic() - started:.1f}s")
        config = {**CONFIG, "dockerHost": topo.engine.host}
        stack = project.stack(STACK, config)
        deployment = Deployed(topo, project, stack)
        try:
            yield deployment
        finally:
            topo.save_logs()
            try:
                stack.destroy(color="never", on_output=_progress)
            except auto.CommandError as error:
                print(f"[engine] destroy at teardown failed: {error}")


def test_up_deploys_a_healthy_stack(deployed: Deployed) -> None:
    result = deployed.up()
    assert result.summary.result == "succeeded", result.stderr
    created = pe.changes(result.summary)
    assert set(created) == {"create"}, created
    wait_until(lambda: _healthy(deployed), timeout=120, interval=2, what="every service healthy")
    status, body = deployed.get("/api/v1/query?query=up")
    assert status == 200, body
    assert json.loads(body)["data"]["result"], body
    status, _ = deployed.get("/api/v1/status/config", user="guest")
    assert status == 403
    rules = deployed.firewall_rules()
    assert f"--ctorigdstport {PROMETHEUS_PORT}" in rules, rules


def test_second_up_changes_nothing_and_refresh_finds_no_drift(deployed: Deployed) -> None:
    planned = deployed.project.run(deployed.stack, "preview", "--diff", "--policy-pack", POLICY_PACK)
    again = deployed.up()
    assert pe.changes(again.summary) == {}, planned.stdout[-20000:]  # the diff says what changed
    refreshed = deployed.stack.refresh(color="never", on_output=_progress)
    assert pe.changes(refreshed.summary) == {}, refreshed.stdout
    no_changes(deployed)


def no_changes(deployed: Deployed) -> None:
    """`pulumi preview --expect-no-changes` (the CLI's own: it exits non-zero on any planned change).
    The Automation API's `preview` waits for the engine's events over gRPC on 127.0.0.1, which lies in another
    namespace than this `pulumi` (docs/development/real-engine.md), so it never sees the summary."""
    preview = deployed.project.run(deployed.stack, "preview", "--expect-no-changes", "--policy-pack", POLICY_PACK)
    assert preview.code == 0, preview.stdout


def test_threshold_change_previews_in_plain_text_and_reloads_in_place(deployed: Deployed) -> None:
    before = deployed.containers()[catalog.resource_name(STACK, "prometheus")]
    config = {**CONFIG, "dockerHost": deployed.topo.engine.host, "alertThresholds": {THRESHOLD_KEY: THRESHOLD_NEW}}
    deployed.stack = deployed.project.stack(STACK, config)
    preview = deployed.project.run(deployed.stack, "preview", "--diff", "--policy-pack", POLICY_PACK)
    print(preview.stdout[-6000:])
    assert str(THRESHOLD_NEW) in preview.stdout, "the new threshold must show in the diff a reviewer reads"
    replaced = re.findall(r"^\s*\+-\s+(\S+)", preview.stdout, flags=re.MULTILINE)
    containers_replaced = [r for r in replaced if "docker:index/container:Container" in r]
    assert not [r for r in containers_replaced if "carrier" not in r], preview.stdout
    pid_before = before.attrs["State"]["Pid"]
    deployed.up()
    after = deployed.containers()[catalog.resource_name(STACK, "prometheus")]
    assert after.id == before.id, "Prometheus was replaced for a threshold change"
    assert after.attrs["State"]["Pid"] == pid_before, "Prometheus restarted for a threshold change"

    def rule_has_new_threshold() -> bool:
        status, body = deployed.get("/api/v1/rules")
        return status == 200 and str(THRESHOLD_NEW) in body.decode()

    wait_until(rule_has_new_threshold, timeout=30, interval=1, what="the reloaded rule with the new threshold")


def test_exported_state_holds_no_plaintext_secret(deployed: Deployed) -> None:
    exported = json.dumps(deployed.project.export(deployed.stack))
    plain = json.dumps(deployed.project.export(deployed.stack, show_secrets=True))
    assert "ciphertext" in exported
    for user, password in deployed.passwords().items():
        assert password in plain, f"sanity: {user}'s password is in the decrypted export"
        assert password not in exported, f"{user}'s password in plain text in the state"
    keys = set(re.findall(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\\+n([A-Za-z0-9+/=]{40})", plain))
    assert keys, "sanity: the decrypted export holds private keys"
    leaked = [key for key in keys if key in exported]
    assert not leaked, f"{len(leaked)} private keys in plain text in the state"
    hashes = set(re.findall(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}", plain))
    assert not [h for h in hashes if h in exported], "a bcrypt hash in plain text in the state"


def test_policy_violation_stops_up_before_anything_changes(deployed: Deployed) -> None:
    prometheus = catalog.resource_name(STACK, "prometheus")
    before = deployed.containers()[prometheus].id
    main = deployed.project.work_dir / "__main__.py"
    main.unlink()
    main.write_text(PRIVILEGED_MAIN.format(main=REPO_ROOT / "__main__.py"))
    try:
        with pytest.raises(auto.CommandError) as failed:
            deployed.up()
    finally:
        main.unlink()
        main.symlink_to(REPO_ROOT / "__main__.py")
    assert "container-not-privileged" in str(failed.value), str(failed.value)[-3000:]
    container = deployed.containers()[prometheus]
    assert container.id == before and not container.attrs["HostConfig"]["Privileged"]
    no_changes(deployed)


def test_destroy_keeps_the_data_volumes_and_up_reuses_them(deployed: Deployed) -> None:
    marker_time = time.time() - 5
    status, body = deployed.get(f"/api/v1/query?query=count(up)&time={marker_time:.3f}")
    assert status == 200 and json.loads(body)["data"]["result"], body
    volumes = deployed.volumes()
    assert volumes, "the stack keeps its data in named volumes"
    destroyed = deployed.stack.destroy(color="never", on_output=_progress)
    assert destroyed.summary.result == "succeeded"
    assert deployed.containers() == {}, list(deployed.containers())
    assert deployed.networks() == [], deployed.networks()
    assert f"--ctorigdstport {PROMETHEUS_PORT}" not in deployed.firewall_rules()
    kept = deployed.volumes()
    assert kept, "destroy removed the data volumes"
    deployed.up()
    assert set(kept) <= set(deployed.volumes())
    wait_until(lambda: _healthy(deployed), timeout=120, interval=2, what="every service healthy again")

    def old_sample_there() -> bool:
        code, data = deployed.get(f"/api/v1/query?query=count(up)&time={marker_time:.3f}")
        return code == 200 and bool(json.loads(data)["data"]["result"])

    wait_until(old_sample_there, timeout=30, interval=1, what="a sample from before the destroy")


def test_failed_up_is_completed_by_the_next(deployed: Deployed) -> None:
    deployed.stack.destroy(color="never", on_output=_progress)
    release = threading.Event()
    bound = threading.Event()

    def hold_port() -> None:
        with socket.socket() as listener:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((HOST_ADDRESS, ALERTMANAGER_PORT))
            listener.listen()
            bound.set()
            release.wait(600)

    holder = threading.Thread(target=nx.in_netns, args=(deployed.topo.host_ns, hold_port), daemon=True)
    holder.start()
    assert bound.wait(10), "could not take the port"
    try:
        with pytest.raises(auto.CommandError) as failed:
            deployed.up()
        print(str(failed.value)[-2000:])
    finally:
        release.set()
        holder.join(10)
    assert deployed.containers(), "the failed up created nothing at all: not a halfway failure"
    completed = deployed.up()
    assert completed.summary.result == "succeeded"
    names = list(deployed.containers())
    assert len(names) == len(set(names))
    wait_until(lambda: _healthy(deployed), timeout=120, interval=2, what="every service healthy after the retry")
    state = deployed.project.export(deployed.stack)
    in_state = {
        r["outputs"].get("name")
        for r in state["deployment"]["resources"]
        if r["type"] == "docker:index/container:Container"
    }
    orphans = set(names) - in_state
    assert not orphans, f"containers the state does not know: {sorted(orphans)}"
    assert Path(deployed.project.state_dir).exists()
