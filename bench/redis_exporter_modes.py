"""Measure redis_exporter's two ways of watching N Redis instances (bounded; loopback only).

`python -m bench.redis_exporter_modes [--instances 4] [--scrapes 30]` starts N real `redis-server`s
(each with its own least-privilege exporter user from `components.redis.acl`), then

* **multi-target**: ONE `prometheus-redis-exporter` with a password file mapping each
  `redis://user@host:port` URI to its password, scraped N times per round at `/scrape?target=`;
* **per-instance**: N exporters, each bound to one Redis (`--redis.addr`), scraped at `/metrics`;

and prints, per mode, the exporters' total resident memory (VmRSS after the scrapes) and the
median / p95 time of one round (every instance scraped once). Every process it starts is
stopped in `finally`; nothing outside the temporary directory is touched.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import socket
import statistics
import subprocess  # nosec B404 - starts real redis-server and redis_exporter processes on loopback
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from components.redis.acl import acl_file_line, password_sha256
from components.redis.component import EXPORTER_COMMAND_FLAGS

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_EXPORTER = shutil.which("prometheus-redis-exporter") or "/usr/bin/prometheus-redis-exporter"
HOST = "127.0.0.1"
USER = "prometheus"
DEADLINE_S = 20.0  # a process that is not ready by then fails the run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_port(port: int) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {HOST}:{port} after {DEADLINE_S}s")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@contextlib.contextmanager
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """The processes started in the block, each terminated (then killed) by its own handle."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for proc in started:
            proc.terminate()
        for proc in started:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()


def start_redis(started: list[subprocess.Popen[bytes]], directory: Path, password: str) -> int:
    port = free_port()
    acl = directory / f"users-{port}.acl"
    acl.write_text("user default off resetpass -@all\n" + acl_file_line(USER, password_sha256(password), ()) + "\n")
    started.append(
        subprocess.Popen(  # nosec B603
            [
                REDIS_SERVER,
                "--port",
                str(port),
                "--bind",
                HOST,
                "--save",
                "",
                "--dir",
                str(directory),
                "--aclfile",
                str(acl),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    wait_port(port)
    return port


def start_exporter(started: list[subprocess.Popen[bytes]], args: list[str]) -> int:
    port = free_port()
    started.append(
        subprocess.Popen(  # nosec B603
            [REDIS_EXPORTER, f"--web.listen-address={HOST}:{port}", *EXPORTER_COMMAND_FLAGS, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    wait_port(port)
    return port


def get(url: str) -> str:
    # Loopback http URLs this script built itself.
    with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310  # nosec B310
        return str(reply.read().decode())


def rounds(urls: list[str], scrapes: int) -> list[float]:
    """Seconds per round (each URL once); every scrape must report redis_up 1."""
    times = []
    for _ in range(scrapes):
        began = time.perf_counter()
        for url in urls:
            body = get(url)
            if "\nredis_up 1" not in body:
                raise RuntimeError(f"{url}: redis_up is not 1 (the exporter could not log in): {body[-300:]}")
        times.append(time.perf_counter() - began)
    return times


def report(mode: str, pids: list[int], times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    result = {
        "exporters": len(pids),
        "rss_mib": round(sum(rss_kib(pid) for pid in pids) / 1024, 1),
        "round_median_ms": round(statistics.median(ordered) * 1000, 2),
        "round_p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
    }
    print(mode, json.dumps(result))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=4, choices=range(1, 9))
    parser.add_argument("--scrapes", type=int, default=30, choices=range(1, 201))
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="exporter-modes-") as tmp, processes() as started:
        directory = Path(tmp)
        passwords = [f"pw-{n}-" + "x" * 24 for n in range(options.instances)]
        ports = [start_redis(started, directory, pw) for pw in passwords]
        uris = [f"redis://{USER}@{HOST}:{port}" for port in ports]
        pw_file = directory / "passwords.json"
        # the map is keyed by the URI without its user: the exporter strips the user before the lookup
        keys = [uri.replace(f"{USER}@", "") for uri in uris]
        pw_file.write_text(json.dumps(dict(zip(keys, passwords, strict=True))))
        pw_file.chmod(0o400)
        first = len(started)
        port = start_exporter(started, [f"--redis.password-file={pw_file}", f"--redis.user={USER}"])
        urls = [f"http://{HOST}:{port}/scrape?target={urllib.parse.quote(uri, safe='')}" for uri in uris]
        rounds(urls, 3)  # warm up
        report("multi-target", [p.pid for p in started[first:]], rounds(urls, options.scrapes))
        first = len(started)
        urls = []
        for uri, pw in zip(uris, passwords, strict=True):
            single = directory / f"pw-{len(urls)}.json"
            single.write_text(json.dumps({uri.replace(f"{USER}@", ""): pw}))
            args = [
                f"--redis.addr={uri.replace(f'{USER}@', '')}",
                f"--redis.user={USER}",
                f"--redis.password-file={single}",
            ]
            urls.append(f"http://{HOST}:{start_exporter(started, args)}/metrics")
        rounds(urls, 3)
        report("per-instance", [p.pid for p in started[first:]], rounds(urls, options.scrapes))


if __name__ == "__main__":
    main()
