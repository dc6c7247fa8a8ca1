"""Secrets: generated passwords and keys never appear in plaintext where they should not (any
uploaded file, the running servers' command lines and environments), and key files are
readable only by their service's uid."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from components.core import catalog
from harness.stack import USERS, AcceptanceStack, proc_pids

pytestmark = pytest.mark.acceptance

FOREIGN_UID = 12345
DIGEST_KEY_FILE = catalog.PROXY_DIGEST_KEY_FILE


def uploads(stack: AcceptanceStack) -> list[tuple[str, str, dict]]:
    """(container, path, upload) of every file the program uploads into a container."""
    return [
        (name, path, upload)
        for name in stack.recorded.containers()
        for path, upload in stack.recorded.container_files(name).items()
    ]


def test_no_password_in_any_uploaded_file(stack: AcceptanceStack) -> None:
    passwords = {name: value for name, value in stack.generated_secrets().items() if name.startswith("password of ")}
    assert sorted(passwords) == sorted(f"password of {user}" for user in USERS)  # names only: never a value
    found = [
        (container, path, what)
        for container, path, upload in uploads(stack)
        for what, value in passwords.items()
        if value in upload["content"]
    ]
    assert found == []


def test_the_digest_key_is_only_in_the_proxys_secret_include(stack: AcceptanceStack) -> None:
    digest_key = stack.generated_secrets()["random credentials-digest-key"]
    holders = [
        (container, path, upload["permissions"])
        for container, path, upload in uploads(stack)
        if digest_key in upload["content"]
    ]
    assert holders == [(stack.container("proxy"), DIGEST_KEY_FILE, "0400")]


def test_private_keys_and_hashes_are_only_in_secret_files(stack: AcceptanceStack) -> None:
    for container, path, upload in uploads(stack):
        content = upload["content"]
        if "PRIVATE KEY" in content or "$2b$" in content or "$2y$" in content:
            assert upload["permissions"] == "0400", (container, path, upload["permissions"])
            assert upload["secret"], f"{container}:{path} holds a secret but is not a Pulumi secret"


SERVICES = [
    "proxy",
    "prometheus",
    "alertmanager",
    "duckdb-exporter",
    "redis-exporter",
    "demo-redis-rts",
    "demo-redis-rtrs",
]


def service_uid(stack: AcceptanceStack, name: str) -> int:
    """The uid the program runs the container as (`user: "uid:gid"`)."""
    return int(str(stack.recorded.containers()[name].inputs["user"]).split(":")[0])


@pytest.mark.parametrize("service", SERVICES)
def test_no_secret_in_command_lines_or_environments(stack: AcceptanceStack, service: str) -> None:
    main_pid = stack.topo.main_pid(stack.container(service))
    assert main_pid > 0, f"{service} is not running"
    pids = proc_pids(main_pid)  # the service and every process it started (nginx workers, ...)
    secrets = stack.generated_secrets()
    leaks = []
    for pid in pids:
        for kind in ("cmdline", "environ"):
            try:
                data = Path(f"/proc/{pid}/{kind}").read_bytes().decode(errors="replace")
            except (FileNotFoundError, ProcessLookupError):
                continue  # a short-lived child ended
            leaks += [f"{what} in /proc/{pid}/{kind}" for what, value in secrets.items() if value in data]
            if "PRIVATE KEY" in data:
                leaks.append(f"a private key in /proc/{pid}/{kind}")
    assert leaks == []


@pytest.mark.parametrize("service", SERVICES)
def test_uploaded_files_keep_modes_and_owners(stack: AcceptanceStack, service: str) -> None:
    """Inside the running service (through the carrier's volume, mounted read-only), every file
    has exactly the mode and owner the program set in its upload's tar header."""
    name = stack.container(service)
    for path, upload in stack.recorded.container_files(name).items():
        mode = int(upload["permissions"], 8)
        assert mode & 0o077 == 0, f"{path} is readable by group or others ({upload['permissions']})"
        shown = stack.topo.container_exec(name, ["stat", "-c", "%a %u %g", path])
        expected = [f"{mode:o}", str(upload["owner"]), str(upload["group"])]
        assert shown.stdout.split() == expected, (path, shown.stdout, shown.stderr)
        assert int(upload["owner"]) == service_uid(stack, name), path


@pytest.mark.parametrize("service", SERVICES)
def test_key_files_are_unreadable_by_other_uids(stack: AcceptanceStack, service: str) -> None:
    name = stack.container(service)
    secret_paths = [
        path for path, upload in stack.recorded.container_files(name).items() if upload["permissions"] == "0400"
    ]
    # every TLS server has a key; the demo Redis (no TLS) keeps its users' password hashes
    expected = "users.acl" if service.startswith("demo-redis") else ".key"
    assert any(path.endswith(expected) for path in secret_paths), secret_paths
    for path in secret_paths:
        own = stack.topo.container_exec(name, ["head", "-c", "1", path])
        assert own.returncode == 0, f"the service's own uid cannot read {path}: {own.stderr}"
        other = stack.topo.container_exec(name, ["head", "-c", "1", path], user=f"{FOREIGN_UID}:{FOREIGN_UID}")
        assert other.returncode != 0 and "Permission denied" in other.stderr, (path, other.returncode, other.stderr)
        staged = stack.upload_path(service, path).stat()
        assert stat.S_IMODE(staged.st_mode) == 0o400


@pytest.mark.parametrize("service", SERVICES)
def test_servers_run_as_their_uid_without_capabilities(stack: AcceptanceStack, service: str) -> None:
    name = stack.container(service)
    lines = Path(f"/proc/{stack.topo.main_pid(name)}/status").read_text().splitlines()
    status = {key: value.strip() for key, _, value in (line.partition(":") for line in lines)}
    uid = str(service_uid(stack, name))
    assert uid != "0"
    assert status["Uid"].split() == [uid] * 4
    assert int(status["CapEff"], 16) == 0 and int(status["CapBnd"], 16) == 0
    assert status["NoNewPrivs"] == "1"
