"""Files of the dev stack's demo Redis (pure: settings in, file text out).

Design
------
* `components/redis/templates/demo-redis.conf` holds every directive and no secret. It goes to
  `/etc/redis/redis.conf` (`CONF_PATH`) and Redis runs `redis-server /etc/redis/redis.conf`.
* Users live in an ACL file, `/run/secrets/users.acl` (`ACL_PATH`), because Redis cannot
  read a password from a file named in `redis.conf` and `requirepass` would be readable
  through `CONFIG GET`. The ACL file carries each password only as `#<sha256 hex>`, which
  Redis ACL files support: the program hashes the stack's secret passwords and renders the
  file; the hash is unsalted, hence stable across runs (no diff on every preview), and safe
  because the passwords are long random strings. It is uploaded 0400, owned by the redis uid
  (`DEMO_REDIS`), and stays secret in Pulumi's state.
* redis.conf arrives through the service's config carrier (plain, reviewable), the ACL file
  through its secrets carrier, each into a volume the server mounts read-only
  (components/core/hardening.py). So `ACL SAVE` fails and no user added at runtime outlives a
  restart: the rendered users are the whole truth.
* Users: `default` is `off` with no password (not `nopass`: with `nopass` protected
  mode would refuse every non-loopback client), an admin user (`+@all` on all keys and
  channels) and the redis_exporter user with the least-privilege rules of
  `components.redis.acl`.
* The exporter user is rendered into this file for the demo Redis: the Pulumi dynamic provider
  (`components.redis.provider`) runs on the machine that runs `pulumi up` and needs a
  route to Redis, and the demo Redis sits on the internal backend network with no published
  port. The provider is for a Redis the deploying machine can reach (the trading system's
  own Redis). Both use the same rules.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from components.core.catalog import DEMO_REDIS
from components.redis.acl import acl_file_line, validate_sha256, validate_username

CONF_TEMPLATE = Path(__file__).resolve().parent / "templates" / "demo-redis.conf"
CONF_PATH = f"{DEMO_REDIS.config_dir}/redis.conf"
# In the read-only secrets directory: the rendered users are the whole truth (ACL SAVE fails
# on purpose, so no runtime change outlives a restart).
ACL_PATH = f"{DEMO_REDIS.secrets_dir}/users.acl"
SERVER_BINARY = "redis-server"


def conf_directives(text: str) -> list[tuple[str, list[str]]]:
    """`(name, values)` for each directive of a redis.conf text, in order (quotes honoured)."""
    directives: list[tuple[str, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        words = shlex.split(stripped)
        if len(words) < 2:
            raise ValueError(f"redis.conf line {number}: {stripped!r} has no value")
        directives.append((words[0].lower(), words[1:]))
    return directives


def demo_redis_conf() -> str:
    """The demo redis.conf, checked against the catalog's port and paths."""
    text = CONF_TEMPLATE.read_text(encoding="utf-8")
    found = {name: values for name, values in conf_directives(text)}
    expected = {
        "port": [str(DEMO_REDIS.port)],
        "dir": [DEMO_REDIS.data_dir],
        "aclfile": [ACL_PATH],
        "protected-mode": ["yes"],
    }
    for name, values in expected.items():
        if found.get(name) != values:
            raise ValueError(f"{CONF_TEMPLATE}: {name} must be {' '.join(values)!r}, found {found.get(name)!r}")
    for forbidden in ("requirepass", "masterauth", "rename-command", "user"):
        if forbidden in found:
            raise ValueError(f"{CONF_TEMPLATE}: {forbidden} does not belong in redis.conf (use the ACL file)")
    return text


def render_users_acl(
    admin_user: str,
    admin_password_sha256: str,
    exporter_user: str | None = None,
    exporter_password_sha256: str | None = None,
    check_keys: Sequence[str] = (),
) -> str:
    """The ACL file: default user off, the admin user, optionally the exporter user."""
    validate_username(admin_user)
    validate_sha256(admin_password_sha256, "admin password hash")
    lines = [
        "user default reset off resetpass resetkeys resetchannels -@all",
        f"user {admin_user} reset on #{admin_password_sha256} ~* &* +@all",
    ]
    if exporter_user is not None or exporter_password_sha256 is not None:
        if exporter_user is None or exporter_password_sha256 is None:
            raise ValueError("exporter_user and exporter_password_sha256 go together")
        if exporter_user == admin_user:
            raise ValueError("the exporter user must not be the admin user")
        lines.append(acl_file_line(exporter_user, exporter_password_sha256, check_keys))
    return "\n".join(lines) + "\n"


def render_demo_redis_files(
    admin_user: str,
    admin_password_sha256: str,
    exporter_user: str | None = None,
    exporter_password_sha256: str | None = None,
    check_keys: Sequence[str] = (),
) -> dict[str, str]:
    """Container path -> file text for the demo Redis (`CONF_PATH` and `ACL_PATH`)."""
    return {
        CONF_PATH: demo_redis_conf(),
        ACL_PATH: render_users_acl(
            admin_user, admin_password_sha256, exporter_user, exporter_password_sha256, check_keys
        ),
    }


def demo_redis_command(inline: bool = False) -> list[str]:
    """The container command: read `CONF_PATH`, or (`inline`) the same directives as arguments."""
    if not inline:
        return [SERVER_BINARY, CONF_PATH]
    command = [SERVER_BINARY]
    for name, values in conf_directives(demo_redis_conf()):
        command += [f"--{name}", *values]
    return command
