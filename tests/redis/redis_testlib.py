"""Real redis-server and prometheus-redis-exporter processes for the Redis ACL tests."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from components.redis.acl import password_sha256
from components.redis.component import EXPORTER_COMMAND_FLAGS
from components.redis.render import render_users_acl

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_EXPORTER = shutil.which("prometheus-redis-exporter") or "/usr/bin/prometheus-redis-exporter"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
BWRAP = shutil.which("bwrap")
SETPRIV = shutil.which("setpriv")
LOOPBACK = "127.0.0.1"
START_TIMEOUT = 15.0
ADMIN_USER = "admin"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def new_password() -> str:
    return secrets.token_urlsafe(24)


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    """Terminate a process we started (by its own handle), then kill it if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def wait_until(check: Callable[[], bool], what: str, proc: subprocess.Popen[bytes], log: Path | None) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = log.read_text(errors="replace") if log and log.exists() else ""
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{text}")
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not become ready in {START_TIMEOUT}s")


def client(port: int, username: str | None, password: str | None, **kwargs: Any) -> redis.Redis:
    return redis.Redis(
        host=kwargs.pop("host", LOOPBACK),
        port=port,
        username=username,
        password=password,
        decode_responses=True,
        protocol=2,
        socket_timeout=10,
        retry=Retry(NoBackoff(), 0),  # a refused login must fail at once, not after backoff
        **kwargs,
    )


def raw(conn: redis.Redis, *args: Any) -> Any:
    """One command with no redis-py reply parsing; a Redis error is returned, not raised."""
    connection = conn.connection_pool.get_connection()
    try:
        connection.send_command(*args)
        try:
            return connection.read_response()
        except redis.ResponseError as err:
            return err
    finally:
        conn.connection_pool.release(connection)


@dataclass
class Pki:
    """A throwaway CA and a server certificate for 127.0.0.1 (openssl CLI)."""

    directory: Path

    @property
    def ca(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def cert(self) -> Path:
        return self.directory / "server.crt"

    @property
    def key(self) -> Path:
        return self.directory / "server.key"

    def ca_pem(self) -> str:
        return self.ca.read_text()


def make_pki(directory: Path, name: str = "pki") -> Pki:
    pki = Pki(directory / name)
    pki.directory.mkdir(parents=True, exist_ok=True)
    d = pki.directory

    def run(*args: str) -> None:
        subprocess.run([OPENSSL, *args], check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    run("req", "-x509", *ec, "-keyout", str(d / "ca.key"), "-out", str(pki.ca), "-days", "2", "-subj", f"/CN={name}-ca")
    run("req", *ec, "-keyout", str(pki.key), "-out", str(d / "server.csr"), "-subj", "/CN=redis")
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    run(
        "x509", "-req", "-in", str(d / "server.csr"), "-CA", str(pki.ca), "-CAkey", str(d / "ca.key"),
        "-CAcreateserial", "-out", str(pki.cert), "-days", "2", "-extfile", str(d / "server.ext"),
    )  # fmt: skip
    return pki


@dataclass
class RedisServer:
    """A redis-server on loopback: default user off, an admin user with a random password."""

    directory: Path
    port: int
    admin_password: str
    aclfile: Path | None
    tls: Pki | None = None
    proc: subprocess.Popen[bytes] | None = None
    extra_args: Sequence[str] = ()
    command: list[str] = field(default_factory=list)

    host: str = LOOPBACK
    admin_user: str = ADMIN_USER

    @property
    def log(self) -> Path:
        return self.directory / "redis.log"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def connect(self, username: str | None, password: str | None) -> redis.Redis:
        if self.tls is not None:
            return client(self.port, username, password, ssl=True, ssl_ca_certs=str(self.tls.ca))
        return client(self.port, username, password)

    def admin(self) -> redis.Redis:
        return self.connect(self.admin_user, self.admin_password)

    def acl_log(self) -> list[Any]:
        reply = raw(self.admin(), "ACL", "LOG")
        assert isinstance(reply, list), reply
        return reply

    def provider_props(self, username: str, password: str, check_keys: Sequence[str] = ()) -> dict[str, Any]:
        props: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "admin_username": self.admin_user,
            "admin_password": self.admin_password,
            "tls": self.tls is not None,
            "username": username,
            "password": password,
            "check_keys": list(check_keys),
        }
        if self.tls is not None:
            props["tls_ca_pem"] = self.tls.ca_pem()
        return props

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            self.command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, cwd=self.directory
        )
        wait_until(lambda: bool(self.admin().ping()), f"redis-server on {self.address}", self.proc, self.log)
        return self

    def stop(self) -> None:
        stop(self.proc)
        self.proc = None

    def restart(self) -> RedisServer:
        self.stop()
        return self.start()


