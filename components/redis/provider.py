"""A Pulumi dynamic provider that keeps one least-privilege Redis ACL user (the exporter's).

`RedisAclUser` manages the user on a Redis the deploying machine can reach (host:port),
logged in as an admin user allowed `ACL SETUSER/GETUSER/DELUSER/SAVE`. The rules come from
`components.redis.acl`; the provider adds only `>password`, in the command it sends.

create / update
    `ACL SETUSER <user> reset <rules> >password`: one command, atomic (Redis applies all the
    rules or none), and `reset` first, so an existing user is replaced entirely (old
    passwords, keys, selectors gone). Then `ACL GETUSER` must show exactly the intended
    rules and one password hash, `sha256(password)`; otherwise the operation fails.
    A changed username, host or port first sets the new user, then deletes the old one.
delete
    `ACL DELUSER`. A user already gone counts as deleted.
read (refresh)
    `ACL GETUSER`: a missing user is reported missing (Pulumi drops it from the state and
    the next `up` creates it); a user whose rules or password hash differ is reported with
    `in_sync: False` so the next `up` updates it.
persistence
    After each change the provider sends `ACL SAVE`. Redis writes its ACL file when one is
    configured (`aclfile`), and the output `persisted` is True. Without an `aclfile`,
    Redis refuses `ACL SAVE`; the change is then in memory only (`persisted` False) and is
    LOST when Redis restarts. `CONFIG REWRITE` is not used: it needs admin rights on the
    whole config. For such a server, configure an `aclfile` in a writable directory,
    or add the user to its startup config yourself,
    or run `pulumi up --refresh` after each Redis restart.
secrets
    `password` and `admin_password` are secret outputs (`additional_secret_outputs`).
    No error message carries a password: errors name `host:port`, the user and the Redis
    error, with every password scrubbed, and are raised without the redis-py exception
    chained (the dynamic-provider host sends the full traceback text to the engine). The
    provider logs nothing. Redis itself redacts `ACL SETUSER` in `SLOWLOG` and does not
    show it in `MONITOR` (checked on 7.0).

Inputs: `host`, `port`, `admin_username` (optional: omitted means the `default`
user), `admin_password`, `tls` (verify the server with `tls_ca_pem`, or the system CAs
when omitted; the hostname is checked), `tls_ca_pem`, `username`, `password`,
`check_keys` (key patterns, see `redis_acl.acl_rules`) and `triggers` (anything: a
change re-applies the user; pass the Redis container's id so a re-created server gets the
user back). Outputs add `acl_rules` (the rule string, no password), `persisted` and
`in_sync`.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

import pulumi
import pulumi.dynamic as dyn
import redis
from pulumi.runtime import rpc
from redis.backoff import NoBackoff
from redis.retry import Retry

from components.redis.acl import (
    acl_rule_string,
    acl_rules,
    key_patterns,
    validate_username,
)

INPUTS: tuple[str, ...] = (
    "host",
    "port",
    "admin_username",
    "admin_password",
    "tls",
    "tls_ca_pem",
    "username",
    "password",
    "check_keys",
    "triggers",
)
SECRET_OUTPUTS: list[str] = ["password", "admin_password"]
CONNECT_TIMEOUT_SECONDS = 10.0
NO_ACLFILE_ERROR = "not configured to use an ACL file"


class RedisAclError(Exception):
    """A failure talking to Redis, with host:port and the Redis error (never a password)."""


@dataclass(frozen=True)
class Target:
    """Where the user lives and how to log in as the admin (built from props)."""

    host: str
    port: int
    admin_username: str | None
    admin_password: str
    tls: bool
    tls_ca_pem: str | None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def _plain(value: Any) -> Any:
    """Unwrap a value the engine may hand over as a wrapped secret."""
    return rpc.unwrap_rpc_secret(value)


def _is_unknown(value: Any) -> bool:
    """True when a value (or anything inside it) is not known yet (preview)."""
    value = _plain(value)
    if isinstance(value, str):
        return value == rpc.UNKNOWN
    if isinstance(value, (list, tuple)):
        return any(_is_unknown(item) for item in value)
    if isinstance(value, dict):
        return any(_is_unknown(item) for item in value.values())
    return False


def _target(props: Mapping[str, Any]) -> Target:
    admin_username = _plain(props.get("admin_username")) or None
    tls_ca_pem = _plain(props.get("tls_ca_pem")) or None
    return Target(
        host=str(_plain(props["host"])),
        port=int(_plain(props["port"])),
        admin_username=str(admin_username) if admin_username is not None else None,
        admin_password=str(_plain(props["admin_password"])),
        tls=bool(_plain(props.get("tls", False))),
        tls_ca_pem=str(tls_ca_pem) if tls_ca_pem is not None else None,
    )


def _check_keys(props: Mapping[str, Any]) -> list[str]:
    value = _plain(props.get("check_keys")) or []
    return [str(_plain(item)) for item in value]


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _secrets_of(*props: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for p in props:
        for key in SECRET_OUTPUTS:
            value = _plain(p.get(key))
            if isinstance(value, str) and value:
                found.append(value)
    return found


def _as_dict(reply: Any) -> dict[str, Any]:
    """ACL GETUSER's reply as a dict (RESP2 flat list or RESP3 map)."""
    if isinstance(reply, dict):
        return {str(k): v for k, v in reply.items()}
    if isinstance(reply, list):
        return {str(reply[i]): reply[i + 1] for i in range(0, len(reply) - 1, 2)}
    raise RedisAclError(f"unexpected ACL GETUSER reply type {type(reply).__name__}")


