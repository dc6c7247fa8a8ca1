"""Self-test of `harness.deploy` on a real dockerd in a scratch namespace (prefix `pdc`).

Inputs are small hand-written dicts in Pulumi's wire format (camelCase keys, secrets wrapped), so
these tests check the deployer against the Engine, not the program. The tests that need no
Engine (unknown keys, ordering) run without root.
"""

from __future__ import annotations

import base64
import io
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness import netns as nx
from harness.deploy import (
    BUILT_IMAGE,
    CONTAINER,
    NETWORK,
    REMOTE_IMAGE,
    VOLUME,
    DeployError,
    Deployment,
    JobFailedError,
    MissingImageError,
    UnknownInputError,
    UnknownResourceError,
    deploy,
    plan,
)
from harness.paths import HARNESS_PREFIX, REPO_ROOT
from testing.mock_stack import LOCAL_COMMAND, secret

PREFIX = f"{HARNESS_PREFIX}c"
NETNS = f"{PREFIX}-host"
IMAGE = "pdc-busybox:2"
BUSYBOX = Path("/bin/busybox")  # Debian's busybox-static
MIB = 1024 * 1024
SECRET_TEXT = "pdc-token-9f3a1c77e2"

needs_engine = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="starts dockerd in a network namespace (root); busybox-static comes from scripts/acceptance-deps.sh",
)


@dataclass
class Res:
    """A recorded resource, as `testing.mock_stack.Registered` offers it."""

    type: str
    name: str
    raw_inputs: dict[str, Any]


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    from harness.engine import Engine

    if NETNS in nx.netns_list():  # left by a killed run of this test
        nx.netns_delete(NETNS)
    nx.netns_add(NETNS)
    try:
        with Engine(prefix=PREFIX, netns=NETNS, root=REPO_ROOT / "build" / PREFIX) as running:
            yield running
    finally:
        nx.netns_delete(NETNS)


@pytest.fixture(scope="module")
def client(engine: Any) -> Any:
    docker_client = engine.client()
    if not docker_client.images.list(name=IMAGE):
        # A tiny image: busybox-static and its applets as symlinks (nothing can be pulled here).
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            archive.add(BUSYBOX, "bin/busybox")
            for applet in ("sh", "sleep", "stat", "cat", "id", "touch", "echo", "true"):
                link = tarfile.TarInfo(f"bin/{applet}")
                link.type, link.linkname = tarfile.SYMTYPE, "busybox"
                archive.addfile(link)
            for directory in ("tmp", "etc", "data"):
                entry = tarfile.TarInfo(directory)
                entry.type, entry.mode = tarfile.DIRTYPE, 0o1777 if directory == "tmp" else 0o755
                archive.addfile(entry)
        repository, tag = IMAGE.split(":")
        # A CMD, as real images have: carriers (command []) keep the image's.
        docker_client.api.import_image_from_data(
            buffer.getvalue(), repository=repository, tag=tag, changes=['CMD ["sh"]']
        )
    return docker_client


@pytest.fixture
def deployments() -> Iterator[list[Deployment]]:
    """Deployments to remove when the test ends, whatever happened."""
    made: list[Deployment] = []
    yield made
    for deployment in made:
        deployment.remove()


def _container(name: str, **inputs: Any) -> Res:
    base = {"name": name, "image": IMAGE, "command": ["sleep", "3600"], "restart": "no", "mustRun": True, "wait": False}
    return Res(CONTAINER, name, {**base, **inputs})


def _volume(name: str) -> Res:
    return Res(VOLUME, name, {"name": name, "labels": [{"label": "io.pdc.test", "value": "1"}]})


def _carrier(volume: str, *, read_only: bool, uploads: Any) -> Res:
    return _container(
        f"{volume}-carrier",
        command=[],
        user="1000:1000",
        readOnly=read_only,
        start=False,
        mustRun=False,
        networkMode="none",
        networksAdvanced=[],
        volumes=[{"volumeName": volume, "containerPath": "/etc/app", "readOnly": False}],
        labels=[{"label": "io.promshield.kind", "value": "config"}],
        uploads=uploads,
    )


