"""Renal calculators: Cockcroft-Gault, CKD-EPI 2021, MDRD, FENa."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medsim.calculators import compute
from tests.calculators.equation_helpers import approx, rejects, value

CG = "creatinine_clearance_cockcroft_gault"
ages = st.floats(18, 100)
creatinines = st.floats(0.2, 15)


@pytest.mark.parametrize(
    ("sex", "expected"), [("male", 80.0), ("female", 68.0)]
)  # (140 - 60) x 72 / (72 x 1.0) [x 0.85]
def test_cockcroft_gault_actual_weight(sex: str, expected: float) -> None:
    got = value(CG, age=60, sex=sex, weight=72, creatinine=1.0, weight_basis="actual")
    assert got == approx(expected)


@pytest.mark.parametrize(
    ("weight", "expected", "rule"),
    [(100, 93.111, "overweight"), (70, 77.778, "normal"), (50, 55.556, "underweight")],
)  # 60-year-old man, 177.8 cm (IBW 73 kg), creatinine 1.0 mg/dL
def test_cockcroft_gault_bmi_based_weight(weight: float, expected: float, rule: str) -> None:
    result = compute(CG, {"age": 60, "sex": "male", "weight": weight, "height": 177.8,
                          "creatinine": 1.0})  # fmt: skip
    assert result.value == approx(expected)
    assert rule in result.explanation


# The BMI band edges of the dosing-weight rule (Winter 2012: < 18.5 actual, 18.5-24.9 the lower of
# IBW and actual, >= 25 adjusted), at heights where BMI is exact in binary floating point.
# Hand-worked (Devine IBW, 2.54 cm/in; age 60, creatinine 1.0 mg/dL):
#   man, 200 cm: IBW = 50 + 2.3 x (78.7402 - 60) = 93.1024 kg
#     100 kg -> BMI 25.000 -> adjusted 93.1024 + 0.4 x 6.8976 = 95.8614 kg -> 80 x 95.8614 / 72 = 106.513
#     99.9 kg -> BMI 24.975 -> lower of IBW and actual = 93.1024 kg -> 80 x 93.1024 / 72 = 103.447
#   woman, 125 cm: IBW = 45.5 + 2.3 x (49.2126 - 60) = 20.6890 kg
#     28.90625 kg -> BMI 18.500 -> lower of IBW and actual = 20.6890 -> 80 x 20.689 x 0.85 / 72 = 19.540
#     28.8 kg -> BMI 18.432 -> actual 28.8 kg -> 80 x 28.8 x 0.85 / 72 = 27.200
@pytest.mark.parametrize(
    ("sex", "height", "weight", "expected", "band"),
    [
        ("male", 200, 100, 106.513, ">= 25"),
        ("male", 200, 99.9, 103.447, "18.5-24.9"),
        ("female", 125, 28.90625, 19.540, "18.5-24.9"),
        ("female", 125, 28.8, 27.200, "< 18.5"),
    ],
)
def test_cockcroft_gault_bmi_band_edges(
    sex: str, height: float, weight: float, expected: float, band: str
) -> None:
    result = compute(CG, {"age": 60, "sex": sex, "weight": weight, "height": height,
                          "creatinine": 1.0})  # fmt: skip
    assert result.value == approx(expected, rel=0, abs_=0.006)
    assert band in result.explanation


def test_cockcroft_gault_forced_weights_and_si_units() -> None:
    base = {
        "age": 60,
        "sex": "male",
        "weight": 100,
        "height": 177.8,
        "creatinine": [88.4, "µmol/L"],
    }
    assert value(CG, **base, weight_basis="ideal") == approx(81.1, rel=2e-3)
    assert value(CG, **base, weight_basis="adjusted") == approx(93.1, rel=2e-3)


def test_cockcroft_gault_needs_height_unless_actual_weight() -> None:
    rejects(CG, "height", {"age": 60, "sex": "male", "weight": 80, "creatinine": 1.0})
    assert value(CG, age=60, sex="male", weight=80, creatinine=1.0, weight_basis="actual") > 0


@given(ages, ages, creatinines)
def test_cockcroft_gault_falls_with_age(a1: float, a2: float, scr: float) -> None:
    lo, hi = sorted((a1, a2))
    kw = {"sex": "female", "weight": 70, "creatinine": scr, "weight_basis": "actual"}
    assert value(CG, age=hi, **kw) <= value(CG, age=lo, **kw)


@pytest.mark.parametrize(
    ("age", "sex", "scr", "expected"),
    [(50, "male", 1.0, 91.691), (50, "female", 0.7, 105.298), (60, "female", 1.0, 64.495),
     (80, "male", 0.87, 87.228), (80, "male", 0.9, 86.339)],
)  # fmt: skip
def test_ckd_epi_2021(age: float, sex: str, scr: float, expected: float) -> None:
    assert value("ckd_epi_2021", age=age, sex=sex, creatinine=scr) == approx(expected)


def test_ckd_epi_male_knot_is_0_9_not_medcalc_bench_0_7() -> None:
    # At Scr = kappa both pieces equal 1: eGFR = 142 x 0.9938^age for men.
    assert value("ckd_epi_2021", age=40, sex="male", creatinine=0.9) == approx(142 * 0.9938**40)


@given(ages, creatinines, creatinines, st.sampled_from(["male", "female"]))
def test_ckd_epi_and_mdrd_fall_with_creatinine(age: float, c1: float, c2: float, sex: str) -> None:
    lo, hi = sorted((c1, c2))
    for calc in ("ckd_epi_2021", "mdrd_gfr"):
        assert value(calc, age=age, sex=sex, creatinine=hi) <= value(
            calc, age=age, sex=sex, creatinine=lo
        )


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [({"age": 60, "sex": "male", "creatinine": 1.0}, 76.221),
     ({"age": 60, "sex": "female", "creatinine": 1.0, "race": "Black"}, 68.546),
     ({"age": 51, "sex": "male", "creatinine": 1.87}, 38.256),
     ({"age": 51, "sex": "male", "creatinine": [165.3, "µmol/L"], "race": "White"}, 38.256)],
)  # fmt: skip
def test_mdrd(inputs: dict[str, object], expected: float) -> None:
    assert value("mdrd_gfr", **inputs) == approx(expected, rel=2e-3)


def test_mdrd_missing_race_is_stated() -> None:
    result = compute("mdrd_gfr", {"age": 60, "sex": "male", "creatinine": 1.0})
    assert "race factor 1 (not given" in result.explanation


@pytest.mark.parametrize(
    ("una", "scr", "sna", "ucr", "expected"),
    [(20, 2.0, 140, 100, 0.286), (32, 0.6, 129, 60.3, 0.247), (80, 3.0, 130, 30, 6.154)],
)
def test_fena(una: float, scr: float, sna: float, ucr: float, expected: float) -> None:
    got = value("fena", urine_sodium=una, serum_creatinine=scr, serum_sodium=sna,
                urine_creatinine=ucr)  # fmt: skip
    assert got == approx(expected)


def test_medcalc_entities() -> None:
    row1 = {"sex": "Male", "age": [87, "years"], "weight": [48.0, "kg"],
            "height": [163.0, "cm"], "creatinine": [1.4, "mg/dL"]}  # fmt: skip
    assert compute(2, row1).value == approx(25.238)
    fena = {"Urine creatinine": [60.3, "mg/dL"], "creatinine": [0.6, "mg/dL"],
            "Urine sodium": [32.0, "mEq/L"], "Sodium": [129.0, "mEq/L"]}  # fmt: skip
    assert compute(40, fena).value == approx(0.247)


@pytest.mark.parametrize(
    ("calc", "field", "inputs"),
    [
        (CG, "weight", {"age": 60, "sex": "male", "weight": -70, "creatinine": 1, "weight_basis": "actual"}),
        (CG, "age", {"age": 300, "sex": "male", "weight": 70, "creatinine": 1, "weight_basis": "actual"}),
        (CG, "weight_basis", {"age": 60, "sex": "male", "weight": 70, "creatinine": 1, "weight_basis": "lean"}),
        ("ckd_epi_2021", "creatinine", {"age": 60, "sex": "male", "creatinine": [1.0, "mg/furlong"]}),
        ("ckd_epi_2021", "creatinine", {"age": 60, "sex": "male", "creatinine": 0}),
        ("ckd_epi_2021", "sex", {"age": 60, "creatinine": 1.0}),
        ("mdrd_gfr", "age", {"age": -1, "sex": "male", "creatinine": 1.0}),
        ("fena", "urine_creatinine", {"serum_sodium": 140, "urine_sodium": 20, "serum_creatinine": 1}),
    ],
)  # fmt: skip
def test_bad_inputs_name_the_field(calc: str, field: str, inputs: dict[str, object]) -> None:
    rejects(calc, field, inputs)
