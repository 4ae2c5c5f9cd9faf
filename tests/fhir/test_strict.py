"""Strict JSON types and required code bindings on every write path, and validated loading.

Expected values come from the FHIR R4 specification (Patient.gender: AdministrativeGender =
male | female | other | unknown; Observation.status: ObservationStatus; Patient.active: boolean;
Quantity.value: decimal), not from the code under test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medsim.fhir import EmbeddedBackend, FhirError
from medsim.fhir.loader import DataError
from tests.fhir.test_writes import _obs

WRONG_TYPES = [
    ({"resourceType": "Patient", "active": "yes"}, "Patient.active"),
    ({"resourceType": "Patient", "active": 1}, "Patient.active"),
    ({"resourceType": "Patient", "gender": "banana"}, "Patient.gender"),
    ({"resourceType": "Patient", "name": [{"given": "Jo"}]}, "Patient.name[0].given"),
    ({"resourceType": "Patient", "multipleBirthInteger": 2.5}, "Patient.multipleBirthInteger"),
    ({**_obs(), "status": "bogus"}, "Observation.status"),
    ({**_obs(), "valueQuantity": {"value": "3.5"}}, "Observation.valueQuantity.value"),
    (
        {
            "resourceType": "MedicationRequest",
            "status": "active",
            "intent": "wish",
            "medicationCodeableConcept": {"text": "x"},
            "subject": {"reference": "Patient/pat-1"},
        },
        "MedicationRequest.intent",
    ),
]


@pytest.mark.parametrize(("resource", "element"), WRONG_TYPES)
def test_wrong_types_and_codes_are_refused_on_every_write_path(
    ep: Any, resource: dict[str, Any], element: str
) -> None:
    with pytest.raises(FhirError) as err:
        ep.create(resource)
    assert err.value.status == 400 and element in err.value.diagnostics
    status, outcome = ep.request("POST", resource["resourceType"], resource)
    assert status == 400 and outcome["resourceType"] == "OperationOutcome"
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": resource, "request": {"method": "POST", "url": resource["resourceType"]}}
        ],
    }
    status, _ = ep.request("POST", "", bundle)
    assert status == 400
    assert ep.writes == []


def test_valid_codes_are_accepted(ep: Any) -> None:
    for status in ("registered", "preliminary", "final", "amended", "corrected", "cancelled"):
        assert ep.create({**_obs(), "status": status})["status"] == status


json_scalars = st.one_of(
    st.booleans(), st.integers(-5, 5), st.floats(-10, 10, allow_nan=False), st.text(max_size=5)
)


@settings(max_examples=60, deadline=None)
@given(active=json_scalars, value=json_scalars)
def test_what_is_stored_is_what_a_read_returns(active: Any, value: Any) -> None:
    """Any write either fails, or stores values of the right JSON type that a read returns."""
    ep = _shared_episode()
    ep.reset()
    patient = {"resourceType": "Patient", "id": "p1", "active": active}
    obs = {**_obs("p1"), "valueQuantity": {"value": value, "unit": "mmol/L"}}
    try:
        ep.update("Patient", "p1", patient)
    except FhirError:
        assert not isinstance(active, bool)
        return
    assert isinstance(active, bool)
    read = ep.read("Patient", "p1")
    assert read["active"] is active
    assert [
        e["resource"]["id"]
        for e in ep.search("Patient", {"active": str(active).lower(), "_id": "p1"})["entry"]
    ] == ["p1"]
    try:
        stored = ep.create(obs)
    except FhirError:
        assert isinstance(value, bool | str)
        return
    assert isinstance(value, int | float) and not isinstance(value, bool)
    assert ep.read("Observation", stored["id"])["valueQuantity"]["value"] == value


_EP: list[Any] = []


def _shared_episode() -> Any:
    if not _EP:
        backend = EmbeddedBackend()
        _EP.append(backend.episode())
    return _EP[0]


def _write_ndjson(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_loader_validates_and_reports_file_and_line(tmp_path: Path) -> None:
    rows = [
        {"resourceType": "Patient", "id": "a", "gender": "female"},
        {"resourceType": "Patient", "id": "b", "active": "yes"},
        {"resourceType": "Patient", "id": "c", "gender": "banana"},
    ]
    data = _write_ndjson(tmp_path / "pats.ndjson", rows)
    with pytest.raises(DataError) as err:
        EmbeddedBackend(data, use_cache=False)
    text = str(err.value)
    assert f"{data}:2" in text and f"{data}:3" in text and "Patient.active" in text
    assert "nothing was loaded" in text
    kept = EmbeddedBackend(data, use_cache=False, skip_invalid=True)
    assert kept.count() == 1 and len(kept.rejected) == 2
    unsafe = EmbeddedBackend(data, use_cache=False, validate=False)
    assert unsafe.count() == 3


def test_load_into_an_existing_base_is_all_or_nothing(tmp_path: Path) -> None:
    backend = EmbeddedBackend()
    backend.load([{"resourceType": "Patient", "id": "ok", "gender": "male"}])
    with pytest.raises(DataError):
        backend.load(
            [
                {"resourceType": "Patient", "id": "new", "gender": "male"},
                {"resourceType": "Patient", "id": "bad", "gender": "x"},
            ]
        )
    assert backend.count() == 1
