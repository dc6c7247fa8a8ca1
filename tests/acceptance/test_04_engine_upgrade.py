"""An upgrade under the real engine: main as it was before issue 21 deployed, then `up` of this code.

`OLD` is main just before issue 21's first commit (9a012b9, "toolchain: build the Pulumi CLI ...";
5c4052d's parent 5235447 is already issue-21 work, with program files equal to `OLD`'s). Its files
(`git archive`) are copied into the project folder for the first `up`; then this checkout's files
replace them in the same folder (`PulumiProject.switch_source(copy=True)`: the program resolves its
own paths, e.g. the DuckDB exporter's build context, which a user's checkout keeps) and `up` runs
again against the same state, stack file and passphrase: a `git pull` followed by `pulumi up`.

What the old code needs to deploy at all, and nothing more (each printed):
- its `Pulumi.yaml` declares config keys without a default, and the real engine refuses an `up` of
  a stack that does not set them all ("Stack 'upgrade' is missing configuration values
  'alertDefaultReceiver', ... and 'watchdogReceiver'"; d944370 made that fix on main); the copy
  drops those declarations (only the ones the stack does not set), nothing else;
- its PyPI pins name pulumi-tls 5.6.2 and pulumi-random 4.21.4, whose plugins are not built here
  (toolchain/providers builds 5.5.1 and 4.21.1, c520e10): it runs in this checkout's venv, whose
  SDKs request the built plugins; the schemas differ only in write-only fields and docs.

Data written on the old deployment, asserted after the upgrade: the samples Prometheus scraped from
the demo targets (the full `up` and DuckDB vectors at one instant, values equal), a silence created
through the proxy as ops (same id, still active), and the DuckDB exporter's reading (the same value,
from the same snapshot file, not re-seeded). The engine's steps of the upgrade (what it replaced,
updated, created and deleted, with the inputs that forced each replacement) are printed and kept in
`build/acceptance/<prefix>/upgrade-steps.txt` for the note.

Its own stack and engine, before the shared stack starts; torn down at the module's end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess  # nosec B404 - git and the old code's python, on purpose
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from components.core import catalog
from harness import pulumi_engine as pe
from harness import standins
from harness.live import HOST_ADDRESS, LiveStack
from harness.paths import HARNESS_PREFIX, REPO_ROOT, RUN_ROOT, venv_dir
from harness.stack import wait_until

OLD = "1c329c784dcbd3cf57d93b8f6fd24271eb2c3173"  # main before issue 21
STACK = "upgrade"
TRUSTED = "198.19.0.10"
ALERTMANAGER_PORT = 9093
SNAPSHOT = f"{catalog.DUCKDB_EXPORTER.data_dir}/snapshot.duckdb"
DUCKDB_READING = 'duckdb_metric_transaction_success_rate{job="duckdb"}'
KEPT_QUERIES = ("up", '{job="duckdb"}', "redis_up")  # the vectors at one instant that must survive

CONFIG: dict[str, Any] = {
    "bindAddress": HOST_ADDRESS,
    "trustedCidrs": [f"{TRUSTED}/32"],
    "firewallSudo": False,
    "tls": {"dnsNames": ["promshield.test"], "ipAddresses": [HOST_ADDRESS]},
    "users": [{"name": "admin", "role": "admin"}, {"name": "ops", "role": "ops"}],
    "demo": True,
    "networks": {"backendSubnet": "198.18.10.0/24", "edgeSubnet": "198.18.20.0/24"},
}


def _old_tree(into: Path) -> Path:
    """`OLD`'s files (git archive)."""
    tree = into / "old"
    tree.mkdir()
    archive = subprocess.run(  # nosec B603 B607
        ["git", "-C", str(REPO_ROOT), "archive", OLD], capture_output=True, check=False, timeout=120
    )
    if archive.returncode != 0:
        pytest.fail(f"git archive {OLD} failed (a shallow clone? fetch the history): {archive.stderr.decode()}")
    # The modes a checkout has (the umask's), not git archive's 0664: the docker provider's build hash
    # of the DuckDB exporter's context covers them, and a user's checkout keeps its modes across a pull.
    untar = ["tar", "-x", "--no-same-permissions", "-C", str(tree)]
    subprocess.run(untar, input=archive.stdout, check=True, timeout=120)  # nosec B603 B607
    return tree


