"""Writes: validation, server-assigned ids and versions, references, transactions, batch."""

from __future__ import annotations

from typing import Any

import pytest

from medsim.fhir import FhirError
from medsim.fhir.query import MAX_COUNT
from tests.fhir.helpers import all_ids, snapshot


def _obs(patient: str = "pat-1", value: float = 3.1) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": "2023-11-12T08:00:00Z",
        "valueQuantity": {
            "value": value,
            "unit": "mmol/L",
            "system": "http://unitsofmeasure.org",
            "code": "mmol/L",
        },
    }


def test_create_assigns_id_and_meta(ep: Any) -> None:
    before = set(all_ids(ep, "Observation", {"patient": "pat-1"}))
    stored = ep.create(_obs())
    assert stored["id"] and stored["meta"]["versionId"] == "1" and stored["meta"]["lastUpdated"]
    assert ep.read("Observation", stored["id"])["valueQuantity"]["value"] == 3.1
    assert set(all_ids(ep, "Observation", {"patient": "pat-1"})) == before | {stored["id"]}
    assert [(w.method, w.resource_type, w.id) for w in ep.writes] == [
        ("create", "Observation", stored["id"])
    ]


def test_update_bumps_version(ep: Any) -> None:
    pat = ep.read("Patient", "pat-2")
    pat["gender"] = "other"
    stored = ep.update("Patient", "pat-2", pat)
    assert int(stored["meta"]["versionId"]) == int(pat["meta"]["versionId"]) + 1
    assert ep.read("Patient", "pat-2")["gender"] == "other"
    assert "pat-2" in all_ids(ep, "Patient", {"gender": "other"})


def test_delete_then_read_is_gone(ep: Any) -> None:
    stored = ep.create(_obs())
    ep.delete("Observation", stored["id"])
    with pytest.raises(FhirError) as err:
        ep.read("Observation", stored["id"])
    assert err.value.status in (404, 410)
    assert stored["id"] not in all_ids(ep, "Observation", {"patient": "pat-1"}, count=100)


@pytest.mark.parametrize(
    "resource",
    [
        {
            "resourceType": "Observation",
            "status": "final",
            "subject": {"reference": "Patient/pat-1"},
        },  # no code
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "x"},
            "effectiveDateTime": "yesterday",
        },
        {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "bogusField": 1},
        {
            "resourceType": "MedicationRequest",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"text": "x"},
        },  # no subject (1..1)
        {"resourceType": "NotAType", "id": "x"},
        {"status": "final"},
    ],
)
def test_invalid_resources_are_rejected_and_store_unchanged(
    ep: Any, resource: dict[str, Any]
) -> None:
    before = snapshot(ep)
    with pytest.raises(FhirError) as err:
        ep.create(resource)
    assert 400 <= err.value.status < 500
    assert err.value.outcome["resourceType"] == "OperationOutcome"
    assert snapshot(ep) == before and ep.writes == []


def test_r4_medication_request_accepted(ep: Any) -> None:
    stored = ep.create(
        {
            "resourceType": "MedicationRequest",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {
                "coding": [
                    {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1719286"}
                ]
            },
            "subject": {"reference": "Patient/pat-1"},
            "authoredOn": "2023-11-13T10:15:00+00:00",
            "dosageInstruction": [
                {
                    "route": {"text": "oral"},
                    "doseAndRate": [{"doseQuantity": {"value": 40, "unit": "mEq"}}],
                }
            ],
        }
    )
    assert set(all_ids(ep, "MedicationRequest", {"patient": "pat-1"})) == {stored["id"]}


def test_transaction_resolves_urn_uuid_and_is_atomic(ep: Any) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:11111111-1111-1111-1111-111111111111",
                "resource": {
                    "resourceType": "ServiceRequest",
                    "status": "active",
                    "intent": "order",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]},
                    "subject": {"reference": "Patient/pat-1"},
                },
                "request": {"method": "POST", "url": "ServiceRequest"},
            },
            {
                "resource": {
                    **_obs(),
                    "basedOn": [{"reference": "urn:uuid:11111111-1111-1111-1111-111111111111"}],
                },
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }
    out = ep.transaction(bundle)
    assert out["type"] == "transaction-response"
    sr_loc = out["entry"][0]["response"]["location"]
    assert sr_loc.startswith("ServiceRequest/") and out["entry"][0]["response"][
        "status"
    ].startswith("201")
    obs_id = out["entry"][1]["response"]["location"].split("/")[1]
    assert ep.read("Observation", obs_id)["basedOn"][0]["reference"] == "/".join(
        sr_loc.split("/")[:2]
    )
    # an invalid second entry rolls back the first
    before = snapshot(ep)
    n_writes = len(ep.writes)
    bad = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": _obs(), "request": {"method": "POST", "url": "Observation"}},
            {
                "resource": {"resourceType": "Observation", "status": "final"},
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }
    with pytest.raises(FhirError):
        ep.transaction(bad)
    assert snapshot(ep) == before and len(ep.writes) == n_writes


