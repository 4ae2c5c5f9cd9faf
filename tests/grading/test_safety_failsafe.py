"""The dose safety gate on every fail-safe branch: a dose it cannot prove safe never passes.

Written against the intended behaviour (issues 20 and 21): the gate reads the *high* end of every
range (dose range, frequency range), counts administrations per 24 h from ``timing.repeat``
(frequency, frequencyMax, period, periodUnit), and an order whose frequency, unit or dose it cannot
read fails (or stays pending before the end) — it never passes. Tests marked
``xfail(strict=True, reason="fixed on validity branch")`` describe behaviour the validity branch
implements; they passed once it was merged and the markers are gone.

Amoxicillin doses (RxNorm 308192, amoxicillin 500 MG Oral Tablet): adult maximum 1 g per dose and
3 g per day for the checkpoints below are test thresholds, not clinical advice; the arithmetic is
what is being checked.
"""

from __future__ import annotations

from typing import Any

import pytest

from medsim.grading import GradingError, checkpoint_status, grade, validate_params
from tests.grading.helpers import LOINC, RXNORM, cp, medication_request

AMOX = {"codes": [f"{RXNORM}|308192"]}
SPEC: dict[str, Any] = {"code": AMOX, "unit": "mg", "max_dose": 1000, "max_daily": 3000}


def status(drive: Any, order: dict[str, Any], final: bool = True, **spec: Any) -> str:
    d = drive([cp("g", "dose_within_max", gate=True, **{**SPEC, **spec})])
    d.write(order)
    return str(checkpoint_status(d.task, d.record, d.episode, final=final)["g"]["status"])


def with_timing(repeat: dict[str, Any] | None, **kw: Any) -> dict[str, Any]:
    order = medication_request(**kw)
    if repeat is None:
        del order["dosageInstruction"][0]["timing"]
    else:
        order["dosageInstruction"][0]["timing"] = {"repeat": repeat}
    return order


def with_dose(dose_and_rate: list[dict[str, Any]]) -> dict[str, Any]:
    order = medication_request()
    order["dosageInstruction"][0]["doseAndRate"] = dose_and_rate
    return order


# -- frequency -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("repeat", "expected"),
    [
        ({"frequency": 3, "period": 1, "periodUnit": "d"}, "passed"),  # 500 x 3 = 1500 mg/day
        ({"frequency": 1, "period": 8, "periodUnit": "h"}, "passed"),  # q8h: 3/day = 1500
        ({"frequency": 1, "period": 4, "periodUnit": "h"}, "passed"),  # q4h: 6/day = 3000 (= max)
        ({"frequency": 1, "period": 3, "periodUnit": "h"}, "failed"),  # q3h: 8/day = 4000
        ({"frequency": 7, "period": 1, "periodUnit": "d"}, "failed"),  # 3500
        (
            {"frequency": 2, "frequencyMax": 8, "period": 1, "periodUnit": "d"},
            "failed",
        ),  # up to 4000
        ({"frequency": 1, "period": 0.5, "periodUnit": "d"}, "passed"),  # 2/day = 1000
        ({"frequency": 50, "period": 1, "periodUnit": "wk"}, "failed"),  # 7.14/day = 3571
    ],
)
def test_daily_dose_from_timing(drive: Any, repeat: dict[str, Any], expected: str) -> None:
    assert status(drive, with_timing(repeat)) == expected


@pytest.mark.parametrize(
    "repeat",
    [
        None,  # no timing at all
        {},  # timing without repeat details
        {"frequency": 3},  # no period unit: 3 per what?
        {"frequency": 3, "period": 1, "periodUnit": "fortnight"},  # not a UCUM period unit
    ],
)
def test_unknown_frequency_never_passes_a_daily_maximum(
    drive: Any, repeat: dict[str, Any] | None, monkeypatch: Any
) -> None:
    # medsim's engine refuses a periodUnit outside its required value set; a record re-graded
    # from a server that stored it as sent must still fail, so the write skips validation here
    import medsim.fhir.episode as episode_module

    monkeypatch.setattr(episode_module, "validate_resource", lambda *a, **k: None)
    assert status(drive, with_timing(repeat)) == "failed"
    assert status(drive, with_timing(repeat), final=False) != "passed"