def _deployable_project_yaml(tree: Path, config: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The old Pulumi.yaml without the declared keys that have no default and that the stack does not set."""
    document: dict[str, Any] = yaml.safe_load((tree / "Pulumi.yaml").read_text())
    dropped = [k for k, v in document["config"].items() if "default" not in v and k not in config]
    document["config"] = {k: v for k, v in document["config"].items() if k not in dropped}
    return document, dropped


def _images_of(tree: Path) -> list[str]:
    """The pinned images of the code in `tree` (its own catalog, run by its own files)."""
    script = (
        "import json; from components.core import catalog; "
        "print(json.dumps(sorted(set(catalog.DEFAULT_IMAGES.values()))))"
    )
    result = subprocess.run(  # nosec B603
        [str(venv_dir() / "bin" / "python"), "-c", script],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    images: list[str] = json.loads(result.stdout)
    return images


@dataclass
class Upgrade:
    engine: pe.EngineStack
    old_tree: Path
    timings: dict[str, float] = field(default_factory=dict)
    written: dict[str, Any] = field(default_factory=dict)

    def exec_in(self, service: catalog.Service, *argv: str) -> str:
        container = self.engine.containers()[catalog.container_name(STACK, service)]
        code, output = container.exec_run(list(argv))
        assert code == 0, f"{argv} in {service.name}: {output.decode(errors='replace')}"
        return str(output.decode().strip())

    def vectors_at(self, at: float) -> dict[str, dict[str, str]]:
        """Each kept query's samples at `at`: series labels (as JSON) -> value."""
        return {
            query: {json.dumps(r["metric"], sort_keys=True): r["value"][1] for r in self.engine.query(query, at=at)}
            for query in KEPT_QUERIES
        }

    def silence(self, silence_id: str) -> dict[str, Any]:
        status, body = self.engine.request("GET", f"/api/v2/silence/{silence_id}", user="ops", port=ALERTMANAGER_PORT)
        assert status == 200, (status, body[:300])
        silence: dict[str, Any] = json.loads(body)
        return silence


def _every_target_up(upgrade: Upgrade) -> bool:
    result = upgrade.engine.query("up")
    return bool(result) and all(r["value"][1] == "1" for r in result) and bool(upgrade.engine.query(DUCKDB_READING))


@pytest.fixture(scope="module")
def upgrade() -> Iterator[Upgrade]:
    if os.geteuid() != 0:
        pytest.skip("the real-engine deployment needs root (network namespaces, dockerd, iptables)")
    try:
        pe.toolchain_bin()
    except pe.ToolchainMissing as missing:
        pytest.fail(str(missing))
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="promshield-upgrade-"))
    try:
        old_tree = _old_tree(scratch)
        topo = LiveStack(prefix=HARNESS_PREFIX, clients={"trusted": TRUSTED})
        with topo, pe.project(topo.host_ns) as project:
            images = sorted(set(_images_of(old_tree)) | set(catalog.DEFAULT_IMAGES.values()))
            standins.ensure_images(topo.engine.client(), images)
            project_yaml, dropped = _deployable_project_yaml(old_tree, CONFIG)
            print(f"[upgrade] the old Pulumi.yaml without the declared keys that have no default: {dropped}")
            project.switch_source(old_tree, project_yaml, copy=True)
            stack = project.stack(STACK, {**CONFIG, "dockerHost": topo.engine.host})
            deployment = Upgrade(pe.EngineStack(topo, project, stack, HOST_ADDRESS), old_tree)
            deployment.timings["engine ready"] = round(time.monotonic() - started, 1)
            try:
                yield deployment
            finally:
                topo.save_logs()
                mark = time.monotonic()
                try:
                    deployment.engine.stack.destroy(color="never")
                except auto.CommandError as error:
                    print(f"[engine] destroy at teardown failed: {error}")
                deployment.timings["destroy"] = round(time.monotonic() - mark, 1)
                deployment.timings["module"] = round(time.monotonic() - started, 1)
                print(f"[upgrade] timings (s): {deployment.timings}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_old_main_deploys_and_holds_data(upgrade: Upgrade) -> None:
    mark = time.monotonic()
    upgrade.engine.up(f"old main ({OLD[:7]})")
    wait_until(upgrade.engine.healthy, timeout=180, interval=2, what="every old service healthy")
    wait_until(lambda: _every_target_up(upgrade), timeout=120, interval=2, what="every demo target scraped")
    upgrade.timings["old up until every target is up"] = round(time.monotonic() - mark, 1)
    # A sample: every kept vector at an instant every target had been scraped (a sample at or before it).
    at = time.time()
    time.sleep(1)
    vectors = upgrade.vectors_at(at)
    assert all(vectors.values()), [query for query, vector in vectors.items() if not vector]
    # A silence, through the proxy as ops.
    now = time.time()
    body = {
        "matchers": [{"name": "alertname", "value": "UpgradeProbe", "isRegex": False, "isEqual": True}],
        "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60)),
        "endsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 7200)),
        "createdBy": "ops",
        "comment": "written before the upgrade",
    }
    status, reply = upgrade.engine.request(
        "POST", "/api/v2/silences", user="ops", port=ALERTMANAGER_PORT, body=json.dumps(body).encode()
    )
    assert status == 200, (status, reply[:300])
    silence_id = json.loads(reply)["silenceID"]
    assert upgrade.silence(silence_id)["status"]["state"] == "active"
    # The DuckDB exporter's reading, and the snapshot file it reads (inode, mtime, size).
    reading = upgrade.engine.query(DUCKDB_READING)[0]["value"][1]
    snapshot = upgrade.exec_in(catalog.DUCKDB_EXPORTER, "stat", "-c", "%i %Y %s", SNAPSHOT)
    upgrade.written = {
        "at": at,
        "vectors": vectors,
        "silence": silence_id,
        "reading": reading,
        "snapshot": snapshot,
        "volumes": upgrade.engine.volumes(),
    }
    print(
        f"[upgrade] written: {sum(len(v) for v in vectors.values())} series at {at:.3f}, "
        f"silence {silence_id}, DuckDB reading {reading} from {SNAPSHOT} ({snapshot})"
    )


def test_upgrade_keeps_samples_silences_and_the_duckdb_reading(upgrade: Upgrade) -> None:
    written = upgrade.written
    assert written, "the old deployment's data was not written (the previous test failed)"
    upgrade.engine.project.switch_source(REPO_ROOT, copy=True)
    upgrade.engine.stack = upgrade.engine.project.stack(
        STACK, {**CONFIG, "dockerHost": upgrade.engine.topo.engine.host}
    )
    plan = upgrade.engine.preview("upgrade plan (preview)")
    mark = time.monotonic()
    steps = upgrade.engine.up("upgrade to this checkout")
    upgrade.timings["upgrade up"] = round(time.monotonic() - mark, 1)
    report = steps.report("upgrade to this checkout")
    out = RUN_ROOT / HARNESS_PREFIX / "upgrade-steps.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"{plan.report('preview of the upgrade')}\n\n{report}\n")
    assert {s.op for s in steps.steps()} <= {"create", "update", "replace", "delete"}, report
    mark = time.monotonic()
    wait_until(upgrade.engine.healthy, timeout=180, interval=2, what="every service healthy after the upgrade")
    upgraded_at = time.time()
    wait_until(lambda: _every_target_up(upgrade), timeout=120, interval=2, what="every target scraped again")
    upgrade.timings["healthy and scraped after the upgrade"] = round(time.monotonic() - mark, 1)
    # Samples: the very same series and values at the old instant.
    assert upgrade.vectors_at(written["at"]) == written["vectors"], "samples from before the upgrade changed or went"
    # The silence: same id, still active, same comment.
    silence = upgrade.silence(written["silence"])
    assert silence["status"]["state"] == "active" and silence["comment"] == "written before the upgrade", silence
    # The DuckDB reading: scraped again after the upgrade, the same value, from the same (not re-seeded) file.

    def fresh_reading() -> str | None:
        result = upgrade.engine.query(f"timestamp({DUCKDB_READING}) > {upgraded_at:.3f}")
        return str(upgrade.engine.query(DUCKDB_READING)[0]["value"][1]) if result else None

    assert (
        wait_until(fresh_reading, timeout=60, interval=2, what="a DuckDB reading after the upgrade")
        == written["reading"]
    )
    assert upgrade.exec_in(catalog.DUCKDB_EXPORTER, "stat", "-c", "%i %Y %s", SNAPSHOT) == written["snapshot"]
    assert set(written["volumes"]) <= set(upgrade.engine.volumes()), "a data volume went in the upgrade"
    # And the upgraded stack is settled: another preview plans nothing.
    settled = upgrade.engine.preview("after the upgrade")
    assert settled.steps() == [], settled.report("after the upgrade")
