"""The exporter's ACL rules and the demo Redis files, as text (no server needed)."""

from __future__ import annotations

import pytest

from components.core import catalog
from components.redis.acl import (
    EXPORTER_COMMANDS,
    acl_file_line,
    acl_rule_string,
    acl_rules,
    allowed_commands,
    key_patterns,
    password_sha256,
)
from components.redis.render import (
    ACL_PATH,
    CONF_PATH,
    conf_directives,
    demo_redis_command,
    render_demo_redis_files,
)

BASE = (
    "on resetkeys resetchannels -@all +ping +info +select +client|setname +slowlog|get +slowlog|len "
    "+latency|latest +latency|histogram"
)
KEY_RULES = "+scan +type +strlen +llen +scard +zcard +hlen +xlen +get"


def test_base_rules_are_exactly_the_reviewed_string() -> None:
    assert acl_rule_string() == BASE
    assert acl_rules() == BASE.split()
    assert acl_rules([]) == acl_rules(())


def test_exporter_commands_match_the_rules() -> None:
    assert {t[1:] for t in acl_rules() if t.startswith("+")} == EXPORTER_COMMANDS
    assert all(c == c.lower() for c in EXPORTER_COMMANDS)


def test_check_keys_add_read_only_patterns_and_a_pfcount_selector() -> None:
    rules = acl_rules(["app:*", "db1=counters:*", "app:*"])
    assert " ".join(rules) == f"{BASE} %R~app:* %R~counters:* {KEY_RULES} (~app:* ~counters:* +pfcount)"
    assert allowed_commands(["app:*"]) == EXPORTER_COMMANDS | set(KEY_RULES.replace("+", "").split()) | {"pfcount"}


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "a b", "x)", "(x", 'q"', "a\nb", "db0="],
)
def test_bad_key_patterns_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="pattern"):
        key_patterns([bad])


def test_a_single_string_is_not_a_pattern_list() -> None:
    with pytest.raises(TypeError):
        key_patterns("app:*")


def test_no_rule_grants_writes_or_dangerous_families() -> None:
    for check_keys in ((), ("app:*",)):
        tokens = " ".join(acl_rules(check_keys)).replace("(", " ").replace(")", " ").split()
        grants = {t for t in tokens if t.startswith("+")}
        assert not {g for g in grants if g.startswith("+@")}, grants
        for family in ("+client", "+config", "+slowlog", "+latency", "+acl", "+eval", "+memory", "+debug"):
            assert family not in grants
        assert "allkeys" not in tokens and "~*" not in tokens and "allcommands" not in tokens
        assert not any(t.startswith(">") or t.startswith("#") for t in tokens)


def test_acl_file_line_carries_the_hash_not_the_password() -> None:
    password = "correct horse battery staple"
    line = acl_file_line("redis_exporter", password_sha256(password), ["app:*"])
    assert password not in line
    assert line.startswith("user redis_exporter reset on ")
    assert line.endswith(f" #{password_sha256(password)}")
    with pytest.raises(ValueError):
        acl_file_line("default", password_sha256(password))
    with pytest.raises(ValueError):
        acl_file_line("redis_exporter", "not-a-hash")


def test_demo_files_paths_follow_the_catalog() -> None:
    files = render_demo_redis_files("admin", password_sha256("x" * 32))
    assert set(files) == {CONF_PATH, ACL_PATH}
    assert f"{catalog.DEMO_REDIS.config_dir}/redis.conf" == CONF_PATH
    # in the read-only secrets volume: the rendered users are the truth
    assert ACL_PATH.startswith(catalog.DEMO_REDIS.secrets_dir + "/")
    conf = dict((name, values) for name, values in conf_directives(files[CONF_PATH]))
    assert conf["aclfile"] == [ACL_PATH]
    assert conf["port"] == [str(catalog.DEMO_REDIS.port)]
    assert conf["dir"] == [catalog.DEMO_REDIS.data_dir]
    assert conf["protected-mode"] == ["yes"]
    assert conf["bind"] == ["*", "-::*"]
    for absent in ("requirepass", "masterauth", "rename-command", "user", "pidfile"):
        assert absent not in conf


def test_demo_acl_file_users() -> None:
    admin_hash, exporter_hash = password_sha256("a" * 32), password_sha256("e" * 32)
    acl = render_demo_redis_files("admin", admin_hash, "redis_exporter", exporter_hash, ["app:*"])[ACL_PATH]
    lines = acl.splitlines()
    assert lines[0] == "user default reset off resetpass resetkeys resetchannels -@all"
    assert "nopass" not in acl  # nopass + protected mode would refuse every remote client
    assert lines[1] == f"user admin reset on #{admin_hash} ~* &* +@all"
    assert lines[2] == acl_file_line("redis_exporter", exporter_hash, ["app:*"])
    with pytest.raises(ValueError):
        render_demo_redis_files("admin", admin_hash, "redis_exporter", None)
    with pytest.raises(ValueError):
        render_demo_redis_files("admin", admin_hash, "admin", exporter_hash)
    with pytest.raises(ValueError):
        render_demo_redis_files("default", admin_hash)


def test_render_is_deterministic() -> None:
    args = ("admin", password_sha256("a" * 32), "redis_exporter", password_sha256("e" * 32), ["app:*"])
    assert render_demo_redis_files(*args) == render_demo_redis_files(*args)


def test_inline_command_carries_every_directive() -> None:
    assert demo_redis_command() == ["redis-server", CONF_PATH]
    inline = demo_redis_command(inline=True)
    assert inline[0] == "redis-server"
    flags = [a for a in inline if a.startswith("--")]
    assert len(flags) == len(conf_directives(render_demo_redis_files("admin", "0" * 64)[CONF_PATH]))
    assert inline[inline.index("--aclfile") + 1] == ACL_PATH
    assert inline[inline.index("--bind") + 1 : inline.index("--bind") + 3] == ["*", "-::*"]
