"""data_retrieved: counts only resources a search actually returned for the task's patient."""

from __future__ import annotations

from typing import Any

from medsim.grading import checkpoint_status
from tests.grading.helpers import LOINC, OTHER, P, cp

K = {"codes": [f"{LOINC}|2823-3"]}


def status(d: Any) -> dict[str, Any]:
    return checkpoint_status(d.task, d.record, d.episode, final=True)


def test_search_returning_the_lab_passes(drive: Any) -> None:
    d = drive([cp("k", "data_retrieved", resource_type="Observation", code=K)])
    d.search("Observation", patient=P, code=f"{LOINC}|2823-3")
    out = status(d)["k"]
    assert out["status"] == "passed"
    assert "Observation/k-new" in out["evidence"] and "step 1" in out["evidence"]


def test_search_with_wrong_code_that_matches_nothing_fails(drive: Any) -> None:
    d = drive([cp("k", "data_retrieved", resource_type="Observation", code=K)])
    d.search("Observation", patient=P, code=f"{LOINC}|9999-9")
    out = status(d)["k"]
    assert out["status"] == "failed"
    assert "returned no match" in out["evidence"]


def test_other_patients_data_does_not_count(drive: Any) -> None:
    d = drive([cp("k", "data_retrieved", resource_type="Observation", code=K)])
    d.search("Observation", patient=OTHER, code=f"{LOINC}|2823-3")
    assert status(d)["k"]["status"] == "failed"


def test_never_queried_fails_and_says_so(drive: Any) -> None:
    d = drive([cp("k", "data_retrieved", resource_type="Observation", code=K)])
    assert "never queried" in status(d)["k"]["evidence"]


def test_min_results_and_category(drive: Any) -> None:
    lab = {"codes": ["laboratory"]}
    d = drive(
        [
            cp("two", "data_retrieved", resource_type="Observation", code=K, min_results=3),
            cp("cat", "data_retrieved", resource_type="Observation", category=lab),
        ]
    )
    d.search("Observation", patient=P, code=f"{LOINC}|2823-3")  # 3 potassium results for pat-1
    s = status(d)
    assert s["two"]["status"] == "passed" and s["cat"]["status"] == "passed"
    d2 = drive([cp("four", "data_retrieved", resource_type="Observation", code=K, min_results=4)])
    d2.search("Observation", patient=P, code=f"{LOINC}|2823-3")
    assert status(d2)["four"]["status"] == "failed"


def test_agents_own_writes_are_not_retrieved_data(drive: Any) -> None:
    d = drive(
        [
            cp(
                "a1c",
                "data_retrieved",
                resource_type="Observation",
                code={"codes": [f"{LOINC}|718-7"]},
            )
        ]
    )
    d.write(
        {
            "resourceType": "Observation",
            "status": "final",
            "subject": {"reference": f"Patient/{P}"},
            "code": {"coding": [{"system": LOINC, "code": "718-7"}]},
            "valueQuantity": {"value": 12.0, "unit": "g/dL"},
        }
    )
    d.search("Observation", patient=P, code=f"{LOINC}|718-7")  # finds only the agent's write
    assert status(d)["a1c"]["status"] == "failed"


def test_tool_filter_and_json_text_results(drive: Any) -> None:
    d = drive([cp("k", "data_retrieved", resource_type="Observation", code=K, tools=["GET"])])
    bundle = d.episode.search("Observation", {"patient": P, "code": f"{LOINC}|2823-3"})
    import json

    d._call("GET", {"url": "Observation?code=2823-3"}, json.dumps(bundle), [])
    assert status(d)["k"]["status"] == "passed"
    d2 = drive([cp("k", "data_retrieved", resource_type="Observation", code=K, tools=["GET"])])
    d2.search("Observation", patient=P, code=f"{LOINC}|2823-3")  # tool fhir_search, not GET
    assert status(d2)["k"]["status"] == "failed"
