"""value_reported / answer_matches: answers vs values computed from the chart, tolerances, units,
MedAgentBench FINISH list forms and "-1 / [] when absent"."""

from __future__ import annotations

from typing import Any

import pytest

from medsim.grading import GradingError, checkpoint_status, validate_params
from tests.grading.helpers import LOINC, cp

LATEST_K = {"observation": {"code": {"codes": [f"{LOINC}|2823-3"]}}}


def st(d: Any, cid: str = "v") -> dict[str, Any]:
    return dict(checkpoint_status(d.task, d.record, d.episode, final=True)[cid])


@pytest.mark.parametrize(
    "answer",
    [[3.1], 3.1, "3.1", "[3.1]", "3.1 mmol/L", "3.1 mEq/L", {"value": 3.1, "unit": "mmol/L"}],
)
def test_latest_potassium_before_now_accepted_forms(drive: Any, answer: Any) -> None:
    d = drive([cp("v", "value_reported", expected=LATEST_K, unit="mmol/L")])
    d.finish(answer)
    out = st(d)
    assert out["status"] == "passed", out["evidence"]
    assert "k-new" in out["evidence"]  # the latest BEFORE now, not the future-dated k-future


@pytest.mark.parametrize("answer", [[3.9], [4.4], "low", [], [-1], "3.1 mg/dL"])
def test_wrong_potassium_answers_fail(drive: Any, answer: Any) -> None:
    d = drive([cp("v", "value_reported", expected=LATEST_K, unit="mmol/L")])
    d.finish(answer)
    assert st(d)["status"] == "failed"


def test_tolerance_and_range(drive: Any) -> None:
    mean_mg = {
        "observation": {
            "code": {"codes": [f"{LOINC}|19123-9"]},
            "since": "@now-PT24H",
            "agg": "mean",
        }
    }
    d = drive(
        [
            cp("v", "value_reported", expected=mean_mg, tolerance=0.1),
            cp("r", "value_reported", range=[1.0, 1.6]),
        ]
    )
    d.finish([1.75])
    assert st(d)["status"] == "passed"  # mean(1.6, 1.8) = 1.7, |1.75 - 1.7| < 0.1
    assert st(d, "r")["status"] == "failed"
    d2 = drive([cp("v", "value_reported", expected=mean_mg, tolerance=0.01)])
    d2.finish([1.75])
    assert st(d2)["status"] == "failed"


def test_unit_conversion_mass_to_molar(drive: Any) -> None:
    # creatinine 1.4 mg/dL = 123.8 umol/L (molar mass 113.12 g/mol)
    spec = {"observation": {"code": {"codes": [f"{LOINC}|2160-0"]}}}
    d = drive([cp("v", "value_reported", expected=spec, unit="mg/dL", rel_tolerance=0.01)])
    d.finish(["1.4 mg/dL"])
    assert st(d)["status"] == "passed"
    d2 = drive([cp("v", "value_reported", expected=spec, unit="mg/dL", rel_tolerance=0.01)])
    d2.finish(["124 mg/L"])  # 12.4 mg/dL
    assert st(d2)["status"] == "failed"


@pytest.mark.parametrize("answer,ok", [([-1], True), ([], True), ("-1", True), ([7.9], False)])
def test_absent_value_within_window(drive: Any, answer: Any, ok: bool) -> None:
    a1c_last_year = {"observation": {"code": {"codes": [f"{LOINC}|4548-4"]}, "since": "@now-P1Y"}}
    d = drive([cp("v", "value_reported", expected=a1c_last_year)])
    d.finish(answer)
    assert (st(d)["status"] == "passed") is ok


def test_empty_not_accepted_when_disabled(drive: Any) -> None:
    spec = {"observation": {"code": {"codes": [f"{LOINC}|4548-4"]}, "since": "@now-P1Y"}}
    d = drive([cp("v", "value_reported", expected=spec, accept_empty_when_absent=False)])
    d.finish([])
    assert st(d)["status"] == "failed"


def test_value_and_date_pair_mab_task10(drive: Any) -> None:
    spec = {"observation": {"code": {"codes": [f"{LOINC}|4548-4"]}}}
    time_spec = {"observation": {"code": {"codes": [f"{LOINC}|4548-4"]}, "field": "time"}}
    d = drive(
        [
            cp("v", "value_reported", expected=spec, index=0),
            cp("t", "value_reported", expected=time_spec, index=1, time_precision="day"),
        ]
    )
    d.finish([7.9, "2022-06-01"])
    assert st(d)["status"] == "passed" and st(d, "t")["status"] == "passed"
    d2 = drive([cp("t", "value_reported", expected=time_spec, index=1)])
    d2.finish([7.9, "2022-06-02T08:00:00+00:00"])
    assert st(d2, "t")["status"] == "failed"


