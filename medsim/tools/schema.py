"""JSON-schema helpers for tools: tidy pydantic's schema for models, and draw random valid values
from a schema (what the action space's ``sample()`` uses for tools without their own sampler)."""

from __future__ import annotations

from typing import Any

import numpy as np

_CHILD_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_WORDS = ("potassium", "glucose", "follow up", "stable", "none", "reviewed")


def clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop pydantic's ``title`` noise and collapse ``X | None = None`` to plain ``X``.

    Only schema keywords are touched: a property that happens to be called ``title`` stays.
    """
    required = set(schema.get("required", []))
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title":
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            children = {name: clean_schema(sub) for name, sub in value.items()}
            if key == "properties":
                children = {
                    name: _drop_null(sub) if name not in required else sub
                    for name, sub in children.items()
                }
            out[key] = children
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = clean_schema(value)
        elif key in _CHILD_LISTS and isinstance(value, list):
            out[key] = [clean_schema(s) if isinstance(s, dict) else s for s in value]
        else:
            out[key] = value
    return out


def _drop_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional parameter's ``anyOf [X, null]`` with default null -> X (absence means null)."""
    branches = schema.get("anyOf")
    if not isinstance(branches, list):
        return schema
    rest = [b for b in branches if b != {"type": "null"}]
    if len(rest) != len(branches) - 1 or schema.get("default") is not None:
        return schema
    merged = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
    if len(rest) == 1:
        return {**rest[0], **merged}
    return {**merged, "anyOf": rest}


def sample_from_schema(
    schema: dict[str, Any], rng: np.random.Generator, root: dict[str, Any] | None = None
) -> Any:
    """A random value valid for ``schema`` (examples and enums first, then by type)."""
    root = root or schema
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return sample_from_schema(root.get("$defs", {}).get(name, {}), rng, root)
    if schema.get("examples"):
        return _pick(schema["examples"], rng)
    if "enum" in schema:
        return _pick(schema["enum"], rng)
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s != {"type": "null"}] or schema[key]
            return sample_from_schema(_pick(options, rng), rng, root)
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = _pick([k for k in kind if k != "null"] or kind, rng)
    if kind == "object":
        props: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        return {
            name: sample_from_schema(sub, rng, root)
            for name, sub in props.items()
            if name in required or rng.random() < 0.5
        }
    if kind == "array":
        count = int(rng.integers(0, 3))
        return [sample_from_schema(schema.get("items", {}), rng, root) for _ in range(count)]
    if kind == "integer":
        return int(rng.integers(schema.get("minimum", 0), schema.get("maximum", 100) + 1))
    if kind == "number":
        return round(float(rng.uniform(schema.get("minimum", 0), schema.get("maximum", 100))), 2)
    if kind == "boolean":
        return bool(rng.integers(0, 2))
    if kind == "null":
        return None
    return str(_pick(list(_WORDS), rng))


def _pick(options: list[Any], rng: np.random.Generator) -> Any:
    return options[int(rng.integers(0, len(options)))]