def redis_conf(directory: Path, port: int, aclfile: Path | None, tls: Pki | None, admin_password: str) -> str:
    lines = [
        f"bind {LOOPBACK}",
        "protected-mode yes",
        f"dir {directory}",
        f"logfile {directory / 'redis.log'}",
        "daemonize no",
        'save ""',
        "appendonly no",
    ]
    if tls is None:
        lines.append(f"port {port}")
    else:
        lines += [
            "port 0",
            f"tls-port {port}",
            f"tls-cert-file {tls.cert}",
            f"tls-key-file {tls.key}",
            f"tls-ca-cert-file {tls.ca}",
            "tls-auth-clients no",
        ]
    if aclfile is not None:
        lines.append(f"aclfile {aclfile}")
    else:
        # No ACL file: the same users, declared in redis.conf (ACL SAVE is then refused).
        lines += [
            "user default off resetpass resetkeys resetchannels -@all",
            f"user {ADMIN_USER} on #{password_sha256(admin_password)} ~* &* +@all",
        ]
    return "\n".join(lines) + "\n"


def start_redis(
    directory: Path, *, use_aclfile: bool = True, tls: Pki | None = None, extra_args: Sequence[str] = ()
) -> RedisServer:
    """`extra_args` follow the config file on the command line (e.g. `--requirepass x`)."""
    directory.mkdir(parents=True, exist_ok=True)
    admin_password = new_password()
    aclfile = directory / "users.acl" if use_aclfile else None
    if aclfile is not None:
        # The project's own renderer writes the ACL file (default user off, admin by hash).
        aclfile.write_text(render_users_acl(ADMIN_USER, password_sha256(admin_password)))
        aclfile.chmod(0o600)
    port = free_port()
    conf = directory / "redis.conf"
    conf.write_text(redis_conf(directory, port, aclfile, tls, admin_password))
    command = [REDIS_SERVER, str(conf), *extra_args]
    server = RedisServer(directory, port, admin_password, aclfile, tls, extra_args=extra_args, command=command)
    return server.start()


@contextlib.contextmanager
def running_redis(directory: Path, **kwargs: Any) -> Iterator[RedisServer]:
    server: RedisServer | None = None
    try:
        server = start_redis(directory, **kwargs)
        yield server
    finally:
        if server is not None:
            server.stop()


