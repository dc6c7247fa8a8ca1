"""Self-test of the private Docker Engine and the stand-in images, on a scratch namespace.

Prefix `pdt` (never the suite's `pd`): its own network namespace, created and deleted here; its
own data root (build/acceptance/engine-pdt), so the suite's image cache is not touched. The
rootfs tar cache (~/.cache/promshield/standins) is shared: only a first run ever builds one.
"""

from __future__ import annotations

import http.client
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.core.catalog import DEFAULT_IMAGES
from components.duckdb.render import image_tag
from harness import netns as nx
from harness.engine import Engine
from harness.paths import HARNESS_PREFIX, RUN_ROOT
from harness.standins import (
    KEY_LABEL,
    LABEL,
    UnknownStandinError,
    build_duckdb_exporter,
    ensure_images,
)

PREFIX = f"{HARNESS_PREFIX}t"
NETNS = f"{PREFIX}-host"
PROMETHEUS = DEFAULT_IMAGES["prometheus"]

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="starts dockerd in a network namespace: needs root")


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    if NETNS in nx.netns_list():  # left by a killed run of this test
        nx.netns_delete(NETNS)
    nx.netns_add(NETNS)
    try:
        with Engine(prefix=PREFIX, netns=NETNS, root=RUN_ROOT / f"engine-{PREFIX}") as running:
            yield running
    finally:
        nx.netns_delete(NETNS)


@pytest.fixture(scope="module")
def images(engine: Engine) -> dict[str, str]:
    started = time.monotonic()
    ids = ensure_images(engine.client(), DEFAULT_IMAGES.values())
    print(f"\n[selftest] ensure_images: {time.monotonic() - started:.1f}s")
    return ids


def _get(host: str, port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def _wait_get(host: str, port: int, path: str, timeout: float = 30) -> tuple[int, str]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return nx.in_netns(NETNS, lambda: _get(host, port, path))
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _proc_status(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def test_prometheus_standin_runs_hardened_and_answers(engine: Engine, images: dict[str, str]) -> None:
    client = engine.client()
    network = client.networks.create(f"{PREFIX}-selftest", driver="bridge")
    container = client.containers.run(
        PROMETHEUS,
        [
            "--config.file=/etc/prometheus/prometheus.yml",
            "--storage.tsdb.path=/prometheus",
            "--web.listen-address=:9090",
        ],
        name=f"{PREFIX}-prometheus",
        detach=True,
        read_only=True,
        cap_drop=["ALL"],
        security_opt=["no-new-privileges:true"],
        network=network.name,
        ports={"9090/tcp": ("127.0.0.1", 19090)},
    )
    try:
        container.reload()
        address = container.attrs["NetworkSettings"]["Networks"][network.name]["IPAddress"]
        assert address.startswith("198.18."), address  # the engine's pool, never 172.x
        status, body = _wait_get(address, 9090, "/-/healthy")
        assert status == 200, body
        status, _ = _wait_get("127.0.0.1", 19090, "/-/ready")  # the published port, in the namespace
        assert status == 200

        proc = _proc_status(container.attrs["State"]["Pid"])
        assert proc["Uid"].split()[:2] == ["65534", "65534"], proc["Uid"]
        assert proc["Gid"].split()[:2] == ["65534", "65534"], proc["Gid"]
        assert int(proc["CapEff"], 16) == 0 and int(proc["CapBnd"], 16) == 0, proc
        assert container.attrs["HostConfig"]["ReadonlyRootfs"] is True
        write = container.exec_run(["sh", "-c", "touch /etc/x"])
        assert write.exit_code != 0 and b"Read-only file system" in write.output

        # The wrapper's `check healthy` (Debian's promtool 2.42 has none); other subcommands pass through.
        healthy = container.exec_run(["promtool", "check", "healthy", "--url=http://localhost:9090"])
        assert healthy.exit_code == 0 and b"Healthy" in healthy.output, healthy.output
        version = container.exec_run(["promtool", "--version"])
        assert version.exit_code == 0 and b"promtool, version" in version.output
    finally:
        container.remove(force=True, v=True)
        network.remove()


def test_standins_carry_labels(engine: Engine, images: dict[str, str]) -> None:
    client = engine.client()
    for reference in DEFAULT_IMAGES.values():
        labels = client.images.get(reference).labels
        assert labels.get(LABEL) == "true", (reference, labels)
        assert re.fullmatch(r"[0-9a-f]{16}", labels.get(KEY_LABEL, "")), (reference, labels)


def test_ensure_images_twice_is_a_cache_hit(engine: Engine, images: dict[str, str]) -> None:
    built: list[str] = []
    started = time.monotonic()
    again = ensure_images(engine.client(), DEFAULT_IMAGES.values(), built=built)
    print(f"\n[selftest] cached ensure_images: {time.monotonic() - started:.1f}s")
    assert built == []
    assert again == images


def test_duckdb_exporter_builds_offline_on_the_python_standin(engine: Engine, images: dict[str, str]) -> None:
    tag = build_duckdb_exporter(engine.client())
    assert tag == image_tag()
    output = engine.client().containers.run(
        tag,
        entrypoint=["python", "-c", "import duckdb, prometheus_client, yaml; print(duckdb.__version__)"],
        network_mode="none",
        remove=True,
        read_only=True,
        cap_drop=["ALL"],
    )
    assert output.strip(), output


def test_unknown_reference_is_a_clear_error(engine: Engine) -> None:
    with pytest.raises(UnknownStandinError, match=r"no stand-in recipe for 'example\.invalid/nothing:1'"):
        ensure_images(engine.client(), ["example.invalid/nothing:1"])
