"""Chart plausibility (issue 21): each rule on a small hand-made chart, with the limits worked
out by hand from the cited sources (ASPEN/AND weight loss, BLSA height loss, KDIGO creatinine,
BMI / CKD-EPI 2021 / Friedewald, ADA HbA1c)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from medsim.tasks.plausibility import allowed_change, band, chart_problems, rules

LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960-05-01"}


def obs(oid: str, code: str, value: float, unit: str, when: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit, "code": unit},
    }


def condition(cid: str, icd: str, snomed: str | None = None) -> dict[str, Any]:
    coding = [{"system": ICD10, "code": icd}]
    if snomed:
        coding.append({"system": SNOMED, "code": snomed})
    return {
        "resourceType": "Condition",
        "id": cid,
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": coding},
    }


def med(mid: str, display: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": mid,
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"coding": [{"system": RX, "code": "0", "display": display}]},
    }


OLD, NEW = "2024-09-01T09:00:00+00:00", "2025-02-01T09:00:00+00:00"  # 153 days apart


def problems(history: list[dict[str, Any]], overlay: list[dict[str, Any]]) -> str:
    found = chart_problems([PATIENT, *history, *overlay], {str(r["id"]) for r in overlay})
    return " | ".join(found)


# ---- continuity ---------------------------------------------------------------------------------


def test_weight_halving_in_five_months_is_rejected() -> None:
    """Issue 21: weight 103.0 -> 48.1 kg in 5 months."""
    old = obs("w0", "29463-7", 103.0, "kg", OLD)
    assert "body weight 103 -> 48.1 kg" in problems([old], [obs("w1", "29463-7", 48.1, "kg", NEW)])
    # 153 days: up to 10 % (ASPEN/AND 6-month threshold) -> 92.7 .. 113.3 kg is plausible
    assert problems([old], [obs("w1", "29463-7", 93.0, "kg", NEW)]) == ""
    assert "body weight" in problems([old], [obs("w1", "29463-7", 92.0, "kg", NEW)])
    # a documented reason (severe protein-calorie malnutrition, E43) lifts the rule
    assert problems([old, condition("c1", "E43")], [obs("w1", "29463-7", 48.1, "kg", NEW)]) == ""


def test_weight_in_pounds_is_converted() -> None:
    old = obs("w0", "29463-7", 80.0, "kg", OLD)
    assert problems([old], [obs("w1", "29463-7", 176.0, "[lb_av]", NEW)]) == ""  # 79.8 kg


def test_adult_height_jump_is_rejected() -> None:
    """Issue 21: height 155.4 -> 177 cm."""
    old = obs("h0", "8302-2", 155.4, "cm", OLD)
    assert "body height 155.4 -> 177 cm" in problems([old], [obs("h1", "8302-2", 177, "cm", NEW)])
    assert problems([old], [obs("h1", "8302-2", 156.5, "cm", NEW)]) == ""  # measurement error
    assert "body height" in problems([old], [obs("h1", "8302-2", 158.0, "cm", NEW)])  # +2.6 cm


def test_creatinine_follows_kdigo_unless_kidney_disease_is_documented() -> None:
    old = obs("k0", "2160-0", 0.9, "mg/dL", OLD)
    assert "serum creatinine" in problems([old], [obs("k1", "2160-0", 2.0, "mg/dL", NEW)])
    assert problems([old], [obs("k1", "2160-0", 1.15, "mg/dL", NEW)]) == ""  # < 0.3 mg/dL
    ckd = condition("c1", "N18.4")
    assert problems([old, ckd], [obs("k1", "2160-0", 2.0, "mg/dL", NEW)]) == ""


@pytest.mark.parametrize(
    "loinc,previous,days,fall,rise",
    [
        ("29463-7", 100.0, 20, 5.0, 5.0),  # <= 1 month: 5 %
        ("29463-7", 100.0, 60, 7.5, 7.5),  # <= 3 months: 7.5 %
        ("29463-7", 100.0, 365, 20.0, 20.0),  # <= 1 year: 20 %
        ("29463-7", 100.0, 730, 40.0, 40.0),  # 2 years: 20 % a year, capped at 40 %
        ("8302-2", 170.0, 730.5, 3.0, 2.0),  # 2 cm + 0.5 cm a year of loss; gain 2 cm
        ("2160-0", 2.0, 10, 2.0 - 2.0 / 1.5, 1.0),  # ratio 1.5
        ("2160-0", 0.4, 10, 0.3, 0.3),  # the 0.3 mg/dL floor
    ],
)
def test_allowed_change(loinc: str, previous: float, days: float, fall: float, rise: float) -> None:
    rule = next(r for r in rules()["continuity"] if r["loinc"] == loinc)
    got = allowed_change(rule, previous, days)
    assert got == pytest.approx((fall, rise))


def test_band_is_around_the_nearest_value() -> None:
    chart = [PATIENT, obs("w0", "29463-7", 80.0, "kg", OLD)]
    lo, hi = band(chart, "29463-7", datetime(2024, 9, 21, tzinfo=UTC)) or (0, 0)
    assert (lo, hi) == pytest.approx((76.0, 84.0))  # 20 days: 5 %
    assert band([PATIENT], "29463-7", datetime(2025, 1, 1, tzinfo=UTC)) is None  # no history


# ---- derived observations -----------------------------------------------------------------------


def test_stale_bmi_is_rejected() -> None:
    """Issue 21: bmi-01 set weight and height but left the charted BMI at 26.4."""
    history = [
        obs("w0", "29463-7", 72.0, "kg", OLD),
        obs("h0", "8302-2", 165.0, "cm", OLD),
        obs("b0", "39156-5", 26.4, "kg/m2", OLD),
    ]
    new = [obs("w1", "29463-7", 74.0, "kg", NEW), obs("h1", "8302-2", 165.0, "cm", NEW)]
    assert "no BMI" in problems(history, new)
    wrong = obs("b1", "39156-5", 26.4, "kg/m2", NEW)  # 74 / 1.65^2 = 27.18
    assert "BMI 26.4" in problems(history, [*new, wrong])
    right = obs("b1", "39156-5", 27.2, "kg/m2", NEW)
    assert problems(history, [*new, right]) == ""


def test_egfr_must_match_the_creatinine() -> None:
    history = [obs("k0", "2160-0", 1.0, "mg/dL", OLD), obs("e0", "98979-8", 63, "mL/min", OLD)]
    # CKD-EPI 2021, woman aged 64, creatinine 1.0 mg/dL: 142 x (1.0/0.7)^-1.2 x 0.9938^64 x 1.012
    expected = 142 * (1.0 / 0.7) ** -1.2 * 0.9938**64 * 1.012
    ok = [obs("k1", "2160-0", 1.0, "mg/dL", NEW), obs("e1", "98979-8", round(expected), "x", NEW)]
    assert problems(history, ok) == ""
    bad = [obs("k1", "2160-0", 1.0, "mg/dL", NEW), obs("e1", "98979-8", 90, "x", NEW)]
    assert "eGFR" in problems(history, bad)


# ---- added diagnoses ----------------------------------------------------------------------------


def test_added_diabetes_needs_labs_or_drugs_that_fit() -> None:
    """Issue 21: type 2 diabetes added to a patient with HbA1c 5.1 % on no diabetes drug."""
    a1c = obs("a0", "4548-4", 5.1, "%", OLD)
    t2dm = condition("d1", "E11.9", "44054006")
    assert "type 2 diabetes" in problems([a1c], [t2dm])
    assert problems([a1c, med("m1", "metformin 500 MG Oral Tablet")], [t2dm]) == ""
    assert problems([obs("a0", "4548-4", 7.2, "%", OLD)], [t2dm]) == ""
    assert problems([], [t2dm]) == ""  # no HbA1c: nothing contradicts it


def test_added_esrd_contradicted_by_normal_egfr() -> None:
    esrd = condition("r1", "N18.6", "46177005")
    assert "end-stage renal disease" in problems([obs("e0", "98979-8", 80, "x", OLD)], [esrd])
    assert problems([obs("e0", "98979-8", 9, "x", OLD)], [esrd]) == ""


def test_every_rule_cites_a_source() -> None:
    r = rules()
    for rule in [*r["continuity"], *r["derived"], *r["diagnoses"]]:
        assert len(rule["source"]) > 40 and any(ch.isdigit() for ch in rule["source"])
