"""The tools' entry point: a configuration problem is printed as the list alone, no traceback, exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Callable

from components.core.settings import SettingsError


def run(main: Callable[[], int | None]) -> int:
    """`main()`'s exit status; a SettingsError (bad config, unknown stack, a YAML error) prints its list and gives 2."""
    try:
        return main() or 0
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
