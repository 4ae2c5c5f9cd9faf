"""Dosage reading (:mod:`medsim.grading.checkpoints.dosage`) on the forms the other dose tests do
not write: one-sided dose ranges, several doseAndRate alternatives, rates (rateQuantity and
rateRatio), weekly amounts over several instructions, an instruction without a dose.

Expected statuses are worked out by hand from FHIR R4 (Dosage, Range, Ratio) and the arithmetic
in each comment. Doses are test thresholds, not clinical advice: amoxicillin (RxNorm 308192) and
potassium chloride (RxNorm 8591), IV potassium rates in mEq/h.
"""

from __future__ import annotations

from typing import Any

import pytest

from medsim.grading import GradingError, checkpoint_status, validate_params
from tests.grading.helpers import RXNORM, cp, medication_request

AMOX = {"codes": [f"{RXNORM}|308192"]}
KCL = {"codes": [f"{RXNORM}|8591"]}
GATE: dict[str, Any] = {"code": AMOX, "unit": "mg", "max_dose": 1000}


def _status(drive: Any, checkpoint: dict[str, Any], order: dict[str, Any]) -> dict[str, Any]:
    d = drive([checkpoint])
    d.write(order)
    return dict(checkpoint_status(d.task, d.record, d.episode, final=True)[checkpoint["id"]])