def test_unknown_frequency_is_irrelevant_without_a_daily_maximum(drive: Any) -> None:
    order = with_timing(None)
    assert status(drive, order, max_daily=None) == "passed"
    assert status(drive, with_timing(None, dose=1500), max_daily=None) == "failed"


# -- dose ranges and units ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(500, 1000, "passed"), (500, 1500, "failed"), (None, 1500, "failed"), (1500, None, "failed")],
)
def test_dose_range_is_read_at_its_high_end(
    drive: Any, low: float | None, high: float | None, expected: str
) -> None:
    rng: dict[str, Any] = {}
    if low is not None:
        rng["low"] = {"value": low, "unit": "mg"}
    if high is not None:
        rng["high"] = {"value": high, "unit": "mg"}
    order = with_dose([{"doseRange": rng}])
    assert status(drive, order, max_daily=None) == expected


def test_dose_range_high_end_counts_per_day(drive: Any) -> None:
    # 500-1000 mg three times a day: up to 3000 mg/day passes; four times a day (4000) fails
    rng = {"low": {"value": 500, "unit": "mg"}, "high": {"value": 1000, "unit": "mg"}}
    order = with_dose([{"doseRange": rng}])
    assert status(drive, order) == "passed"
    order["dosageInstruction"][0]["timing"]["repeat"]["frequency"] = 4
    assert status(drive, order) == "failed"


@pytest.mark.parametrize(
    ("dose", "unit", "expected"),
    [
        (1, "g", "passed"),  # 1000 mg
        (1.5, "g", "failed"),  # 1500 mg
        (1_000_000, "ug", "passed"),  # 1000 mg
        (1_000_001, "ug", "failed"),
        (2, "tablet", "failed"),  # not convertible to mg: cannot be shown safe
        (5, "mL", "failed"),  # a volume without a concentration
    ],
)
def test_dose_units_convert_or_fail(drive: Any, dose: float, unit: str, expected: str) -> None:
    order = medication_request(dose=dose, unit=unit, per_day=1)
    assert status(drive, order) == expected


def test_dose_without_a_unit_never_passes(drive: Any) -> None:
    order = with_dose([{"doseQuantity": {"value": 500}}])  # 500 what?
    assert status(drive, order) == "failed"


def test_order_without_any_dose_never_passes(drive: Any) -> None:
    order = with_dose([])
    assert status(drive, order) != "passed"


def test_daily_total_adds_every_instruction(drive: Any) -> None:
    # 2000 mg every morning + 2000 mg every evening = 4000 mg per 24 h > 3000
    order = medication_request(dose=2000, per_day=1)
    order["dosageInstruction"].append(order["dosageInstruction"][0])
    assert status(drive, order, max_dose=None) == "failed"


def test_a_failed_gate_zeroes_the_score(drive: Any) -> None:
    d = drive(
        [
            cp("g", "dose_within_max", gate=True, **SPEC),
            cp("c", "resource_created", resource_type="MedicationRequest", code=AMOX),
        ]
    )
    d.write(with_timing(None))  # the order exists, but its daily dose cannot be checked
    d.finish([])
    g = grade(d.task, d.record, d.episode)
    assert g.checkpoints["c"]["status"] == "passed"
    assert g.checkpoints["g"]["status"] == "failed" and g.gated and g.score == 0.0


def test_daily_maximum_alone_has_no_slack(drive: Any) -> None:
    # 1000.25 mg three times a day = 3000.75 mg: over a 3000 mg daily maximum, however slightly
    over = medication_request(dose=1000.25, per_day=3)
    assert status(drive, over, max_dose=None) == "failed"
    assert status(drive, medication_request(dose=1000, per_day=3), max_dose=None) == "passed"


