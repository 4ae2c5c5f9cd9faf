"""note_written (content rules on written notes) and action_order (A before B)."""

from __future__ import annotations

import base64
from typing import Any

from medsim.grading import checkpoint_status
from tests.grading.helpers import LOINC, OTHER, RXNORM, P, cp, medication_request, service_request

K = f"{LOINC}|2823-3"


def st(d: Any, cid: str = "n", final: bool = True) -> dict[str, Any]:
    return dict(checkpoint_status(d.task, d.record, d.episode, final=final)[cid])


def document(text: str, patient: str = P) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"coding": [{"system": LOINC, "code": "11488-4", "display": "Consult note"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain",
                    "data": base64.b64encode(text.encode()).decode(),
                }
            }
        ],
    }


NOTE_SPEC: dict[str, Any] = {
    "regex": [r"hypokal[a]?emia"],
    "must_not": [r"hyperkal"],
    "mentions": [{"expected": {"observation": {"code": {"codes": [K]}}}}],
}


def test_note_mentions_chart_value(drive: Any) -> None:
    d = drive([cp("n", "note_written", **NOTE_SPEC)])
    d.write(document("Assessment: hypokalemia, K 3.1 mmol/L. Plan: replete."))
    assert st(d)["status"] == "passed", st(d)["evidence"]


def test_note_failures(drive: Any) -> None:
    d = drive([cp("n", "note_written", **NOTE_SPEC)])
    d.write(document("Assessment: hypokalemia, K 3.9 mmol/L."))  # the old value
    assert "does not mention 3.1" in st(d)["evidence"]
    d2 = drive([cp("n", "note_written", **NOTE_SPEC)])
    d2.write(document("hypokalemia 3.1, no hyperkalemia"))
    assert "forbidden" in st(d2)["evidence"]
    d3 = drive([cp("n", "note_written", **NOTE_SPEC)])
    d3.write(document("hypokalemia 3.1", patient=OTHER))  # wrong chart
    assert st(d3)["status"] == "failed"
    d4 = drive([cp("n", "note_written", **NOTE_SPEC)])
    d4.finish(["done"], note="hypokalemia 3.1")  # finish note only counts when allowed
    assert st(d4)["status"] == "failed"


def test_communication_and_finish_note(drive: Any) -> None:
    d = drive([cp("n", "note_written", resource_types=["Communication"], regex=["potassium"])])
    d.write(
        {
            "resourceType": "Communication",
            "status": "completed",
            "subject": {"reference": f"Patient/{P}"},
            "payload": [{"contentString": "Potassium replaced, recheck tomorrow."}],
        }
    )
    assert st(d)["status"] == "passed"
    d2 = drive([cp("n", "note_written", include_finish_note=True, regex=["recheck"])])
    assert st(d2, final=False)["status"] == "pending"
    d2.finish([], note="Recheck K in the morning")
    assert st(d2)["status"] == "passed"


def test_note_code_filter(drive: Any) -> None:
    d = drive([cp("n", "note_written", code={"codes": [f"{LOINC}|34117-2"]})])
    d.write(document("anything"))  # a consult note (11488-4), not an H&P (34117-2)
    assert st(d)["status"] == "failed"


ORDER: dict[str, Any] = {
    "first": {"retrieved": {"resource_type": "Observation", "code": {"codes": [K]}}},
    "then": {"written": {"resource_type": "MedicationRequest"}},
}


def test_action_order_checks_before_ordering(drive: Any) -> None:
    d = drive([cp("n", "action_order", **ORDER)])
    d.search("Observation", patient=P, code=K)
    d.write(medication_request())
    assert st(d)["status"] == "passed"
    d2 = drive([cp("n", "action_order", **ORDER)])
    d2.write(medication_request())
    d2.search("Observation", patient=P, code=K)
    assert st(d2)["status"] == "failed"


def test_action_order_never_and_require_both(drive: Any) -> None:
    d = drive([cp("n", "action_order", **ORDER)])
    d.search("Observation", patient=P, code=K)
    assert st(d, final=False)["status"] == "pending"
    assert st(d)["status"] == "failed"
    d2 = drive([cp("n", "action_order", require_both=False, **ORDER)])
    assert st(d2)["status"] == "passed"


def test_action_order_tools_and_calculators(drive: Any) -> None:
    spec = {
        "first": {"calculator": "mean_arterial_pressure"},
        "then": {"tool": "fhir_create", "args_regex": "ServiceRequest"},
    }
    d = drive([cp("n", "action_order", **spec)])
    d.calculate("mean_arterial_pressure", {"sbp": 120, "dbp": 80})
    d.write(service_request())
    assert st(d)["status"] == "passed"
    d2 = drive([cp("n", "action_order", **spec)])
    d2.write(service_request())
    d2.calculate("mean_arterial_pressure", {"sbp": 120, "dbp": 80})
    assert st(d2)["status"] == "failed"


def test_order_of_two_writes_mab_task9(drive: Any) -> None:
    spec = {
        "first": {
            "written": {
                "resource_type": "MedicationRequest",
                "code": {"codes": [f"{RXNORM}|308192"]},
            }
        },
        "then": {"written": {"resource_type": "ServiceRequest"}},
    }
    d = drive([cp("n", "action_order", **spec)])
    d.write(medication_request())
    d.write(service_request())
    assert st(d)["status"] == "passed"
    d2 = drive([cp("n", "action_order", **spec)])
    d2.write(service_request())
    d2.write(medication_request())
    assert st(d2)["status"] == "failed"