def _names(client: Any) -> set[str]:
    return {c.name for c in client.containers.list(all=True)} | {v.name for v in client.volumes.list()}


@needs_engine
def test_hardening_inputs_show_up_in_inspect(client: Any, deployments: list[Deployment], tmp_path: Path) -> None:
    (tmp_path / "hello").write_text("hi\n")
    tmp_path.chmod(0o755)  # the container runs as uid 1000
    labels = [{"label": "io.promshield.kind", "value": "service"}, {"label": "io.promshield.service", "value": "svc"}]
    resources = [
        Res(
            NETWORK,
            "net",
            {
                "name": "pdc-net",
                "driver": "bridge",
                "internal": False,
                "attachable": False,
                "ipamConfigs": [{"subnet": "198.18.241.0/24"}],
                "labels": [{"label": "io.pdc.test", "value": "1"}],
            },
        ),
        _volume("pdc-data"),
        Res(REMOTE_IMAGE, "image", {"name": IMAGE, "keepLocally": True}),
        _container(
            "pdc-svc",
            entrypoints=[],
            user="1000:1000",
            readOnly=True,
            privileged=False,
            capabilities={"drops": ["ALL"]},
            securityOpts=["no-new-privileges:true"],
            memory=64.0,
            memorySwap=64.0,
            ulimits=[{"name": "nproc", "soft": 64.0, "hard": 64.0}],
            restart="unless-stopped",
            healthcheck={
                "tests": ["CMD", "true"],
                "interval": "15s",
                "timeout": "5s",
                "startPeriod": "1m30s",
                "retries": 3.0,
            },
            logDriver="json-file",
            logOpts={"max-size": "10m", "max-file": "5"},
            networksAdvanced=[{"name": "pdc-net", "aliases": ["svc"], "ipv4Address": "198.18.241.10"}],
            ports=[{"internal": 8080.0, "external": 18080.0, "ip": "127.0.0.1", "protocol": "tcp"}],
            tmpfs={"/tmp": "rw,noexec,nosuid,nodev,size=16m,uid=1000,gid=1000,mode=0700"},
            volumes=[
                {"volumeName": "pdc-data", "containerPath": "/data", "readOnly": False},
                {"hostPath": "/srv/pdc-host-dir", "containerPath": "/srv", "readOnly": True},
            ],
            labels=labels,
            uploads=[],
        ),
    ]
    deployment = deploy(client, resources, host_paths={"/srv/pdc-host-dir": str(tmp_path)})
    deployments.append(deployment)
    assert [(c.kind, c.name) for c in deployment.created] == [
        ("network", "pdc-net"),
        ("volume", "pdc-data"),
        ("container", "pdc-svc"),
    ]

    info = client.api.inspect_container(deployment.ids("container")["pdc-svc"])
    host, config = info["HostConfig"], info["Config"]
    assert info["State"]["Running"]
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert not host["CapAdd"]
    assert host["Privileged"] is False
    assert host["SecurityOpt"] == ["no-new-privileges:true"]
    assert host["Memory"] == 64 * MIB
    assert host["MemorySwap"] == 64 * MIB
    assert host["Ulimits"] == [{"Name": "nproc", "Soft": 64, "Hard": 64}]
    assert host["RestartPolicy"] == {"Name": "unless-stopped", "MaximumRetryCount": 0}
    assert config["Healthcheck"] == {
        "Test": ["CMD", "true"],
        "Interval": 15 * 10**9,
        "Timeout": 5 * 10**9,
        "StartPeriod": 90 * 10**9,
        "Retries": 3,
    }
    assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "5"}}
    assert host["PortBindings"] == {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]}
    assert host["Tmpfs"] == {"/tmp": "rw,noexec,nosuid,nodev,size=16m,uid=1000,gid=1000,mode=0700"}
    assert host["Binds"] == ["pdc-data:/data:rw", f"{tmp_path}:/srv:ro"]
    assert {m["Destination"]: m["RW"] for m in info["Mounts"]} == {"/data": True, "/srv": False}
    assert host["NetworkMode"] == "bridge"  # the provider's default, kept after it leaves `bridge`
    assert host["Init"] is False
    assert config["User"] == "1000:1000"
    assert config["Cmd"] == ["sleep", "3600"]
    assert config["Labels"] == {item["label"]: item["value"] for item in labels}
    networks = info["NetworkSettings"]["Networks"]
    assert set(networks) == {"pdc-net"}
    assert "svc" in networks["pdc-net"]["Aliases"]
    assert networks["pdc-net"]["IPAMConfig"]["IPv4Address"] == "198.18.241.10"
    assert networks["pdc-net"]["IPAddress"] == "198.18.241.10"

    svc = deployment.container("pdc-svc")
    assert svc.exec_run(["id", "-u"]).output.decode().strip() == "1000"
    assert svc.exec_run(["touch", "/probe"]).exit_code != 0  # read-only root
    assert svc.exec_run(["cat", "/srv/hello"]).output == b"hi\n"  # host_paths mapped the bind
    net = client.api.inspect_network("pdc-net")
    # Docker 29 reports the gateway it picked (the first address) beside the subnet asked for.
    assert [pool["Subnet"] for pool in net["IPAM"]["Config"]] == ["198.18.241.0/24"]
    assert net["Labels"] == {"io.pdc.test": "1"}
    assert net["Internal"] is False


