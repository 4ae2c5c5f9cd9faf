"""The CapabilityStatement of the embedded engine: exactly what it supports, generated from the
search-parameter data and the R4 resource list (``tests/fhir/test_capability.py`` exercises every
claim against the engine).

Every R4 resource type can be read, written and searched by the common parameters (``_id``,
``_lastUpdated``, ``_tag``, ``_profile``, ``_security``); the types in
``data/search_parameters.json`` have their R4 search parameters too.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from medsim.fhir.search_params import definitions
from medsim.fhir.strict import resource_types

INTERACTIONS = (
    "read",
    "vread",
    "update",
    "patch",
    "delete",
    "history-instance",
    "history-type",
    "create",
    "search-type",
)
SYSTEM_INTERACTIONS = ("transaction", "batch", "history-system")
VALIDATE = {
    "name": "validate",
    "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate",
}
EVERYTHING = {
    "name": "everything",
    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
}


@cache
def _rev_includes() -> dict[str, list[str]]:
    """Target type -> ``Source:param`` for every reference parameter that can point at it."""
    out: dict[str, set[str]] = {}
    defs = definitions()
    for source, params in defs.items():
        if source.startswith("_"):
            continue
        for name, p in params.items():
            if p.type != "reference":
                continue
            for target in p.target or tuple(t for t in defs if not t.startswith("_")):
                out.setdefault(target, set()).add(f"{source}:{name}")
    return {k: sorted(v) for k, v in out.items()}


def resource_entry(rtype: str) -> dict[str, Any]:
    defs = definitions()
    params = defs.get(rtype, defs["_common"])
    entry: dict[str, Any] = {
        "type": rtype,
        "interaction": [{"code": c} for c in INTERACTIONS],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": True,
        "conditionalCreate": True,
        "conditionalRead": "not-supported",
        "conditionalUpdate": True,
        "conditionalDelete": "multiple",
        "searchInclude": sorted(f"{rtype}:{n}" for n, p in params.items() if p.type == "reference"),
        "searchRevInclude": _rev_includes().get(rtype, []),
        "searchParam": [{"name": name, "type": p.type} for name, p in sorted(params.items())],
        "operation": [VALIDATE, *([EVERYTHING] if rtype == "Patient" else [])],
    }
    return {k: v for k, v in entry.items() if v != []}


@cache
def _entries() -> tuple[dict[str, Any], ...]:
    return tuple(resource_entry(t) for t in sorted(resource_types()))


def capability_statement(base_url: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-01",
        "kind": "instance",
        "software": {"name": "medsim embedded FHIR engine"},
        "implementation": {"description": "medsim embedded engine (SQLite)", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "patchFormat": ["application/json-patch+json"],
        "rest": [
            {
                "mode": "server",
                "compartment": ["http://hl7.org/fhir/CompartmentDefinition/patient"],
                "resource": [dict(e) for e in _entries()],
                "interaction": [{"code": c} for c in SYSTEM_INTERACTIONS],
                "searchParam": [
                    {"name": n, "type": p.type} for n, p in sorted(definitions()["_common"].items())
                ],
            }
        ],
    }
