"""The CapabilityStatement of the embedded engine, generated from the search-parameter data."""

from __future__ import annotations

from typing import Any

from medsim.fhir.search_params import definitions


def capability_statement(base_url: str) -> dict[str, Any]:
    resources = []
    for rtype, params in sorted(definitions().items()):
        if rtype.startswith("_"):
            continue
        resources.append(
            {
                "type": rtype,
                "interaction": [
                    {"code": c} for c in ("read", "search-type", "create", "update", "delete")
                ],
                "versioning": "versioned",
                "searchParam": [
                    {"name": name, "type": p.type} for name, p in sorted(params.items())
                ],
                "searchInclude": sorted(
                    f"{rtype}:{n}" for n, p in params.items() if p.type == "reference"
                ),
            }
        )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2025-01-01",
        "kind": "instance",
        "software": {"name": "medsim embedded FHIR engine"},
        "implementation": {"description": "medsim embedded engine (SQLite)", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "resource": resources,
                "interaction": [{"code": "transaction"}, {"code": "batch"}],
            }
        ],
    }
