"""Declared sections: one pydantic model per object setting, whose fields declare each nested key once (type,
default, description, constraints, secret or not) and refuse every other key (`extra="forbid"`).

pydantic 2 (already a dependency of the Pulumi SDK's tooling here, well kept, typed) does the type and
constraint checks and the unknown-key detection at any depth; this module turns its errors into the stack's
one problem shape (`promshield:<path> = <value>: <expected>`, and `unknown_key` for a key not declared), and
a model into the rows of the configuration reference (docs/settings-reference.md, tools/readme.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.config import JsonDict

from components.core.settings.reader import Reader


class Declared(BaseModel):
    """A section of config: its keys are the camelCase aliases of the fields; any other key is refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, alias_generator=to_camel)


M = TypeVar("M", bound=Declared)


def declared(default: Any, description: str, expected: str, *, secret: bool = False, **constraints: Any) -> Any:
    """A field: its default, what it means (the reference), what a bad value is told (`expected ...`), and its
    pydantic constraints (ge, le, pattern, ...)."""
    extra: JsonDict = {"expected": expected, "secret": secret}
    return Field(default, description=description, json_schema_extra=extra, **constraints)


def read_declared(r: Reader, key: str, model: type[M], raw: Mapping[str, Any], secret_hint: str | None = None) -> M:
    """`raw` (the object at config key `key`) as `model`; every problem goes to `r` in the one shape, and the
    section is still returned (a bad or unknown key falls back to its default) so every other problem is found."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as error:
        bad: set[str] = set()
        aliases = {info.alias or name: info for name, info in model.model_fields.items()}
        for problem in error.errors():
            name = str(problem["loc"][0])
            bad.add(name)
            if problem["type"] == "extra_forbidden":
                r.unknown_keys(key, {name: problem["input"]}, aliases, secret_hint)
                continue
            info = aliases.get(name)
            expected = ((info.json_schema_extra or {}) if info is not None else {}).get("expected")  # type: ignore[union-attr]
            r.problem(f"{key}.{name}", raw.get(name), str(expected or problem["msg"].removeprefix("Value error, ")))
        return model.model_validate({k: v for k, v in raw.items() if k not in bad})


@dataclass(frozen=True)
class Row:
    """One nested key of the configuration reference."""

    key: str
    type: str
    default: str
    secret: bool
    description: str


def reference(key: str, model: type[Declared]) -> Iterator[Row]:
    """The rows of `model`'s keys under config key `key`, in declaration order."""
    schema = model.model_json_schema(by_alias=True)
    for name, info in model.model_fields.items():
        alias = info.alias or name
        prop = schema["properties"][alias]
        kinds = [option.get("type", "object") for option in prop.get("anyOf", [prop])]
        shown = " or ".join(kind for kind in kinds if kind != "null") + (" (optional)" if "null" in kinds else "")
        default = "" if info.default is None else json.dumps(info.default)
        secret = bool((info.json_schema_extra or {}).get("secret"))  # type: ignore[union-attr]
        yield Row(f"{key}.{alias}", shown, default, secret, info.description or "")
