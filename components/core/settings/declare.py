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

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel
from pydantic.config import JsonDict

from components.core.durations import duration_ms, is_duration, is_go_duration, shown_ms
from components.core.settings.reader import Reader


class Declared(BaseModel):
    """A section of config: its keys are the camelCase aliases of the fields; any other key is refused. The code
    builds one by field name (`QueryLimits(max_samples=...)`), config only by its keys (`read_declared`)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
    )

    @field_validator("*")
    @classmethod
    def _duration_in_bounds(cls, value: Any, info: ValidationInfo) -> Any:
        """A field declared with `duration` holds a duration within its bounds."""
        extra = cls.model_fields[str(info.field_name)].json_schema_extra
        bounds = extra.get("duration") if isinstance(extra, dict) else None
        if isinstance(bounds, list) and isinstance(extra, dict):
            low, high, go = bounds
            check = is_go_duration if go else is_duration
            if not check(value) or not int(str(low)) <= duration_ms(str(value)) <= int(str(high)):
                raise ValueError(str(extra["expected"]))
        return value


M = TypeVar("M", bound=Declared)


def declared(default: Any, description: str, expected: str, *, secret: bool = False, **constraints: Any) -> Any:
    """A field: its default, what it means (the reference), what a bad value is told (`expected ...`), and its
    pydantic constraints (ge, le, pattern, ...)."""
    extra: JsonDict = {"expected": expected, "secret": secret}
    return Field(default, description=description, json_schema_extra=extra, **constraints)


def bounded(default: int, description: str, low: int, high: int) -> Any:
    """An integer field between `low` and `high`."""
    return declared(default, description, f"expected an integer between {low} and {high}", ge=low, le=high)


def duration(default: str, description: str, low_ms: int, high_ms: int, *, go: bool = False) -> Any:
    """A duration field between `low_ms` and `high_ms` (a Go duration with `go`: no days or weeks)."""
    expected = f"expected a duration between {shown_ms(low_ms)} and {shown_ms(high_ms)}, such as {default}"
    extra: JsonDict = {"expected": expected, "secret": False, "duration": [low_ms, high_ms, go]}
    return Field(default, description=description, json_schema_extra=extra)


def read_declared(r: Reader, key: str, model: type[M], raw: Mapping[str, Any], secret_hint: str | None = None) -> M:
    """`raw` (the object at config key `key`) as `model`; every problem goes to `r` in the one shape, and the
    section is still returned (a bad or unknown key falls back to its default) so every other problem is found."""
    try:
        return model.model_validate(dict(raw), by_alias=True, by_name=False)
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
            extra = info.json_schema_extra if info is not None else None
            expected = extra.get("expected") if isinstance(extra, dict) else None
            r.problem(f"{key}.{name}", raw.get(name), str(expected or problem["msg"].removeprefix("Value error, ")))
        return model.model_validate({k: v for k, v in raw.items() if k not in bad}, by_alias=True, by_name=False)


@dataclass(frozen=True)
class Row:
    """One nested key of the configuration reference."""

    key: str
    type: str
    default: str
    secret: bool
    description: str
    accepted: str  # the constraint, as a bad value is told it


def reference(key: str, model: type[Declared]) -> Iterator[Row]:
    """The rows of `model`'s keys under config key `key`, in declaration order."""
    schema = model.model_json_schema(by_alias=True)
    for name, info in model.model_fields.items():
        alias = info.alias or name
        prop = schema["properties"][alias]
        kinds = [option.get("type", "object") for option in prop.get("anyOf", [prop])]
        shown = " or ".join(kind for kind in kinds if kind != "null") + (" (optional)" if "null" in kinds else "")
        default = "" if info.default is None else json.dumps(info.default)
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        accepted = str(extra.get("expected", "")).removeprefix("expected ")
        yield Row(f"{key}.{alias}", shown, default, bool(extra.get("secret")), info.description or "", accepted)
