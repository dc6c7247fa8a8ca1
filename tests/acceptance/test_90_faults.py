"""Faults (destructive: this module runs last): a DuckDB writer killed mid-publish, Alertmanager
down (stopped, then gone from the network), Prometheus' main process killed (Docker restarts it
by its restart policy), the proxy killed right after answering (no audit line lost) and a process
inside a container killed at the memory limit."""

from __future__ import annotations

import random
import signal
import subprocess  # nosec B404
import threading
import time
from pathlib import Path

import pytest

from harness.paths import REPO_ROOT, venv_dir
from harness.stack import AcceptanceStack, Response, wait_until

pytestmark = pytest.mark.acceptance

SNAPSHOT_HELPER_DIR = REPO_ROOT / "exporters" / "duckdb"

# The trading writer: holds its database open read-write (DuckDB's exclusive lock), replaces a
# heartbeat row in one transaction and publishes a snapshot after every batch, with only 2 ms
# between batches (so a kill at a random moment most likely lands inside a publish), until killed.
WRITER = """
import sys, time, duckdb
sys.path.insert(0, sys.argv[3])
from duckdb_snapshot import publish_snapshot
con = duckdb.connect(sys.argv[1])
n = 0
print("writer open", flush=True)
while True:
    n += 1
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM metrics WHERE name = 'acceptance_writer_heartbeat'")
    con.execute("INSERT INTO metrics (name, value) VALUES ('acceptance_writer_heartbeat', ?)", [n])
    con.execute("COMMIT")
    publish_snapshot(con, sys.argv[2])
    print(n, flush=True)
    time.sleep(0.002)
"""


def metric(text: str, name: str, **labels: str) -> float | None:
    want = ",".join(f'{key}="{value}"' for key, value in labels.items())
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        if series in (name, f"{name}{{{want}}}"):
            return float(value)
    return None


def scrape_exporter(stack: AcceptanceStack) -> str:
    """One scrape of the DuckDB exporter as Prometheus does it (mTLS, Prometheus' client cert),
    from inside the backend network."""
    status, body = stack.backend_get(
        "webhook", "duckdb-exporter", 9188, "/metrics", cert=stack.prometheus_client_cert(), timeout=10
    )
    assert status == 200
    return body.decode()


def leftovers(stack: AcceptanceStack) -> list[str]:
    return [path.name for path in stack.duckdb_dir.iterdir() if path.name != "snapshot.duckdb"]


def kill_writer_mid_publish(stack: AcceptanceStack, log: Path, attempts: int = 30) -> tuple[int, float]:
    """Start the writer and SIGKILL it once it has published a few times; retry until a kill leaves
    a publish's temporary file behind (it died inside a publish). Returns (last published, kill time)."""
    python = str(venv_dir() / "bin" / "python")
    argv = [python, "-c", WRITER, str(stack.duckdb_live), str(stack.duckdb_dir), str(SNAPSHOT_HELPER_DIR)]
    for _ in range(attempts):
        with open(log, "w") as out:
            writer = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)  # nosec B603
        try:
            wait_until(lambda: len(log.read_text().split()) > 8, timeout=15, interval=0.05, what="the writer")
            time.sleep(random.uniform(0, 0.05))  # a random moment inside the loop
            writer.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            writer.wait(timeout=10)
        finally:
            if writer.poll() is None:
                writer.kill()
                writer.wait(timeout=10)
        words = log.read_text().split()
        if "Traceback" in words:
            raise AssertionError(log.read_text())
        if leftovers(stack):
            return int(words[-1]), killed_at
    raise AssertionError(f"no kill in {attempts} landed inside a publish")


