"""`make render` writes the same tree for the same program and no secret; `tools.render_diff`
turns a base and a head render into the pull request's comment."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.core import catalog
from testing.mock_stack import RecordedStack, run_program
from testing.stack_config import load_stack_config
from tools import render, render_diff

SECRET_PLACEHOLDER = "<secret: mode 0400"


def write(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def test_changed_added_and_removed_files_are_diffed(tmp_path: Path) -> None:
    base = write(tmp_path / "base", {"p/etc/rules.yml": "a: 1\nb: 2\n", "p/gone.yml": "x\n", "same.txt": "s\n"})
    head = write(tmp_path / "head", {"p/etc/rules.yml": "a: 1\nb: 3\n", "p/new.yml": "y\n", "same.txt": "s\n"})
    diffs = render_diff.diff_trees(base, head)
    assert [(d.path, d.status) for d in diffs] == [
        ("p/etc/rules.yml", "changed"),
        ("p/gone.yml", "removed"),
        ("p/new.yml", "added"),
    ]
    assert "-b: 2\n+b: 3\n" in diffs[0].diff
    assert diffs[0].diff.startswith("--- a/p/etc/rules.yml\n+++ b/p/etc/rules.yml")
    text = render_diff.comment(diffs, stack="prod", base_ref="main", head_ref="pr")
    assert text.startswith(render_diff.MARKER + "\n")  # how the workflow finds the comment to update
    assert "3 file(s) differ (1 changed, 1 added, 1 removed)" in text and "```diff\n--- a/p/etc/rules.yml" in text
    assert "same.txt" not in text


def test_no_change_says_so(tmp_path: Path) -> None:
    tree = write(tmp_path / "t", {"a.yml": "a\n"})
    text = render_diff.comment(render_diff.diff_trees(tree, tree), stack="dev", base_ref="b", head_ref="h")
    assert "No rendered file changes." in text and "```" not in text


def test_a_long_diff_stays_under_the_comment_limit_and_says_what_it_left_out(tmp_path: Path) -> None:
    base = write(tmp_path / "base", {f"f{i}.txt": "old\n" * 400 for i in range(10)})
    head = write(tmp_path / "head", {f"f{i}.txt": "new\n" * 400 for i in range(10)})
    text = render_diff.comment(render_diff.diff_trees(base, head), stack="dev", base_ref="b", head_ref="h", limit=8000)
    assert len(text) < 8000 + 2000
    assert "diff(s) left out" in text and "`f9.txt`" in text.rsplit("left out", 1)[1]


def test_a_backtick_fence_in_a_file_cannot_end_the_code_block(tmp_path: Path) -> None:
    base = write(tmp_path / "base", {"t.tmpl": "x\n"})
    head = write(tmp_path / "head", {"t.tmpl": "```\nx\n"})
    text = render_diff.comment(render_diff.diff_trees(base, head), stack="dev", base_ref="b", head_ref="h")
    assert "````diff" in text


def test_the_command_line_writes_the_comment(tmp_path: Path) -> None:
    base = write(tmp_path / "base", {"a.yml": "a: 1\n"})
    head = write(tmp_path / "head", {"a.yml": "a: 2\n"})
    out = tmp_path / "comment.md"
    assert render_diff.main([str(base), str(head), "--out", str(out), "--stack", "dev"]) == 0
    assert "+a: 2" in out.read_text()
    with pytest.raises(SystemExit):
        render_diff.main([str(tmp_path / "missing"), str(head)])


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> tuple[RecordedStack, Path, Path]:
    """The dev stack rendered from two separate runs of the program (fresh keys and passwords each)."""
    config = load_stack_config("dev")
    first, second = run_program(config, stack="dev"), run_program(config, stack="dev")
    a, b = tmp_path_factory.mktemp("render-a"), tmp_path_factory.mktemp("render-b")
    render.write_render(first, a)
    render.write_render(second, b)
    return second, a, b


def test_two_renders_of_the_same_program_do_not_differ(renders: tuple[RecordedStack, Path, Path]) -> None:
    """Generated values (certificates, digests) are named placeholders, so an unchanged program
    renders identically and the base/head diff shows only the change."""
    _, a, b = renders
    assert render_diff.diff_trees(a, b) == []


def test_the_render_holds_no_secret(renders: tuple[RecordedStack, Path, Path]) -> None:
    stack, _, root = renders
    placeholders = 0
    for name in stack.containers():
        for path, upload in stack.container_files(name).items():
            text = (root / name / path.lstrip("/")).read_text()
            if upload["secret"]:
                placeholders += 1
                assert text.startswith(SECRET_PLACEHOLDER) and upload["content"] not in text, path
                assert str(len(upload["content"])) not in text, "not even a secret's length"
            assert "PRIVATE KEY" not in text, path
    assert placeholders >= 9  # every service's key, the htpasswd, the digest key, the demo ACLs...
    proxy = catalog.container_name("dev", catalog.PROXY)
    assert (root / proxy / catalog.PROXY.tls_dir.lstrip("/") / catalog.TLS_CA_FILE).read_text() == "<pki-ca.certPem>"


SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "rendered-diff-comment.md"


def test_the_documented_sample_is_what_the_tools_produce(tmp_path: Path) -> None:
    """docs/examples/rendered-diff-comment.md (a one-line threshold change, prod stack) is the diff
    the tools make today: the same change as a stack setting renders the same file diff."""
    from testing.stack_config import load_scenario

    prod = load_scenario("prod")
    runs = {}
    for side, extra in (("base", {}), ("head", {"alertThresholds": {"tradeFailureRatio": 0.07}})):
        stack = run_program({**prod.config, **extra}, stack=prod.stack, secret_keys=prod.secret_keys)
        runs[side] = tmp_path / side
        render.write_render(stack, runs[side])
    diffs = render_diff.diff_trees(runs["base"], runs["head"])
    # the rule and the trading console page, which shows the same threshold (components/dashboards)
    assert [d.path for d in diffs] == [
        "promshield-prod-prometheus/etc/prometheus/consoles/trading.html",
        "promshield-prod-prometheus/etc/prometheus/rules/trading.yml",
    ]
    sample = SAMPLE.read_text()
    assert render_diff.MARKER in sample and all(d.diff.rstrip("\n") in sample for d in diffs)
