"""RedisAclUser under Pulumi mocks: its inputs, its type and which outputs are secret."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime import rpc

from components.redis.provider import SECRET_OUTPUTS, RedisAclProvider, RedisAclUser

SECRET_SIG = rpc._special_secret_sig  # the sentinel mocks wrap secret inputs in


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        outputs = dict(args.inputs)
        outputs.update(acl_rules="on ...", persisted=True, in_sync=True)
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def _is_wrapped_secret(value: Any) -> bool:
    return isinstance(value, dict) and SECRET_SIG in value.values()


@pulumi.runtime.test
def test_redis_acl_user_inputs_and_secret_outputs() -> Any:
    mocks = _Mocks()
    pulumi.runtime.set_mocks(mocks, project="promshield", stack="unit", preview=False)
    user = RedisAclUser(
        "exporter-user",
        host="redis.internal",
        port=6379,
        admin_username="admin",
        admin_password="admin-password-value",
        username="redis_exporter",
        password="exporter-password-value",
        tls=True,
        tls_ca_pem="-----BEGIN CERTIFICATE-----\n...",
        check_keys=["app:*"],
        triggers=["container-id"],
    )

    async def check() -> bool:
        assert await user.password.is_secret()
        assert await user.admin_password.is_secret()
        assert not await user.username.is_secret()
        [args] = [r for r in mocks.resources if r.name == "exporter-user"]
        assert args.typ == "pulumi-python:dynamic/redis:RedisAclUser"
        inputs = args.inputs
        assert _is_wrapped_secret(inputs["password"]) and _is_wrapped_secret(inputs["admin_password"])
        assert inputs["host"] == "redis.internal" and inputs["port"] == 6379
        assert inputs["check_keys"] == ["app:*"] and inputs["triggers"] == ["container-id"]
        assert inputs["tls"] is True and inputs["username"] == "redis_exporter"
        assert "exporter-password-value" not in repr({k: v for k, v in inputs.items() if k != "password"})
        return True

    return pulumi.Output.from_input(check())


def test_secret_outputs_are_declared() -> None:
    assert SECRET_OUTPUTS == ["password", "admin_password"]


def test_provider_is_importable_and_stateless() -> None:
    """The engine pickles the provider (dill, by reference): nothing may hang on the instance."""
    assert RedisAclProvider().__dict__ == {}
