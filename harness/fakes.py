"""Stand-ins the acceptance suite runs in extra namespaces on the backend network.

    python fakes.py webhook --port 4000 --out received.jsonl
        an Alertmanager webhook receiver: every POST body is appended as one JSON line
    python fakes.py instance-manager --port 9400 [--state DIR]
    python fakes.py trade-engine --port 9401
        plain-HTTP scrape targets for the stacks that are not the dev demo (the shared stack scrapes
        the trading simulator): the egress test's LAN hosts and the multi-host suite's backends.
        They expose the metrics contract (docs/metrics-contract.md); the Instance
        Manager reports one failed managed instance, so InstanceManagerInstancesFailed fires
        (the suite sets instanceManagerFailedInstancesFor to 0s). With --state, a file
        DIR/memory_ratio (read on every scrape) sets its resident memory as that share of its
        limit: a test makes InstanceManagerMemoryHigh fire when it chooses.
    python fakes.py receivers --port 8443 --tls DIR --out requests.jsonl
        HTTPS stand-in for PagerDuty Events v2, Slack incoming webhooks and Opsgenie's Alert API
        (told apart by the Host header): every request is appended as one JSON line, with the
        credential it carried, and answered as the real service answers success
    python fakes.py smtp --port 587 --tls DIR --credentials FILE --out mails.jsonl
        an SMTP server that offers AUTH only after STARTTLS and accepts mail only after AUTH with
        the user and password in FILE; every accepted message is appended as one JSON line

Plain standard library: these run on the host's filesystem inside a network namespace.
"""

from __future__ import annotations

import argparse
import base64
import json
import socketserver
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STARTED = time.time()


MEMORY_LIMIT = 1073741824
STATE_DIR = ""  # --state: what a test changes while the fake runs


def _resident_memory() -> int:
    try:
        with open(f"{STATE_DIR}/memory_ratio") as handle:
            return int(float(handle.read().strip()) * MEMORY_LIMIT)
    except (OSError, ValueError):
        return 104857600


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
            f"instance_manager_memory_limit_bytes {MEMORY_LIMIT}\n",
            "# TYPE process_cpu_seconds_total counter\n",
            f"process_cpu_seconds_total {uptime * 0.01:.3f}\n",
            "# TYPE process_resident_memory_bytes gauge\n",
            f"process_resident_memory_bytes {_resident_memory() if STATE_DIR else 104857600}\n",
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


def tls_context(tls_dir: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(f"{tls_dir}/server.crt", f"{tls_dir}/server.key")
    return context


def serve_receivers(port: int, tls_dir: str, out: str) -> None:
    lock = threading.Lock()
    # What each real service answers on success (Alertmanager checks the status, Slack's body too).
    answers = {
        "pagerduty-standin": (202, "application/json", b'{"status":"success","message":"Event processed"}'),
        "opsgenie-standin": (202, "application/json", b'{"result":"Request will be processed","requestId":"standin"}'),
        "slack-standin": (200, "text/plain", b"ok"),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 10 * 1024 * 1024))
            host = (self.headers.get("Host") or "").split(":", 1)[0]
            try:
                payload = json.loads(body)
            except ValueError:
                payload = {"unparsed": body.decode(errors="replace")}
            record = {
                "host": host,
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "received": time.time(),
                "payload": payload,
            }
            with lock, open(out, "a") as handle:
                handle.write(json.dumps(record) + "\n")
            status, content_type, answer = answers.get(host, (404, "text/plain", b"unknown service"))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            # The request line only: a Slack webhook URL's path is its credential, so it is never printed.
            sys.stderr.write(f"receivers: {self.command} for {self.headers.get('Host')}\n")

    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.socket = tls_context(tls_dir).wrap_socket(server.socket, server_side=True)
    server.serve_forever()


