"""Reader of the proxy's users and their optional passwords."""

from __future__ import annotations

import re

from components.core.settings.reader import Reader
from components.core.settings.types import SecretValue, User
from components.proxy.rbac import ROLES

DEFAULT_USERS = (("admin", "admin"), ("ops", "ops"), ("read-only", "read-only"))
MIN_PASSWORD_LENGTH = 12
USER_NAME = re.compile(r"^[a-z][a-z0-9._-]{0,31}$")


def read_users(r: Reader) -> tuple[User, ...]:
    raw = r.structured("users", [{"name": n, "role": role} for n, role in DEFAULT_USERS], list)
    passwords = r.structured("userPasswords", {}, dict)
    users: list[User] = []
    seen: set[str] = set()
    for entry in raw:
        if not isinstance(entry, dict):
            r.problem("users", entry, 'expected objects like {"name": "alice", "role": "read-only"}')
            continue
        name, role = entry.get("name"), entry.get("role")
        label = name if isinstance(name, str) and USER_NAME.match(name) else "<name>"
        r.unknown_keys(f"users[{label}]", entry, ("name", "role"), f"--path 'userPasswords.{label}'")
        if not isinstance(name, str) or not USER_NAME.match(name):
            r.problem(
                "users[].name", name, "expected a lowercase name of 1-32 characters: letters, digits, '.', '_' or '-'"
            )
            continue
        if name in seen:
            r.problem("users[].name", name, "duplicate user: each name must appear once")
            continue
        seen.add(name)
        if role not in ROLES:
            r.problem(f"users[{name}].role", role, f"unknown role; expected one of {', '.join(ROLES)}")
            continue
        password = passwords.get(name)
        if password is not None and (not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH):
            r.problem(
                f"userPasswords.{name}",
                SecretValue(str(password)),
                f"expected at least {MIN_PASSWORD_LENGTH} characters (or unset it to generate one)",
            )
            password = None
        users.append(User(name, role, SecretValue(password) if password else None))
    for name in passwords:
        if name not in seen:
            r.problem("userPasswords", name, "has a password for a user not listed in promshield:users")
    if raw and not any(u.role == "admin" for u in users) and not r.problems:
        r.problem("users", [u.name for u in users], "expected at least one user with role admin")
    return tuple(users)