def test_duckdb_writer_killed_mid_publish_and_the_exporter_keeps_serving(stack: AcceptanceStack) -> None:
    name = stack.container("duckdb-exporter")
    exporter_pid = stack.topo.main_pid(name)
    assert metric(scrape_exporter(stack), "duckdb_up") == 1
    log = stack.files_dir / "duckdb-writer.log"
    scrapes: list[tuple[float, float | None, float | None, float | None]] = []  # (time, up, age, heartbeat)
    errors: list[str] = []
    stop = threading.Event()

    def scraper() -> None:  # scrapes back to back, for at most 60 s
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                text = scrape_exporter(stack)
                scrapes.append(
                    (
                        time.monotonic(),
                        metric(text, "duckdb_up"),
                        metric(text, "duckdb_snapshot_age_seconds"),
                        metric(text, "duckdb_metric_acceptance_writer_heartbeat"),
                    )
                )
            except Exception as exc:
                errors.append(repr(exc))

    thread = threading.Thread(target=scraper, daemon=True)
    thread.start()
    try:
        last_published, killed_at = kill_writer_mid_publish(stack, log)
        wait_until(
            lambda: len([s for s in scrapes if s[0] > killed_at + 3]) >= 3,
            timeout=20,
            interval=0.1,
            what="scrapes after the kill",
        )
    finally:
        stop.set()
        thread.join(timeout=30)
    assert errors == [], errors[:3]
    # Not one scrape failed: not while the writer held its file and published, nor after the kill.
    assert scrapes and all(up == 1 for _, up, _, _ in scrapes), [s for s in scrapes if s[1] != 1][:3]
    after = [s for s in scrapes if s[0] > killed_at]
    heartbeats = {heartbeat for _, _, _, heartbeat in after[1:]}
    assert len(heartbeats) == 1, heartbeats  # the previous snapshot, whole, and nothing newer
    heartbeat = heartbeats.pop()
    assert heartbeat is not None and last_published <= heartbeat <= last_published + 1
    ages = [(at, age) for at, _, age, _ in after[1:] if age is not None]
    assert len(ages) >= 3 and ages[-1][1] - ages[0][1] >= 0.8 * (ages[-1][0] - ages[0][0]) > 2, ages
    print(f"duckdb: {len(scrapes)} scrapes, none failed; snapshot age {ages[-1][1]:.1f}s after the kill")
    assert stack.topo.main_pid(name) == exporter_pid, "the exporter did not crash or restart"
    # Prometheus sees the age grow too.
    wait_until(
        lambda: stack.query('duckdb_up{job="duckdb"} == 1 and duckdb_snapshot_age_seconds{job="duckdb"} > 3'),
        timeout=20,
        interval=1,
        what="Prometheus to see the snapshot age grow",
    )
    # The next publish removes the killed one's leftovers and the age drops again.
    publish = [
        str(venv_dir() / "bin" / "python"),
        str(SNAPSHOT_HELPER_DIR / "duckdb_snapshot.py"),
        "--database",
        str(stack.duckdb_live),
        "--out",
        str(stack.duckdb_dir),
    ]
    subprocess.run(publish, check=True, capture_output=True, timeout=60)  # nosec B603
    assert leftovers(stack) == []
    fresh = scrape_exporter(stack)
    age = metric(fresh, "duckdb_snapshot_age_seconds")
    assert metric(fresh, "duckdb_up") == 1 and age is not None and age < 5
    assert metric(fresh, "duckdb_metric_transaction_success_rate") == pytest.approx(0.997)


def timed_statuses(stack: AcceptanceStack, service: str, paths: list[str]) -> list[tuple[str, int, float]]:
    results = []
    for path in paths:
        response: Response = stack.request("GET", service, path, user="read-only", timeout=15)
        results.append((path, response.status, response.elapsed))
    return results


AM_PATHS = ["/api/v2/alerts", "/-/healthy", "/api/v2/silences"]


def test_alertmanager_down_prometheus_keeps_scraping_and_the_proxy_answers_fast(stack: AcceptanceStack) -> None:
    name = stack.container("alertmanager")
    backend = next(n.name for n in stack.topo.networks if n.internal)
    stack.topo.kill(name)  # an operator's stop: the restart policy leaves it down
    attachment = None
    try:
        # Stopped: on a real engine its address answers nothing at all (the container's veth is
        # gone; no reset as from a live host with a closed port): the proxy gives up after
        # proxy_connect_timeout (3 s), it does not hang.
        for path, status, elapsed in timed_statuses(stack, "alertmanager", AM_PATHS):
            assert status in (502, 503, 504), (path, status)
            assert elapsed < 5, (path, elapsed)
        # Prometheus goes on: its own API through the proxy, and fresh scrapes of the others.
        assert stack.get("prometheus", "/-/ready", user="read-only").status == 200
        before = time.time()
        wait_until(
            lambda: stack.query('up{job="alertmanager"} == 0'),
            timeout=20,
            interval=1,
            what="Prometheus to notice Alertmanager is down",
        )
        fresh = wait_until(
            lambda: stack.query(f'timestamp(up{{job="duckdb"}} == 1) > {before:.3f}'),
            timeout=15,
            interval=1,
            what="a scrape of the exporter after Alertmanager went down",
        )
        assert fresh
        # Gone from the network as well: the same bound.
        attachment = stack.topo.disconnect(name, backend)
        for path, status, elapsed in timed_statuses(stack, "alertmanager", AM_PATHS[:2]):
            assert status in (502, 503, 504), (path, status)
            assert elapsed < 5, (path, elapsed)
        assert stack.get("prometheus", "/api/v1/query?query=up", user="read-only").status == 200
    finally:
        if attachment is not None:
            stack.topo.reconnect(name, backend, attachment)
        if not stack.topo.is_running(name):
            stack.topo.start(name)
    recovered = wait_until(
        lambda: stack.get("alertmanager", "/-/ready", user="read-only", record=False).status == 200,
        timeout=20,
        interval=0.5,
        what="Alertmanager through the proxy again",
    )
    assert recovered


