"""Shared fixtures: the program run under Pulumi mocks for the stacks we test (tests/stacks/)."""

from __future__ import annotations

from typing import Any

import pytest

from testing.mock_stack import RecordedStack
from testing.stack_config import load_scenario

PROD = load_scenario("prod")
PROD_SECRETS: dict[str, Any] = {key: PROD.config[key] for key in PROD.secret_keys}


def prod_config() -> dict[str, Any]:
    return dict(PROD.config)


@pytest.fixture(scope="session")
def dev_stack() -> RecordedStack:
    return load_scenario("dev").run()


@pytest.fixture(scope="session")
def prod_stack() -> RecordedStack:
    return PROD.run()


@pytest.fixture(params=["dev", "prod"])
def any_stack(request: pytest.FixtureRequest, dev_stack: RecordedStack, prod_stack: RecordedStack) -> RecordedStack:
    return dev_stack if request.param == "dev" else prod_stack
