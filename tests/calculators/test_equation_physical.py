"""Physical calculators: MAP, BMI, IBW, ABW, BSA, target weight, maintenance fluids, QTc."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medsim.calculators import compute
from tests.calculators.equation_helpers import approx, rejects, value

heights = st.floats(min_value=120, max_value=220)
weights = st.floats(min_value=20, max_value=250)


@pytest.mark.parametrize(
    ("sbp", "dbp", "expected"), [(120, 80, 93.333), (140, 80, 100.0), (90, 60, 70.0)]
)
def test_map_examples(sbp: float, dbp: float, expected: float) -> None:
    assert value("mean_arterial_pressure", sbp=sbp, dbp=dbp) == approx(expected)


@given(st.floats(30, 300), st.floats(20, 200))
def test_map_lies_between_diastolic_and_systolic(sbp: float, dbp: float) -> None:
    lo, hi = sorted((sbp, dbp))
    assert lo - 1e-3 <= value(5, sbp=hi, dbp=lo) <= hi + 1e-3


@pytest.mark.parametrize(
    ("weight", "height", "expected"),
    [(70, 175, 22.857), (10.2, 83.8, 14.525), (81, 180, 25.0), ([220.462, "lb"], [70.866, "in"], 30.864)],
)  # fmt: skip
def test_bmi_examples(weight: object, height: object, expected: float) -> None:
    assert value("bmi", weight=weight, height=height) == approx(expected)


@given(weights, weights, heights)
def test_bmi_increases_with_weight(w1: float, w2: float, h: float) -> None:
    lo, hi = sorted((w1, w2))
    assert value("bmi", weight=lo, height=h) <= value("bmi", weight=hi, height=h)


@pytest.mark.parametrize(
    ("sex", "height", "expected"),
    [("male", 152.4, 50.0), ("female", 152.4, 45.5), ("male", 177.8, 73.0),
     ("female", 165.1, 57.0), ("Male", 158.0, 55.071), ("F", [5.5, "ft"], 59.3)],
)  # fmt: skip
def test_ideal_body_weight_devine(sex: str, height: object, expected: float) -> None:
    assert value("ideal_body_weight", sex=sex, height=height) == approx(expected)


def test_ideal_body_weight_below_five_feet_extends_line_and_says_so() -> None:
    result = compute("ideal_body_weight", {"sex": "male", "height": 142.24})  # 56 in
    assert result.value == approx(40.8)
    assert "below 60 in" in result.explanation


def test_ideal_body_weight_refuses_heights_giving_no_weight() -> None:
    rejects("ideal_body_weight", "height", {"sex": "female", "height": 100})


@pytest.mark.parametrize(
    ("sex", "weight", "height", "expected"),
    [("female", 80, 168, 67.776), ("male", 100, 177.8, 83.8), ("male", 73, 177.8, 73.0)],
)
def test_adjusted_body_weight_examples(
    sex: str, weight: float, height: float, expected: float
) -> None:
    assert value("adjusted_body_weight", sex=sex, weight=weight, height=height) == approx(expected)


@pytest.mark.parametrize(
    ("weight", "height", "expected"), [(80, 180, 2.0), (90, 160, 2.0), (77.1, 176.1, 1.942)]
)
def test_bsa_mosteller(weight: float, height: float, expected: float) -> None:
    assert value("body_surface_area", weight=weight, height=height) == approx(expected)


@given(st.floats(40, 150), st.floats(130, 200))
def test_bmi_round_trip_through_target_weight(w: float, h: float) -> None:
    bmi = value("bmi", weight=w, height=h)
    assert value("target_weight", target_bmi=bmi, height=h) == approx(w, rel=1e-3, abs_=0.01)


@pytest.mark.parametrize(
    ("bmi", "height", "expected"),
    [(25, 180, 81.0), (19.2, 196, 73.759), (22, [63, "in"], 56.36)],
)
def test_target_weight_examples(bmi: float, height: object, expected: float) -> None:
    assert value("target_weight", target_bmi=bmi, height=height) == approx(expected)


@pytest.mark.parametrize(
    ("weight", "expected"),
    [(3, 12.0), (10, 40.0), (17, 54.0), (20, 60.0), (70, 110.0), ([2180, "g"], 8.72)],
)
def test_maintenance_fluids_holliday_segar(weight: object, expected: float) -> None:
    assert value("maintenance_fluids", weight=weight) == approx(expected)


@given(st.floats(0.5, 200), st.floats(0.5, 200))
def test_maintenance_fluids_monotone(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert value(22, weight=lo) <= value(22, weight=hi)


QTC = ["qtc_bazett", "qtc_fridericia", "qtc_framingham", "qtc_hodges", "qtc_rautaharju"]


@pytest.mark.parametrize("calc", QTC)
@pytest.mark.parametrize("qt", [350, 400, 452])
def test_every_qtc_formula_equals_qt_at_60_bpm(calc: str, qt: float) -> None:
    assert value(calc, heart_rate=60, qt_interval=qt) == approx(qt)


@pytest.mark.parametrize(
    ("calc", "expected"),
    [("qtc_bazett", 516.398), ("qtc_fridericia", 474.274), ("qtc_framingham", 461.6),
     ("qtc_hodges", 470.0), ("qtc_rautaharju", 488.889)],
)  # fmt: skip
def test_qtc_at_100_bpm(calc: str, expected: float) -> None:
    assert value(calc, heart_rate=100, qt_interval=400) == approx(expected)


@pytest.mark.parametrize(
    ("calc", "hr", "expected"),
    [("qtc_bazett", 131, 487.62), ("qtc_fridericia", 118, 413.58), ("qtc_framingham", 119, 406.384),
     ("qtc_hodges", 130, 452.5), ("qtc_rautaharju", 136, 469.333)],
)  # fmt: skip
def test_qtc_medcalc_examples(calc: str, hr: float, expected: float) -> None:
    assert value(calc, heart_rate=hr, qt_interval=330) == approx(expected, rel=2e-3)


@pytest.mark.parametrize("calc", QTC)
@given(hr=st.floats(30, 200), qt1=st.floats(200, 700), qt2=st.floats(200, 700))
def test_qtc_increases_with_qt(calc: str, hr: float, qt1: float, qt2: float) -> None:
    lo, hi = sorted((qt1, qt2))
    assert value(calc, heart_rate=hr, qt_interval=lo) <= value(calc, heart_rate=hr, qt_interval=hi)


def test_medcalc_entity_names_and_units() -> None:
    entities = {"Heart Rate or Pulse": [131, "beats per minute"], "QT interval": [330, "msec"]}
    assert compute(11, entities).value == approx(487.612)
    assert compute(5, {"Systolic Blood Pressure": [140.0, "mm hg"],
                       "Diastolic Blood Pressure": [80.0, "mm Hg"]}).value == approx(100)  # fmt: skip


@pytest.mark.parametrize(
    ("calc", "field", "inputs"),
    [
        ("bmi", "weight", {"weight": -70, "height": 170}),
        ("bmi", "height", {"weight": 70}),
        ("bmi", "height", {"weight": 70, "height": "170 furlongs"}),
        ("body_surface_area", "weight", {"weight": "heavy", "height": 170}),
        ("ideal_body_weight", "sex", {"sex": "unknown", "height": 170}),
        ("maintenance_fluids", "weight", {"weight": [70, "mmHg"]}),
        ("qtc_bazett", "heart_rate", {"heart_rate": 0, "qt_interval": 400}),
        ("qtc_bazett", "qt_interval", {"heart_rate": 70, "qt_interval": [4, "kg"]}),
        ("mean_arterial_pressure", "dbp", {"sbp": 120}),
        ("target_weight", "heigth", {"target_bmi": 22, "height": 170, "heigth": 1}),
    ],
)
def test_bad_inputs_name_the_field(calc: str, field: str, inputs: dict[str, object]) -> None:
    rejects(calc, field, inputs)
