"""The pull-request comment of what a change does to the rendered files.

    python -m tools.render --stack prod --out build/rendered/base   # in the base checkout
    python -m tools.render --stack prod --out build/rendered/head   # in the head checkout
    python -m tools.render_diff build/rendered/base build/rendered/head --out comment.md

Compares two `make render` trees (tools/render.py: secret files are placeholders, generated
values are named placeholders, so only what the change does differs) and writes one Markdown
comment: a summary of the added, removed and changed files, then a unified diff per file. The
comment starts with `MARKER`, by which the workflow finds and updates its earlier comment, and
stays under GitHub's comment limit (a long diff is cut, saying so). Never a secret: the renders
hold none.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import dataclass
from pathlib import Path

MARKER = "<!-- promshield:rendered-diff -->"
# GitHub refuses comments over 65,536 characters; keep room for the header and the footer.
MAX_COMMENT_CHARS = 60_000
CONTEXT_LINES = 3


@dataclass(frozen=True)
class FileDiff:
    path: str  # relative to the render root: <container>/<path inside it>
    status: str  # "added", "removed" or "changed"
    diff: str  # unified diff text


def _files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


def _lines(path: Path | None) -> list[str]:
    if path is None:
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    return text.splitlines(keepends=True)


def diff_trees(base: Path, head: Path, context: int = CONTEXT_LINES) -> list[FileDiff]:
    """One FileDiff per file that differs between the two renders, in path order."""
    before, after = _files(base), _files(head)
    diffs = []
    for path in sorted(before.keys() | after.keys()):
        old, new = _lines(before.get(path)), _lines(after.get(path))
        if old == new:
            continue
        status = "added" if path not in before else "removed" if path not in after else "changed"
        lines = difflib.unified_diff(
            old,
            new,
            fromfile="/dev/null" if status == "added" else f"a/{path}",
            tofile="/dev/null" if status == "removed" else f"b/{path}",
            n=context,
        )
        text = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
        diffs.append(FileDiff(path, status, text))
    return diffs


def _fence(text: str) -> str:
    """A code fence longer than any backtick run in `text` (a rendered file may hold one)."""
    run, ticks = 0, 3
    for char in text:
        run = run + 1 if char == "`" else 0
        ticks = max(ticks, run + 1)
    return "`" * ticks


def comment(diffs: list[FileDiff], *, stack: str, base_ref: str, head_ref: str, limit: int = MAX_COMMENT_CHARS) -> str:
    """The Markdown comment for `diffs` (at most about `limit` characters)."""
    header = [
        MARKER,
        f"### Rendered files: `{stack}` stack, {base_ref} → {head_ref}",
        "",
    ]
    footer = [
        "",
        "<sub>`make render` (tools/render.py) on the base and on the head, diffed by `python -m tools.render_diff`. "
        "Secret files (keys, hashes, passwords, receiver credentials) are placeholders, generated values "
        "(certificates, digests) are named placeholders: no secret is in this comment.</sub>",
    ]
    if not diffs:
        return "\n".join([*header, "No rendered file changes.", *footer]) + "\n"
    counts = {status: sum(1 for d in diffs if d.status == status) for status in ("changed", "added", "removed")}
    summary = ", ".join(f"{count} {status}" for status, count in counts.items() if count)
    body = [f"{len(diffs)} file(s) differ ({summary}):", ""]
    body += [f"- `{d.path}` ({d.status})" for d in diffs]
    body.append("")
    used = sum(len(line) + 1 for line in [*header, *body, *footer])
    omitted: list[str] = []
    for d in diffs:
        fence = _fence(d.diff)
        block = [f"<details open><summary><code>{d.path}</code> ({d.status})</summary>", "", f"{fence}diff",
                 d.diff.rstrip("\n"), fence, "", "</details>", ""]  # fmt: skip
        size = sum(len(line) + 1 for line in block)
        if omitted or used + size > limit:
            omitted.append(d.path)
            continue
        body += block
        used += size
    if omitted:
        body.append(
            f"**{len(omitted)} diff(s) left out** to stay under GitHub's comment limit: "
            + ", ".join(f"`{p}`" for p in omitted)
            + ". Run `make render` on both commits to see them."
        )
    return "\n".join([*header, *body, *footer]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("base", type=Path, help="the base commit's render (tools.render --out)")
    parser.add_argument("head", type=Path, help="the head commit's render")
    parser.add_argument("--out", type=Path, help="write the comment here (default: stdout)")
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--base-ref", default="base")
    parser.add_argument("--head-ref", default="head")
    args = parser.parse_args(argv)
    for root in (args.base, args.head):
        if not root.is_dir():
            parser.error(f"{root} is not a render directory (run python -m tools.render --out {root})")
    text = comment(diff_trees(args.base, args.head), stack=args.stack, base_ref=args.base_ref, head_ref=args.head_ref)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
