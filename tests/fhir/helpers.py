"""Shared helpers for the FHIR behaviour suite."""

from __future__ import annotations

from typing import Any

from medsim.fhir import FhirClient

TYPES = (
    "Patient",
    "Observation",
    "Condition",
    "Practitioner",
    "MedicationRequest",
    "ServiceRequest",
)


def all_ids(client: FhirClient, rtype: str, params: Any = None, count: int = 50) -> list[str]:
    """Every matching id, following ``next`` links (checks each match is visited once)."""
    pairs = list(params.items()) if isinstance(params, dict) else list(params or [])
    bundle = client.search(rtype, [*pairs, ("_count", str(count))])
    ids: list[str] = []
    total = bundle.get("total")
    while True:
        ids += [
            e["resource"]["id"]
            for e in bundle.get("entry", [])
            if e.get("search", {}).get("mode", "match") == "match"
        ]
        nxt = next(
            (link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None
        )
        if not nxt:
            break
        status, bundle = client.request("GET", nxt)
        assert status == 200, bundle
    assert len(ids) == len(set(ids)), "paging returned a resource twice"
    if total is not None:
        assert total == len(ids)
    return ids


PATIENTS = ",".join(f"pat-{i}" for i in range(1, 7))
SCOPE: dict[str, dict[str, str]] = {
    "Patient": {"_id": PATIENTS},
    "Practitioner": {"_id": "prac-1"},
    "Observation": {"patient": PATIENTS},
    "Condition": {"patient": PATIENTS},
    "MedicationRequest": {"patient": PATIENTS},
    "ServiceRequest": {"patient": PATIENTS},
}


def snapshot(client: FhirClient) -> dict[str, list[tuple[str, str]]]:
    """(id, versionId) of every resource of the test data set's patients: equal snapshots =
    unchanged store. Scoped to the data set so a shared server's other data can't interfere."""
    out: dict[str, list[tuple[str, str]]] = {}
    for rtype in TYPES:
        rows: list[tuple[str, str]] = []
        bundle = client.search(rtype, {**SCOPE[rtype], "_sort": "_id", "_count": "500"})
        while True:
            rows += [
                (e["resource"]["id"], e["resource"].get("meta", {}).get("versionId", ""))
                for e in bundle.get("entry", [])
                if e.get("search", {}).get("mode", "match") == "match"
            ]
            nxt = next(
                (link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None
            )
            if not nxt:
                break
            status, bundle = client.request("GET", nxt)
            assert status == 200, bundle
        out[rtype] = sorted(rows)
    return out
