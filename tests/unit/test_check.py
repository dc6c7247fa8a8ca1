"""`make check STACK=<name>` (tools/check.py): the settings, then the real validators on the files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.core import catalog
from testing.mock_stack import PROJECT_DIR
from tools import check

SETTINGS_DIR = PROJECT_DIR / "tests" / "settings"


def statuses(results: list[check.Result]) -> dict[tuple[str, str], str]:
    return {(r.tool, r.file): r.status for r in results}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_example_stacks_pass_every_validator(stack: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert check.main(["--stack", stack]) == 0
    out = capsys.readouterr().out
    tools = ("settings", "promtool check config", "promtool check rules", "amtool check-config", "nginx -t", "gixy")
    for tool in tools:
        assert any(line.startswith(tool) and line.endswith(" ok") for line in out.splitlines()), (tool, out)
    assert f"stack {stack}:" in out and "passed" in out and "Traceback" not in out


def test_an_unknown_stack_names_the_files_looked_for_and_the_stacks(capsys: pytest.CaptureFixture[str]) -> None:
    assert check.main(["--stack", "staging"]) == 2
    err = capsys.readouterr().err
    assert "Pulumi.staging.yaml" in err and "examples/Pulumi.staging.yaml" in err
    assert "dev, prod" in err and "Traceback" not in err


def broken_stack(tmp_path: Path, *cases: str) -> Path:
    """The dev stack with the bad values of some tests/settings fixtures, as a stack file."""
    config = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"]
    for case in cases:
        config.update(yaml.safe_load((SETTINGS_DIR / f"{case}.bad.yaml").read_text())["config"])
    (tmp_path / "Pulumi.broken.yaml").write_text(yaml.safe_dump({"config": config}))
    return tmp_path


def test_a_broken_stack_lists_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = broken_stack(tmp_path, "bad-cidr", "unknown-role", "port-out-of-range")
    assert check.main(["--stack", "broken", "--project-dir", str(project)]) == 1
    out = capsys.readouterr().out
    for case in ("bad-cidr", "unknown-role", "port-out-of-range"):
        expected = yaml.safe_load((SETTINGS_DIR / f"{case}.bad.yaml").read_text())
        assert expected.get("expected", expected.get("expected_prefix")) in out, case
    assert "3 configuration problem(s)" in out and "settings" in out and "failed" in out
    assert "Traceback" not in out


def test_broken_rendered_files_fail_their_validators(monkeypatch: pytest.MonkeyPatch) -> None:
    """The validators really validate: a corrupted rule file, Alertmanager config and nginx.conf each
    fail by name, and everything else still passes."""
    real = check.materialize
    broken = {
        f"{catalog.PROMETHEUS_RULES_DIR}/trading.yml": (
            "groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: rate(\n"
        ),
        catalog.ALERTMANAGER_CONFIG_FILE: "route:\n  receiver: nobody\nreceivers: []\n",
        catalog.PROXY_CONFIG_FILE: "events {}\nhttp { server { listen 8443; no_such_directive on; } }\n",
    }

    def corrupting(stack: object, container: str, root: Path, provider: str | None = None) -> Path:
        real(stack, container, root, provider)  # type: ignore[arg-type]
        for path, text in broken.items():
            target = root / path.lstrip("/")
            if target.exists():
                target.write_text(text)
        return root

    monkeypatch.setattr(check, "materialize", corrupting)
    code, results, _ = check.check("dev")
    assert code == 1
    failed = {(r.tool, r.file.rsplit("/", 1)[-1]) for r in results if r.status == "failed"}
    assert failed == {
        ("promtool check rules", "trading.yml"),
        ("promtool check config", "prometheus.yml"),  # it loads the rule files too
        ("amtool check-config", "alertmanager.yml"),
        ("nginx -t", "nginx.conf"),
        ("gixy", "nginx.conf"),  # the stripped config lacks the TLS settings gixy looks for
    }
    assert statuses(results)[("settings", "Pulumi.dev.yaml")] == "ok"
    report = check.report("dev", results)
    assert "no_such_directive" in report and "did not pass" in report and "Traceback" not in report


def test_a_missing_validator_is_reported_not_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without amtool gets `skipped` with what to install, and the check does not pass."""
    monkeypatch.setattr(check, "missing_tools", lambda: {"amtool": check.INSTALL_HINT})
    code, results, _ = check.check("dev")
    assert code == 1
    skipped = [r for r in results if r.status == "skipped"]
    assert [r.tool for r in skipped] == ["amtool check-config"]
    assert "install-system-deps.sh" in skipped[0].detail
    assert all(r.status == "ok" for r in results if r.status != "skipped")
