"""Config changes apply in place (components/core/reload.py): a change that touches only files
replaces the config carriers and triggers the reload commands, never a service container; the
reload script validates, signals and reports the outcome (run here against a fake `docker`)."""

from __future__ import annotations

import os
import stat
import subprocess  # nosec B404 - runs the generated script against a fake docker CLI
from pathlib import Path
from typing import Any

import pytest

from components.alertmanager.component import RELOAD as ALERTMANAGER_RELOAD
from components.core import catalog
from components.core.reload import ReloadPlan, reload_script
from components.prometheus.component import RELOAD as PROMETHEUS_RELOAD
from components.proxy.component import RELOAD as PROXY_RELOAD
from testing.mock_stack import LOCAL_COMMAND, REMOTE_COMMAND, RecordedStack, contains_secret, unwrap
from testing.stack_config import load_scenario

RELOADED = {
    catalog.PROMETHEUS: catalog.PROMETHEUS_TYPE,
    catalog.ALERTMANAGER: catalog.ALERTMANAGER_TYPE,
    catalog.PROXY: catalog.PROXY_TYPE,
}
BASE = load_scenario("dev")
# Each changes only files: a rule threshold, a receiver, a user's role, a proxy limit, a new user.
CONFIG_ONLY_CHANGES: dict[str, dict[str, Any]] = {
    "threshold": {"alertThresholds": {"tradeFailureRatio": 0.07}},
    "receiver": {"alertmanagerReceivers": [{"name": "ops", "webhookUrl": "http://alert-receiver:4000/ops"}]},
    "limits": {"limits": {"burst": 7}},
    "users": {
        "users": [
            {"name": "admin", "role": "admin"},
            {"name": "ops", "role": "read-only"},
            {"name": "viewer", "role": "read-only"},
        ]
    },
}


def run(extra: dict[str, Any]) -> RecordedStack:
    return type(BASE)(BASE.name, BASE.stack, {**BASE.config, **extra}, BASE.secret_keys).run()


def service_inputs(stack: RecordedStack) -> dict[str, Any]:
    """Every running service's registered inputs (secret markers kept: they are inputs too)."""
    return {name: r.raw_inputs for name, r in stack.containers().items()}


def reload_commands(stack: RecordedStack) -> dict[str, Any]:
    return {service.name: stack.commands(component) for service, component in RELOADED.items()}


@pytest.fixture(scope="module")
def base() -> RecordedStack:
    return run({})


@pytest.mark.parametrize("change", sorted(CONFIG_ONLY_CHANGES))
def test_a_config_only_change_replaces_no_service_container(base: RecordedStack, change: str) -> None:
    changed = run(CONFIG_ONLY_CHANGES[change])
    # The provider replaces a container on any input change: identical inputs = not replaced.
    assert service_inputs(changed) == service_inputs(base)
    carriers = {n: r.raw_inputs for n, r in changed.containers(kind="config").items()}
    before = {n: r.raw_inputs for n, r in base.containers(kind="config").items()}
    assert carriers.keys() == before.keys() and carriers != before, "the changed files reach some carrier"
    triggered = {
        service
        for service, (command,) in reload_commands(changed).items()
        if command.inputs["triggers"] != reload_commands(base)[service][0].inputs["triggers"]
    }
    expected = {"threshold": {"prometheus"}, "receiver": {"alertmanager"}}.get(change, {"proxy"})
    assert triggered == expected


def test_a_change_docker_holds_still_replaces_the_service(base: RecordedStack) -> None:
    changed = run({"retentionTime": "30d"})  # a command-line flag: only a new container has it
    name = catalog.container_name(base.stack, catalog.PROMETHEUS)
    assert service_inputs(changed)[name] != service_inputs(base)[name]
    assert {n: i for n, i in service_inputs(changed).items() if n != name} == {
        n: i for n, i in service_inputs(base).items() if n != name
    }