def serve_smtp(port: int, tls_dir: str, credentials_file: str, out: str) -> None:
    with open(credentials_file) as handle:
        credentials = json.load(handle)
    context = tls_context(tls_dir)
    lock = threading.Lock()

    class Session(socketserver.StreamRequestHandler):
        def setup(self) -> None:
            super().setup()
            self.tls = False
            self.user: str | None = None
            self.envelope: dict[str, object] = {}

        def reply(self, text: str) -> None:
            self.wfile.write(text.encode() + b"\r\n")
            self.wfile.flush()

        def line(self) -> str:
            return self.rfile.readline(65536).decode(errors="replace").rstrip("\r\n")

        def ehlo(self) -> None:
            offers = ["250-smtp-standin", "250-8BITMIME"]
            offers.append("250 AUTH PLAIN LOGIN" if self.tls else "250 STARTTLS")
            self.reply("\r\n".join(offers))

        def starttls(self) -> None:
            self.reply("220 2.0.0 ready to start TLS")
            self.connection = context.wrap_socket(self.connection, server_side=True)
            self.rfile = self.connection.makefile("rb")
            self.wfile = self.connection.makefile("wb")
            self.tls = True

        def auth(self, argument: str) -> None:
            mechanism, _, initial = argument.partition(" ")
            if mechanism.upper() == "PLAIN":
                if not initial:
                    self.reply("334 ")
                    initial = self.line()
                _, user, password = base64.b64decode(initial).decode().split("\0")
            elif mechanism.upper() == "LOGIN":
                self.reply("334 VXNlcm5hbWU6")
                user = base64.b64decode(self.line()).decode()
                self.reply("334 UGFzc3dvcmQ6")
                password = base64.b64decode(self.line()).decode()
            else:
                self.reply("504 5.5.4 unrecognized authentication type")
                return
            if user == credentials["user"] and password == credentials["password"]:
                self.user = user
                self.reply("235 2.7.0 authentication successful")
            else:
                self.reply("535 5.7.8 authentication credentials invalid")

        def data(self) -> None:
            self.reply("354 end data with <CR><LF>.<CR><LF>")
            lines = []
            while (text := self.line()) != ".":
                lines.append(text[1:] if text.startswith("..") else text)
            record = {**self.envelope, "user": self.user, "tls": self.tls, "received": time.time()}
            record["data"] = "\n".join(lines) + "\n"
            with lock, open(out, "a") as handle:
                handle.write(json.dumps(record) + "\n")
            self.envelope = {}
            self.reply("250 2.0.0 queued")

        def handle(self) -> None:
            self.reply("220 smtp-standin ESMTP promshield acceptance")
            while True:
                text = self.line()
                if not text:
                    return
                verb, _, argument = text.partition(" ")
                verb = verb.upper()
                if verb in ("EHLO", "HELO"):
                    self.ehlo()
                elif verb == "STARTTLS" and not self.tls:
                    self.starttls()
                elif verb == "AUTH":
                    if self.tls:
                        self.auth(argument)
                    else:
                        self.reply("538 5.7.11 encryption required for requested authentication mechanism")
                elif verb == "MAIL":
                    if self.user is None:
                        self.reply("530 5.7.0 authentication required")
                        continue
                    self.envelope = {"mail_from": argument.split(":", 1)[1].strip(), "rcpt_to": []}
                    self.reply("250 2.1.0 ok")
                elif verb == "RCPT" and self.envelope:
                    self.envelope["rcpt_to"].append(argument.split(":", 1)[1].strip())  # type: ignore[attr-defined]
                    self.reply("250 2.1.5 ok")
                elif verb == "DATA" and self.envelope:
                    self.data()
                elif verb in ("RSET", "NOOP"):
                    self.envelope = {} if verb == "RSET" else self.envelope
                    self.reply("250 2.0.0 ok")
                elif verb == "QUIT":
                    self.reply("221 2.0.0 bye")
                    return
                else:
                    self.reply("503 5.5.1 bad sequence of commands")

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    Server(("0.0.0.0", port), Session).serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["webhook", "instance-manager", "trade-engine", "receivers", "smtp"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out")
    parser.add_argument("--tls")
    parser.add_argument("--credentials")
    parser.add_argument("--state")
    args = parser.parse_args()
    if args.kind == "receivers":
        serve_receivers(args.port, args.tls, args.out)
    elif args.kind == "smtp":
        serve_smtp(args.port, args.tls, args.credentials, args.out)
    elif args.kind == "webhook":
        serve_webhook(args.port, args.out)
    elif args.kind == "instance-manager":
        global STATE_DIR
        STATE_DIR = args.state or ""
        serve_metrics(args.port, instance_manager_metrics)
    else:
        serve_metrics(args.port, trade_engine_metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