def test_prometheus_killed_and_restarted_keeps_its_data(stack: AcceptanceStack) -> None:
    name = stack.container("prometheus")
    volume = stack.topo.volume_dir("promshield-acceptance-prometheus-data")
    assert (volume / "wal").is_dir(), "the TSDB lives on the data volume"
    at = time.time()
    promql = 'count_over_time(up{job="duckdb"}[1h])'
    before = stack.query(promql, at=at)
    samples_before = int(before[0]["value"][1])
    assert samples_before >= 2, before
    first_sample = stack.query('min_over_time(timestamp(up{job="duckdb"})[1h:1s])', at=at)
    restarts = int(stack.topo.inspect(name)["RestartCount"])
    killed = stack.topo.kill_main_process(name)  # SIGKILL, as a crash: no clean shutdown, no final flush
    # Nobody starts it again but Docker, by the container's restart policy (unless-stopped).
    wait_until(lambda: 0 < stack.topo.main_pid(name) != killed, timeout=30, interval=0.2, what="Docker to restart it")
    assert int(stack.topo.inspect(name)["RestartCount"]) == restarts + 1
    answers: list[int] = []

    def query_works() -> bool:
        response = stack.request(
            "POST", "prometheus", "/api/v1/query", user="read-only", form={"query": promql, "time": f"{at:.3f}"}
        )
        answers.append(response.status)
        return response.status == 200

    wait_until(query_works, timeout=30, interval=0.5, what="Prometheus through the proxy after the restart")
    after = stack.query(promql, at=at)
    assert int(after[0]["value"][1]) == samples_before, (before, after)
    assert stack.query('min_over_time(timestamp(up{job="duckdb"})[1h:1s])', at=at) == first_sample
    print(f"prometheus: {samples_before} samples survived the kill; answers while it came back: {answers}")
    assert all(status in (200, 502, 503) for status in answers), answers
    assert Path(volume).stat().st_uid == int(str(stack.recorded.containers()[name].inputs["user"]).split(":")[0])


def test_the_proxy_killed_loses_no_audit_line(stack: AcceptanceStack) -> None:
    """The audit file is written per request, unbuffered: every request answered just before NGINX
    is SIGKILLed (a crash: no clean shutdown, no final flush) is in it. The stdout copy (`docker
    logs`) is buffered (up to 1 s) for speed and may lack the last lines before a crash."""
    name = stack.container("proxy")
    marker = f"{time.time():.3f}"  # the `time` parameter of these queries: logged, unique to this test
    sent = 40
    connection = stack.connection("trusted", "prometheus")
    try:
        statuses = [
            stack.send(
                connection, "trusted", "prometheus", "GET", f"/api/v1/query?query=vector({i})&time={marker}",
                user="read-only",
            ).status
            for i in range(sent)
        ]  # fmt: skip
    finally:
        connection.close()
    restarts = int(stack.topo.inspect(name)["RestartCount"])
    killed = stack.topo.kill_main_process(name)
    try:
        wait_until(
            lambda: 0 < stack.topo.main_pid(name) != killed, timeout=60, interval=0.2, what="Docker to restart it"
        )
    except AssertionError as exc:
        info = stack.topo.inspect(name)
        raise AssertionError(
            f"{exc}: State {info['State']}, RestartPolicy {info['HostConfig']['RestartPolicy']}"
        ) from exc
    assert int(stack.topo.inspect(name)["RestartCount"]) == restarts + 1
    wait_until(
        lambda: stack.get("prometheus", "/-/ready", user="read-only", record=False).status == 200,
        timeout=30,
        interval=0.5,
        what="the proxy answering after the restart",
    )

    def ours(source: str) -> list[dict[str, object]]:
        return [e for e in stack.audit_entries(source) if f"time={marker}" in str(e["query"])]

    in_file, on_stdout = ours("file"), ours("stdout")
    print(
        f"proxy killed right after {sent} requests (statuses {sorted(set(statuses))}): {len(in_file)} in the audit "
        f"file, {len(on_stdout)} in the buffered stdout copy"
    )
    assert len(in_file) == sent, f"{sent - len(in_file)} audit lines lost by the crash"
    assert sorted(str(e["query"]) for e in in_file) == sorted(f"query=vector({i})&time={marker}" for i in range(sent))


def test_a_process_past_the_memory_limit_is_killed_inside_its_container(stack: AcceptanceStack) -> None:
    """The container's memory limit is the kernel's (cgroup): a process inside that allocates
    past it is OOM-killed there, the service and this machine go on."""
    name = stack.container("duckdb-exporter")
    limit = int(stack.topo.inspect(name)["HostConfig"]["Memory"])
    assert limit == int(stack.recorded.containers()[name].inputs["memory"]) * 1024 * 1024
    grab = f"b = bytearray({limit * 2}); b[::4096] = b'x' * len(b[::4096]); print('survived')"
    result = stack.topo.container_exec(name, ["python", "-c", grab], timeout=60)
    assert result.returncode == 137 and "survived" not in result.stdout, (
        result.returncode,
        result.stdout,
        result.stderr,
    )
    assert stack.topo.is_running(name)
    status, _ = stack.backend_get(
        "webhook", "duckdb-exporter", 9188, "/metrics", cert=stack.prometheus_client_cert(), timeout=10
    )
    assert status == 200
