"""Run a validator with the rendered files at their container paths: the view `make check` uses too."""

from __future__ import annotations

from tools.container_view import BASE_VIEW, materialize, run_in_view, view_command

__all__ = ["BASE_VIEW", "materialize", "run_in_view", "view_command"]
