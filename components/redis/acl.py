"""The Redis ACL of the redis_exporter user: least privilege, as data (pure: no Pulumi, no I/O).

What the exporter sends was measured, not guessed: Debian's prometheus-redis-exporter 1.45 was
run against redis-server 7.0 as a user allowed only `+info`, and every denial it caused was
read back from `ACL LOG`; the commands added by newer releases (the pinned image is 1.74)
were read from the exporter's source. `tests/redis/` proves the result on a real server:
the exporter reports `redis_up 1` with no ACL denial, and `ACL DRYRUN` over every command
and subcommand of `COMMAND INFO` allows exactly the set below.

Base rules (always; `acl_rules()`):

```
on resetkeys resetchannels -@all
+ping +info +select +client|setname
+slowlog|get +slowlog|len +latency|latest +latency|histogram
```

`on`, `resetkeys`, `resetchannels`, `-@all`
    Start from nothing: no key may be read or written, no Pub/Sub channel used, no command
    run except those added below. (The provider sends `reset` first, so an existing user
    loses everything it had, passwords and selectors included, in the same atomic command.)
`+info`
    `INFO ALL`: almost every metric (redis_up, memory, clients, keyspace, commandstats,
    latencystats, errorstats, replication, persistence). Without it the scrape fails.
`+ping`
    Sent with `--ping-on-connect` (`redis_exporter_last_scrape_ping_time_seconds`) and
    handy for health checks. Touches no data.
`+select`
    Sent when the exporter addresses a database other than 0 (`redis://host:port/N`) and,
    with key checks, before scanning each `dbN=` pattern. Grants no key access by itself.
`+client|setname`
    `CLIENT SETNAME redis_exporter` on connect (`--set-client-name`, default on), so the
    exporter's connection is recognisable in `CLIENT LIST`. Not `+client`: that would
    include `CLIENT KILL`, `PAUSE`, `NO-EVICT` and `LIST` (every client's address
    and last command).
`+slowlog|len`, `+slowlog|get`
    `redis_slowlog_length`; `SLOWLOG GET 1` gives `redis_slowlog_last_id` and
    `redis_last_slow_execution_duration_seconds`. Not `SLOWLOG RESET`. CAUTION:
    `SLOWLOG GET` shows the (truncated) arguments of slow commands, which may include
    values written by applications (`AUTH` and `ACL SETUSER` arguments are redacted by
    Redis).
`+latency|latest`, `+latency|histogram`
    `redis_latency_spike_*` and, in newer exporters, `redis_commands_latencies_usec`
    (the pinned 1.74 image sends `LATENCY HISTOGRAM` every scrape). Not `LATENCY RESET`.

Redis itself always lets any user run `AUTH`, `HELLO`, `QUIT` and the connection-level
`RESET` (they bypass ACLs); they touch no data and are part of the allowed set the tests
write out.

Key checks (`acl_rules(check_keys=[...])`, for `--check-keys` / `--check-single-keys`
/ `--count-keys`) add, restricted to the given glob patterns:

`%R~<pattern>`
    Read-only key permission: no command may write these keys, whatever it is.
`+scan`
    Expands patterns (`SCAN cursor MATCH p COUNT n`). CAUTION: ACLs do not filter SCAN's
    reply, so the exporter user can list the *names* (not values) of all keys.
`+type`, then the size by type: `+strlen` (string), `+llen` (list), `+scard` (set),
`+zcard` (zset), `+hlen` (hash), `+xlen` (stream)
    `redis_key_size`.
`+get`
    `redis_key_value`: the exporter GETs every matched string key (both 1.45 and 1.74) to
    export numeric values; without it every scrape logs a denial per key.
`(~<pattern> +pfcount)`
    A Redis 7 selector. `PFCOUNT` (size of a HyperLogLog, tried first on string keys by
    exporter 1.74) is flagged read-only but declares its key `RW` because it may update
    the HLL's cached cardinality, so `%R~` refuses it. The selector grants `PFCOUNT`
    alone write-capable key access on the patterns; no other command gets it.

Deliberately not granted: `config|get`. `CONFIG GET` returns `requirepass` and `masterauth`
in clear text (verified on 7.0 with both set) and an ACL cannot restrict it to some parameters,
so whoever held the exporter's password would hold the Redis. The exporter runs with
`--config-command=-` (`components/redis/component.py`: v1.74 then skips `CONFIG GET *`;
Debian's 1.45 sends the unknown command `-`, which Redis refuses before any ACL check, so
`ACL LOG` stays empty) and takes what it needs from `INFO`: `maxmemory` (`redis_memory_max_bytes`,
the memory-ratio rule's denominator), `maxclients` (`redis_max_clients` in v1.74), and the
keyspace (`redis_db_keys`; without `databases` the exporter assumes Redis' default of 16).
Lost: only the `redis_config_*` series (`maxmemory`, `maxclients`, `io_threads`), which no rule
uses. Also not granted: `memory|usage` (only used inside the exporter's
`--check-key-groups` Lua script, which needs `EVAL` — never granted: scripts run
arbitrary commands), `client|list` (`--export-client-list`: every client's address and
last command), `cluster|info` (cluster mode only: add it for a cluster), `xinfo|*`
(`--check-streams`), anything `@write`, `@scripting`, `CONFIG SET|REWRITE|RESETSTAT`,
`CLIENT KILL|PAUSE`, `SLOWLOG RESET`, `LATENCY RESET`, `ACL *`, `MONITOR`, `KEYS`,
`DEBUG`, `MODULE`, `SHUTDOWN`, `FLUSH*`. ACL key patterns are global: a `dbN=` prefix
on a check-keys entry selects the database for the exporter but the ACL pattern covers that
name in every database.

The password is never part of what this module returns: the provider appends `>password`
only to the command it sends, and Redis stores only its SHA-256.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

# Resets applied before any grant (after the provider's leading `reset`).
BASE_RULES: tuple[str, ...] = ("on", "resetkeys", "resetchannels", "-@all")

#: Commands the exporter needs for its usual metrics, in the order they are granted.
_EXPORTER_COMMAND_ORDER: tuple[str, ...] = (
    "ping",
    "info",
    "select",
    "client|setname",
    "slowlog|get",
    "slowlog|len",
    "latency|latest",
    "latency|histogram",
)
EXPORTER_COMMANDS: frozenset[str] = frozenset(_EXPORTER_COMMAND_ORDER)

# Read-only key commands added with key checks (key access limited by `%R~` patterns).
_KEY_CHECK_COMMAND_ORDER: tuple[str, ...] = (
    "scan",
    "type",
    "strlen",
    "llen",
    "scard",
    "zcard",
    "hlen",
    "xlen",
    "get",
)
KEY_CHECK_COMMANDS: frozenset[str] = frozenset(_KEY_CHECK_COMMAND_ORDER)

#: Granted only in a selector with read-write key access to the patterns (see module doc).
KEY_CHECK_SELECTOR_COMMANDS: frozenset[str] = frozenset({"pfcount"})

#: Commands Redis lets every user run, whatever the ACL says (no-auth connection commands).
ALWAYS_ALLOWED_BY_REDIS: frozenset[str] = frozenset({"auth", "hello", "quit", "reset"})

_USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$")
_DB_PREFIX_RE = re.compile(r"^db(\d+)=(.*)$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_FORBIDDEN_IN_PATTERN = re.compile(r"[\s()\"'\x00-\x1f\x7f]")


def validate_username(username: str) -> str:
    """A Redis ACL user name we create: plain characters, never Redis' `default` user."""
    if not isinstance(username, str) or not _USERNAME_RE.match(username):
        raise ValueError(
            f"invalid Redis ACL username {username!r}: use 1-64 characters of A-Z a-z 0-9 _ . : @ - starting "
            "with a letter or digit"
        )
    if username == "default":
        raise ValueError("the Redis 'default' user is not managed here: it stays disabled")
    return username


