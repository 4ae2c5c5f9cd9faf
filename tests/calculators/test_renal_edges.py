"""Renal calculators at their edges: the adult-only note, race spellings, MedCalc-Bench ids,
the female low-creatinine branch of CKD-EPI 2021 and the reported precision (3 decimals).

Expected values are the published equations evaluated by hand (arithmetic written out here),
never the calculator's own output: Cockcroft & Gault, Nephron 1976; Inker et al., NEJM 2021
(CKD-EPI 2021); Levey et al., Ann Intern Med 2006 (MDRD, 175 x Scr^-1.154 x age^-0.203).
MedCalc-Bench ids: Khandekar et al. 2024, calculator 3 = CKD-EPI, 9 = MDRD.
"""

from __future__ import annotations

import pytest

from medsim.calculators import compute
from tests.calculators.equation_helpers import approx, rejects, value

CG = "creatinine_clearance_cockcroft_gault"
ADULT_NOTES = {
    CG: {"sex": "male", "weight": 70, "creatinine": 1.0, "weight_basis": "actual"},
    "ckd_epi_2021": {"sex": "male", "creatinine": 1.0},
    "mdrd_gfr": {"sex": "male", "creatinine": 1.0},
}


@pytest.mark.parametrize("calculator", sorted(ADULT_NOTES))
def test_the_adult_only_note_starts_below_18(calculator: str) -> None:
    child = compute(calculator, {**ADULT_NOTES[calculator], "age": 17}).explanation
    adult = compute(calculator, {**ADULT_NOTES[calculator], "age": 18}).explanation
    assert "adults" in child.splitlines()[-1]
    assert "adults" not in adult


def test_cockcroft_gault_for_a_17_year_old_is_computed_and_flagged() -> None:
    # (140 - 17) x 70 / (72 x 1.0) = 8610 / 72 = 119.583
    result = compute(CG, {**ADULT_NOTES[CG], "age": 17})
    assert result.value == approx(119.583)


@pytest.mark.parametrize(
    ("race", "factor"),
    [
        ("Black", 1.212),
        ("African American", 1.212),
        ("non-Black", 1.0),
        ("not black", 1.0),
        ("Hispanic, non black", 1.0),
        ("White", 1.0),
    ],
)
def test_mdrd_race_spellings(race: str, factor: float) -> None:
    # 60-year-old man, Scr 1.0: 175 x 1 x 60^-0.203 = 76.221; x 1.212 for Black race
    got = value("mdrd_gfr", age=60, sex="male", creatinine=1.0, race=race)
    assert got == approx(76.221 * factor, rel=2e-3)


@pytest.mark.parametrize(("medcalc_id", "name"), [(3, "ckd_epi_2021"), (9, "mdrd_gfr")])
def test_medcalc_bench_ids(medcalc_id: int, name: str) -> None:
    inputs = {"age": 60, "sex": "male", "creatinine": 1.0}
    assert compute(medcalc_id, inputs).calculator == name


def test_ckd_epi_2021_female_below_the_knot() -> None:
    # 142 x (0.5 / 0.7)^-0.241 x 0.9938^50 x 1.012 = 142 x 1.08447 x 0.73276 x 1.012 = 114.192
    assert value("ckd_epi_2021", age=50, sex="female", creatinine=0.5) == approx(114.192)


@pytest.mark.parametrize(
    ("calculator", "inputs", "reported"),
    [
        # 80 x 70 / 72 = 77.7777... -> 77.778
        (CG, {"age": 60, "sex": "male", "weight": 70, "creatinine": 1.0, "weight_basis": "actual"},
         77.778),
        ("ckd_epi_2021", {"age": 50, "sex": "female", "creatinine": 0.5}, 114.192),
        # 175 x 60^-0.203 = 76.2208... -> 76.221
        ("mdrd_gfr", {"age": 60, "sex": "male", "creatinine": 1.0}, 76.221),
        # (20 x 2.0) / (140 x 100) x 100 = 0.285714... -> 0.286
        ("fena", {"urine_sodium": 20, "serum_creatinine": 2.0, "serum_sodium": 140,
                  "urine_creatinine": 100}, 0.286),
    ],
)  # fmt: skip
def test_values_are_reported_to_three_decimals(
    calculator: str, inputs: dict[str, object], reported: float
) -> None:
    assert compute(calculator, inputs).value == reported


def test_mdrd_race_that_is_not_text_is_refused() -> None:
    rejects("mdrd_gfr", "race", {"age": 60, "sex": "male", "creatinine": 1.0, "race": 1})
