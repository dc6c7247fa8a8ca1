"""Faults (destructive: this module runs last): a DuckDB writer killed mid-scrape, Alertmanager
down (stopped, then gone from the network), Prometheus' main process killed (Docker restarts it
by its restart policy) and a process inside a container killed at the memory limit."""

from __future__ import annotations

import signal
import subprocess  # nosec B404
import threading
import time
from pathlib import Path

import pytest

from tests.acceptance.harness.paths import venv_dir
from tests.acceptance.stack import AcceptanceStack, Response, wait_until

pytestmark = pytest.mark.acceptance

# Holds the database open read-write (DuckDB's exclusive lock) and replaces a heartbeat row in
# one transaction every 20 ms until it is killed (so there is always exactly one committed).
WRITER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
n = 0
print("writer open", flush=True)
while True:
    n += 1
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM metrics WHERE name = 'acceptance_writer_heartbeat'")
    con.execute("INSERT INTO metrics (name, value) VALUES ('acceptance_writer_heartbeat', ?)", [n])
    con.execute("COMMIT")
    print(n, flush=True)
    time.sleep(0.02)
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


def test_duckdb_writer_killed_mid_scrape_and_the_exporter_recovers(stack: AcceptanceStack) -> None:
    name = stack.container("duckdb-exporter")
    exporter_pid = stack.topo.main_pid(name)
    assert metric(scrape_exporter(stack), "duckdb_up") == 1
    database = stack.duckdb_dir / "metrics.duckdb"
    log = stack.files_dir / "duckdb-writer.log"
    with open(log, "w") as out:
        writer = subprocess.Popen(
            [str(venv_dir() / "bin" / "python"), "-c", WRITER, str(database)], stdout=out, stderr=subprocess.STDOUT
        )  # nosec B603
    scrapes: list[tuple[float, float | None, float | None]] = []  # (time, up, locked)
    errors: list[str] = []
    stop = threading.Event()

    def scraper() -> None:  # scrapes back to back, for at most 20 s
        deadline = time.monotonic() + 20
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                text = scrape_exporter(stack)
                scrapes.append(
                    (time.monotonic(), metric(text, "duckdb_up"), metric(text, "duckdb_up_reason", reason="locked"))
                )
            except Exception as exc:
                errors.append(repr(exc))

    thread = threading.Thread(target=scraper, daemon=True)
    try:
        wait_until(
            lambda: "writer open" in log.read_text() and len(log.read_text().splitlines()) > 5,
            timeout=15,
            interval=0.1,
            what="the writer",
        )
        thread.start()
        wait_until(
            lambda: any(locked == 1 for _, _, locked in scrapes),
            timeout=10,
            interval=0.05,
            what="a scrape that finds the file locked",
        )
        killed_at = time.monotonic()
        writer.send_signal(signal.SIGKILL)  # while the scraper keeps scraping
        writer.wait(timeout=10)
        last_commit = int(log.read_text().split()[-1]) if log.read_text().split()[-1].isdigit() else None
        wait_until(
            lambda: any(at > killed_at and up == 1 for at, up, _ in scrapes),
            timeout=10,
            interval=0.1,
            what="the exporter to recover",
        )
    finally:
        stop.set()
        if writer.poll() is None:
            writer.kill()
            writer.wait(timeout=10)
        thread.join(timeout=30)
    assert errors == [], errors[:3]
    recovered_after = next(at for at, up, _ in scrapes if at > killed_at and up == 1) - killed_at
    print(
        f"duckdb: {len(scrapes)} scrapes, locked while the writer ran, up again {recovered_after:.2f}s after the kill"
    )
    assert stack.topo.main_pid(name) == exporter_pid, "the exporter did not crash or restart"
    # What the writer committed before it died is there (read-only WAL replay), nothing torn.
    text = scrape_exporter(stack)
    assert metric(text, "duckdb_up") == 1
    heartbeat = metric(text, "duckdb_metric_acceptance_writer_heartbeat")
    assert heartbeat is not None and heartbeat >= 1
    if last_commit is not None:
        assert last_commit - 1 <= heartbeat <= last_commit + 1
    assert metric(text, "duckdb_metric_transaction_success_rate") == pytest.approx(0.997)
    # And Prometheus sees it up again.
    wait_until(
        lambda: stack.query('duckdb_up{job="duckdb"} == 1 and duckdb_metric_acceptance_writer_heartbeat > 0'),
        timeout=20,
        interval=1,
        what="Prometheus to see the recovered exporter",
    )


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
