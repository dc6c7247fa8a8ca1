"""RedisAclProvider's create/update/delete/read/diff/check against a real redis-server."""

from __future__ import annotations

import traceback
from typing import Any

import pytest
import redis
from redis_testlib import RedisServer, free_port, new_password, raw

from components.redis.acl import acl_rule_string, password_sha256
from components.redis.provider import RedisAclError, RedisAclProvider

USER = "redis_exporter"


def _provider() -> RedisAclProvider:
    return RedisAclProvider()


def _getuser(server: RedisServer, username: str = USER) -> Any:
    return raw(server.admin(), "ACL", "GETUSER", username)


def _can_login(server: RedisServer, username: str, password: str) -> bool:
    try:
        return bool(server.connect(username, password).ping())
    except redis.AuthenticationError:
        return False


def _error_text(err: BaseException) -> str:
    """What the engine would receive: the formatted traceback of the raised exception."""
    return "".join(traceback.format_exception(err))


def test_create_applies_rules_persists_and_hides_the_password(redis_server: RedisServer) -> None:
    password = new_password()
    result = _provider().create(redis_server.provider_props(USER, password))
    assert result.id == f"{USER}@{redis_server.address}"
    outs = result.outs or {}
    assert outs["acl_rules"] == acl_rule_string()
    assert password not in outs["acl_rules"]
    assert outs["persisted"] is True and outs["in_sync"] is True
    user = _getuser(redis_server)
    fields = {user[i]: user[i + 1] for i in range(0, len(user), 2)}
    assert fields["passwords"] == [password_sha256(password)]
    assert "on" in fields["flags"]
    assert fields["keys"] == "" and fields["channels"] == "" and fields["selectors"] == []
    assert _can_login(redis_server, USER, password)
    assert redis_server.aclfile is not None
    saved = redis_server.aclfile.read_text()
    line = next(li for li in saved.splitlines() if li.startswith(f"user {USER} "))
    assert f" #{password_sha256(password)}" in line and " on " in f" {line} "
    assert password not in saved and redis_server.admin_password not in saved


def test_wrong_password_is_refused(redis_server: RedisServer) -> None:
    password = new_password()
    _provider().create(redis_server.provider_props(USER, password))
    assert not _can_login(redis_server, USER, password + "x")
    assert not _can_login(redis_server, USER, "")
    assert not _can_login(redis_server, "default", "")


def test_create_replaces_an_existing_user_entirely(redis_server: RedisServer) -> None:
    admin = redis_server.admin()
    admin.execute_command("ACL", "SETUSER", USER, "on", ">old-password", "~*", "&*", "+@all", "(~x +set)")
    password = new_password()
    _provider().create(redis_server.provider_props(USER, password))
    assert not _can_login(redis_server, USER, "old-password")
    assert _can_login(redis_server, USER, password)
    assert "no permissions" in str(raw(admin, "ACL", "DRYRUN", USER, "set", "x", "1"))


def test_update_changes_the_password(redis_server: RedisServer) -> None:
    old_pw, new_pw = new_password(), new_password()
    olds = _provider().create(redis_server.provider_props(USER, old_pw)).outs or {}
    news = redis_server.provider_props(USER, new_pw)
    diff = _provider().diff("id", olds, news)
    assert diff.changes is True and not diff.replaces
    outs = _provider().update("id", olds, news).outs or {}
    assert outs["in_sync"] is True
    assert not _can_login(redis_server, USER, old_pw)
    assert _can_login(redis_server, USER, new_pw)
    assert redis_server.aclfile is not None
    assert password_sha256(new_pw) in redis_server.aclfile.read_text()
    assert password_sha256(old_pw) not in redis_server.aclfile.read_text()


def test_update_changes_rules_and_renames(redis_server: RedisServer) -> None:
    password = new_password()
    olds = _provider().create(redis_server.provider_props(USER, password)).outs or {}
    news = redis_server.provider_props("metrics_reader", password, ["app:*"])
    outs = _provider().update("id", olds, news).outs or {}
    assert outs["acl_rules"] == acl_rule_string(["app:*"])
    assert _getuser(redis_server, USER) is None
    assert _can_login(redis_server, "metrics_reader", password)
    assert raw(redis_server.admin(), "ACL", "DRYRUN", "metrics_reader", "get", "app:1") == "OK"


def test_diff_without_changes_is_empty(redis_server: RedisServer) -> None:
    props = redis_server.provider_props(USER, new_password(), ["app:*"])
    outs = _provider().create(dict(props)).outs or {}
    diff = _provider().diff("id", outs, props)
    assert diff.changes is False and not diff.replaces
    assert _provider().diff("id", outs, {**props, "check_keys": ["other:*"]}).changes is True
    assert _provider().diff("id", outs, {**props, "triggers": ["container-2"]}).changes is True


def test_delete_removes_the_user(redis_server: RedisServer) -> None:
    password = new_password()
    outs = _provider().create(redis_server.provider_props(USER, password)).outs or {}
    _provider().delete("id", outs)
    assert _getuser(redis_server) is None
    assert not _can_login(redis_server, USER, password)
    assert redis_server.aclfile is not None
    assert f"user {USER} " not in redis_server.aclfile.read_text()
    _provider().delete("id", outs)  # already gone: still fine