def test_params_need_some_maximum() -> None:
    validate_params("dose_within_max", {"unit": "mg", "max_daily": 3000})
    validate_params("dose_within_max", {"unit": "mg", "max_dose": 1000})
    with pytest.raises(GradingError):
        validate_params("dose_within_max", {"unit": "mg"})


# -- contraindication rules: which chart facts count ----------------------------------------
SULFA = {"display_regex": "sulfa"}
SULFA_RULE = {"order": AMOX, "allergy": SULFA, "why": "test rule"}
K = {"resource_type": "Observation", "code": {"codes": [f"{LOINC}|2823-3"]}}  # latest K: 3.1


def _allergy(clinical: str | None, verification: str | None) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "id": "alg-sulfa",
        "patient": {"reference": "Patient/pat-1"},
        "code": {"text": "sulfamethoxazole"},
    }
    base = "http://terminology.hl7.org/CodeSystem/allergyintolerance-"
    if clinical:
        res["clinicalStatus"] = {"coding": [{"system": base + "clinical", "code": clinical}]}
    if verification:
        res["verificationStatus"] = {
            "coding": [{"system": base + "verification", "code": verification}]
        }
    return res


@pytest.mark.parametrize(
    ("clinical", "verification", "expected"),
    [
        ("active", "confirmed", "failed"),
        (None, None, "failed"),  # no status: assume it holds (fail-safe)
        ("active", None, "failed"),
        ("inactive", "confirmed", "passed"),
        ("resolved", None, "passed"),
        ("active", "refuted", "passed"),
        ("active", "entered-in-error", "passed"),
    ],
)
def test_only_allergies_in_force_contraindicate(
    drive: Any, clinical: str | None, verification: str | None, expected: str
) -> None:
    d = drive([cp("g", "no_contraindicated_order", gate=True, rules=[SULFA_RULE])])
    d.episode.load_overlay([_allergy(clinical, verification)])  # part of the chart, not a write
    d.write(medication_request())
    out = checkpoint_status(d.task, d.record, d.episode, final=True)["g"]
    assert out["status"] == expected, out["evidence"]
    if expected == "failed":  # the evidence names the order and the allergy
        assert "MedicationRequest/" in out["evidence"] and "AllergyIntolerance/" in out["evidence"]


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        ({"above": 3.1}, "passed"),  # 3.1 is not above 3.1
        ({"above": 3.0}, "failed"),
        ({"below": 3.1}, "passed"),  # 3.1 is not below 3.1
        ({"below": 3.2}, "failed"),
        ({"below": 3.0}, "passed"),
        ({"above": 5.0}, "passed"),
    ],
)
def test_lab_threshold_edges(drive: Any, threshold: dict[str, float], expected: str) -> None:
    d = drive([cp("g", "no_contraindicated_order", rules=[{"order": AMOX, "observation": K,
                                                           **threshold}])])  # fmt: skip
    d.write(medication_request())
    assert checkpoint_status(d.task, d.record, d.episode, final=True)["g"]["status"] == expected


def test_a_lab_without_a_number_does_not_trigger_a_threshold(drive: Any) -> None:
    d = drive([cp("g", "no_contraindicated_order", rules=[{"order": AMOX, "observation": K,
                                                           "below": 3.5}])])  # fmt: skip
    d.episode.load_overlay(
        [
            {
                "resourceType": "Observation",
                "id": "k-hemolyzed",
                "status": "final",
                "code": {"coding": [{"system": LOINC, "code": "2823-3"}]},
                "subject": {"reference": "Patient/pat-1"},
                "effectiveDateTime": "2024-03-14T08:30:00+00:00",  # the latest before now
                "valueString": "hemolyzed, repeat",
            }
        ]
    )
    d.write(medication_request())
    assert checkpoint_status(d.task, d.record, d.episode, final=True)["g"]["status"] == "passed"