@needs_engine
def test_uploads_land_in_a_never_started_carrier_with_their_mode_and_owner(
    client: Any, deployments: list[Deployment]
) -> None:
    blob = b"\x00\x01binary\xff"
    uploads = secret(
        [
            {
                "file": "/etc/app/secret.key",
                "content": secret(SECRET_TEXT),
                "permissions": "0400",
                "owner": "1000",
                "group": "1001",
            },
            {"file": "/etc/app/run.sh", "content": "#!/bin/sh\n", "executable": True},
            {"file": "/etc/app/plain.conf", "content": "a = 1\n", "owner": "2000", "group": "2000"},
            {
                "file": "/etc/app/blob.bin",
                "contentBase64": base64.b64encode(blob).decode(),
                "permissions": "0640",
                "owner": "root",
                "group": "root",
            },
        ]
    )
    reader = _container(
        "pdc-conf-reader",
        user="1000:1000",
        readOnly=True,
        networkMode="none",
        volumes=[{"volumeName": "pdc-conf", "containerPath": "/etc/app", "readOnly": True}],
    )
    deployment = deploy(client, [_volume("pdc-conf"), _carrier("pdc-conf", read_only=False, uploads=uploads), reader])
    deployments.append(deployment)

    carrier = client.api.inspect_container(deployment.ids("container")["pdc-conf-carrier"])
    assert carrier["State"]["Status"] == "created"  # start=false: created, never started
    stats = (
        deployment.container("pdc-conf-reader")
        .exec_run(
            [
                "stat",
                "-c",
                "%n %a %u %g %s",
                "/etc/app/secret.key",
                "/etc/app/run.sh",
                "/etc/app/plain.conf",
                "/etc/app/blob.bin",
            ]
        )
        .output.decode()
        .split("\n")
    )
    assert stats[:4] == [
        f"/etc/app/secret.key 400 1000 1001 {len(SECRET_TEXT)}",
        "/etc/app/run.sh 744 0 0 10",
        "/etc/app/plain.conf 644 2000 2000 6",
        f"/etc/app/blob.bin 640 0 0 {len(blob)}",
    ]
    assert (
        deployment.container("pdc-conf-reader").exec_run(["cat", "/etc/app/secret.key"]).output.decode() == SECRET_TEXT
    )
    # The carrier sees the same files (get_archive works on a created container).
    stream, _ = client.api.get_archive(carrier["Id"], "/etc/app/blob.bin")
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
        member = archive.getmember("blob.bin")
        assert (member.mode & 0o7777, member.uid, member.gid) == (0o640, 0, 0)  # Docker adds the type bits
        extracted = archive.extractfile(member)
        assert extracted is not None and extracted.read() == blob