def _normalise_keys(tokens: Sequence[str]) -> frozenset[str]:
    # Redis prints %RW~p as ~p; we compare in Redis' form.
    return frozenset("~" + t[4:] if t.startswith("%RW~") else t for t in tokens)


@dataclass(frozen=True)
class UserState:
    """The ACL state of one user, in comparable form."""

    enabled: bool
    password_hashes: frozenset[str]
    commands: frozenset[str]
    keys: frozenset[str]
    channels: frozenset[str]
    selectors: tuple[tuple[frozenset[str], frozenset[str], frozenset[str]], ...]

    @staticmethod
    def from_getuser(reply: Any) -> UserState:
        data = _as_dict(reply)
        selectors: list[tuple[frozenset[str], frozenset[str], frozenset[str]]] = []
        for raw in data.get("selectors") or []:
            sel = _as_dict(raw)
            selectors.append(
                (
                    frozenset(str(sel.get("commands", "")).split()),
                    _normalise_keys(str(sel.get("keys", "")).split()),
                    frozenset(str(sel.get("channels", "")).split()),
                )
            )
        return UserState(
            enabled="on" in [str(f) for f in data.get("flags") or []],
            password_hashes=frozenset(str(p) for p in data.get("passwords") or []),
            commands=frozenset(str(data.get("commands", "")).split()),
            keys=_normalise_keys(str(data.get("keys", "")).split()),
            channels=frozenset(str(data.get("channels", "")).split()),
            selectors=tuple(sorted(selectors, key=repr)),
        )

    @staticmethod
    def expected(password: str, check_keys: Sequence[str]) -> UserState:
        rules = acl_rules(check_keys)
        commands = frozenset(r for r in rules if r.startswith(("+", "-")))
        keys = _normalise_keys([r for r in rules if "~" in r and not r.startswith("(")])
        selectors: list[tuple[frozenset[str], frozenset[str], frozenset[str]]] = []
        for rule in rules:
            if rule.startswith("(") and rule.endswith(")"):
                tokens = rule[1:-1].split()
                selectors.append(
                    (
                        # A new selector starts with no commands: Redis prints it with -@all.
                        frozenset(["-@all", *(t for t in tokens if t.startswith("+"))]),
                        _normalise_keys([t for t in tokens if "~" in t]),
                        frozenset(),
                    )
                )
        return UserState(
            enabled=True,
            password_hashes=frozenset({hashlib.sha256(password.encode("utf-8")).hexdigest()}),
            commands=commands,
            keys=keys,
            channels=frozenset(),
            selectors=tuple(sorted(selectors, key=repr)),
        )


