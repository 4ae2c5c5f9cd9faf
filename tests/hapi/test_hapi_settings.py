"""The settings medsim relies on, checked against the running HAPI server."""

from __future__ import annotations

import random

import httpx
import pytest

pytestmark = pytest.mark.hapi


def _patient(pid: str, family: str) -> dict[str, object]:
    return {"resourceType": "Patient", "id": pid, "name": [{"family": family, "given": ["Ann"]}]}


def _observation(patient: str, loinc: str = "2823-3") -> dict[str, object]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "subject": {"reference": f"Patient/{patient}"},
        "valueQuantity": {
            "value": 4.1,
            "unit": "mmol/L",
            "system": "http://unitsofmeasure.org",
            "code": "mmol/L",
        },
    }


def test_metadata_is_r4(fhir: httpx.Client) -> None:
    cap = fhir.get("metadata").json()
    assert cap["resourceType"] == "CapabilityStatement"
    assert cap["fhirVersion"] == "4.0.1"
    types = {r["type"] for r in cap["rest"][0]["resource"]}
    assert {"Patient", "Observation", "MedicationRequest", "Encounter"} <= types


def test_create_read_search_round_trip(fhir: httpx.Client, tag: str) -> None:
    created = fhir.post("Patient", json={"resourceType": "Patient", "name": [{"family": tag}]})
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert fhir.get(f"Patient/{pid}").json()["name"][0]["family"] == tag
    obs = fhir.post("Observation", json=_observation(pid))
    assert obs.status_code == 201, obs.text
    bundle = fhir.get(
        "Observation", params={"subject": f"Patient/{pid}", "code": "http://loinc.org|2823-3"}
    ).json()
    assert bundle["type"] == "searchset"
    assert bundle["total"] == 1
    assert bundle["entry"][0]["resource"]["id"] == obs.json()["id"]


def test_search_cache_is_off(fhir: httpx.Client, tag: str) -> None:
    """The same search right after a write sees the write (HAPI caches 60 s by default)."""
    query = {"family": tag}
    assert fhir.get("Patient", params=query).json()["total"] == 0
    assert fhir.put(f"Patient/{tag}-a", json=_patient(f"{tag}-a", tag)).status_code == 201
    assert fhir.get("Patient", params=query).json()["total"] == 1
    assert fhir.put(f"Patient/{tag}-b", json=_patient(f"{tag}-b", tag)).status_code == 201
    assert fhir.get("Patient", params=query).json()["total"] == 2


def test_put_with_client_ids(fhir: httpx.Client, tag: str) -> None:
    numeric = str(
        random.randrange(10**11, 10**12)
    )  # purely numeric ids need client_id_strategy ANY
    for pid in (f"{tag}-0001", numeric):
        r = fhir.put(f"Patient/{pid}", json=_patient(pid, tag))
        assert r.status_code == 201, r.text
        assert fhir.get(f"Patient/{pid}").json()["id"] == pid


def test_contains_search_and_partial_references(fhir: httpx.Client, tag: str) -> None:
    """``:contains`` is allowed, and a reference to a missing resource is accepted on write."""
    assert fhir.put(f"Patient/{tag}", json=_patient(tag, f"X{tag}Y")).status_code == 201
    assert fhir.get("Patient", params={"family:contains": tag}).json()["total"] == 1
    dangling = fhir.post("Observation", json=_observation(f"{tag}-not-loaded"))
    assert dangling.status_code == 201, dangling.text


def test_multiple_delete_and_expunge(fhir: httpx.Client, tag: str) -> None:
    """DELETE by search removes several resources; $expunge then removes them physically."""
    assert fhir.put(f"Patient/{tag}", json=_patient(tag, tag)).status_code == 201
    ids = [fhir.post("Observation", json=_observation(tag)).json()["id"] for _ in range(3)]
    deleted = fhir.delete("Observation", params={"subject": f"Patient/{tag}"})
    assert deleted.status_code == 200, deleted.text
    assert fhir.get("Observation", params={"subject": f"Patient/{tag}"}).json()["total"] == 0
    assert fhir.get(f"Observation/{ids[0]}").status_code == 410  # deleted, history kept
    params = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "expungeDeletedResources", "valueBoolean": True},
            {"name": "expungePreviousVersions", "valueBoolean": True},
        ],
    }
    for oid in ids:
        r = fhir.post(f"Observation/{oid}/$expunge", json=params)
        assert r.status_code == 200, r.text
        assert fhir.get(f"Observation/{oid}").status_code == 404  # gone for good
        assert fhir.get(f"Observation/{oid}/_history/1").status_code == 404
