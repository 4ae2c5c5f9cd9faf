"""Electrolyte and acid-base calculators: corrected Ca and Na, osmolality, water deficit, gaps."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medsim.calculators import compute
from tests.calculators.equation_helpers import approx, rejects, value

sodium = st.floats(110, 170)
chloride = st.floats(70, 130)
bicarb = st.floats(2, 45)


@pytest.mark.parametrize(
    ("calcium", "albumin", "expected"),
    [(8.6, 3.1, 9.32), (9.0, 4.0, 9.0), ([2.0, "mmol/L"], [30, "g/L"], 8.816),
     ([4.0, "mEq/L"], 2.0, 9.616)],
)  # fmt: skip
def test_calcium_correction_payne(calcium: object, albumin: object, expected: float) -> None:
    assert value("calcium_correction", calcium=calcium, albumin=albumin) == approx(expected)


def test_calcium_correction_custom_normal_albumin() -> None:
    assert value(7, calcium=8.0, albumin=2.5, normal_albumin=4.4) == approx(9.52)


@pytest.mark.parametrize(
    ("method", "glucose", "expected"),
    [("hillier", 500, 144.6), ("katz", 500, 141.4), ("hillier", 100, 135.0),
     ("hillier", [27.75, "mmol/L"], 144.6)],
)  # fmt: skip
def test_sodium_correction(method: str, glucose: object, expected: float) -> None:
    got = value("sodium_correction_hyperglycemia", sodium=135, glucose=glucose, method=method)
    assert got == approx(expected, rel=1e-3, abs_=0.01)


@pytest.mark.parametrize(
    ("na", "bun", "glucose", "expected"),
    [(140, 14, 180, 295.0), (131, 18, 70, 272.317), (140, [5, "mmol/L"], [5, "mmol/L"], 290.0)],
)
def test_serum_osmolality(na: float, bun: object, glucose: object, expected: float) -> None:
    assert value("serum_osmolality", sodium=na, bun=bun, glucose=glucose) == approx(
        expected, rel=2e-3
    )


@given(sodium, st.floats(5, 100), st.floats(50, 600), st.floats(0, 20))
def test_osmolality_increases_with_sodium(na: float, bun: float, glu: float, d: float) -> None:
    low = value(30, sodium=na, bun=bun, glucose=glu)
    assert value(30, sodium=min(na + d, 170), bun=bun, glucose=glu) >= low


@pytest.mark.parametrize(
    ("age", "sex", "weight", "na", "expected"),
    [(40, "male", 70, 160, 6.0), (70, "female", 60, 154, 2.7), (10, "female", 30, 150, 1.286),
     (23, "male", [142, "lbs"], 137, -0.828), (70, "male", 80, 140, 0.0),
     ([17, "months"], "male", 2.0, 135, -0.043)],
)  # fmt: skip
def test_free_water_deficit(
    age: object, sex: str, weight: object, na: float, expected: float
) -> None:
    got = value("free_water_deficit", age=age, sex=sex, weight=weight, sodium=na)
    assert got == approx(expected, rel=2e-3)


@given(st.floats(1, 100), st.sampled_from(["male", "female"]), st.floats(3, 200), sodium)
def test_free_water_deficit_sign_follows_sodium(age: float, sex: str, w: float, na: float) -> None:
    got = value(38, age=age, sex=sex, weight=w, sodium=na)
    assert (got > 0) == (na > 140) or got == approx(0)


GAP = {"sodium": 140, "chloride": 100, "bicarbonate": 20}


def test_anion_gap_family_worked_example() -> None:
    assert value("anion_gap", **GAP) == approx(20.0)
    assert value("delta_gap", **GAP) == approx(8.0)
    assert value("delta_ratio", **GAP) == approx(2.0)
    assert value("albumin_corrected_anion_gap", **GAP, albumin=2.0) == approx(25.0)
    assert value("albumin_corrected_delta_gap", **GAP, albumin=2.0) == approx(13.0)
    assert value("albumin_corrected_delta_ratio", **GAP, albumin=2.0) == approx(3.25)


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [({"sodium": 135, "chloride": 105, "bicarbonate": 10, "albumin": 3.0},
      (20.0, 8.0, 0.571, 22.5, 10.5, 0.75)),
     ({"sodium": 145, "chloride": 110, "bicarbonate": 30, "albumin": [45, "g/L"]},
      (5.0, -7.0, 1.167, 3.75, -8.25, 1.375))],
)  # fmt: skip
def test_anion_gap_family_more_examples(
    inputs: dict[str, object], expected: tuple[float, ...]
) -> None:
    plain = {k: v for k, v in inputs.items() if k != "albumin"}
    got = (value(39, **plain), value(63, **plain), value(64, **plain),
           value(65, **inputs), value(66, **inputs), value(67, **inputs))  # fmt: skip
    assert got == tuple(approx(e) for e in expected)


@pytest.mark.parametrize(
    ("calc", "entities", "expected"),
    [(39, {"Chloride": [104.0, "mmol/L"], "Bicarbonate": [20.0, "mmol/L"], "Sodium": [139.0, "mmol/L"]}, 15.0),
     (63, {"Chloride": [108.0, "mEq/L"], "Bicarbonate": [4.6, "mEq/L"], "Sodium": [139.0, "mEq/L"]}, 14.4),
     (64, {"Chloride": [104.0, "mmol/L"], "Bicarbonate": [28.2, "mmol/L"], "Sodium": [139.0, "mmol/L"]}, 1.238),
     (65, {"Chloride": [135.0, "mEq/L"], "Albumin": [4.5, "g/dL"], "Bicarbonate": [18.5, "mEq/L"], "Sodium": [174.0, "mEq/L"]}, 19.25),
     (66, {"Albumin": [37, "g/L"], "Sodium": [125.0, "mmol/L"], "Chloride": [87.0, "mmol/L"], "Bicarbonate": [28.0, "mmol/L"]}, -1.25),
     (67, {"Chloride": [116.0, "mEq/L"], "Albumin": [3.7, "g/dL"], "Bicarbonate": [12.1, "mEq/L"], "Sodium": [137.0, "mEq/L"]}, -0.197)],
)  # fmt: skip
def test_medcalc_rows(calc: int, entities: dict[str, object], expected: float) -> None:
    assert compute(calc, entities).value == approx(expected)


@given(sodium, chloride, bicarb, st.floats(1, 6), st.floats(1, 6))
def test_albumin_correction_raises_gap_as_albumin_falls(
    na: float, cl: float, hco3: float, a1: float, a2: float
) -> None:
    lo, hi = sorted((a1, a2))
    kw = {"sodium": na, "chloride": cl, "bicarbonate": hco3}
    assert value(65, **kw, albumin=lo) >= value(65, **kw, albumin=hi)
    assert value(65, **kw, albumin=4.0) == approx(value(39, **kw))


def test_delta_ratio_undefined_at_normal_bicarbonate() -> None:
    rejects("delta_ratio", "bicarbonate", {"sodium": 140, "chloride": 100, "bicarbonate": 24})


@pytest.mark.parametrize(
    ("calc", "field", "inputs"),
    [
        ("anion_gap", "sodium", {"sodium": [137, "mg/dL"], "chloride": 100, "bicarbonate": 24}),
        ("anion_gap", "potassium", {**GAP, "potassium": 4.0}),
        ("anion_gap", "Potassium", {"Sodium": 140, "Chloride": 100, "Bicarbonate": 20, "Potassium": 4}),
        ("albumin_corrected_anion_gap", "albumin", {**GAP, "albumin": [3.2, "mg/dL"]}),
        ("albumin_corrected_anion_gap", "albumin", {**GAP, "albumin": 17.1}),
        ("calcium_correction", "albumin", {"calcium": 9.0}),
        ("sodium_correction_hyperglycemia", "method", {"sodium": 135, "glucose": 300, "method": "x"}),
        ("free_water_deficit", "age", {"age": 300, "sex": "male", "weight": 70, "sodium": 150}),
        ("free_water_deficit", "weight", {"age": 30, "sex": "male", "weight": -70, "sodium": 150}),
        ("serum_osmolality", "bun", {"sodium": 140, "glucose": 100, "bun": [5, "furlongs"]}),
    ],
)  # fmt: skip
def test_bad_inputs_name_the_field(calc: str, field: str, inputs: dict[str, object]) -> None:
    rejects(calc, field, inputs)
