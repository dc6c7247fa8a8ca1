"""Per-user passwords and their bcrypt hashes, stable from run to run.

A password comes from the stack's secret config or is generated (pulumi-random). Its bcrypt
hash is computed here with a salt held in the stack's state (a RandomBytes per user), so the
same password gives the same hash on every run and a second `pulumi preview` shows no diff.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import bcrypt
import pulumi
import pulumi_random as random

from components.core import catalog
from components.proxy.render import render_htpasswd
from components.proxy.settings import User

BCRYPT_COST = 10
PASSWORD_LENGTH = 32
_STANDARD_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BCRYPT_B64 = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def bcrypt_salt(raw: bytes, cost: int = BCRYPT_COST) -> bytes:
    """A bcrypt salt string from 16 random bytes (bcrypt's own base64 alphabet)."""
    if len(raw) != 16:
        raise ValueError("a bcrypt salt needs exactly 16 random bytes")
    encoded = base64.b64encode(raw)[:22].translate(bytes.maketrans(_STANDARD_B64, _BCRYPT_B64))
    return b"$2b$%02d$" % cost + encoded


def bcrypt_hash(password: str, salt_base64: str, cost: int = BCRYPT_COST) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt_salt(base64.b64decode(salt_base64), cost)).decode()


class Credentials(pulumi.ComponentResource):
    passwords: dict[str, pulumi.Output[str]]  # secret
    hashes: dict[str, pulumi.Output[str]]  # secret
    htpasswd: pulumi.Output[str]  # secret
    digest_key: pulumi.Output[str]  # secret: keys the proxy's credential digests

    def __init__(self, name: str, users: Sequence[User], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(catalog.CREDENTIALS_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.passwords = {}
        self.hashes = {}
        for user in users:
            if user.password is not None:
                password = pulumi.Output.secret(user.password.reveal())
            else:
                password = random.RandomPassword(
                    f"{name}-{user.name}-password", length=PASSWORD_LENGTH, special=False, opts=child
                ).result
            salt = random.RandomBytes(f"{name}-{user.name}-salt", length=16, opts=child)
            self.passwords[user.name] = pulumi.Output.secret(password)
            self.hashes[user.name] = pulumi.Output.secret(
                pulumi.Output.all(password, salt.base64).apply(lambda values: bcrypt_hash(values[0], values[1]))
            )
        # Unknown user names are checked against this hash (of a secret nobody holds, same cost),
        # so they take as long as a known user's wrong password: no user enumeration by timing.
        dummy_secret = random.RandomPassword(f"{name}-dummy-secret", length=PASSWORD_LENGTH, special=False, opts=child)
        dummy_salt = random.RandomBytes(f"{name}-dummy-salt", length=16, opts=child)
        dummy_hash = pulumi.Output.all(dummy_secret.result, dummy_salt.base64).apply(
            lambda values: bcrypt_hash(values[0], values[1])
        )
        self.htpasswd = pulumi.Output.secret(
            pulumi.Output.all(pulumi.Output.all(**self.hashes), dummy_hash).apply(
                lambda values: render_htpasswd(values[0], values[1])
            )
        )
        self.digest_key = pulumi.Output.secret(
            random.RandomPassword(f"{name}-digest-key", length=48, special=False, opts=child).result
        )
        self.register_outputs({"passwords": self.passwords, "htpasswd": self.htpasswd, "digest_key": self.digest_key})
