"""One dotted-path walker: graders read resources with the search engine's walker, so a path
means the same in a checkpoint as in a search parameter (choice elements included)."""

from __future__ import annotations

from medsim.grading.checkpoints.fhirdata import get_path

MED = {
    "resourceType": "MedicationRequest",
    "dosageInstruction": [
        {"doseAndRate": [{"doseQuantity": {"value": 40, "unit": "mEq"}}]},
        {"doseAndRate": [{"doseRange": {"low": {"value": 1}}}]},
    ],
    "note": None,
}


def test_lists_are_flattened_and_nulls_dropped() -> None:
    assert get_path(MED, "dosageInstruction.doseAndRate.doseQuantity.value") == [40]
    assert get_path(MED, "note") == [] and get_path(MED, "missing.path") == []


def test_choice_elements_match_like_search_parameters() -> None:
    got = get_path(MED, "dosageInstruction.doseAndRate.dose[x]")
    assert got == [{"value": 40, "unit": "mEq"}, {"low": {"value": 1}}]
    obs = {"resourceType": "Observation", "valueQuantity": {"value": 3.1}, "valueString": "x"}
    assert get_path(obs, "value[x]") == [{"value": 3.1}, "x"]
