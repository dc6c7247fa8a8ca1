"""Loading the Jinja templates under files/ (strict: a missing variable is an error)."""

from __future__ import annotations

from pathlib import Path

import jinja2

FILES_DIR = Path(__file__).resolve().parent.parent / "files"

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(FILES_DIR)),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    # Renders config files, not HTML: escaping would corrupt them.
    autoescape=False,  # noqa: S701  # nosec B701
)


def render_template(relative_path: str, **values: object) -> str:
    return _environment.get_template(relative_path).render(**values)