class _Session:
    """One admin connection to one Redis; every error names host:port and is scrubbed."""

    def __init__(self, target: Target, secrets: Sequence[str]) -> None:
        self.target = target
        self.secrets = [*secrets, target.admin_password]
        kwargs: dict[str, Any] = {
            "host": target.host,
            "port": target.port,
            "password": target.admin_password,
            "socket_timeout": CONNECT_TIMEOUT_SECONDS,
            "socket_connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "decode_responses": True,
            "protocol": 2,
            # One attempt: a failure is reported at once, with its own message.
            "retry": Retry(NoBackoff(), 0),
        }
        if target.admin_username:
            kwargs["username"] = target.admin_username
        if target.tls:
            kwargs.update(ssl=True, ssl_cert_reqs="required", ssl_check_hostname=True)
            if target.tls_ca_pem:
                kwargs["ssl_ca_data"] = target.tls_ca_pem
        self.client = redis.Redis(**kwargs)
        # redis-py leaves execute_command unannotated: give it a type once.
        self._execute: Callable[..., Any] = self.client.execute_command

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):  # closing must not mask the real error
            self.client.close()

    def run(self, what: str, *args: str) -> Any:
        """Send one command; a failure becomes a RedisAclError without the redis-py chain."""
        try:
            return self._execute(*args)
        except redis.RedisError as err:
            message = _scrub(f"{type(err).__name__}: {err}", self.secrets)
        raise RedisAclError(f"Redis at {self.target.address}: {what} failed: {message}")

    def getuser(self, username: str) -> UserState | None:
        reply = self.run(f"ACL GETUSER {username}", "ACL", "GETUSER", username)
        return None if reply is None else UserState.from_getuser(reply)

    def setuser(self, username: str, password: str, check_keys: Sequence[str]) -> None:
        self.run(
            f"ACL SETUSER {username}",
            "ACL",
            "SETUSER",
            username,
            "reset",
            *acl_rules(check_keys),
            f">{password}",
        )

    def deluser(self, username: str) -> None:
        self.run(f"ACL DELUSER {username}", "ACL", "DELUSER", username)

    def save(self) -> bool:
        """ACL SAVE; False when Redis has no aclfile (the change lives in memory only)."""
        try:
            self._execute("ACL", "SAVE")
            return True
        except redis.ResponseError as err:
            if NO_ACLFILE_ERROR in str(err):
                return False
            message = _scrub(f"{type(err).__name__}: {err}", self.secrets)
        except redis.RedisError as err:
            message = _scrub(f"{type(err).__name__}: {err}", self.secrets)
        raise RedisAclError(f"Redis at {self.target.address}: ACL SAVE failed: {message}")


def _validate(props: Mapping[str, Any]) -> list[dyn.CheckFailure]:
    """Input problems, one per property (unknown values, during preview, are skipped)."""
    failures: list[dyn.CheckFailure] = []

    def known(key: str) -> bool:
        return not _is_unknown(props.get(key))

    def fail(key: str, reason: str) -> None:
        failures.append(dyn.CheckFailure(key, reason))

    for key in ("host", "port", "admin_password", "username", "password"):
        if known(key) and _plain(props.get(key)) in (None, ""):
            fail(key, f"{key} is required")
    if known("port") and _plain(props.get("port")) not in (None, ""):
        try:
            port = int(_plain(props["port"]))
            if not 0 < port < 65536:
                fail("port", f"port must be 1-65535, got {port}")
        except (TypeError, ValueError):
            fail("port", "port must be an integer")
    if known("username") and _plain(props.get("username")):
        try:
            validate_username(str(_plain(props["username"])))
        except (TypeError, ValueError) as err:
            fail("username", str(err))
        if known("admin_username") and _plain(props.get("admin_username")) == _plain(props["username"]):
            fail("username", "the managed user must not be the admin user")
    if known("check_keys"):
        try:
            key_patterns(_check_keys(props))
        except (TypeError, ValueError) as err:
            fail("check_keys", str(err))
    if known("tls") and not isinstance(_plain(props.get("tls", False)), bool):
        fail("tls", "tls must be true or false")
    return failures


