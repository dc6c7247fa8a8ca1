"""Shared fixtures: the program run under Pulumi mocks for the stacks we test."""

from __future__ import annotations

from typing import Any

import pytest

from testing.mock_stack import RecordedStack, run_program
from testing.stack_config import load_stack_config, placeholder_secrets

# A production-like stack: the example prod stack file plus the secrets it names, and one
# user who chose her own password.
PROD_SECRETS: dict[str, Any] = {
    **placeholder_secrets(load_stack_config("prod")),
    "userPasswords": {"alice": "alice-chose-this-passphrase"},
}


def prod_config() -> dict[str, Any]:
    return {**load_stack_config("prod"), **PROD_SECRETS}


@pytest.fixture(scope="session")
def dev_stack() -> RecordedStack:
    return run_program(load_stack_config("dev"), stack="dev")


@pytest.fixture(scope="session")
def prod_stack() -> RecordedStack:
    return run_program(prod_config(), stack="prod", secret_keys=tuple(PROD_SECRETS))


@pytest.fixture(params=["dev", "prod"])
def any_stack(request: pytest.FixtureRequest, dev_stack: RecordedStack, prod_stack: RecordedStack) -> RecordedStack:
    return dev_stack if request.param == "dev" else prod_stack
