"""The resources the dev and prod stacks register (type, name, parent chain, inputs) are the
ones recorded in `snapshots/<stack>.json`.

A refactor that renames or retypes a resource, or changes what it sends to a provider, would
make `pulumi up` replace or update it on every user's host; this test makes such a change
visible. Values the mocks generate afresh on every run (keys, certificates, passwords, random
bytes) and what is derived from them (bcrypt hashes, SHA-256 digests) are replaced by a
placeholder naming the resource output they came from, so the structure around them is still
compared. Regenerate after an intended change (and say why in the commit):
`UPDATE_SNAPSHOTS=1 pytest tests/unit/test_registered_resources.py`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from testing.mock_stack import CONTAINER, PROJECT_DIR, RecordedStack, is_secret, unwrap

SNAPSHOTS = Path(__file__).parent / "snapshots"
GENERATED_TYPES = ("tls:", "random:")
_BCRYPT = re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}")
_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----\n.*?-----END \1-----\n?", re.DOTALL)


def _generated_values(stack: RecordedStack) -> dict[str, str]:
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


def _normalise(value: Any, generated: dict[str, str], ordered: list[str]) -> Any:
    if is_secret(value):
        return {"<secret>": _normalise(value["value"], generated, ordered)}
    if isinstance(value, dict):
        return {k: _normalise(v, generated, ordered) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_normalise(v, generated, ordered) for v in value]
    if isinstance(value, str):
        for original in ordered:
            if original in value:
                value = value.replace(original, generated[original])
        value = _BCRYPT.sub("<bcrypt>", value)
        value = _PEM.sub(lambda m: f"<pem:{m.group(1)}>", value)
        return value.replace(str(PROJECT_DIR), "<project>")
    return value


def _config_digests(stack: RecordedStack) -> dict[str, str]:
    """A service's digest labels and reload triggers -> placeholder, when they are the digest of
    the uploads of its config carrier (`hardening.files_digest`) or the HMAC of its secrets
    carrier's under its generated key (`hardening.secrets_hmac`)."""
    digests: dict[str, str] = {}
    names = {r.name for r in stack.resources}
    for carrier in sorted(stack.of_type(CONTAINER), key=lambda c: c.name, reverse=True):  # same files: first name
        uploads = unwrap(carrier.raw_inputs.get("uploads") or [])
        if not uploads:
            continue
        key = f"{carrier.name}-key"
        hasher: Any = (
            hmac.new(unwrap(stack.named(key).outputs["result"]).encode(), digestmod=hashlib.sha256)
            if key in names
            else hashlib.sha256()
        )
        for upload in uploads:
            mode = int(upload["permissions"], 8)
            hasher.update(f"{upload['file']}\0{mode:o}\0".encode() + upload["content"].encode() + b"\0")
        digests[hasher.hexdigest()] = f"<{'hmac' if key in names else 'sha256'}(files of {carrier.name})>"
    return digests


def registered(stack: RecordedStack) -> dict[str, Any]:
    generated = {**_generated_values(stack), **_config_digests(stack)}
    ordered = sorted(generated, key=len, reverse=True)  # longest first: a key's PEM before its parts
    resources = [
        {
            "type": r.type,
            "name": r.name,
            "parents": r.parent_types[:-1],
            "inputs": _normalise(r.raw_inputs, generated, ordered),
        }
        for r in sorted(stack.resources, key=lambda r: (r.type, r.name))
    ]
    return {"resources": resources, "exports": _normalise(stack.exports, generated, ordered)}


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_registered_resources_match_the_snapshot(stack_name: str, request: pytest.FixtureRequest) -> None:
    stack: RecordedStack = request.getfixturevalue(f"{stack_name}_stack")
    actual = json.dumps(registered(stack), indent=1, sort_keys=True) + "\n"
    path = SNAPSHOTS / f"{stack_name}.json"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(actual)
    assert actual == path.read_text(), f"registered resources of {stack_name} differ from {path}"