def key_pattern(entry: str) -> str:
    """The ACL glob for one check-keys entry (`pattern` or the exporter's `dbN=pattern`)."""
    if not isinstance(entry, str):
        raise TypeError(f"check_keys entries must be strings, got {type(entry).__name__}")
    match = _DB_PREFIX_RE.match(entry.strip())
    pattern = match.group(2) if match else entry.strip()
    if not pattern:
        raise ValueError(f"empty key pattern in check_keys entry {entry!r}")
    if _FORBIDDEN_IN_PATTERN.search(pattern):
        raise ValueError(
            f"key pattern {pattern!r} contains whitespace, quotes, parentheses or control characters, which Redis "
            "ACL rules cannot carry"
        )
    return pattern


def key_patterns(check_keys: Sequence[str]) -> list[str]:
    """The distinct ACL globs for `check_keys`, in first-seen order."""
    if isinstance(check_keys, str):
        raise TypeError("check_keys must be a list of patterns, not one string")
    seen: list[str] = []
    for entry in check_keys:
        pattern = key_pattern(entry)
        if pattern not in seen:
            seen.append(pattern)
    return seen


def allowed_commands(check_keys: Sequence[str] = ()) -> frozenset[str]:
    """Every command the rules grant (selector included), lowercase `cmd` / `cmd|sub`."""
    if key_patterns(check_keys):
        return EXPORTER_COMMANDS | KEY_CHECK_COMMANDS | KEY_CHECK_SELECTOR_COMMANDS
    return EXPORTER_COMMANDS


def acl_rules(check_keys: Sequence[str] = ()) -> list[str]:
    """The ACL SETUSER rule tokens for the exporter user, WITHOUT any password.

    One token per Redis argument; the selector, when present, is one token `(...)`.
    """
    patterns = key_patterns(check_keys)
    rules = list(BASE_RULES)
    rules += [f"+{command}" for command in _EXPORTER_COMMAND_ORDER]
    if patterns:
        rules += [f"%R~{pattern}" for pattern in patterns]
        rules += [f"+{command}" for command in _KEY_CHECK_COMMAND_ORDER]
        # `~` is how Redis writes %RW~ back (ACL GETUSER / ACL LIST): keep them identical.
        selector = [f"~{pattern}" for pattern in patterns]
        selector += [f"+{command}" for command in sorted(KEY_CHECK_SELECTOR_COMMANDS)]
        rules.append("(" + " ".join(selector) + ")")
    return rules


def acl_rule_string(check_keys: Sequence[str] = ()) -> str:
    """The rules as one line (for docs, ACL files and the closing note)."""
    return " ".join(acl_rules(check_keys))


def password_sha256(password: str) -> str:
    """The form Redis stores a password in (`ACL GETUSER` `passwords`, `#<hex>` in files)."""
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def validate_sha256(value: str, what: str = "password hash") -> str:
    if not isinstance(value, str) or not _SHA256_RE.match(value):
        raise ValueError(f"{what} must be 64 lowercase hex characters (a SHA-256 digest)")
    return value


def acl_file_line(username: str, password_hash: str, check_keys: Sequence[str] = ()) -> str:
    """One `users.acl` line for the exporter user, with the password as `#<sha256>`."""
    validate_username(username)
    validate_sha256(password_hash)
    return " ".join(["user", username, "reset", *acl_rules(check_keys), f"#{password_hash}"])
