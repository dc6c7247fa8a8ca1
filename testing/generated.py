"""Values the Pulumi mocks make up afresh on every run, and placeholders for them.

Keys, certificates, passwords and random bytes (testing/fake_tls.py, pulumi-random's mock) differ
between two processes, and so do what is derived from them (bcrypt hashes, SHA-256 digests, the
HMACs of secret files). The registered-resources snapshot and `make render` replace each by a
placeholder naming the resource output it came from, so two runs (or a base and a head checkout)
compare equal wherever the program did not change.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from testing.mock_stack import CONTAINER, PROJECT_DIR, RecordedStack, is_secret, unwrap

GENERATED_TYPES = ("tls:", "random:")
_BCRYPT = re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}")
_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----\n.*?-----END \1-----\n?", re.DOTALL)


def _outputs(stack: RecordedStack) -> dict[str, str]:
    """Generated value -> placeholder, for every output a provider mock made up."""
    values: dict[str, str] = {}
    for resource in stack.resources:
        if not resource.type.startswith(GENERATED_TYPES):
            continue
        inputs = resource.inputs
        for key, value in resource.outputs.items():
            plain = value["value"] if is_secret(value) else value
            if key in inputs or not isinstance(plain, str) or len(plain) < 8:
                continue
            values[plain] = f"<{resource.name}.{key}>"
            values[hashlib.sha256(plain.encode()).hexdigest()] = f"<sha256({resource.name}.{key})>"
    return values


def _file_digests(stack: RecordedStack) -> dict[str, str]:
    """A service's digest labels and reload triggers -> placeholder: the SHA-256 of its config
    carrier's uploads (`hardening.files_digest`) or the HMAC of its secrets carrier's under its
    generated key (`hardening.secrets_hmac`)."""
    digests: dict[str, str] = {}
    names = {r.name for r in stack.resources}
    for carrier in sorted(stack.of_type(CONTAINER), key=lambda c: c.name, reverse=True):  # same files: first name
        uploads = unwrap(carrier.raw_inputs.get("uploads") or [])
        if not uploads:
            continue
        key = f"{carrier.name}-key"
        keyed = key in names
        hasher: Any = (
            hmac.new(str(unwrap(stack.named(key).outputs["result"])).encode(), digestmod=hashlib.sha256)
            if keyed
            else hashlib.sha256()
        )
        for upload in uploads:
            mode = int(upload["permissions"], 8)
            hasher.update(f"{upload['file']}\0{mode:o}\0".encode() + upload["content"].encode() + b"\0")
        digests[hasher.hexdigest()] = f"<{'hmac' if keyed else 'sha256'}(files of {carrier.name})>"
    return digests


class Placeholders:
    """Replaces every generated value of one recorded stack in text (longest first)."""

    def __init__(self, stack: RecordedStack) -> None:
        self.values = {**_outputs(stack), **_file_digests(stack)}
        self._ordered = sorted(self.values, key=len, reverse=True)  # a key's PEM before its parts

    def text(self, value: str) -> str:
        for original in self._ordered:
            if original in value:
                value = value.replace(original, self.values[original])
        value = _BCRYPT.sub("<bcrypt>", value)
        value = _PEM.sub(lambda m: f"<pem:{m.group(1)}>", value)
        return value.replace(str(PROJECT_DIR), "<project>")

    def value(self, value: Any) -> Any:
        """`value` with generated strings replaced; secret sentinels become {"<secret>": ...}."""
        if is_secret(value):
            return {"<secret>": self.value(value["value"])}
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in sorted(value.items())}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value
