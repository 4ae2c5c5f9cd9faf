"""Liver and cardiometabolic calculators: FIB-4, MELD-Na, HOMA-IR, Friedewald LDL, Framingham."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medsim.calculators import compute
from medsim.calculators.lab.liver import round_half_up
from tests.calculators.equation_helpers import approx, rejects, value


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [({"age": 50, "ast": 40, "alt": 36, "platelets": 200}, 1.667),
     ({"age": 47, "ast": 213, "alt": 309, "platelets": [149000, "/µL"]}, 3.822),
     ({"age": 64, "ast": 92, "alt": 33, "platelets": [1.47e11, "/L"]}, 6.973)],
)  # fmt: skip
def test_fib4_sterling(inputs: dict[str, object], expected: float) -> None:
    assert value("fib4", **inputs) == approx(expected)


def test_fib4_medcalc_platelet_units() -> None:
    entities = {"age": [47, "years"], "Alanine aminotransferase": [309.0, "U/L"],
                "Aspartate aminotransferase": [213.0, "U/L"], "Platelet count": [149000.0, "µL"]}  # fmt: skip
    assert compute(19, entities).value == approx(3.822)


@given(
    st.floats(20, 90),
    st.floats(5, 2000),
    st.floats(5, 2000),
    st.floats(10, 900),
    st.floats(10, 900),
)
def test_fib4_falls_with_platelets(
    age: float, ast: float, alt: float, p1: float, p2: float
) -> None:
    lo, hi = sorted((p1, p2))
    kw = {"age": age, "ast": ast, "alt": alt}
    assert value(19, **kw, platelets=hi) <= value(19, **kw, platelets=lo)


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [({"creatinine": 2.0, "bilirubin": 0.7, "inr": 1.59, "sodium": 142}, 18),
     ({"creatinine": 3.16, "bilirubin": 2.11, "inr": 1.26, "sodium": 130}, 27),
     ({"creatinine": 0.5, "bilirubin": 0.5, "inr": 0.8, "sodium": 140}, 6),
     ({"creatinine": 0.8, "bilirubin": 1, "inr": 1, "sodium": 137, "dialysis_twice_past_week": True}, 20),
     ({"creatinine": 4, "bilirubin": 40, "inr": 8, "sodium": 120}, 40)],
)  # fmt: skip
def test_meld_na_optn(inputs: dict[str, object], expected: int) -> None:
    assert value("meld_na", **inputs) == expected


def test_round_half_up() -> None:
    assert (
        round_half_up(2.5) == 3 and round_half_up(0.25, 1) == 0.3 and round_half_up(1.84, 1) == 1.8
    )


@given(st.floats(0.3, 10), st.floats(0.3, 30), st.floats(0.8, 6), st.floats(120, 145))
def test_meld_na_in_range(cr: float, bili: float, inr: float, na: float) -> None:
    assert 6 <= value(23, creatinine=cr, bilirubin=bili, inr=inr, sodium=na) <= 40


@pytest.mark.parametrize(
    ("glucose", "insulin", "expected"),
    [([5, "mmol/L"], 4.5, 1.0), (210, 26, 13.47), (100, 10, 2.467)],
)
def test_homa_ir_matthews(glucose: object, insulin: float, expected: float) -> None:
    assert value("homa_ir", glucose=glucose, insulin=insulin) == approx(expected)


@pytest.mark.parametrize(
    ("tc", "hdl", "tg", "expected"),
    [(200, 50, 150, 120.0), (250, 40, 400, 130.0), (182, 39, 196, 103.8),
     ([4.75, "mmol/L"], [1.03, "mmol/L"], [1.09, "mmol/L"], 124.526)],
)  # fmt: skip
def test_ldl_friedewald(tc: object, hdl: object, tg: object, expected: float) -> None:
    got = value("ldl_friedewald", total_cholesterol=tc, hdl_cholesterol=hdl, triglycerides=tg)
    assert got == approx(expected)


def test_ldl_friedewald_refuses_triglycerides_over_400() -> None:
    rejects("ldl_friedewald", "triglycerides",
            {"total_cholesterol": 250, "hdl_cholesterol": 40, "triglycerides": 401})  # fmt: skip


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [({"age": 55, "sex": "male", "total_cholesterol": 213, "hdl_cholesterol": 50, "sbp": 120}, 6.509),
     ({"age": 55, "sex": "female", "total_cholesterol": 213, "hdl_cholesterol": 50, "sbp": 120}, 1.21),
     ({"age": 54, "sex": "male", "total_cholesterol": 235, "hdl_cholesterol": 26, "sbp": 139,
       "smoker": True}, 29.023)],
)  # fmt: skip
def test_framingham_atp3(inputs: dict[str, object], expected: float) -> None:
    assert value("framingham_hard_chd", **inputs) == approx(expected)


@given(
    st.integers(30, 79), st.sampled_from(["male", "female"]), st.floats(130, 320),
    st.floats(20, 100), st.floats(90, 200), st.booleans(),
)  # fmt: skip
def test_framingham_properties(
    age: int, sex: str, tc: float, hdl: float, sbp: float, tx: bool
) -> None:
    kw = {"age": age, "sex": sex, "total_cholesterol": tc, "hdl_cholesterol": hdl, "bp_treated": tx}
    base = value(46, **kw, sbp=sbp)
    assert 0 <= base <= 100
    assert value(46, **kw, sbp=sbp + 10) >= base
    assert value(46, **kw, sbp=sbp, smoker=True) >= base


def test_framingham_missing_smoking_and_treatment_default_to_no() -> None:
    row = {"sex": "Female", "age": [65, "years"], "Systolic Blood Pressure": [90.0, "mm hg"],
           "Total cholesterol": [147.0, "mg/dL"], "high-density lipoprotein cholesterol": [100.0, "mg/dL"]}  # fmt: skip
    explicit = {**row, "Smoker": False, "Blood pressure being treated with medicines": False}
    assert compute(46, row).value == compute(46, explicit).value


@pytest.mark.parametrize(
    ("calc", "field", "inputs"),
    [
        ("fib4", "platelets", {"age": 62, "ast": 2452, "alt": 1161, "platelets": [1.19e8, "/L"]}),
        ("fib4", "alt", {"age": 62, "ast": 40, "platelets": 200}),
        ("meld_na", "inr", {"creatinine": 1, "bilirubin": 1, "inr": -1, "sodium": 137}),
        ("meld_na", "bilirubin", {"creatinine": 1, "bilirubin": [1, "mmHg"], "inr": 1, "sodium": 137}),
        ("homa_ir", "insulin", {"glucose": 100, "insulin": 0}),
        ("framingham_hard_chd", "age", {"age": 300, "sex": "male", "total_cholesterol": 200,
                                        "hdl_cholesterol": 50, "sbp": 120}),
        ("framingham_hard_chd", "smoker", {"age": 50, "sex": "male", "total_cholesterol": 200,
                                           "hdl_cholesterol": 50, "sbp": 120, "smoker": "often"}),
    ],
)  # fmt: skip
def test_bad_inputs_name_the_field(calc: str, field: str, inputs: dict[str, object]) -> None:
    rejects(calc, field, inputs)