def test_each_reloaded_service_has_one_reload_command(any_stack: RecordedStack) -> None:
    remote = any_stack.firewall_command().type == REMOTE_COMMAND
    for service, (command,) in reload_commands(any_stack).items():
        container = catalog.resource_name(any_stack.stack, service)
        assert command.type == (REMOTE_COMMAND if remote else LOCAL_COMMAND)
        inputs = command.inputs
        assert inputs["update"] == inputs["create"] and "delete" not in inputs
        assert f"docker exec {container} sh -c 'kill -HUP 1'" in inputs["create"]
        assert "docker kill" not in inputs["create"]  # it would disable the restart policy (moby/moby#41302)
        # The config files' SHA-256 and the secret files' keyed HMAC: both plain, neither reveals a secret.
        config_digest, secrets_hmac = inputs["triggers"]
        assert len(config_digest) == len(secrets_hmac) == 64 and not contains_secret(command.raw_inputs["triggers"])
        if remote:  # on the Docker host itself, with its default socket
            assert contains_secret(command.raw_inputs["connection"]) and "environment" not in inputs
        else:
            assert inputs["environment"] == {"DOCKER_HOST": "unix:///var/run/docker.sock"}


def test_reload_commands_hold_no_secret(any_stack: RecordedStack) -> None:
    secrets = set()
    for resource in any_stack.resources:
        for value in resource.outputs.values():
            if contains_secret(value) and isinstance(unwrap(value), str) and len(unwrap(value)) >= 8:
                secrets.add(unwrap(value))
    for commands in reload_commands(any_stack).values():
        for command in commands:
            text = repr({k: v for k, v in command.inputs.items() if k != "connection"})
            assert not contains_secret({k: v for k, v in command.raw_inputs.items() if k != "connection"})
            assert not [s for s in secrets if s in text]


def test_services_without_a_reload_are_replaced_on_changed_files(dev_stack: RecordedStack) -> None:
    for name, container in dev_stack.containers().items():
        labels = {label["label"] for label in container.inputs["labels"]}
        reloaded = any(name == catalog.container_name(dev_stack.stack, s) for s in RELOADED)
        assert (catalog.LABEL_CONFIG_SHA256 in labels) is not reloaded, name
        assert (catalog.LABEL_SECRETS_HMAC in labels) is not reloaded, name


def test_a_secret_rotation_reloads_through_the_secrets_carrier_only(base: RecordedStack) -> None:
    """A new password changes only the proxy's htpasswd: the secrets carrier is replaced, the
    config carriers and every service are not, and the reload runs on the changed secrets HMAC."""
    rotated = type(BASE)(
        BASE.name,
        BASE.stack,
        {**BASE.config, "userPasswords": {"admin": "a-rotated-admin-password"}},
        (*BASE.secret_keys, "userPasswords"),
    ).run()
    assert service_inputs(rotated) == service_inputs(base)
    carriers = {
        name: r.raw_inputs for kind in catalog.CARRIER_KINDS for name, r in rotated.containers(kind=kind).items()
    }
    before = {name: r.raw_inputs for kind in catalog.CARRIER_KINDS for name, r in base.containers(kind=kind).items()}
    assert [name for name in carriers if carriers[name] != before[name]] == [
        f"{catalog.container_name(BASE.stack, catalog.PROXY)}-secrets"
    ]
    (old,), (new,) = reload_commands(base)["proxy"], reload_commands(rotated)["proxy"]
    assert old.inputs["triggers"][0] == new.inputs["triggers"][0]  # the config files are the same
    assert old.inputs["triggers"][1] != new.inputs["triggers"][1]  # the secret files are not
    assert "a-rotated-admin-password" not in repr(new.inputs)  # hashed (bcrypt) and keyed (HMAC)
    for service in ("prometheus", "alertmanager"):
        assert reload_commands(rotated)[service][0].inputs == reload_commands(base)[service][0].inputs


