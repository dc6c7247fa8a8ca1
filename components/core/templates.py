"""Loading a package's Jinja templates (strict: a missing variable is an error).

Each service package keeps its templates beside its renderer, in `<package>/templates/`.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2


@functools.cache
def _environment(templates_dir: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        # Renders config files, not HTML: escaping would corrupt them.
        autoescape=False,  # noqa: S701  # nosec B701
    )


def render_template(templates_dir: Path, name: str, **values: object) -> str:
    """`name` under `templates_dir`, rendered with `values`."""
    return _environment(templates_dir).get_template(name).render(**values)