def test_read_reports_in_sync_drift_and_missing(redis_server: RedisServer) -> None:
    password = new_password()
    outs = _provider().create(redis_server.provider_props(USER, password)).outs or {}
    read = _provider().read("the-id", outs)
    assert read.id == "the-id" and (read.outs or {})["in_sync"] is True
    redis_server.admin().execute_command("ACL", "SETUSER", USER, "+set")  # someone widened it
    drifted = _provider().read("the-id", outs).outs or {}
    assert drifted["in_sync"] is False
    assert _provider().diff("the-id", drifted, redis_server.provider_props(USER, password)).changes is True
    redis_server.admin().execute_command("ACL", "SETUSER", USER, "-set", ">extra-password")
    assert (_provider().read("the-id", outs).outs or {})["in_sync"] is False
    redis_server.admin().execute_command("ACL", "DELUSER", USER)
    missing = _provider().read("the-id", outs)
    assert missing.id == "" and missing.outs == {}


def test_acl_survives_a_restart_only_with_an_aclfile(
    redis_server: RedisServer, redis_server_no_aclfile: RedisServer
) -> None:
    password = new_password()
    assert (_provider().create(redis_server.provider_props(USER, password)).outs or {})["persisted"] is True
    redis_server.restart()
    assert _can_login(redis_server, USER, password)

    outs = _provider().create(redis_server_no_aclfile.provider_props(USER, password)).outs or {}
    assert outs["persisted"] is False
    assert _can_login(redis_server_no_aclfile, USER, password)
    redis_server_no_aclfile.restart()
    assert not _can_login(redis_server_no_aclfile, USER, password)  # documented: lost on restart


def test_tls_connection(redis_tls_server: RedisServer) -> None:
    password = new_password()
    outs = _provider().create(redis_tls_server.provider_props(USER, password)).outs or {}
    assert outs["tls"] is True
    assert _can_login(redis_tls_server, USER, password)


def test_tls_with_an_unknown_ca_fails_clearly(redis_tls_server: RedisServer, tmp_path: Any) -> None:
    from redis_testlib import make_pki

    other_ca = make_pki(tmp_path, "other").ca_pem()
    props = {**redis_tls_server.provider_props(USER, new_password()), "tls_ca_pem": other_ca}
    with pytest.raises(RedisAclError) as caught:
        _provider().create(props)
    text = _error_text(caught.value)
    assert redis_tls_server.address in text and "certificate verify failed" in text
    assert props["password"] not in text and props["admin_password"] not in text


def test_errors_name_the_server_and_never_a_password(redis_server: RedisServer) -> None:
    password = new_password()
    props = redis_server.provider_props(USER, password)
    bad_admin = {**props, "admin_password": password + "-wrong-admin"}
    with pytest.raises(RedisAclError) as caught:
        _provider().create(bad_admin)
    text = _error_text(caught.value)
    assert redis_server.address in text and "AuthenticationError" in text
    for secret in (password, bad_admin["admin_password"], redis_server.admin_password):
        assert secret not in text
    assert caught.value.__cause__ is None and caught.value.__context__ is None  # no redis-py chain

    closed = {**props, "port": free_port()}
    with pytest.raises(RedisAclError) as caught:
        _provider().create(closed)
    text = _error_text(caught.value)
    assert f"127.0.0.1:{closed['port']}" in text and "ConnectionError" in text
    assert password not in text and redis_server.admin_password not in text


def test_redis_errors_are_scrubbed_even_if_they_echo_arguments(redis_server: RedisServer) -> None:
    """A rule Redis rejects is echoed in its error: the provider scrubs passwords anyway."""
    password = "(" + new_password()  # a password Redis would echo inside an error, if any
    props = redis_server.provider_props(USER, password)
    outs = _provider().create(props).outs or {}
    assert outs["in_sync"] is True  # `>password` takes the rest of the argument verbatim
    from components.redis.provider import _scrub

    assert _scrub(f"ERR modifier '>{password}' bad", [password]) == "ERR modifier '>***' bad"


def test_password_never_reaches_redis_logs_slowlog_or_monitor(redis_server: RedisServer) -> None:
    admin = redis_server.admin()
    admin.config_set("slowlog-log-slower-than", 0)
    raw(admin, "SLOWLOG", "RESET")
    password = new_password()
    _provider().create(redis_server.provider_props(USER, password))
    slowlog = str(raw(admin, "SLOWLOG", "GET", "128"))
    assert "setuser" in slowlog.lower() and password not in slowlog
    assert password not in redis_server.log.read_text()
    admin.config_set("slowlog-log-slower-than", 10000)


@pytest.mark.parametrize(
    ("change", "prop"),
    [
        ({"username": "default"}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "admin"}, "username"),
        ({"port": 70000}, "port"),
        ({"port": "x"}, "port"),
        ({"password": ""}, "password"),
        ({"host": ""}, "host"),
        ({"check_keys": ["a b"]}, "check_keys"),
        ({"tls": "yes"}, "tls"),
    ],
)
def test_check_reports_bad_inputs(redis_server: RedisServer, change: dict[str, Any], prop: str) -> None:
    news = {**redis_server.provider_props(USER, new_password()), **change}
    result = _provider().check({}, news)
    assert [f.property for f in result.failures] == [prop]
    with pytest.raises(RedisAclError, match=prop):
        _provider().create(news)


def test_check_accepts_unknown_values_during_preview(redis_server: RedisServer) -> None:
    from pulumi.runtime import rpc

    news = {**redis_server.provider_props(USER, "x"), "password": rpc.UNKNOWN, "check_keys": [rpc.UNKNOWN]}
    assert _provider().check({}, news).failures == []
    olds = redis_server.provider_props(USER, "x")
    assert _provider().diff("id", olds, news).changes is True
