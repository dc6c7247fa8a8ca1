"""The exporter user on a real redis-server: the exporter works, and nothing else is allowed.

The allowed sets are written out here on purpose (not imported from components.redis_acl):
a wrong rule set in the code fails these tests.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis.exceptions import NoPermissionError
from redis_testlib import (
    RedisServer,
    command_table,
    container_commands,
    docs_names,
    dryrun_all,
    new_password,
    parse_metrics,
    raw,
    running_redis,
    start_exporter,
    stop,
    write_commands,
)

from components.redis.component import EXPORTER_COMMAND_FLAGS, exporter_command
from components.redis.provider import RedisAclProvider
from components.redis.settings import RedisSettings

USER = "redis_exporter"

# Always allowed by Redis itself (no-auth connection commands, beyond ACL control).
ALWAYS = {"auth", "hello", "quit", "reset"}
BASE_ALLOWED = ALWAYS | {
    "ping",
    "info",
    "select",
    "client|setname",
    "slowlog|get",
    "slowlog|len",
    "latency|latest",
    "latency|histogram",
}
KEY_COMMANDS = {"scan", "type", "strlen", "llen", "scard", "zcard", "hlen", "xlen", "get", "pfcount"}
# Keyless commands stay allowed whatever key is named; key commands only on matching keys.
CHECK_KEYS_ALLOWED_ON_MATCH = BASE_ALLOWED | KEY_COMMANDS
CHECK_KEYS_ALLOWED_ELSEWHERE = BASE_ALLOWED | {"scan"}

NEVER = {
    "config|get", "config|set", "config|rewrite", "config|resetstat", "client|kill", "client|pause",
    "client|list", "client|no-evict", "slowlog|reset", "latency|reset", "eval", "evalsha",
    "eval_ro", "fcall", "function|load", "script|load", "acl|setuser", "acl|getuser", "acl|log",
    "keys", "monitor", "flushall", "flushdb", "shutdown", "debug", "module|load", "set", "del",
    "save", "bgsave", "replicaof", "migrate", "dump", "memory|usage", "cluster|info",
}  # fmt: skip

CHECK_KEYS = ["app:*", "db1=counters:*"]


def _create(server: RedisServer, password: str, check_keys: list[str] | None = None) -> dict[str, Any]:
    """The project's own code path: the dynamic provider's create."""
    result = RedisAclProvider().create(server.provider_props(USER, password, check_keys or []))
    assert result.outs is not None
    return result.outs


def _denials(server: RedisServer) -> list[Any]:
    return server.acl_log()


def _seed(server: RedisServer) -> None:
    admin = server.admin()
    admin.set("app:number", "42")
    admin.set("app:text", "hello")
    admin.rpush("app:list", "a", "b")
    admin.sadd("app:set", "a", "b", "c")
    admin.zadd("app:zset", {"a": 1})
    admin.hset("app:hash", mapping={"a": "1", "b": "2"})
    admin.xadd("app:stream", {"f": "v"})
    admin.pfadd("app:hll", "a", "b", "c", "d")
    admin.set("private:secret", "top-secret-value")
    admin.select(1)
    admin.set("counters:orders", "7")
    admin.select(0)


def test_exporter_reports_usual_metrics_without_any_acl_denial(redis_server: RedisServer, tmp_path: Path) -> None:
    password = new_password()
    outs = _create(redis_server, password)
    assert outs["persisted"] is True
    _seed(redis_server)
    raw(redis_server.admin(), "ACL", "LOG", "RESET")
    exporter = start_exporter(tmp_path / "exporter", redis_server.port, USER, password, ["--ping-on-connect"])
    try:
        exporter.scrape()
        metrics = parse_metrics(exporter.scrape())
        assert metrics["redis_up"] == 1
        assert metrics['redis_exporter_last_scrape_error{err=""}'] == 0
        assert metrics["redis_memory_used_bytes"] > 0
        assert metrics["redis_connected_clients"] >= 1
        assert metrics["redis_commands_processed_total"] > 0
        assert metrics['redis_db_keys{db="db0"}'] == 9
        assert metrics['redis_db_keys{db="db1"}'] == 1
        assert "redis_slowlog_length" in metrics  # SLOWLOG LEN
        assert "redis_slowlog_last_id" in metrics  # SLOWLOG GET 1
        assert "redis_memory_max_bytes" in metrics  # INFO memory's maxmemory, not CONFIG GET
        assert not any(k.startswith("redis_config_") for k in metrics)  # --config-command=-: no CONFIG GET *
        assert "redis_exporter_last_scrape_ping_time_seconds" in metrics  # PING
        assert any(k.startswith('redis_commands_total{cmd="info"}') for k in metrics)  # commandstats
        assert any(k.startswith("redis_latency_percentiles_usec{") for k in metrics)  # latencystats
        assert not any(k.startswith("redis_key_size") for k in metrics)
        assert 'redis_commands_total{cmd="client|setname"}' in metrics  # CLIENT SETNAME ran
        assert not any('cmd="config|get"' in k for k in metrics)
        assert _denials(redis_server) == []
        log = exporter.log.read_text()
        errors = [line for line in log.splitlines() if "level=error" in line and "Loaded 1 entries" not in line]
        assert "NOPERM" not in log and errors == []
    finally:
        stop(exporter.proc)


def test_exporter_key_checks_with_check_keys_rules(redis_server: RedisServer, tmp_path: Path) -> None:
    password = new_password()
    _create(redis_server, password, CHECK_KEYS)
    _seed(redis_server)
    raw(redis_server.admin(), "ACL", "LOG", "RESET")
    extra = ["--check-keys=app:*,db1=counters:*", "--count-keys=db0=app:*"]
    exporter = start_exporter(tmp_path / "exporter", redis_server.port, USER, password, extra)
    try:
        metrics = parse_metrics(exporter.scrape())
        assert metrics["redis_up"] == 1
        sizes = {
            "app:number": 2, "app:text": 5, "app:list": 2, "app:set": 3, "app:zset": 1,
            "app:hash": 2, "app:stream": 1,
        }  # fmt: skip
        for key, size in sizes.items():
            assert metrics[f'redis_key_size{{db="db0",key="{key}"}}'] == size, key
        assert 'redis_key_size{db="db0",key="app:hll"}' in metrics
        assert metrics['redis_key_size{db="db1",key="counters:orders"}'] == 1
        assert metrics['redis_key_value{db="db0",key="app:number"}'] == 42  # GET
        assert metrics['redis_key_value{db="db1",key="counters:orders"}'] == 7
        assert metrics['redis_keys_count{db="db0",key="app:*"}'] == 8
        assert not any("private:secret" in k for k in metrics)
        assert _denials(redis_server) == []
        assert "NOPERM" not in exporter.log.read_text()
    finally:
        stop(exporter.proc)


def test_exporter_command_line_and_environment_hold_no_password(redis_server: RedisServer, tmp_path: Path) -> None:
    password = new_password()
    _create(redis_server, password)
    exporter = start_exporter(tmp_path / "exporter", redis_server.port, USER, password)
    try:
        pid = exporter.proc.pid
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        assert password.encode() not in cmdline
        assert password.encode() not in environ
        assert b"--redis.password-file=" in cmdline
        assert password not in exporter.log.read_text()
        assert oct(os.stat(exporter.password_file).st_mode & 0o777) == "0o600"
        assert json.loads(exporter.password_file.read_text()) == {f"redis://127.0.0.1:{redis_server.port}": password}
    finally:
        stop(exporter.proc)


def test_password_file_does_not_send_the_password_to_other_scrape_targets(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """/scrape?target= reuses --redis.password for ANY target; the password file is per URI."""
    import socket
    import threading

    password = new_password()
    _create(redis_server, password)
    received: list[bytes] = []
    trap = socket.socket()
    trap.bind(("127.0.0.1", 0))
    trap.listen(4)
    trap.settimeout(10)
    trap_port = trap.getsockname()[1]

    def accept() -> None:
        try:
            conn, _ = trap.accept()
            conn.settimeout(3)
            received.append(conn.recv(4096))
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    exporter = start_exporter(tmp_path / "exporter", redis_server.port, USER, password)
    try:
        body = exporter.scrape(f"http://127.0.0.1:{exporter.port}/scrape?target=redis://127.0.0.1:{trap_port}")
        assert parse_metrics(body)["redis_up"] == 0
        thread.join(10)
        assert received, "the exporter did not contact the probe target"
        assert password.encode() not in b"".join(received)
        assert b"AUTH" not in b"".join(received)
    finally:
        stop(exporter.proc)
        trap.close()


def test_command_list_docs_and_info_agree(redis_server: RedisServer) -> None:
    admin = redis_server.admin()
    table = command_table(admin)
    listed = {str(n).lower() for n in raw(admin, "COMMAND", "LIST")}  # 7.0 lists subcommands too
    assert set(table) | container_commands(admin) == listed
    assert docs_names(admin) == set(table)


def _dryrun(server: RedisServer, key: str, record: Any, label: str) -> set[str]:
    allowed, denied = dryrun_all(server.admin(), USER, key)
    total = len(allowed) + len(denied)
    print(f"ACL DRYRUN {label}: {len(allowed)} allowed / {len(denied)} denied of {total} commands+subcommands")
    record(f"dryrun_{label}", f"{len(allowed)}/{len(denied)}/{total}")
    return allowed


def test_dryrun_allows_exactly_the_base_set(redis_server: RedisServer, record_property: Any) -> None:
    _create(redis_server, new_password())
    allowed = _dryrun(redis_server, "app:1", record_property, "base")
    assert allowed == BASE_ALLOWED
    assert not allowed & write_commands(redis_server.admin())
    assert not allowed & NEVER


def test_dryrun_with_check_keys_allows_key_reads_only_on_matching_keys(
    redis_server: RedisServer, record_property: Any
) -> None:
    _create(redis_server, new_password(), CHECK_KEYS)
    on_match = _dryrun(redis_server, "app:1", record_property, "check_keys_matching_key")
    assert on_match == CHECK_KEYS_ALLOWED_ON_MATCH
    assert _dryrun(redis_server, "counters:x", record_property, "check_keys_db_prefixed_key") == on_match
    elsewhere = _dryrun(redis_server, "private:secret", record_property, "check_keys_other_key")
    assert elsewhere == CHECK_KEYS_ALLOWED_ELSEWHERE
    writes = write_commands(redis_server.admin())
    assert not on_match & writes and not elsewhere & writes
    assert not (on_match | elsewhere) & NEVER


def test_pfcount_is_flagged_read_only_but_needs_the_selector(redis_server: RedisServer) -> None:
    """Why pfcount sits in a selector: its key spec is RW, which %R~ refuses."""
    admin = redis_server.admin()
    entry = command_table(admin)["pfcount"]
    assert "readonly" in [str(f) for f in entry[2]]
    assert "RW" in str(entry[8])
    _create(redis_server, new_password(), CHECK_KEYS)
    assert raw(admin, "ACL", "DRYRUN", USER, "pfcount", "app:hll") == "OK"
    assert "no permissions" in str(raw(admin, "ACL", "DRYRUN", USER, "pfcount", "private:x"))
    assert "no permissions" in str(raw(admin, "ACL", "DRYRUN", USER, "pfadd", "app:hll", "x"))
    assert "no permissions" in str(raw(admin, "ACL", "DRYRUN", USER, "pfmerge", "app:hll", "app:hll"))


@pytest.mark.parametrize("check_keys", [[], CHECK_KEYS], ids=["base", "check_keys"])
def test_the_user_really_cannot_write_or_read_other_keys(redis_server: RedisServer, check_keys: list[str]) -> None:
    password = new_password()
    _create(redis_server, password, check_keys)
    _seed(redis_server)
    user = redis_server.connect(USER, password)
    for command in (
        ("SET", "app:number", "1"), ("DEL", "app:number"), ("GET", "private:secret"),
        ("CONFIG", "SET", "maxmemory", "1"), ("CLIENT", "KILL", "ID", "1"), ("SLOWLOG", "RESET"),
        ("LATENCY", "RESET"), ("EVAL", "return 1", "0"), ("FLUSHALL",), ("KEYS", "*"),
        ("ACL", "LIST"), ("PFADD", "app:hll", "z"), ("CONFIG", "REWRITE"), ("CLIENT", "LIST"),
    ):  # fmt: skip
        reply = raw(user, *command)
        assert isinstance(reply, NoPermissionError), (command, reply)
    assert redis_server.admin().get("app:number") == "42"
    if check_keys:
        assert raw(user, "GET", "app:number") == "42"
        assert raw(user, "PFCOUNT", "app:hll") == 4
    else:
        assert isinstance(raw(user, "GET", "app:number"), NoPermissionError)


# Issue 11, finding 10: a Redis that keeps `requirepass`/`masterauth` must not hand them to
# whoever holds the exporter's password. Redis ACLs cannot limit CONFIG GET to some parameters,
# so the user has no CONFIG GET at all and the exporter runs without it (`--config-command=-`).
REQUIREPASS = "requirepass-" + new_password()
MASTERAUTH = "masterauth-" + new_password()
CONFIG_GETS = (
    ("requirepass",), ("masterauth",), ("*",), ("*pass*",), ("*auth*",), ("maxmemory",), ("databases",),
    ("maxclients",), ("requirepass", "masterauth"),
)  # fmt: skip


@pytest.fixture
def redis_with_passwords(tmp_path: Path) -> Iterator[RedisServer]:
    """A real redis-server that holds both admin passwords in its configuration."""
    args = ["--requirepass", REQUIREPASS, "--masterauth", MASTERAUTH]
    with running_redis(tmp_path / "redis-passwords", extra_args=args) as server:
        yield server


@pytest.mark.parametrize("check_keys", [[], CHECK_KEYS], ids=["base", "check_keys"])
def test_the_exporter_user_cannot_read_the_redis_passwords(
    redis_with_passwords: RedisServer, tmp_path: Path, check_keys: list[str]
) -> None:
    server = redis_with_passwords
    admin = server.admin()
    # The secrets are there to be leaked: an admin reads them back in clear text.
    assert admin.config_get("requirepass") == {"requirepass": REQUIREPASS}
    assert admin.config_get("masterauth") == {"masterauth": MASTERAUTH}
    password = new_password()
    _create(server, password, check_keys)
    _seed(server)
    user = server.connect(USER, password)
    for args in CONFIG_GETS:
        reply = raw(user, "CONFIG", "GET", *args)
        assert isinstance(reply, NoPermissionError), (args, reply)
        assert "no permissions" in str(raw(admin, "ACL", "DRYRUN", USER, "config", "get", *args)), args
    raw(admin, "ACL", "LOG", "RESET")
    raw(admin, "CONFIG", "RESETSTAT")  # commandstats from here on are the exporter's (and INFO's)
    extra = ["--check-keys=app:*,db1=counters:*"] if check_keys else []
    exporter = start_exporter(tmp_path / "exporter", server.port, USER, password, ["--ping-on-connect", *extra])
    try:
        exporter.scrape()
        text = exporter.scrape()
        metrics = parse_metrics(text)
        assert metrics["redis_up"] == 1
        assert metrics["redis_memory_used_bytes"] > 0  # INFO memory
        assert "redis_memory_max_bytes" in metrics  # INFO's maxmemory (the memory-ratio rule's denominator)
        assert metrics['redis_db_keys{db="db0"}'] == 9  # INFO keyspace
        assert not any(k.startswith("redis_config_") for k in metrics)  # no CONFIG GET sent
        assert not any('cmd="config|get"' in k for k in metrics)  # not even a refused attempt
        if check_keys:
            assert metrics['redis_key_value{db="db0",key="app:number"}'] == 42
        assert _denials(server) == [], "the exporter asked for something its user may not do"
        for secret in (REQUIREPASS, MASTERAUTH):
            assert secret not in text and secret not in exporter.log.read_text()
    finally:
        stop(exporter.proc)


def test_the_deployed_exporter_never_sends_config() -> None:
    """The flag is in the deployed command line: v1.74 skips CONFIG GET with `-`."""
    redis = RedisSettings("redis:6379", False, None, "admin", None, USER, (), "RTS")
    command = exporter_command([redis])
    assert "--config-command=-" in command
    assert "--config-command=-" in EXPORTER_COMMAND_FLAGS
