"""Clean errors: a configuration problem reaches the user as the list alone, from the program and from every tool."""

from __future__ import annotations

import subprocess  # nosec B404
import sys
from pathlib import Path

import pulumi
import pytest

from components.core.settings import SettingsError
from testing.mock_stack import PROJECT_DIR, run_program
from testing.stack_config import load_stack_config, placeholder_secrets


def test_settings_error_is_the_run_error_pulumi_prints_without_a_traceback() -> None:
    assert issubclass(SettingsError, pulumi.RunError)
    with pytest.raises(SettingsError) as error:
        run_program({"prometheusPort": 99999})
    assert error.value.problems == ["promshield:prometheusPort = 99999: expected a TCP port between 1 and 65535"]


def _render(project: Path, stack: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # nosec B603
        [sys.executable, "-m", "tools.render", "--stack", stack, "--out", str(project / "out")],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_render_prints_the_list_without_a_traceback(tmp_path: Path) -> None:
    stack_file = PROJECT_DIR / "Pulumi.clierrortest.yaml"
    stack_file.write_text("config:\n  promshield:prometheusPort: 99999\n  promshield:bindAdress: 10.0.0.5\n")
    try:
        result = _render(tmp_path, "clierrortest")
    finally:
        stack_file.unlink()
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "2 configuration problem(s); nothing was created:",
        "  - promshield:bindAdress is not a promshield setting; did you mean promshield:bindAddress?",
        "  - promshield:prometheusPort = 99999: expected a TCP port between 1 and 65535",
    ]


def test_unknown_stack_names_the_files_looked_for_and_the_stacks_that_exist(tmp_path: Path) -> None:
    result = _render(tmp_path, "no-such-stack")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Pulumi.no-such-stack.yaml or examples/Pulumi.no-such-stack.yaml" in result.stderr
    assert "the stacks that exist: dev, prod" in result.stderr


def test_a_yaml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.broken.yaml").write_text("config:\n  promshield:tls: {dnsNames: [a]\n")
    with pytest.raises(SettingsError) as error:
        load_stack_config("broken", project_dir=tmp_path)
    (problem,) = error.value.problems
    assert problem.startswith(f"{tmp_path / 'Pulumi.broken.yaml'}:3:1: not valid YAML: expected ',' or '}}'")


def test_placeholder_secrets_give_no_password_to_an_mtls_remote_write() -> None:
    config = {"remoteWrite": {"enabled": True, "url": "https://store.example/api/v1/write", "mtls": True}}
    assert "remoteWritePassword" not in placeholder_secrets(config)
    with_user = {"remoteWrite": {**config["remoteWrite"], "username": "u"}}
    assert "remoteWritePassword" in placeholder_secrets(with_user)


def test_a_declared_secret_given_as_plain_config_is_refused_before_any_resource() -> None:
    with pytest.raises(SettingsError) as error:
        run_program({"userPasswords": {"admin": "correct horse battery staple"}}, secret_keys=())
    assert error.value.problems == [
        "promshield:userPasswords is a secret set in plain config (it is in the stack file unencrypted): set it "
        "again with `pulumi config set --secret userPasswords ...` (--path for one entry)"
    ]
    # the same value set with --secret is accepted (negative control)
    run_program({"userPasswords": {"admin": "correct horse battery staple"}}, secret_keys=("userPasswords",))