class RedisAclProvider(dyn.ResourceProvider):
    """CRUD for one Redis ACL user. Methods take and return plain dicts: call them in tests."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        return dyn.CheckResult(news, _validate(news))

    def _apply(self, props: Mapping[str, Any]) -> dict[str, Any]:
        failures = _validate(props)
        if failures:
            raise RedisAclError("; ".join(f"{f.property}: {f.reason}" for f in failures))
        target = _target(props)
        username = str(_plain(props["username"]))
        password = str(_plain(props["password"]))
        check_keys = _check_keys(props)
        with _Session(target, _secrets_of(props)) as session:
            session.setuser(username, password, check_keys)
            actual = session.getuser(username)
            expected = UserState.expected(password, check_keys)
            if actual != expected:
                raise RedisAclError(
                    f"Redis at {target.address}: ACL GETUSER {username} does not show the rules just set (expected "
                    f"{acl_rule_string(check_keys)!r} and one password hash)"
                )
            persisted = session.save()
        outs = {key: props[key] for key in INPUTS if key in props}
        outs.update(acl_rules=acl_rule_string(check_keys), persisted=persisted, in_sync=True)
        return outs

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        outs = self._apply(props)
        target = _target(props)
        return dyn.CreateResult(f"{_plain(props['username'])}@{target.address}", outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        changed = [
            key for key in INPUTS if _is_unknown(news.get(key)) or _plain(olds.get(key)) != _plain(news.get(key))
        ]
        drifted = olds.get("in_sync") is False
        return dyn.DiffResult(changes=bool(changed) or drifted, replaces=[], delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        outs = self._apply(news)
        old_target, new_target = _target(olds), _target(news)
        old_user, new_user = str(_plain(olds["username"])), str(_plain(news["username"]))
        if (old_target.host, old_target.port, old_user) != (new_target.host, new_target.port, new_user):
            with _Session(old_target, _secrets_of(olds, news)) as session:
                session.deluser(old_user)
                session.save()
        return dyn.UpdateResult(outs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        target = _target(props)
        with _Session(target, _secrets_of(props)) as session:
            session.deluser(str(_plain(props["username"])))
            session.save()

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        target = _target(props)
        username = str(_plain(props["username"]))
        with _Session(target, _secrets_of(props)) as session:
            actual = session.getuser(username)
        if actual is None:
            return dyn.ReadResult("", {})
        expected = UserState.expected(str(_plain(props["password"])), _check_keys(props))
        outs = dict(props)
        outs["in_sync"] = actual == expected
        return dyn.ReadResult(id_, outs)


class RedisAclUser(dyn.Resource, module="redis", name="RedisAclUser"):
    """The redis_exporter's ACL user on one Redis (see the module docstring).

    Example:

    ```python
    RedisAclUser(
        "trading-redis-exporter-user",
        host="redis.internal", port=6379,
        admin_username="admin", admin_password=admin_pw,   # secret Outputs
        username="redis_exporter", password=exporter_pw.result,
        tls=True, tls_ca_pem=ca_pem, check_keys=["orders:*"],
        opts=pulumi.ResourceOptions(parent=self),
    )
    ```
    """

    username: pulumi.Output[str]
    password: pulumi.Output[str]
    admin_password: pulumi.Output[str]
    acl_rules: pulumi.Output[str]
    persisted: pulumi.Output[bool]
    in_sync: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        *,
        host: pulumi.Input[str],
        port: pulumi.Input[int],
        admin_password: pulumi.Input[str],
        username: pulumi.Input[str],
        password: pulumi.Input[str],
        admin_username: pulumi.Input[str] | None = None,
        tls: pulumi.Input[bool] = False,
        tls_ca_pem: pulumi.Input[str] | None = None,
        check_keys: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        triggers: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "host": host,
            "port": port,
            "admin_username": admin_username,
            "admin_password": pulumi.Output.secret(admin_password),
            "tls": tls,
            "tls_ca_pem": tls_ca_pem,
            "username": username,
            "password": pulumi.Output.secret(password),
            "check_keys": check_keys if check_keys is not None else [],
            "triggers": triggers if triggers is not None else [],
            "acl_rules": None,
            "persisted": None,
            "in_sync": None,
        }
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=SECRET_OUTPUTS)
        super().__init__(RedisAclProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret_opts))


# Every stack's state holds this provider pickled (by dill) as a reference to the module it was
# first defined in. Pulumi unpickles it from the state to read, diff and delete the users, so that
# name must keep importing (components/redis_acl_provider.py) and new pickles must name it too: a
# different `__provider` input would be a change on every stack.
STATE_MODULE = "components.redis_acl_provider"
RedisAclProvider.__module__ = STATE_MODULE