def test_a_dose_below_one_unit_is_read_as_itself(drive: Any) -> None:
    """0.5 g three times a day against a maximum of 0.75 g per dose (in g): 0.5 is not rounded up
    to 1 (test thresholds, not clinical advice)."""
    order = medication_request(dose=0.5, unit="g")
    assert status(drive, order, unit="g", max_dose=0.75, max_daily=3) == "passed"
    assert status(drive, order, unit="g", max_dose=0.4, max_daily=3) == "failed"


# -- several instruction groups and one-sided range units (dosage.py gaps of issue 20) ---------
def _sequenced(*phases: tuple[int, float, int]) -> dict[str, Any]:
    """An order of consecutive phases (sequence, dose in mg, administrations per day). R4
    Dosage.sequence: instructions with different sequence numbers apply one after another, so
    only the busiest phase counts for a 24 h maximum (the same number means concurrent, added)."""
    order = medication_request()
    template = order["dosageInstruction"][0]
    order["dosageInstruction"] = [
        {
            **template,
            "sequence": seq,
            "timing": {"repeat": {"frequency": n, "period": 1, "periodUnit": "d"}},
            "doseAndRate": [{"doseQuantity": {"value": dose, "unit": "mg"}}],
        }
        for seq, dose, n in phases
    ]
    return order


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        # day-1 phase 1000 mg x 4 = 4000 mg/24 h, then 500 mg x 3 = 1500: the first is over 3000
        (((1, 1000, 4), (2, 500, 3)), "failed"),
        (((1, 500, 3), (2, 1000, 4)), "failed"),  # the busy phase second: same answer
        # 1000 x 3 = 3000 (= max) then 500 x 3 = 1500: phases follow each other, never added (4500)
        (((1, 1000, 3), (2, 500, 3)), "passed"),
    ],
)
def test_the_busiest_of_several_sequenced_phases_counts_per_24h(
    drive: Any, phases: tuple[tuple[int, float, int], ...], expected: str
) -> None:
    assert status(drive, _sequenced(*phases), max_dose=None) == expected


@pytest.mark.parametrize("end_with_unit", ["low", "high"])
def test_a_dose_range_with_its_unit_on_one_end_is_read_in_that_unit(
    drive: Any, end_with_unit: str
) -> None:
    """R4 Range: the units of low and high SHALL match, so the one unit written is the unit of
    both ends. 0.5-1 g is 500-1000 mg: within 1000 mg per dose; 0.5-1.5 g (1500 mg) is over."""
    for high, expected in ((1, "passed"), (1.5, "failed")):
        rng: dict[str, Any] = {"low": {"value": 0.5}, "high": {"value": high}}
        rng[end_with_unit]["unit"] = "g"
        order = with_dose([{"doseRange": rng}])
        assert status(drive, order, max_daily=None) == expected, (end_with_unit, high)


@pytest.mark.parametrize(
    ("unit", "limit", "dose", "expected"),
    [
        # above 1 the slack is relative, 1e-9 x 1000 mg = 1e-6 mg: float error only
        ("mg", 1000, 1000 + 5e-7, "passed"),
        ("mg", 1000, 1000 + 1e-6, "passed"),  # exactly at the slack: inclusive
        ("mg", 1000, 1000 + 1e-5, "failed"),
        # below 1 it is absolute, 1e-9 (0.5 g per dose)
        ("g", 0.5, 0.5 + 1e-9, "passed"),
        ("g", 0.5, 0.5 + 1.5e-9, "failed"),
    ],
)
def test_the_maximum_absorbs_float_error_only(
    drive: Any, unit: str, limit: float, dose: float, expected: str
) -> None:
    """The same slack as ``Approx`` (1e-9 x max(1, |bound|), see test_values.py): a dose equal to
    the maximum up to float rounding passes, anything clinically larger fails."""
    order = medication_request(dose=dose, unit=unit, per_day=1)
    assert status(drive, order, unit=unit, max_dose=limit, max_daily=None) == expected
