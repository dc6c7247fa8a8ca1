"""Stand-ins the acceptance suite runs in extra namespaces on the backend network.

    python fakes.py webhook --port 4000 --out received.jsonl
        an Alertmanager webhook receiver: every POST body is appended as one JSON line
    python fakes.py instance-manager --port 9400
    python fakes.py trade-engine --port 9401
        scrape targets exposing the metrics contract (docs/metrics-contract.md); the Instance
        Manager reports one failed managed instance, so InstanceManagerInstancesFailed fires
        (the suite sets instanceManagerFailedInstancesFor to 0s).

Plain standard library: these run on the host's filesystem inside a network namespace.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STARTED = time.time()


def instance_manager_metrics() -> str:
    uptime = time.time() - STARTED
    return "".join(
        [
            "# TYPE instance_manager_instances gauge\n",
            'instance_manager_instances{state="running"} 3\n',
            'instance_manager_instances{state="starting"} 0\n',
            'instance_manager_instances{state="stopped"} 0\n',
            'instance_manager_instances{state="failed"} 1\n',
            "# TYPE instance_manager_instance_restarts_total counter\n",
            "instance_manager_instance_restarts_total 0\n",
            "# TYPE instance_manager_cpu_limit_cores gauge\n",
            "instance_manager_cpu_limit_cores 2\n",
            "# TYPE instance_manager_memory_limit_bytes gauge\n",
            "instance_manager_memory_limit_bytes 1073741824\n",
            "# TYPE process_cpu_seconds_total counter\n",
            f"process_cpu_seconds_total {uptime * 0.01:.3f}\n",
            "# TYPE process_resident_memory_bytes gauge\n",
            "process_resident_memory_bytes 104857600\n",
            "# TYPE process_start_time_seconds gauge\n",
            f"process_start_time_seconds {STARTED:.3f}\n",
        ]
    )


def trade_engine_metrics() -> str:
    executed = int((time.time() - STARTED) * 10)
    lines = [
        "# TYPE trades_executed_total counter\n",
        f'trades_executed_total{{venue="xtest"}} {executed}\n',
        "# TYPE trades_failed_total counter\n",
        'trades_failed_total{venue="xtest",reason="rejected"} 0\n',
        "# TYPE trade_execution_latency_seconds histogram\n",
    ]
    for bucket in ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "+Inf"):
        lines.append(f'trade_execution_latency_seconds_bucket{{venue="xtest",le="{bucket}"}} {executed}\n')
    lines += [
        f'trade_execution_latency_seconds_sum{{venue="xtest"}} {executed * 0.004:.3f}\n',
        f'trade_execution_latency_seconds_count{{venue="xtest"}} {executed}\n',
        "# TYPE trade_slippage_ratio histogram\n",
        f'trade_slippage_ratio_bucket{{venue="xtest",le="+Inf"}} {executed}\n',
        f'trade_slippage_ratio_sum{{venue="xtest"}} {executed * 0.0001:.4f}\n',
        f'trade_slippage_ratio_count{{venue="xtest"}} {executed}\n',
    ]
    return "".join(lines)


def serve_metrics(port: int, render: type | object) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != "/metrics":
                self.send_error(404)
                return
            body = render().encode()  # type: ignore[operator]
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()


def serve_webhook(port: int, out: str) -> None:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 10 * 1024 * 1024))
            try:
                payload = json.loads(body)
            except ValueError:
                payload = {"unparsed": body.decode(errors="replace")}
            record = {"path": self.path, "received": time.time(), "payload": payload}
            with lock, open(out, "a") as handle:
                handle.write(json.dumps(record) + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write("webhook: " + (format % args) + "\n")

    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["webhook", "instance-manager", "trade-engine"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.kind == "webhook":
        serve_webhook(args.port, args.out)
    elif args.kind == "instance-manager":
        serve_metrics(args.port, instance_manager_metrics)
    else:
        serve_metrics(args.port, trade_engine_metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
