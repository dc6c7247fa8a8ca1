"""Files a container receives: those holding a key or a password hash are 0600/0400 or stricter."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from pulumi_policy import ReportViolation, ResourceValidationArgs

from components.core import catalog
from policy.support import container_policy, describe, labels_of, mode_of, uploads_of, visible

SECRET_MODE_BITS = 0o600  # an upload holding key material may use these bits and no others
# Secret material recognised by content.
PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----|PuTTY-User-Key-File-")
PASSWORD_HASH = re.compile(
    r"\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}"  # bcrypt (htpasswd -B, Prometheus/Alertmanager basic_auth_users)
    r"|\$apr1\$[./A-Za-z0-9]{1,8}\$"  # Apache MD5
    r"|\$[56]\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$"  # SHA-crypt
    r"|\$argon2(?:id|i|d)\$"
    r"|\{SHA\}[A-Za-z0-9+/]{27}="
)
# Redis ACL rules with a password: `#<sha256 hex>` or a plaintext `>password`.
REDIS_ACL_PASSWORD = re.compile(r"^user\s+\S+(?:\s+\S+)*?\s+(?:#[0-9a-fA-F]{64}|>\S+)(?:\s|$)", re.MULTILINE)
# Secret material recognised by path (used alone when the content is not visible).
SECRET_DIRECTORIES = frozenset({"secrets", "private"})
SECRET_SUFFIXES = (".key", ".p12", ".pfx", ".jks", ".keystore")
SECRET_NAME_PARTS = ("htpasswd", "password", "passwd", "token", "credentials", "private_key", "private-key")
URL_WITH_PASSWORD = re.compile(r"://[^/\s:@]+:[^/\s@]+@")


def secret_path_reason(path: str) -> str | None:
    """Why a path alone marks an upload as holding a secret, or None."""
    pure = PurePosixPath(path)
    name = pure.name.lower()
    if any(part.lower() in SECRET_DIRECTORIES for part in pure.parts[:-1]):
        return f"it is in a {'/'.join(p for p in pure.parts[:-1] if p.lower() in SECRET_DIRECTORIES)} directory"
    if name.endswith(SECRET_SUFFIXES):
        return f"its name ends with {PurePosixPath(name).suffix}"
    for part in SECRET_NAME_PARTS:
        if part in name:
            return f"its name contains {part!r}"
    return None


def secret_content_reason(text: str) -> str | None:
    if PRIVATE_KEY.search(text):
        return "it holds a private key"
    if PASSWORD_HASH.search(text):
        return "it holds a password hash"
    if REDIS_ACL_PASSWORD.search(text):
        return "it holds Redis ACL passwords"
    return None


@container_policy
def secret_file_modes(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Uploads holding a private key or password hash (by content, or by path when the content is not visible) are
    0600/0400 or stricter.
    """
    who = describe(args)
    for upload in uploads_of(args.props):
        shown, text = visible(upload.text)  # not visible: judged by its path alone (see the module doc)
        reason = secret_content_reason(text) if shown and text is not None else None
        reason = reason or secret_path_reason(upload.path)
        if reason is None:
            continue
        mode = mode_of(upload.props)
        if mode is None:
            report(
                f"{who} uploads {upload.path} ({reason}) with unreadable permissions "
                f'{upload.props.get("permissions")!r}. Fix: permissions="0{catalog.MODE_SECRET:o}".',
                None,
            )
        elif mode & ~SECRET_MODE_BITS:
            report(
                f"{who} uploads {upload.path} with mode 0{mode:o}, but {reason}: group, others or "
                "execute bits are set. "
                f'Fix: permissions="0{catalog.MODE_SECRET:o}" (or 0{catalog.MODE_CONFIG:o}) and the '
                "service's uid as owner.",
                None,
            )


@container_policy
def secrets_apart_from_config(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """A config carrier (label kind=config) uploads no secret, by content or path: one secret upload
    makes Pulumi keep the whole `uploads` list secret, which hides every config change in
    `pulumi preview --diff`. Secrets go to the service's secrets carrier (kind=secrets)."""
    if labels_of(args.props).get(catalog.LABEL_KIND) != catalog.KIND_CONFIG:
        return
    for upload in uploads_of(args.props):
        shown, text = visible(upload.text)
        reason = secret_content_reason(text) if shown and text is not None else None
        reason = reason or secret_path_reason(upload.path)
        if reason is not None:
            report(
                f"{describe(args)} is a config carrier and uploads {upload.path}, but {reason}: it makes every "
                "upload of this carrier secret, so no config change shows in a preview. Fix: create the file with "
                f"hardening.secret_file (under {catalog.SECRETS_DIR}), which puts it in the secrets carrier.",
                None,
            )