def test_batch_reports_each_entry(ep: Any) -> None:
    out = ep.transaction(
        {
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [
                {"resource": _obs(), "request": {"method": "POST", "url": "Observation"}},
                {
                    "resource": {"resourceType": "Observation", "status": "final"},
                    "request": {"method": "POST", "url": "Observation"},
                },
            ],
        }
    )
    statuses = [e["response"]["status"] for e in out["entry"]]
    assert statuses[0].startswith("201") and statuses[1].startswith("4")


def test_rest_request_grammar(ep: Any) -> None:
    status, created = ep.request("POST", "http://localhost:8080/fhir/Observation", _obs())
    assert status == 201
    status, bundle = ep.request("GET", f"Observation?_id={created['id']}&_format=json")
    assert status == 200 and bundle["total"] == 1
    status, outcome = ep.request("GET", "Observation?bogus=1")
    assert status == 400 and outcome["resourceType"] == "OperationOutcome"
    status, meta = ep.request("GET", "metadata")
    assert status == 200 and meta["fhirVersion"].startswith("4.0")


def test_a_reference_to_a_contained_resource_is_not_looked_up(ep: Any) -> None:
    """``#med1`` points inside the resource (R4 references.html#contained): no server lookup,
    no 404, on every backend; a reference to a missing resource is still refused."""
    order = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "contained": [
            {
                "resourceType": "Medication",
                "id": "med1",
                "code": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                     "code": "1719286"}]},
            }
        ],
        "medicationReference": {"reference": "#med1"},
        "subject": {"reference": "Patient/pat-1"},
    }  # fmt: skip
    stored = ep.create(order)
    assert ep.read("MedicationRequest", stored["id"])["medicationReference"] == {
        "reference": "#med1"
    }
    with pytest.raises(FhirError) as err:
        ep.create({**order, "subject": {"reference": "Patient/no-such-patient"}})
    assert err.value.status == 400


@pytest.mark.parametrize("count", [5, MAX_COUNT])
def test_a_count_within_the_page_size_gets_no_warning(ep: Any, count: int) -> None:
    """Only a ``_count`` above the largest page is reduced and warned about: ``_count=5`` and
    ``_count`` equal to the largest page are served as asked."""
    bundle = ep.search("Observation", {"patient": "pat-1", "_count": str(count)})
    kinds = [e["resource"]["resourceType"] for e in bundle.get("entry") or []]
    assert "OperationOutcome" not in kinds and len(kinds) <= count
    over = ep.search("Observation", {"patient": "pat-1", "_count": str(MAX_COUNT + 1)})
    assert [e["resource"]["resourceType"] for e in over["entry"]][-1] == "OperationOutcome"


def test_update_with_another_id_in_the_body_is_refused(ep: Any) -> None:
    created = ep.create(_obs())
    with pytest.raises(FhirError) as err:
        ep.update("Observation", created["id"], {**created, "id": "someone-else"})
    assert err.value.status == 400
    assert ep.read("Observation", created["id"])["valueQuantity"] == created["valueQuantity"]


def test_an_unreachable_server_is_a_503() -> None:
    """A transient failure (connection refused), not a 4xx the agent would be blamed for."""
    import socket

    from medsim.fhir.http import HttpBackend

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = HttpBackend(f"http://127.0.0.1:{port}/fhir", check=False, timeout=2.0)
    episode = backend.episode()
    with pytest.raises(FhirError) as err:
        episode.read("Patient", "pat-1")
    assert err.value.status == 503
    episode.close()
    backend.close()
