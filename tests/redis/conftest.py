"""Fixtures for the Redis ACL tests: a real redis-server per test, killed in `finally`.

Each server listens on a free loopback port, keeps its files in the test's tmp dir and reads
an ACL file rendered by the project's code: the `default` user off, an `admin` user whose
random password is stored as a SHA-256 hash.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# The project's modules and this directory's helpers must import in any pytest import mode.
for path in (str(ROOT), str(HERE)):
    if path not in sys.path:
        sys.path.insert(0, path)

from redis_testlib import (  # noqa: E402
    REDIS_EXPORTER,
    REDIS_SERVER,
    Pki,
    RedisServer,
    make_pki,
    running_redis,
)


@pytest.fixture(scope="session", autouse=True)
def _binaries() -> None:
    for binary in (REDIS_SERVER, REDIS_EXPORTER):
        if not Path(binary).is_file():
            pytest.fail(f"{binary} is missing: `make test` installs redis-server and prometheus-redis-exporter")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """redis-server with an ACL file (ACL SAVE persists)."""
    with running_redis(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def redis_server_no_aclfile(tmp_path: Path) -> Iterator[RedisServer]:
    """redis-server whose users come from redis.conf: ACL SAVE is refused."""
    with running_redis(tmp_path / "redis-noacl", use_aclfile=False) as server:
        yield server


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("redis-pki"))


@pytest.fixture
def redis_tls_server(tmp_path: Path, pki: Pki) -> Iterator[RedisServer]:
    """redis-server on a TLS-only port, certificate for 127.0.0.1 from the session's CA."""
    with running_redis(tmp_path / "redis-tls", tls=pki) as server:
        yield server
