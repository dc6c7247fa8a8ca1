"""The scenario stacks (tests/stacks/*.yaml) are well-formed: known keys only, secrets declared."""

from __future__ import annotations

import pytest

from components.stack.keys import KNOWN_KEYS, SECRET_KEYS
from testing.stack_config import SCENARIOS_DIR, load_scenario

SCENARIOS = sorted(path.stem for path in SCENARIOS_DIR.glob("*.yaml"))


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_sets_only_known_keys_and_its_secrets_as_secrets(name: str) -> None:
    scenario = load_scenario(name)
    assert set(scenario.config) <= set(KNOWN_KEYS), set(scenario.config) - set(KNOWN_KEYS)
    assert set(scenario.secret_keys) <= set(SECRET_KEYS)
    assert {key for key in scenario.config if key in SECRET_KEYS} <= set(scenario.secret_keys)