def _gate(drive: Any, order: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return _status(drive, cp("g", "dose_within_max", gate=True, **{**GATE, **spec}), order)


def _created(drive: Any, order: dict[str, Any], dosage: dict[str, Any]) -> dict[str, Any]:
    spec = {"resource_type": "MedicationRequest", "dosage": dosage}
    return _status(drive, cp("c", "resource_created", **spec), order)


def _dosing(*dose_and_rate: dict[str, Any], **instruction: Any) -> dict[str, Any]:
    order = medication_request()
    order["dosageInstruction"][0]["doseAndRate"] = list(dose_and_rate)
    order["dosageInstruction"][0].update(instruction)
    return order


# -- one-sided dose ranges (R4 Range: a missing end is a boundary that is not known) -----------
def test_a_range_with_only_a_high_end_is_read_at_it(drive: Any) -> None:
    order = _dosing({"doseRange": {"high": {"value": 1000, "unit": "mg"}}})  # "up to 1000 mg"
    out = _gate(drive, order)
    assert out["status"] == "passed", out["evidence"]


def test_a_range_without_a_high_end_never_passes_a_maximum(drive: Any) -> None:
    """ "500 mg or more": nothing bounds the dose, so a 1000 mg maximum cannot be shown to hold."""
    order = _dosing({"doseRange": {"low": {"value": 500, "unit": "mg"}}})
    out = _gate(drive, order)
    assert out["status"] == "failed" and "high end" in out["evidence"], out["evidence"]
    # ... and it does not match an expected dose of 500 mg either
    assert _created(drive, order, {"dose": {"value": 500, "unit": "mg"}})["status"] == "failed"


def test_every_dose_a_range_allows_must_be_expected(drive: Any) -> None:
    """An expected dose of 250-500 mg: an order of 250-500 mg matches; 100-500 mg does not (its
    low end is outside); 250-750 mg does not (its high end is outside)."""
    expected = {"dose": {"range": [250, 500], "unit": "mg"}}
    for low, high, status in ((250, 500, "passed"), (100, 500, "failed"), (250, 750, "failed")):
        rng = {"low": {"value": low, "unit": "mg"}, "high": {"value": high, "unit": "mg"}}
        out = _created(drive, _dosing({"doseRange": rng}), expected)
        assert out["status"] == status, (low, high, out["evidence"])


def test_an_instruction_without_a_dose_does_not_match_an_expected_dose(drive: Any) -> None:
    out = _created(drive, _dosing(), {"dose": {"value": 500, "unit": "mg"}})
    assert out["status"] == "failed" and "no dose" in out["evidence"], out["evidence"]


# -- several doseAndRate alternatives: the largest counts for a maximum -------------------------
def test_the_largest_dose_alternative_counts_for_the_maximum(drive: Any) -> None:
    """R4 Dosage.doseAndRate repeats (e.g. ordered / calculated): the gate reads the largest."""
    both = _dosing(
        {"type": {"text": "ordered"}, "doseQuantity": {"value": 500, "unit": "mg"}},
        {"type": {"text": "calculated"}, "doseQuantity": {"value": 1500, "unit": "mg"}},
    )
    assert _gate(drive, both)["status"] == "failed"
    small = _dosing(
        {"type": {"text": "ordered"}, "doseQuantity": {"value": 500, "unit": "mg"}},
        {"type": {"text": "calculated"}, "doseQuantity": {"value": 0.75, "unit": "g"}},
    )
    assert _gate(drive, small)["status"] == "passed"


def test_an_order_without_dosage_instructions_says_so(drive: Any) -> None:
    order = medication_request()
    del order["dosageInstruction"]
    out = _gate(drive, order)
    assert out["status"] == "failed" and "no dosageInstruction" in out["evidence"], out["evidence"]


# -- rates ---------------------------------------------------------------------------------------
RATE = {"rate": {"value": 10, "unit": "meq/h"}}


def _kcl(*dose_and_rate: dict[str, Any]) -> dict[str, Any]:
    order = _dosing(*dose_and_rate)
    order["medicationCodeableConcept"]["coding"][0].update(
        code="8591", display="potassium chloride"
    )
    return order


@pytest.mark.parametrize(
    ("dose_and_rate", "status"),
    [
        ([{"rateQuantity": {"value": 10, "unit": "mEq/h"}}], "passed"),
        ([{"rateQuantity": {"value": 20, "unit": "mEq/h"}}], "failed"),
        # rateRatio: 20 mEq per 2 h = 10 mEq/h; 10 mEq per 2 h = 5 mEq/h
        (
            [
                {
                    "rateRatio": {
                        "numerator": {"value": 20, "unit": "mEq"},
                        "denominator": {"value": 2, "unit": "h"},
                    }
                }
            ],
            "passed",
        ),
        (
            [
                {
                    "rateRatio": {
                        "numerator": {"value": 10, "unit": "mEq"},
                        "denominator": {"value": 2, "unit": "h"},
                    }
                }
            ],
            "failed",
        ),
        # a denominator without a value is one of its unit: 10 mEq per h
        (
            [
                {
                    "rateRatio": {
                        "numerator": {"value": 10, "unit": "mEq"},
                        "denominator": {"unit": "h"},
                    }
                }
            ],
            "passed",
        ),
        # alternatives: one rate in mEq/h that matches is enough (the mL/h one says nothing)
        (
            [
                {"type": {"text": "calculated"}, "rateQuantity": {"value": 100, "unit": "mL/h"}},
                {"type": {"text": "ordered"}, "rateQuantity": {"value": 10, "unit": "mEq/h"}},
            ],
            "passed",
        ),
    ],
)
def test_rates(drive: Any, dose_and_rate: list[dict[str, Any]], status: str) -> None:
    out = _created(drive, _kcl(*dose_and_rate), RATE)
    assert out["status"] == status, out["evidence"]


# -- weekly amounts over several instructions ---------------------------------------------------
def _methotrexate(*instructions: tuple[int | None, float]) -> dict[str, Any]:
    """Instructions of (sequence, mg) once weekly."""
    order = medication_request(code="6851", display="methotrexate 2.5 MG Oral Tablet")
    template = order["dosageInstruction"][0]
    order["dosageInstruction"] = []
    for seq, mg in instructions:
        ins = {
            **template,
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "wk"}},
            "doseAndRate": [{"doseQuantity": {"value": mg, "unit": "mg"}}],
        }
        if seq is not None:
            ins["sequence"] = seq
        order["dosageInstruction"].append(ins)
    return order


@pytest.mark.parametrize(
    ("instructions", "status"),
    [
        (((None, 15), (None, 15)), "failed"),  # concurrent: 15 + 15 = 30 mg a week > 25
        (((1, 15), (2, 10)), "passed"),  # consecutive phases: at most 15 mg in any week
        (((1, 10), (2, 30)), "failed"),  # the second phase's 30 mg week counts
        (((1, 30), (2, 10)), "failed"),
    ],
)
def test_weekly_amount_over_several_instructions(
    drive: Any, instructions: tuple[tuple[int | None, float], ...], status: str
) -> None:
    spec = {"code": {"codes": [f"{RXNORM}|6851"]}, "unit": "mg", "max_weekly": 25}
    out = _status(drive, cp("g", "dose_within_max", **spec), _methotrexate(*instructions))
    assert out["status"] == status, out["evidence"]


def test_a_frequency_regex_that_does_not_compile_is_refused() -> None:
    spec = {"resource_type": "MedicationRequest", "dosage": {"frequency": {"text_regex": "(tid"}}}
    with pytest.raises(GradingError):
        validate_params("resource_created", spec)
    validate_params("resource_created", {**spec, "dosage": {"frequency": {"text_regex": "tid"}}})
