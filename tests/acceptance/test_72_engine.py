"""What only a real engine shows: Docker itself holds the hardening the program asked for, keeps
every secret out of what it stores and prints, and runs the program's one-shot job."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from components.core import catalog
from harness import pulumi_engine as pe
from harness.stack import HOST_ADDRESS, AcceptanceStack
from testing.mock_stack import BUILT_IMAGE, CONTAINER, VOLUME, RecordedStack, run_program
from tests.acceptance.test_70_secrets import SERVICES

pytestmark = pytest.mark.acceptance

NANOSECONDS = {"ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}


def go_duration_ns(text: str) -> int:
    """`15s`, `1m30s`, `500ms` as Docker stores them (nanoseconds)."""
    import re

    return sum(int(number) * NANOSECONDS[unit] for number, unit in re.findall(r"(\d+)(ms|h|m|s)", text))


def recorded_inputs(stack: AcceptanceStack, name: str) -> dict[str, Any]:
    return dict(stack.recorded.containers(kind=None)[name].inputs)


@pytest.mark.parametrize("service", SERVICES)
def test_docker_holds_exactly_the_hardening_the_program_asked_for(stack: AcceptanceStack, service: str) -> None:
    name = stack.container(service)
    asked = recorded_inputs(stack, name)
    inspected = stack.topo.inspect(name)
    host, config = inspected["HostConfig"], inspected["Config"]
    assert config["User"] == asked["user"] and not asked["user"].startswith("0")
    assert host["ReadonlyRootfs"] is True and host["Privileged"] is False
    assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
    assert host["SecurityOpt"] == ["no-new-privileges:true"]
    assert host["Memory"] == asked["memory"] * 1024 * 1024 and host["MemorySwap"] == asked["memorySwap"] * 1024 * 1024
    assert [(u["Name"], u["Soft"], u["Hard"]) for u in host["Ulimits"]] == [
        (u["name"], u["soft"], u["hard"]) for u in asked["ulimits"]
    ]
    assert host["RestartPolicy"]["Name"] == "unless-stopped"
    assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "5"}}
    assert (host.get("Tmpfs") or {}) == dict(asked.get("tmpfs") or {})
    health = config["Healthcheck"]
    wanted = asked["healthcheck"]
    assert health["Test"] == wanted["tests"]
    assert health["Interval"] == go_duration_ns(wanted["interval"]) and health["Retries"] == wanted["retries"]
    assert health["StartPeriod"] == go_duration_ns(wanted["startPeriod"])
    read_only_mounts = {m["Destination"]: m["RW"] for m in inspected["Mounts"]}
    for volume in asked.get("volumes", []):
        assert read_only_mounts[volume["containerPath"]] is not bool(volume.get("readOnly")), volume
    labels = config["Labels"]
    assert (
        labels[f"{catalog.LABEL_PREFIX}.stack"] == "acceptance" and labels[f"{catalog.LABEL_PREFIX}.kind"] == "service"
    )


def test_only_the_proxy_publishes_and_only_on_the_bind_address(stack: AcceptanceStack) -> None:
    published = {}
    for service in SERVICES:
        bindings = stack.topo.inspect(stack.container(service))["HostConfig"]["PortBindings"] or {}
        published[service] = sorted(
            (port, b["HostIp"], b["HostPort"]) for port, items in bindings.items() for b in items
        )
    assert published.pop("proxy") == [("8443/tcp", HOST_ADDRESS, "9090"), ("8444/tcp", HOST_ADDRESS, "9093")]
    assert all(not bindings for bindings in published.values()), published


@pytest.mark.parametrize("service", SERVICES)
def test_the_root_filesystem_refuses_writes(stack: AcceptanceStack, service: str) -> None:
    result = stack.topo.container_exec(stack.container(service), ["sh", "-c", "echo x > /promshield-write-probe"])
    assert result.returncode != 0 and "Read-only file system" in result.stderr, (result.returncode, result.stderr)


def test_carriers_are_created_never_started_and_hold_no_network(stack: AcceptanceStack) -> None:
    for kind in catalog.CARRIER_KINDS:
        carriers = stack.recorded.containers(kind=kind)
        # every service has its config files and its secret files in two carriers named after it
        assert set(carriers) == {f"{name}-{kind}" for name in stack.recorded.containers()}, kind
        for name in carriers:
            inspected = stack.topo.inspect(name)
            assert inspected["State"]["Status"] == "created" and inspected["State"]["StartedAt"].startswith("0001-")
            assert inspected["HostConfig"]["NetworkMode"] == "none"
            assert inspected["Config"]["Labels"][catalog.LABEL_KIND] == kind


def test_each_volume_holds_only_its_kind_of_file(stack: AcceptanceStack) -> None:
    """On the engine, a service's config volume holds no secret file and its secrets volume only
    secret files (0400), each as its carrier put it, mounted read-only at its own directory."""
    for name in stack.recorded.containers():
        service = stack.recorded.containers()[name]
        files = stack.recorded.container_files(name)
        mounts = {m["Destination"]: m for m in stack.topo.inspect(name)["Mounts"]}
        secrets = mounts[catalog.SECRETS_DIR]
        assert secrets["RW"] is False and secrets["Name"] == f"{name}-secrets", name
        found = stack.topo.container_exec(name, ["find", catalog.SECRETS_DIR, "-type", "f"])
        assert sorted(found.stdout.split()) == sorted(p for p, f in files.items() if f["secret"]), name
        config_dir = next(v["containerPath"] for v in service.inputs["volumes"] if v["volumeName"] == f"{name}-config")
        assert mounts[config_dir]["RW"] is False, name
        for path, upload in files.items():
            assert upload["secret"] is path.startswith(catalog.SECRETS_DIR + "/"), (name, path)
            assert (upload["permissions"] == "0400") is upload["secret"], (name, path)


def _no_secret_in(text: str, stack: AcceptanceStack, where: str) -> list[str]:
    found = [f"{what} in {where}" for what, value in stack.generated_secrets().items() if value in text]
    if "PRIVATE KEY" in text:
        found.append(f"a private key in {where}")
    return found


def test_no_secret_in_docker_inspect_logs_or_events(stack: AcceptanceStack) -> None:
    """Everything Docker keeps about a container (inspect: env, command, labels, healthcheck),
    what the services print, and the engine's event stream hold no generated secret."""
    leaks: list[str] = []
    for name in stack.recorded.containers(kind=None):
        leaks += _no_secret_in(json.dumps(stack.topo.inspect(name)), stack, f"docker inspect {name}")
        leaks += _no_secret_in(stack.topo.log_text(name), stack, f"docker logs {name}")
    events = stack.topo.docker("events", "--since", f"{int(stack.started_at) - 3600}", "--until", f"{int(time.time())}")
    assert events.returncode == 0 and "container" in events.stdout, events.stderr
    leaks += _no_secret_in(events.stdout, stack, "docker events")
    assert leaks == []