# --- the script itself, against a fake docker CLI ------------------------------------------------

FAKE_DOCKER = """#!/bin/sh
# A fake docker CLI: logs each call; answers from files in $FAKE.
echo "$*" >> "$FAKE/calls"
case "$1" in
  inspect) cat "$FAKE/state" ;;
  exec) case "$*" in
          *" sh -c kill -"*)  # the reload signal, sent from inside the container
            cp "$FAKE/after" "$FAKE/logs" 2>/dev/null || true
            [ ! -e "$FAKE/new-workers" ] || cp "$FAKE/new-workers" "$FAKE/top" ;;
          *) [ ! -e "$FAKE/invalid" ] || { echo "FAILED: bad rule" >&2; exit 1; } ;;
        esac ;;
  info) echo 2026-01-01T00:00:00.000000000Z ;;
  logs) cat "$FAKE/logs" 2>/dev/null || true ;;
  top) echo "PID COMMAND"; cat "$FAKE/top" ;;
esac
"""


def run_script(tmp_path: Path, plan: ReloadPlan, **files: str) -> subprocess.CompletedProcess[str]:
    fake = tmp_path / "fake"
    fake.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER)
    docker.chmod(docker.stat().st_mode | stat.S_IXUSR)
    (fake / "state").write_text("running healthy\n")
    for name, text in files.items():
        (fake / name.replace("_", "-")).write_text(text)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE": str(fake)}
    script = reload_script("promshield-dev-prometheus", plan)
    return subprocess.run(  # nosec B603 B607
        ["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def calls(tmp_path: Path) -> list[str]:
    return (tmp_path / "fake" / "calls").read_text().splitlines()


def test_a_good_reload_validates_then_signals_and_sees_the_outcome(tmp_path: Path) -> None:
    result = run_script(tmp_path, PROMETHEUS_RELOAD, after='{"msg":"Completed loading of configuration file"}\n')
    assert result.returncode == 0, result.stderr
    made = [line.split()[0] for line in calls(tmp_path)]
    assert made[:4] == ["inspect", "exec", "exec", "info"]
    assert calls(tmp_path)[4] == "exec promshield-dev-prometheus sh -c kill -HUP 1"
    assert "promtool check config /etc/prometheus/prometheus.yml" in calls(tmp_path)[1]


def test_invalid_files_are_never_signalled(tmp_path: Path) -> None:
    result = run_script(tmp_path, PROMETHEUS_RELOAD, invalid="")
    assert result.returncode == 1
    assert "not reloaded: the service keeps running its current configuration" in result.stderr
    assert not [line for line in calls(tmp_path) if "kill" in line]


def test_a_failed_reload_fails_the_command(tmp_path: Path) -> None:
    result = run_script(tmp_path, ALERTMANAGER_RELOAD, after='level=error msg="Loading configuration file failed"\n')
    assert result.returncode == 1 and "the reload failed" in result.stderr


def test_an_unhealthy_service_is_not_signalled(tmp_path: Path) -> None:
    result = run_script(tmp_path, PROMETHEUS_RELOAD, state="exited \n")
    assert result.returncode == 1 and "container is exited" in result.stderr
    assert [line.split()[0] for line in calls(tmp_path)] == ["inspect"]


def test_nginx_succeeds_when_new_workers_start(tmp_path: Path) -> None:
    # The old worker, retitled while it finishes its requests, no longer accepts: it does not count.
    retiring = "31 nginx: worker process\n20 nginx: worker process is shutting down\n"
    ok = run_script(tmp_path, PROXY_RELOAD, top="20 nginx: worker process\n", new_workers=retiring)
    assert ok.returncode == 0, ok.stderr
    refused = tmp_path / "second"
    refused.mkdir()
    bad = run_script(refused, PROXY_RELOAD, top="20 nginx: worker process\n", after="nginx: [emerg] bad\n")
    assert bad.returncode == 1 and "the reload failed" in bad.stderr
