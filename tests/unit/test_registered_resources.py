"""The resources the dev and prod stacks register (type, name, parent chain, inputs) are the
ones recorded in `snapshots/<stack>.json`.

A refactor that renames or retypes a resource, or changes what it sends to a provider, would
make `pulumi up` replace or update it on every user's host; this test makes such a change
visible. Values the mocks generate afresh on every run (keys, certificates, passwords, random
bytes) and what is derived from them (bcrypt hashes, SHA-256 digests) are replaced by a
placeholder naming the resource output they came from (testing/generated.py, which `make render`
uses too), so the structure around them is still compared. Regenerate after an intended change
(and say why in the commit):
`UPDATE_SNAPSHOTS=1 pytest tests/unit/test_registered_resources.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from testing.generated import Placeholders
from testing.mock_stack import RecordedStack

SNAPSHOTS = Path(__file__).parent / "snapshots"


def registered(stack: RecordedStack) -> dict[str, Any]:
    placeholders = Placeholders(stack)
    resources = [
        {
            "type": r.type,
            "name": r.name,
            "parents": r.parent_types[:-1],
            "inputs": placeholders.value(r.raw_inputs),
        }
        for r in sorted(stack.resources, key=lambda r: (r.type, r.name))
    ]
    return {"resources": resources, "exports": placeholders.value(stack.exports)}


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_registered_resources_match_the_snapshot(stack_name: str, request: pytest.FixtureRequest) -> None:
    stack: RecordedStack = request.getfixturevalue(f"{stack_name}_stack")
    actual = json.dumps(registered(stack), indent=1, sort_keys=True) + "\n"
    path = SNAPSHOTS / f"{stack_name}.json"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(actual)
    assert actual == path.read_text(), f"registered resources of {stack_name} differ from {path}"