def _command(trigger: str, script: str = "echo ran") -> Res:
    body = {"create": script, "update": script, "triggers": [trigger], "environment": {"DOCKER_HOST": "unix:///x"}}
    return Res(LOCAL_COMMAND, "pdc-reload", body)


@needs_engine
def test_a_read_only_carrier_is_refused_by_the_daemon(client: Any) -> None:
    uploads = secret([{"file": "/etc/app/secret.key", "content": secret(SECRET_TEXT), "permissions": "0400"}])
    before = _names(client)
    with pytest.raises(DeployError, match="container rootfs is marked read-only") as raised:
        deploy(client, [_volume("pdc-ro"), _carrier("pdc-ro", read_only=True, uploads=uploads)])
    assert SECRET_TEXT not in str(raised.value)
    assert _names(client) == before  # what was created is gone


@needs_engine
def test_a_one_shot_job_runs_to_completion(client: Any, deployments: list[Deployment]) -> None:
    job = _container(
        "pdc-job",
        command=["sh", "-c", "echo seeded > /data/seed; echo done"],
        attach=True,
        logs=True,
        mustRun=False,
        restart="no",
        networkMode="none",
        volumes=[{"volumeName": "pdc-seed", "containerPath": "/data", "readOnly": False}],
    )
    deployment = deploy(client, [_volume("pdc-seed"), job])
    deployments.append(deployment)
    assert deployment.exit_codes == {"pdc-job": 0}
    assert deployment.logs["pdc-job"] == "done\n"
    info = client.api.inspect_container(deployment.ids("container")["pdc-job"])
    assert info["State"]["Status"] == "exited"
    assert info["HostConfig"]["RestartPolicy"]["Name"] == "no"
    stream, _ = client.api.get_archive(info["Id"], "/data/seed")
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
        extracted = archive.extractfile("seed")
        assert extracted is not None and extracted.read() == b"seeded\n"


@needs_engine
def test_a_failing_one_shot_job_fails_the_deploy(client: Any) -> None:
    job = _container(
        "pdc-bad-job", command=["sh", "-c", "echo boom; exit 3"], attach=True, mustRun=False, networkMode="none"
    )
    before = _names(client)
    with pytest.raises(JobFailedError, match=r"exited with 3.*boom"):
        deploy(client, [job])
    assert _names(client) == before


@needs_engine
def test_images_resolve_to_local_references(client: Any, deployments: list[Deployment]) -> None:
    with pytest.raises(MissingImageError, match=r"pdc-missing:0.*ensure_images"):
        deploy(client, [Res(REMOTE_IMAGE, "missing", {"name": "pdc-missing:0", "keepLocally": True})])
    built: list[dict[str, Any]] = []

    def build_image(inputs: Any) -> str:
        built.append(dict(inputs))
        return IMAGE

    resources = [
        Res(REMOTE_IMAGE, "prom", {"name": "prom/prometheus:v3.5.0", "keepLocally": True}),
        Res(
            BUILT_IMAGE,
            "built",
            {
                "imageName": "pdc/built:1",
                "skipPush": True,
                "buildOnPreview": False,
                "build": {"context": "/nowhere", "dockerfile": "/nowhere/Dockerfile", "args": {"A": "1"}},
            },
        ),
        _container("pdc-from-remote", image="prom/prometheus:v3.5.0", networkMode="none"),
        _container("pdc-from-built", image="pdc/built:1", networkMode="none"),
    ]
    deployment = deploy(client, resources, images={"prom/prometheus:v3.5.0": IMAGE}, build_image=build_image)
    deployments.append(deployment)
    assert built == [resources[1].raw_inputs]
    assert deployment.images == {"prom/prometheus:v3.5.0": IMAGE, "pdc/built:1": IMAGE}
    for name in ("pdc-from-remote", "pdc-from-built"):
        assert client.api.inspect_container(deployment.ids("container")[name])["Config"]["Image"] == IMAGE


