"""Dose per administration, per 24 h and per order (issue 21): every fail-safe branch of
``checkpoints.schedule`` / ``dosage.amounts`` and what it does to ``dose_within_max`` and
``resource_created``, asserted on the pass/fail status, not only the evidence text.

Expected counts are worked out by hand or by simulating the administrations on a clock (the
hypothesis test), never by calling the code under test for the answer.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_

from medsim.grading import checkpoint_status
from medsim.grading.checkpoints.dosage import amounts
from medsim.grading.checkpoints.schedule import schedule
from tests.grading.helpers import ORAL, RXNORM, cp, medication_request

KCL = {"codes": [f"{RXNORM}|8591"]}


def kcl(timing: Any = None, dose: Any = None, **extra: Any) -> dict[str, Any]:
    """An oral potassium chloride order; ``timing=None`` leaves the timing out."""
    res = medication_request(code="8591", display="potassium chloride", dose=40, unit="mEq")
    ins = res["dosageInstruction"][0]
    ins["text"] = "40 mEq by mouth once"
    del ins["timing"]
    if timing is not None:
        ins["timing"] = timing
    if dose is not None:
        ins["doseAndRate"] = dose
    ins.update(extra)
    return res


def dose_range(low: float, high: float, unit: str = "mEq") -> list[dict[str, Any]]:
    """A doseAndRate list holding one doseRange."""
    rng = {"low": {"value": low, "unit": unit}, "high": {"value": high, "unit": unit}}
    return [{"doseRange": rng}]


def rep(**repeat: Any) -> dict[str, Any]:
    return {"repeat": repeat}


def status(d: Any, cid: str = "g", final: bool = True) -> dict[str, Any]:
    return dict(checkpoint_status(d.task, d.record, d.episode, final=final)[cid])


# ---- the timing arithmetic -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "timing,per_24h,total",
    [
        (rep(count=1), 1, 1),  # a single dose
        (rep(frequency=3, period=1, periodUnit="d"), 3, None),  # TID, open-ended
        (
            rep(frequency=3, period=1, periodUnit="d", boundsDuration={"value": 5, "code": "d"}),
            3,
            15,
        ),
        (rep(frequency=1, period=6, periodUnit="h"), 4, None),  # q6h
        (rep(frequency=1, period=5, periodUnit="h"), 5, None),  # q5h: 0,5,10,15,20 h
        (rep(frequency=1, period=2, periodUnit="d"), 1, None),  # every other day
        (rep(frequency=2, frequencyMax=4, period=1, periodUnit="d"), 4, None),  # the max counts
        (rep(frequency=3, period=1, periodUnit="d", count=2), 2, 2),  # count caps both
        (rep(period=1, periodUnit="d"), 1, None),  # no frequency: once per period (R4)
        (rep(timeOfDay=["08:00:00", "20:00:00"]), 2, None),
        (rep(when=["MORN", "AFT", "EVE"]), 3, None),
        ({"code": {"coding": [{"code": "BID"}]}}, 2, None),
        ({"code": {"coding": [{"code": "q8h"}]}}, 3, None),  # case-insensitive code
        (
            rep(
                frequency=2,
                period=1,
                periodUnit="d",
                boundsPeriod={"start": "2025-01-15T00:00:00Z", "end": "2025-01-18T00:00:00Z"},
            ),
            2,
            6,
        ),
        (
            {"event": ["2025-01-15T08:00:00Z", "2025-01-15T20:00:00Z", "2025-01-17T08:00:00Z"]},
            2,
            3,
        ),
    ],
)
def test_counts(timing: dict[str, Any], per_24h: float, total: float | None) -> None:
    s = schedule({"timing": timing})
    assert (s.per_24h, s.total) == (per_24h, total), s.why


@pytest.mark.parametrize(
    "timing,words",
    [
        (None, "no timing"),
        (rep(frequency=3, period=1, periodUnit="fortnight"), "periodUnit"),
        (rep(frequency=3, periodUnit="d"), "period"),
        (rep(frequency=3), "without a period"),
        ({"code": {"coding": [{"code": "XQZ"}]}}, "abbreviation"),
        (rep(count=0), "below 1"),
        ({"event": ["tomorrow"]}, "not a dateTime"),
        ({"text": "three times a day"}, "no frequency"),  # free text is never parsed
    ],
)
def test_unreadable_timing_gives_no_count(timing: Any, words: str) -> None:
    s = schedule({} if timing is None else {"timing": timing})
    assert s.per_24h is None and words in s.why


def test_unknown_bounds_unit_leaves_total_unknown() -> None:
    s = schedule(
        {
            "timing": rep(
                frequency=1,
                period=1,
                periodUnit="d",
                boundsDuration={"value": 5, "unit": "fortnights"},
            )
        }
    )
    assert s.per_24h == 1 and s.total is None and "boundsDuration" in s.why


@settings(max_examples=150, deadline=None)
@given(
    freq=st_.integers(min_value=1, max_value=6),
    period=st_.integers(min_value=1, max_value=72),
)
def test_per_24h_matches_a_simulated_clock(freq: int, period: int) -> None:
    """freq evenly spaced doses per ``period`` hours: count the doses in every 24 h window of a
    simulated week (minute resolution) and take the busiest."""
    step_min = period * 60 / freq
    times = [k * step_min for k in range(int(14 * 24 * 60 / step_min) + 2)]
    busiest = max(sum(1 for u in times if t <= u < t + 24 * 60) for t in times if t < 7 * 24 * 60)
    s = schedule({"timing": rep(frequency=freq, period=period, periodUnit="h")})
    assert s.per_24h == busiest


def test_amounts_use_high_end_and_add_concurrent_instructions() -> None:
    res = kcl(rep(frequency=2, period=1, periodUnit="d"))
    res["dosageInstruction"][0]["doseAndRate"] = dose_range(20, 40)
    one = amounts(res, "meq")
    assert (one.per_dose, one.per_24h, one.total) == (40, 80, None)
    second = dict(res["dosageInstruction"][0], timing=rep(count=1))
    res["dosageInstruction"].append(second)  # concurrent: 2 x 40 + 1 x 40 in the same day
    assert amounts(res, "meq").per_24h == 120
    res["dosageInstruction"][0]["sequence"] = 1
    res["dosageInstruction"][1]["sequence"] = 2  # sequential: the busier day counts
    assert amounts(res, "meq").per_24h == 80


# ---- the safety gate ---------------------------------------------------------------------------

GATE: dict[str, Any] = {"code": KCL, "unit": "meq", "max_dose": 40, "max_daily": 100}


@pytest.mark.parametrize(
    "order,verdict,words",
    [
        (kcl(rep(count=1)), "passed", ""),
        (kcl(rep(frequency=2, period=1, periodUnit="d")), "passed", ""),  # 80 mEq/day
        (
            kcl(
                rep(frequency=3, period=1, periodUnit="d", boundsDuration={"value": 5, "code": "d"})
            ),
            "failed",
            "dose in 24 h 120",
        ),
        (kcl(None), "failed", "no timing"),  # unknown frequency: never passes
        (kcl({"code": {"coding": [{"code": "XQZ"}]}}), "failed", "abbreviation"),
        (
            kcl(rep(count=1), dose=[{"doseQuantity": {"value": 2, "unit": "tablet"}}]),
            "failed",
            "unit",
        ),
        (kcl(rep(count=1), dose=[{"doseQuantity": {"value": 40}}]), "failed", "unit"),  # no unit
        (kcl(rep(count=1), dose=[]), "failed", "no dose"),
        (kcl(rep(count=1), dose=dose_range(20, 60)), "failed", "dose 60"),  # the HIGH end
        (kcl(rep(count=1), dose=dose_range(20, 40)), "passed", ""),
    ],
)
def test_dose_gate(drive: Any, order: dict[str, Any], verdict: str, words: str) -> None:
    d = drive([cp("g", "dose_within_max", gate=True, **GATE)])
    d.write(order)
    out = status(d)
    assert out["status"] == verdict, out["evidence"]
    assert words in out["evidence"]


def test_dose_gate_fails_an_unknown_period_unit(drive: Any, monkeypatch: Any) -> None:
    """medsim's engine refuses ``periodUnit: fortnight`` (a required value set), but an episode
    re-graded from a server that stores it as sent must still fail the gate, never pass it."""
    import medsim.fhir.episode as episode_module

    monkeypatch.setattr(episode_module, "validate_resource", lambda *a, **k: None)
    d = drive([cp("g", "dose_within_max", gate=True, **GATE)])
    d.write(kcl(rep(frequency=3, period=1, periodUnit="fortnight")))
    out = status(d)
    assert out["status"] == "failed" and "periodUnit" in out["evidence"]


def test_dose_gate_without_instruction_fails(drive: Any) -> None:
    order = kcl(rep(count=1))
    del order["dosageInstruction"]
    d = drive([cp("g", "dose_within_max", gate=True, **GATE)])
    d.write(order)
    assert status(d)["status"] == "failed"


def test_max_total_needs_a_bounded_order(drive: Any) -> None:
    spec = {"code": KCL, "unit": "meq", "max_total": 100}
    d = drive([cp("g", "dose_within_max", **spec)])
    d.write(kcl(rep(frequency=1, period=1, periodUnit="d")))  # open-ended: total unknown
    assert status(d)["status"] == "failed" and "open-ended" in status(d)["evidence"]
    d2 = drive([cp("g", "dose_within_max", **spec)])
    d2.write(kcl(rep(frequency=1, period=1, periodUnit="d", count=2)))
    assert status(d2, final=False)["status"] == "pending"
    assert status(d2)["status"] == "passed"
    d3 = drive([cp("g", "dose_within_max", **spec)])
    d3.write(
        kcl(rep(frequency=3, period=1, periodUnit="d", boundsDuration={"value": 5, "code": "d"}))
    )
    assert status(d3)["status"] == "failed" and "total dose 600" in status(d3)["evidence"]


# ---- the order checkpoint ----------------------------------------------------------------------

ORDER: dict[str, Any] = {
    "resource_type": "MedicationRequest",
    "code": KCL,
    "dosage": {
        "dose": {"value": 40, "unit": "meq"},
        "route": {"codes": ["http://snomed.info/sct|26643006"]},
        "total": {"value": 40, "unit": "meq"},
    },
}


@pytest.mark.parametrize(
    "order,verdict,words",
    [
        (kcl(rep(count=1), route=ORAL), "passed", ""),
        (kcl(rep(frequency=1, period=1, periodUnit="d", count=1), route=ORAL), "passed", ""),
        (
            kcl(
                rep(frequency=3, period=1, periodUnit="d", boundsDuration={"value": 5, "code": "d"})
            ),
            "failed",
            "total dose 600",
        ),
        (kcl(None), "failed", "cannot be computed"),
        (kcl(rep(count=1), dose=[{"doseQuantity": {"value": 40}}]), "failed", "no unit"),
    ],
)
def test_order_total(drive: Any, order: dict[str, Any], verdict: str, words: str) -> None:
    d = drive([cp("c", "resource_created", **ORDER)])
    d.write(order)
    out = status(d, "c")
    assert out["status"] == verdict, out["evidence"]
    assert words in out["evidence"]


def test_frequency_text_cannot_hide_structured_timing(drive: Any) -> None:
    spec = {**ORDER, "dosage": {"frequency": {"text_regex": r"\bonce\b", "per_day": 1}}}
    d = drive([cp("c", "resource_created", **spec)])
    d.write(kcl(rep(frequency=3, period=1, periodUnit="d")))  # text says "once", timing TID
    assert status(d, "c")["status"] == "failed"
    d2 = drive([cp("c", "resource_created", **spec)])
    d2.write(kcl(None))  # no structured timing: the text decides
    assert status(d2, "c")["status"] == "passed"


def test_daily_amount_needs_a_unit() -> None:
    from medsim.grading.checkpoints.dosage import DosageMatch

    with pytest.raises(ValueError, match="needs a unit"):
        DosageMatch.model_validate({"daily": {"value": 40}})


@pytest.mark.parametrize(
    "repeat,per_24h,total,words",
    [
        # boundsRange: its high end bounds the order (2 a day x 3 days)
        (
            {
                "frequency": 2,
                "period": 1,
                "periodUnit": "d",
                "boundsRange": {"high": {"value": 3, "code": "d"}},
            },
            2,
            6,
            "",
        ),
        # a boundsPeriod without an end leaves the order open-ended
        (
            {
                "frequency": 2,
                "period": 1,
                "periodUnit": "d",
                "boundsPeriod": {"start": "2025-01-15"},
            },
            2,
            None,
            "boundsPeriod",
        ),
        # unreadable spacing but a count: the total is known, the 24 h count is not
        (
            {"frequency": 3, "period": 1, "periodUnit": "fortnight", "count": 6},
            None,
            6,
            "periodUnit",
        ),
    ],
)
def test_bounds_and_counts(
    repeat: dict[str, Any], per_24h: float | None, total: float | None, words: str
) -> None:
    s = schedule({"timing": {"repeat": repeat}})
    assert (s.per_24h, s.total) == (per_24h, total)
    assert words in s.why


def test_amounts_report_why_each_part_is_unknown() -> None:
    got = amounts(kcl(rep(frequency=1, period=1, periodUnit="d")), "meq")
    assert (got.per_dose, got.per_24h, got.total) == (40, 40, None)
    assert "open-ended" in got.why["total"] and "per_24h" not in got.why
    bad_unit = amounts(
        kcl(rep(count=1), dose=[{"doseQuantity": {"value": 2, "unit": "tablet"}}]), "meq"
    )
    assert bad_unit.per_dose is None and bad_unit.per_24h is None and bad_unit.total is None
    assert "tablet" in bad_unit.why["per_dose"]


def test_rate_needs_its_unit(drive: Any) -> None:
    spec = {**ORDER, "dosage": {"rate": {"value": 10, "unit": "meq/h"}}}
    order = kcl(rep(count=1), dose=[{"rateQuantity": {"value": 10}}])
    d = drive([cp("c", "resource_created", **spec)])
    d.write(order)
    out = status(d, "c")
    assert out["status"] == "failed" and "rate" in out["evidence"]


def test_required_window_rejects_a_missing_time(drive: Any) -> None:
    spec = {**ORDER, "dosage": {}, "authored": {"after": "@now", "required": True}}
    order = kcl(rep(count=1))
    del order["authoredOn"]
    d = drive([cp("c", "resource_created", **spec)])
    d.write(order)
    assert status(d, "c")["status"] == "failed"
    d2 = drive([cp("c", "resource_created", **{**spec, "authored": {"after": "@now"}})])
    d2.write(order)  # "required" defaults to True for a window the task writes itself
    assert status(d2, "c")["status"] == "failed"
    d3 = drive([cp("c", "resource_created", **{k: v for k, v in spec.items() if k != "authored"})])
    d3.write(order)  # the default authored window is optional
    assert status(d3, "c")["status"] == "passed"


@pytest.mark.parametrize(
    "timing,per_7d",
    [
        (rep(frequency=1, period=1, periodUnit="wk"), 1),  # once weekly (methotrexate)
        (rep(frequency=1, period=1, periodUnit="d"), 7),  # once daily
        (rep(frequency=2, period=1, periodUnit="d"), 14),  # twice daily
        (rep(frequency=1, period=2, periodUnit="d"), 4),  # every other day: 4 fit in 7 days
        (rep(frequency=1, period=1, periodUnit="d", count=3), 3),  # capped by count
        (rep(count=1), 1),  # a single dose
        ({"event": ["2025-01-01T08:00:00Z", "2025-01-05T08:00:00Z", "2025-01-09T08:00:00Z"]}, 2),
    ],
)
def test_administrations_in_any_seven_days(timing: Any, per_7d: float) -> None:
    ins = kcl(timing)["dosageInstruction"][0]
    assert schedule(ins).per_7d == per_7d
    assert amounts(kcl(timing), "mEq").per_7d == 40 * per_7d


def test_seven_day_count_is_fail_safe() -> None:
    assert schedule(kcl()["dosageInstruction"][0]).per_7d is None  # no timing
    res = kcl(rep(frequency=1, period=1, periodUnit="fortnight"))
    assert amounts(res, "mEq").per_7d is None