@dataclass
class Exporter:
    """Debian's prometheus-redis-exporter, password from a 0600 password file."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    password_file: Path

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/metrics"

    def scrape(self, url: str | None = None) -> str:
        with urllib.request.urlopen(url or self.url, timeout=20) as response:  # noqa: S310 - loopback
            body: bytes = response.read()
            return body.decode()


def start_exporter(directory: Path, redis_port: int, user: str, password: str, extra: Sequence[str] = ()) -> Exporter:
    """The exporter with the project's own command flags (`EXPORTER_COMMAND_FLAGS`: which Redis
    commands it sends, so the ACL user is tested against what the deployed exporter does)."""
    directory.mkdir(parents=True, exist_ok=True)
    redis_uri = f"redis://{LOOPBACK}:{redis_port}"
    password_file = directory / "redis-password.json"
    # 1.45's --redis.password-file is a JSON map of Redis URI -> password (not a bare password).
    fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({redis_uri: password}, handle)
    port = free_port()
    log = directory / "exporter.log"
    command = [
        REDIS_EXPORTER,
        f"--redis.addr={redis_uri}",
        f"--redis.user={user}",
        f"--redis.password-file={password_file}",
        f"--web.listen-address={LOOPBACK}:{port}",
        *EXPORTER_COMMAND_FLAGS,
        *extra,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDIS")}
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    exporter = Exporter(proc, port, log, password_file)
    try:
        wait_until(lambda: "redis_up" in exporter.scrape(), "prometheus-redis-exporter", proc, log)
    except BaseException:
        stop(proc)
        raise
    return exporter


def parse_metrics(text: str) -> dict[str, float]:
    """`name{labels}` -> value for every sample line."""
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        samples[name] = float(value)
    return samples


def command_table(admin: redis.Redis) -> dict[str, list[Any]]:
    """Every runnable command name (plain commands and subcommands) -> its COMMAND INFO entry."""
    entries = raw(admin, "COMMAND", "INFO")
    table: dict[str, list[Any]] = {}
    for entry in entries:
        subcommands = entry[9] if len(entry) > 9 else []
        if subcommands:
            for sub in subcommands:
                table[str(sub[0]).lower()] = sub
        else:
            table[str(entry[0]).lower()] = entry
    return table


def container_commands(admin: redis.Redis) -> set[str]:
    return {str(e[0]).lower() for e in raw(admin, "COMMAND", "INFO") if len(e) > 9 and e[9]}


def docs_names(admin: redis.Redis) -> set[str]:
    """The same names from COMMAND DOCS (a flat name, doc, name, doc... reply)."""
    reply = raw(admin, "COMMAND", "DOCS")
    names: set[str] = set()
    for i in range(0, len(reply), 2):
        doc = reply[i + 1]
        fields = {str(doc[j]): doc[j + 1] for j in range(0, len(doc) - 1, 2)}
        subs = fields.get("subcommands")
        if subs:
            names |= {str(subs[j]).lower() for j in range(0, len(subs), 2)}
        else:
            names.add(str(reply[i]).lower())
    return names


def dryrun_args(name: str, arity: int, key: str) -> list[str]:
    """Arguments that satisfy a command's arity, every free argument being `key`."""
    parts = name.split("|")
    needed = arity if arity > 0 else -arity
    return parts + [key] * max(0, needed - len(parts))


def dryrun_all(admin: redis.Redis, username: str, key: str) -> tuple[set[str], set[str]]:
    """ACL DRYRUN every command and subcommand: (allowed, denied). Anything else fails."""
    allowed: set[str] = set()
    denied: set[str] = set()
    for name, entry in sorted(command_table(admin).items()):
        reply = raw(admin, "ACL", "DRYRUN", username, *dryrun_args(name, int(entry[1]), key))
        if reply == "OK":
            allowed.add(name)
        elif "no permissions" in str(reply):
            denied.add(name)
        else:
            raise AssertionError(f"ACL DRYRUN {username} {name}: unexpected reply {reply!r}")
    return allowed, denied


def write_commands(admin: redis.Redis) -> set[str]:
    """Commands Redis flags `write` or files under @write."""
    return {
        name
        for name, entry in command_table(admin).items()
        if "write" in [str(f) for f in entry[2]] or "@write" in [str(c) for c in entry[6]]
    }


def bwrap_available() -> bool:
    return BWRAP is not None and SETPRIV is not None and os.geteuid() == 0


def as_user(uid: int, gid: int, command: Sequence[str]) -> list[str]:
    """Run `command` as uid:gid with no capabilities (inside the sandbox)."""
    assert SETPRIV is not None
    return [SETPRIV, f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--inh-caps=-all", *command]


def bwrap_command(files: dict[str, Path], data_dir: Path, inner: Sequence[str], *, unshare_net: bool) -> list[str]:
    """bwrap argv of a container view: read-only root (/usr from the host), the given files
    read-only at their container paths, `data_dir` writable at /data, own pid namespace."""
    assert BWRAP is not None
    args = [
        BWRAP,
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64",
        "--symlink", "usr/bin", "/bin",
        "--symlink", "usr/sbin", "/sbin",
        "--proc", "/proc",
        "--dev", "/dev",
        "--bind", str(data_dir), "/data",
        "--unshare-pid",
        "--unshare-ipc",
        "--die-with-parent",
    ]  # fmt: skip
    for container_path, host_path in files.items():
        args += ["--dir", str(Path(container_path).parent), "--ro-bind", str(host_path), container_path]
    args += ["--remount-ro", "/"]
    if unshare_net:
        args += ["--unshare-net", "--cap-add", "CAP_NET_ADMIN,CAP_SETUID,CAP_SETGID"]
    else:
        args += ["--cap-add", "CAP_SETUID,CAP_SETGID"]
    return [*args, *inner]
