"""Strict JSON types and required code bindings, checked against the R4 definitions.

``fhir.resources`` parses leniently (``"active": "yes"`` becomes ``True``, ``"value": "3.5"`` a
decimal) while medsim stores the JSON it was given, so a lax value would be stored as a string,
invisible to searches and rejected by strict clients on read. HAPI's parser refuses a value of the
wrong JSON type; so does this module, naming the element. It also checks every ``code`` element
bound to a *required* value set (``Observation.status``, ``Patient.gender``,
``MedicationRequest.intent`` ...) against that value set's codes.

Both come from ``data/r4_definitions.json``, derived from the FHIR R4 (4.0.1) specification's
StructureDefinitions and ValueSets by ``scripts/gen_fhir_definitions.py``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

INTEGERS = {"integer", "unsignedInt", "positiveInt"}
MAX_PROBLEMS = 10
Spec = tuple[tuple[str, ...], bool, str | None]  # (type codes, repeats, required value set)


@cache
def _definitions() -> dict[str, Any]:
    text = resources.files("medsim.fhir").joinpath("data/r4_definitions.json").read_text()
    return dict(json.loads(text))


@cache
def resource_types() -> frozenset[str]:
    """Every R4 resource type name."""
    return frozenset(_definitions()["resources"])


@cache
def _group(path: str) -> dict[str, Spec]:
    raw = _definitions()["elements"].get(path) or {}
    return {k: (tuple(v[0]), bool(v[1]), v[2]) for k, v in raw.items()}


@cache
def _codes(value_set: str) -> frozenset[str]:
    return frozenset(_definitions()["valueSets"].get(value_set) or ())


def check(resource: dict[str, Any]) -> list[str]:
    """Problems of ``resource`` (each naming its element), at most :data:`MAX_PROBLEMS`."""
    problems: list[str] = []
    rtype = str(resource.get("resourceType", ""))
    if rtype in resource_types():
        _object(resource, rtype, rtype, problems)
    return problems


def _object(node: dict[str, Any], group: str, where: str, problems: list[str]) -> None:
    specs = _group(group)
    for key, value in node.items():
        if len(problems) >= MAX_PROBLEMS:
            return
        spec = specs.get(key)
        if spec is None:
            continue  # resourceType, _element extensions, unknown names: the model check's job
        types, repeats, value_set = spec
        path = f"{where}.{key}"
        if repeats:
            if not isinstance(value, list):
                problems.append(f"{path}: expected a JSON array, got {_kind(value)}")
                continue
            for i, item in enumerate(value):
                _value(item, types, value_set, f"{path}[{i}]", group, key, problems)
        elif isinstance(value, list):
            problems.append(f"{path}: expected a single value, got a JSON array")
        else:
            _value(value, types, value_set, path, group, key, problems)


def _value(
    value: Any,
    types: tuple[str, ...],
    value_set: str | None,
    path: str,
    group: str,
    key: str,
    problems: list[str],
) -> None:
    t = types[0] if types else "BackboneElement"
    if t.startswith("#"):  # contentReference: the same structure as another element
        _complex(value, t[1:], path, problems)
        return
    if t == "boolean":
        ok = isinstance(value, bool)
    elif t in INTEGERS:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif t == "decimal":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif t[:1].islower():  # string, code, uri, date, dateTime, id, markdown ...
        ok = isinstance(value, str)
        if ok and value_set and value not in _codes(value_set):
            shown = ", ".join(sorted(_codes(value_set)))
            problems.append(f'{path}: "{value}" is not in the required value set ({shown})')
            return
    elif t == "Resource":
        if isinstance(value, dict) and value.get("resourceType") in resource_types():
            _object(value, str(value["resourceType"]), path, problems)
            return
        ok = isinstance(value, dict)
    else:
        sub = f"{group}.{key}" if t in ("BackboneElement", "Element") else t
        _complex(value, sub, path, problems)
        return
    if not ok:
        problems.append(f"{path}: expected a JSON {_json_kind(t)}, got {_kind(value)}")


def _complex(value: Any, group: str, path: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f"{path}: expected a JSON object, got {_kind(value)}")
        return
    _object(value, group, path, problems)


def _json_kind(fhir_type: str) -> str:
    if fhir_type == "boolean":
        return "boolean (true/false)"
    if fhir_type in INTEGERS:
        return "integer"
    if fhir_type == "decimal":
        return "number"
    return f"string ({fhir_type})"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {json.dumps(value)}"
    if isinstance(value, int | float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {json.dumps(value[:40], ensure_ascii=False)}"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    return "an object"