@needs_engine
def test_wait_waits_for_healthy(client: Any, deployments: list[Deployment]) -> None:
    healthcheck = {"tests": ["CMD", "true"], "interval": "1s", "timeout": "1s", "retries": 1.0}
    deployment = deploy(
        client, [_container("pdc-wait", networkMode="none", healthcheck=healthcheck, wait=True, waitTimeout=30.0)]
    )
    deployments.append(deployment)
    info = client.api.inspect_container(deployment.ids("container")["pdc-wait"])
    assert info["State"]["Health"]["Status"] == "healthy"
    with pytest.raises(DeployError, match="no healthcheck"):
        deploy(client, [_container("pdc-wait-none", networkMode="none", wait=True)])


# --- No Engine needed ----------------------------------------------------------------------------------


def test_an_unknown_input_key_is_named() -> None:
    with pytest.raises(UnknownInputError, match=r"Container pdc-x: unknown input fooBar = 1"):
        plan([_container("pdc-x", fooBar=1.0)])
    with pytest.raises(UnknownInputError, match=r"unknown input uploads\[0\]\.source") as raised:
        plan(
            [
                _container(
                    "pdc-x", uploads=secret([{"file": "/a", "content": secret(SECRET_TEXT), "source": SECRET_TEXT}])
                )
            ]
        )
    assert SECRET_TEXT not in str(raised.value)
    with pytest.raises(UnknownInputError, match=r"unknown input madeUp = .*\[secret\]") as raised:
        plan([_container("pdc-x", madeUp=secret(SECRET_TEXT))])
    assert SECRET_TEXT not in str(raised.value)
    with pytest.raises(UnknownInputError, match=r"healthcheck\.startTimeout"):
        plan([_container("pdc-x", healthcheck={"tests": ["CMD", "true"], "startTimeout": "1s"})])
    with pytest.raises(UnknownInputError, match="Network net: unknown input scope"):
        plan([Res(NETWORK, "net", {"name": "n", "scope": "local"})])


def test_resource_types_docker_unknown_fail_others_are_skipped() -> None:
    with pytest.raises(UnknownResourceError, match="docker:index/service:Service svc"):
        plan([Res("docker:index/service:Service", "svc", {})])
    others = [
        Res("tls:index/privateKey:PrivateKey", "key", {"algorithm": "ECDSA"}),
        Res("pulumi:providers:docker", "docker", {}),
    ]
    the_plan = plan([*others, _volume("pdc-v")])
    assert the_plan.skipped == [(r.type, r.name) for r in others]
    assert [(s.type, s.docker_name) for s in the_plan.steps] == [(VOLUME, "pdc-v")]


def test_a_reader_registered_before_its_carrier_is_refused() -> None:
    reader = _container("pdc-reader", volumes=[{"volumeName": "pdc-c", "containerPath": "/etc/app", "readOnly": True}])
    with pytest.raises(DeployError, match=r"pdc-reader is registered before pdc-c-carrier.*depends_on"):
        plan([_volume("pdc-c"), reader, _carrier("pdc-c", read_only=False, uploads=[])])


def test_bad_values_fail_without_quoting_secrets() -> None:
    with pytest.raises(DeployError, match="not a Go duration"):
        plan([_container("pdc-x", healthcheck={"tests": ["CMD", "true"], "interval": "15 s"})])
    with pytest.raises(DeployError, match="skipPush"):
        plan([Res(BUILT_IMAGE, "img", {"imageName": "x:1", "skipPush": False})])
    with pytest.raises(DeployError, match="exactly one of") as raised:
        plan([_container("pdc-x", uploads=secret([{"file": "/a", "content": SECRET_TEXT, "contentBase64": "eA=="}]))])
    assert "docker:index/container:Container pdc-x: uploads[0]" in str(raised.value)
    assert SECRET_TEXT not in str(raised.value)