def test_patient_age_and_id_and_literal_lists(drive: Any) -> None:
    d = drive(
        [
            cp("age", "value_reported", expected={"patient": "age"}, index=0),
            cp("id", "value_reported", expected={"patient": "id"}, index=1),
            cp("lst", "value_reported", expected={"value": [62, "pat-1"]}),
        ]
    )
    d.finish([62, "pat-1"])  # born 1961-09-20, now 2024-03-14
    s = checkpoint_status(d.task, d.record, d.episode, final=True)
    assert [s[k]["status"] for k in ("age", "id", "lst")] == ["passed"] * 3
    d2 = drive([cp("age", "value_reported", expected={"patient": "age"}, index=0)])
    d2.finish([63, "pat-1"])
    assert st(d2, "age")["status"] == "failed"


def test_calculator_expected_value(drive: Any) -> None:
    spec = {"calculator": {"id": "mean_arterial_pressure", "inputs": {"sbp": 120, "dbp": 80}}}
    d = drive([cp("v", "value_reported", expected=spec, tolerance=0.5)])
    d.finish("MAP is 93 mmHg")
    assert st(d)["status"] == "passed"


def test_pending_without_answer_and_without_store(drive: Any) -> None:
    d = drive([cp("v", "value_reported", expected=LATEST_K)])
    live = checkpoint_status(d.task, d.record, d.episode, final=False)["v"]
    assert live["status"] == "pending"
    assert st(d)["status"] == "failed"  # final, no answer
    d.finish([3.1])
    nostore = checkpoint_status(d.task, d.record, None, final=True)["v"]
    assert nostore["status"] == "pending" and "store" in nostore["evidence"]


def test_answer_matches(drive: Any) -> None:
    d = drive([cp("a", "answer_matches", regex=[r"\bno\b.*change"], must_not=["increase"])])
    d.finish("No dose change is needed.")
    assert st(d, "a")["status"] == "passed"
    d2 = drive([cp("a", "answer_matches", regex=[r"\bno\b.*change"], must_not=["increase"])])
    d2.finish("No change; maybe increase later")
    assert st(d2, "a")["status"] == "failed"


def test_bad_params_are_named() -> None:
    with pytest.raises(GradingError, match="value_reported.*expected"):
        validate_params("value_reported", {"expected": {"value": 1, "patient": "age"}})
    with pytest.raises(GradingError, match="unknown checkpoint grader"):
        validate_params("value_reportd", {})
    with pytest.raises(GradingError, match="since"):
        validate_params(
            "value_reported",
            {"expected": {"observation": {"code": {"codes": ["x"]}, "since": "yesterday"}}},
        )


def test_agent_cannot_write_its_own_expected_value(drive: Any) -> None:
    """Chart facts exclude the episode's writes: writing a K of 4.0 then reporting it fails."""
    d = drive([cp("v", "value_reported", expected=LATEST_K)])
    d.write(
        {
            "resourceType": "Observation",
            "status": "final",
            "subject": {"reference": "Patient/pat-1"},
            "code": {"coding": [{"system": LOINC, "code": "2823-3"}]},
            "effectiveDateTime": "2024-03-14T08:59:00+00:00",
            "valueQuantity": {"value": 4.0, "unit": "mmol/L"},
        }
    )
    d.finish([4.0])
    out = st(d)
    assert out["status"] == "failed" and "k-new" in out["evidence"]


def test_types_without_code_search_and_store_errors(drive: Any) -> None:
    cvx = {
        "resource_type": "Immunization",
        "code": {"codes": ["http://hl7.org/fhir/sid/cvx|140"]},
        "agg": "count",
    }
    d = drive([cp("v", "value_reported", expected={"observation": cvx})])
    d.finish([0])  # Immunization has no `code` search parameter: searched and filtered locally
    assert st(d)["status"] == "passed", st(d)["evidence"]

    class Broken:
        def search(self, *args: Any, **kwargs: Any) -> Any:
            from medsim.fhir import FhirError

            raise FhirError(503, "server unavailable")

    out = checkpoint_status(d.task, d.record, Broken(), final=True)["v"]  # type: ignore[arg-type]
    assert out["status"] == "pending" and "server unavailable" in out["evidence"]
