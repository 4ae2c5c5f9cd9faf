"""The stable FHIR tools on the real embedded engine: the server's JSON, errors as results."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from medsim.fhir import EmbeddedBackend
from medsim.tools import ToolContext, get_tool

PATIENT = {"resourceType": "Patient", "id": "pat-x1", "gender": "female", "birthDate": "1970-05-01"}
K = {
    "resourceType": "Observation",
    "id": "obs-k1",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]},
    "subject": {"reference": "Patient/pat-x1"},
    "effectiveDateTime": "2024-03-14T06:00:00+00:00",
    "valueQuantity": {
        "value": 3.2,
        "unit": "mmol/L",
        "system": "http://unitsofmeasure.org",
        "code": "mmol/L",
    },
}
ORDER: dict[str, Any] = {
    "resourceType": "MedicationRequest",
    "status": "active",
    "intent": "order",
    "medicationCodeableConcept": {
        "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "8591"}]
    },
    "subject": {"reference": "Patient/pat-x1"},
}


@pytest.fixture(scope="module")
def backend() -> Iterator[EmbeddedBackend]:
    b = EmbeddedBackend()
    b.load([PATIENT, K])
    yield b
    b.close()


@pytest.fixture()
def ctx(backend: EmbeddedBackend) -> Iterator[ToolContext]:
    ep = backend.episode()
    yield ToolContext(fhir=ep, patient_id="pat-x1")
    ep.close()


def call(name: str, args: dict[str, Any], ctx: ToolContext) -> Any:
    return get_tool(name).invoke(args, ctx)


def test_search_returns_searchset_bundle(ctx: ToolContext) -> None:
    res = call(
        "fhir_search",
        {
            "resource_type": "Observation",
            "params": {"patient": "pat-x1", "code": "http://loinc.org|2823-3"},
        },
        ctx,
    )
    assert res.error is None
    assert res.value["resourceType"] == "Bundle" and res.value["type"] == "searchset"
    assert res.value["total"] == 1 and res.value["entry"][0]["resource"]["id"] == "obs-k1"


def test_search_list_value_repeats_parameter(ctx: ToolContext) -> None:
    res = call(
        "fhir_search",
        {
            "resource_type": "Observation",
            "params": {"patient": "pat-x1", "date": ["ge2024-03-01", "le2024-03-20"]},
        },
        ctx,
    )
    assert res.error is None and res.value["total"] == 1


def test_read_and_not_found(ctx: ToolContext) -> None:
    assert (
        call("fhir_read", {"resource_type": "Patient", "id": "pat-x1"}, ctx).value["gender"]
        == "female"
    )
    missing = call("fhir_read", {"resource_type": "Patient", "id": "nobody"}, ctx)
    assert missing.kind == "fhir_error" and missing.error.startswith("HTTP 404")
    assert missing.value["resourceType"] == "OperationOutcome"


def test_bad_search_parameter_is_operation_outcome(ctx: ToolContext) -> None:
    res = call("fhir_search", {"resource_type": "Observation", "params": {"bogus-param": "1"}}, ctx)
    assert res.kind == "fhir_error" and res.value["resourceType"] == "OperationOutcome"


def test_injection_attempts_change_nothing(ctx: ToolContext) -> None:
    bad_type = call("fhir_search", {"resource_type": "Observation; DROP TABLE resources"}, ctx)
    assert bad_type.kind == "invalid_arguments"
    bad_path = call("fhir_read", {"resource_type": "Patient", "id": "../../etc/passwd"}, ctx)
    assert bad_path.kind == "invalid_arguments"
    sqlish = call(
        "fhir_search", {"resource_type": "Patient", "params": {"_id": "x' OR '1'='1"}}, ctx
    )
    assert sqlish.error is None and sqlish.value["total"] == 0
    assert ctx.fhir.writes == []


def test_create_and_update_write_to_the_episode(ctx: ToolContext) -> None:
    created = call("fhir_create", {"resource_type": "MedicationRequest", "resource": ORDER}, ctx)
    assert created.error is None and created.value["id"]
    rid = created.value["id"]
    changed = {**created.value, "status": "cancelled"}
    updated = call(
        "fhir_update", {"resource_type": "MedicationRequest", "id": rid, "resource": changed}, ctx
    )
    assert updated.error is None and updated.value["status"] == "cancelled"
    assert [w.method for w in ctx.fhir.writes] == ["create", "update"]


def test_create_rejects_mismatch_and_invalid(ctx: ToolContext) -> None:
    mismatch = call("fhir_create", {"resource_type": "ServiceRequest", "resource": ORDER}, ctx)
    assert mismatch.kind == "tool_error" and "resourceType" in mismatch.error
    invalid = call(
        "fhir_create",
        {"resource_type": "MedicationRequest", "resource": {**ORDER, "subject": "Patient/pat-x1"}},
        ctx,
    )
    assert invalid.kind == "fhir_error" and invalid.value["resourceType"] == "OperationOutcome"
    wrong_id = call(
        "fhir_update",
        {"resource_type": "MedicationRequest", "id": "a", "resource": {**ORDER, "id": "b"}},
        ctx,
    )
    assert wrong_id.kind == "tool_error"
    assert ctx.fhir.writes == []


def test_no_ehr_attached() -> None:
    res = call("fhir_search", {"resource_type": "Patient"}, ToolContext())
    assert res.kind == "tool_error" and "no EHR" in res.error


def test_fhir_request_runs_any_interaction(ctx: ToolContext) -> None:
    hist = call("fhir_request", {"method": "GET", "url": "Patient/pat-x1/_history"}, ctx)
    assert hist.error is None and hist.value["type"] == "history"
    patch = [{"op": "replace", "path": "/gender", "value": "other"}]
    patched = call("fhir_request", {"method": "PATCH", "url": "Patient/pat-x1", "body": patch}, ctx)
    assert patched.error is None and patched.value["gender"] == "other"
    assert [(w.method, w.id) for w in ctx.fhir.writes] == [("update", "pat-x1")]
    gone = call("fhir_request", {"method": "DELETE", "url": "Patient/nobody"}, ctx)
    assert gone.kind == "fhir_error" and gone.value["resourceType"] == "OperationOutcome"
