"""Shared fixtures: the program run under Pulumi mocks for the stacks we test."""

from __future__ import annotations

from typing import Any

import pytest

from tools.mock_stack import RecordedStack, run_program
from tools.stack_config import load_stack_config

# A production-like stack: the example prod stack file plus the secrets it would hold.
PROD_SECRETS: dict[str, Any] = {
    "sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n",
    "redisAdminPassword": "redis-admin-password-for-tests",
    "tradeEngineTargetsPasswords": {"te-1.internal:9400": "trade-engine-scrape-password"},
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