SEED_STACK = "seedtest"
# Subnets of their own (nothing of the shared stack's), though the targeted resources create no network and
# publish no port: the job runs with no network at all.
SEED_CONFIG = {"demo": True, "networks": {"backendSubnet": "198.18.30.0/24", "edgeSubnet": "198.18.31.0/24"}}


def seeder_targets(recorded: RecordedStack, seed: str, volume: str) -> list[str]:
    """`--target` globs for the seed job, what it uses (the exporter image, the volume) and their parents
    (the engine refuses to create a resource whose parent or dependency it is not told to create).

    Found in the program's registrations under mocks; globs (`**<type>::<name>`) because the mocks spell
    a parent's type chain with the root stack's type, which a real URN does not."""
    job = next(r for r in recorded.resources if r.type == CONTAINER and r.inputs.get("name") == seed)
    wanted = [job, *(r for r in recorded.resources if r.type == BUILT_IMAGE and r.parent_urn == job.parent_urn)]
    wanted += [r for r in recorded.resources if r.type == VOLUME and r.inputs.get("name") == volume]
    urns = recorded.by_urn()
    parent = urns.get(job.parent_urn)
    while parent is not None and parent.type != "pulumi:pulumi:Stack":
        wanted.append(parent)
        parent = urns.get(parent.parent_urn)
    assert [r.type for r in wanted] == [CONTAINER, BUILT_IMAGE, VOLUME, catalog.DUCKDB_ACCESS_TYPE], wanted
    return [f"urn:pulumi:{SEED_STACK}::{catalog.PROJECT}::**{r.type}::{r.name}" for r in wanted]


def test_the_demo_duckdb_seeder_runs_as_the_one_shot_job_the_program_registers(stack: AcceptanceStack) -> None:
    """A demo stack seeds its DuckDB volume with a one-shot run of the exporter image
    (`attach`: `pulumi up` waits for it). Deployed here by the real `pulumi up` of a demo stack of its own
    (`seedtest`) on the same engine, targeting the job, the exporter image the provider builds, the volume
    and their component (no policy pack: see below): the job has ended with 0 when `up` returns, and leaves
    a published snapshot (and nothing else) the exporter's uid owns; a second run keeps it (`--if-missing`).
    `destroy` removes it."""
    volume = catalog.resource_name(SEED_STACK, "demo-duckdb")
    seed = catalog.resource_name(SEED_STACK, "demo-duckdb-seed")
    targets = seeder_targets(run_program(SEED_CONFIG, stack=SEED_STACK), seed, volume)
    project = pe.PulumiProject(netns=stack.topo.host_ns)
    log = stack.topo.run_dir / "pulumi-seedtest.log"
    deployment = pe.Deployment(project, SEED_STACK, stack.topo.engine.host, SEED_CONFIG, log)
    try:
        # Without the policy pack: with --target the analyzer is also handed the resources the engine skips, as
        # if they had no inputs (`image "alertmanager-image" has no image reference in name`), and stops the up.
        # tests/policy runs the pack on the dev stack, whose demo registers these same resources.
        outcome = deployment.up(targets=targets, policy=False)
        assert sorted(outcome.created) == sorted([seed, volume]), outcome
        assert deployment.recorded is not None
        deployed = {r.type for r in deployment.recorded.resources if not r.type.startswith("pulumi:")}
        assert deployed == {CONTAINER, BUILT_IMAGE, VOLUME, catalog.DUCKDB_ACCESS_TYPE}, deployed
        seeder = stack.topo.engine.client().containers.get(seed)
        state = seeder.attrs["State"]
        assert state["Status"] == "exited" and state["ExitCode"] == 0, state
        database = stack.topo.volume_dir(volume) / "snapshot.duckdb"
        assert [p.name for p in database.parent.iterdir()] == ["snapshot.duckdb"]
        assert database.stat().st_uid == catalog.DUCKDB_EXPORTER.uid and database.stat().st_size > 0
        first = database.stat().st_mtime_ns
        seeder.start()
        assert seeder.wait(timeout=60)["StatusCode"] == 0
        assert database.stat().st_mtime_ns == first, "the second run left the snapshot alone"
    finally:
        try:
            deployment.destroy()
        finally:
            project.close()
    names = {c.name for c in stack.topo.engine.client().containers.list(all=True)}
    assert seed not in names and volume not in {v.name for v in stack.topo.engine.client().volumes.list()}
