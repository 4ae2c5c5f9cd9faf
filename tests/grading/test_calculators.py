"""calculator_used: the right calculator, inputs within tolerance (unit-converted), right result."""

from __future__ import annotations

from typing import Any

import pytest

from medsim.grading import GradingError, checkpoint_status, validate_params
from tests.grading.helpers import cp

CHADS_IN = {
    "age": 76,
    "sex": "female",
    "chf": False,
    "hypertension": True,
    "stroke": False,
    "tia": False,
    "thromboembolism": False,
    "vascular_disease": False,
    "diabetes": True,
}


def st(d: Any, cid: str = "c", final: bool = True) -> dict[str, Any]:
    return dict(checkpoint_status(d.task, d.record, d.episode, final=final)[cid])


def test_right_calculator_inputs_and_result(drive: Any) -> None:
    # CHA2DS2-VASc (Lip et al., Chest 2010) of CHADS_IN, by hand: age >= 75 (2) + female (1)
    # + hypertension (1) + diabetes (1) = 5.
    d = drive(
        [
            cp(
                "c",
                "calculator_used",
                calculator="cha2ds2_vasc",
                inputs={"age": 76, "hypertension": True, "sex": "female"},
                result=5,
            )
        ]
    )
    d.calculate("cha2ds2_vasc", CHADS_IN)
    assert st(d)["status"] == "passed", st(d)["evidence"]


@pytest.mark.parametrize(("reported", "status"), [(5, "passed"), (4, "failed"), (6, "failed")])
def test_auto_result_is_the_hand_worked_score(drive: Any, reported: int, status: str) -> None:
    """``result: auto`` expects the score of the checkpoint's inputs: a tool result reporting the
    hand-worked 5 passes and any other number fails (the calls carry hand-written results, so a
    calculator bug cannot make both sides agree)."""
    spec = cp("auto", "calculator_used", calculator="cha2ds2_vasc", inputs=CHADS_IN, result="auto")
    d = drive([spec])
    d.calculate("cha2ds2_vasc", CHADS_IN, reported={"value": reported})
    assert st(d, "auto")["status"] == status, st(d, "auto")["evidence"]


def test_wrong_input_wrong_calculator_wrong_result(drive: Any) -> None:
    d = drive([cp("c", "calculator_used", calculator="cha2ds2_vasc", inputs={"diabetes": True})])
    d.calculate("cha2ds2_vasc", {**CHADS_IN, "diabetes": False})
    assert st(d)["status"] == "failed" and "diabetes" in st(d)["evidence"]
    d2 = drive([cp("c", "calculator_used", calculator="cha2ds2_vasc")])
    d2.calculate("mean_arterial_pressure", {"sbp": 120, "dbp": 80})
    assert st(d2)["status"] == "failed" and "used mean_arterial_pressure" in st(d2)["evidence"]
    d3 = drive([cp("c", "calculator_used", calculator="cha2ds2_vasc", result=[2, 3])])
    d3.calculate("cha2ds2_vasc", CHADS_IN)
    assert st(d3)["status"] == "failed" and "result 5" in st(d3)["evidence"]


def test_inputs_in_other_units_are_converted(drive: Any) -> None:
    spec = {"calculator": "bmi", "inputs": {"weight": 70, "height": 170}}
    d = drive([cp("c", "calculator_used", **spec)])
    d.calculate("bmi", {"weight": "154 lb", "height": "1.70 m"})  # 69.85 kg: within 1%
    assert st(d)["status"] == "passed", st(d)["evidence"]
    d2 = drive([cp("c", "calculator_used", **spec, input_rel_tolerance=0.001)])
    d2.calculate("bmi", {"weight": "154 lb", "height": "1.70 m"})
    assert st(d2)["status"] == "failed"
    d3 = drive(
        [cp("c", "calculator_used", calculator="bmi", inputs={"weight": {"range": [60, 65]}})]
    )
    d3.calculate("bmi", {"weight": 70, "height": 170})
    assert st(d3)["status"] == "failed" and "weight" in st(d3)["evidence"]


def test_no_call_is_pending_then_failed(drive: Any) -> None:
    d = drive([cp("c", "calculator_used", calculator="bmi")])
    assert st(d, final=False)["status"] == "pending"
    assert st(d)["status"] == "failed" and st(d)["evidence"] == "no calculate call"


def test_params_validated() -> None:
    with pytest.raises(GradingError, match="did you mean"):
        validate_params("calculator_used", {"calculator": "cha2ds2vasc"})
    with pytest.raises(GradingError, match="invalid inputs"):
        validate_params(
            "calculator_used", {"calculator": "bmi", "inputs": {"weight": 70}, "result": "auto"}
        )
