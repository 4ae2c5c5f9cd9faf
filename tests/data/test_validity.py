"""Generated resources validate as FHIR R4 (fhir.resources R4B models)."""

from __future__ import annotations

from typing import Any

import pytest

from medsim.data.cohort.validate import Validator

Json = dict[str, Any]
EXPECTED_TYPES = {
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Location",
    "Encounter",
    "Condition",
    "Observation",
    "DiagnosticReport",
    "MedicationRequest",
    "Procedure",
    "Immunization",
    "AllergyIntolerance",
    "DocumentReference",
}
SAMPLE_PER_TYPE = 60


def _sample(resources: list[Json]) -> dict[str, list[Json]]:
    by_type: dict[str, list[Json]] = {}
    for res in resources:
        by_type.setdefault(res["resourceType"], []).append(res)
    return {t: rows[:: max(1, len(rows) // SAMPLE_PER_TYPE)] for t, rows in by_type.items()}


def test_shipped_cohort_has_every_type(shipped: list[Json]) -> None:
    assert {r["resourceType"] for r in shipped} == EXPECTED_TYPES


@pytest.mark.parametrize("rtype", sorted(EXPECTED_TYPES))
def test_shipped_sample_validates(shipped: list[Json], rtype: str) -> None:
    validator = Validator()
    for res in _sample(shipped)[rtype]:
        validator.check(res)
    assert validator.errors == []
    assert validator.checked > 0


def test_fresh_cohort_all_valid(small: list[Json]) -> None:
    validator = Validator()
    for res in small:
        validator.check(res)
    assert validator.errors == []


def test_validator_rejects_r5_only_and_broken_resources() -> None:
    validator = Validator()
    assert not validator.check({"resourceType": "Observation", "status": "final"})  # no code
    assert not validator.check(
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "x"},
            "effectiveDateTime": "yesterday",
        }
    )
    assert len(validator.errors) == 2


def test_no_billing_resources(shipped: list[Json]) -> None:
    assert not {"Claim", "ExplanationOfBenefit", "Coverage"} & {r["resourceType"] for r in shipped}
