"""medsim.calculators.units: parsing, aliases and conversions (including analyte molar masses)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medsim.calculators.units import convert, normalize_unit, parse_quantity

positive = st.floats(min_value=1e-3, max_value=1e4, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(5, (5.0, None)), ([1.4, "mg/dL"], (1.4, "mg/dL")), ({"value": 70, "unit": "kg"}, (70.0, "kg")),
     ("98.6 °F", (98.6, "°F")), ("-0.5 mmol/L", (-0.5, "mmol/L")), ((3, None), (3.0, None))],
)  # fmt: skip
def test_parse_quantity_forms(raw: object, expected: tuple[float, str | None]) -> None:
    assert parse_quantity(raw) == expected


@pytest.mark.parametrize("raw", [True, "abc", [1, 2, 3], ["mg", 1], None, {"unit": "kg"}])
def test_parse_quantity_rejects(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_quantity(raw)


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [("mm hg", "mmHg"), ("MMHG", "mmHg"), ("beats per minute", "beats/min"), ("msec", "ms"),
     ("lbs", "lb"), ("umol/L", "µmol/L"), ("μmol/l", "µmol/L"), ("kg/m^2", "kg/m²"),
     ("mcg/hr", "µg/h"), ("uIU/mL", "µIU/mL"), ("x10^9/L", "10^9/L"), ("units", "[iU]"),
     ("IU", "[iU]"), ("[iU]", "[iU]"), ("International units", "[iU]")],
)  # fmt: skip
def test_aliases(spelling: str, canonical: str) -> None:
    assert normalize_unit(spelling) == canonical


def test_international_units_compare_across_spellings() -> None:
    assert convert(240, "units", "[iU]") == 240
    assert convert(5000, "IU", "units") == 5000
    with pytest.raises(ValueError):
        convert(240, "units", "mg")


@pytest.mark.parametrize(
    ("value", "src", "dst", "analyte", "expected"),
    [(88.4, "µmol/L", "mg/dL", "creatinine", 1.0), (5.0, "mmol/L", "mg/dL", "glucose", 90.078),
     (10, "mmol/L", "mg/dL", "bun", 28.014), (2.5, "mmol/L", "mg/dL", "calcium", 10.0195),
     (5.0, "mEq/L", "mmol/L", "calcium", 2.5), (10.0195, "mg/dL", "mEq/L", "calcium", 5.0),
     (140, "mEq/L", "mmol/L", "sodium", 140.0), (5.0, "mmol/L", "mg/dL", "cholesterol", 193.325),
     (1.0, "mmol/L", "mg/dL", "triglycerides", 88.57), (35, "g/L", "g/dL", None, 3.5),
     (154, "lb", "kg", None, 69.853), (70, "in", "cm", None, 177.8), (98.6, "°F", "°C", None, 37.0),
     (149000, "/µL", "10^9/L", None, 149.0), (1.5e11, "/L", "10^9/L", None, 150.0),
     (17, "months", "years", None, 1.41667), (2180, "g", "kg", None, 2.18)],
)  # fmt: skip
def test_known_conversions(
    value: float, src: str, dst: str, analyte: str | None, expected: float
) -> None:
    assert convert(value, src, dst, analyte) == pytest.approx(expected, rel=1e-4)


ROUND_TRIPS = [
    ("mg/dL", "µmol/L", "creatinine"), ("mg/dL", "mmol/L", "glucose"), ("mg/dL", "mmol/L", "bun"),
    ("mg/dL", "mmol/L", "calcium"), ("mg/dL", "mEq/L", "calcium"), ("mmol/L", "mEq/L", "magnesium"),
    ("mg/dL", "mmol/L", "cholesterol"), ("g/dL", "g/L", None), ("kg", "lb", None),
    ("cm", "in", None), ("°C", "°F", None), ("10^9/L", "/µL", None), ("mg/dL", "mmol/L", "sodium"),
]  # fmt: skip


@pytest.mark.parametrize(("a", "b", "analyte"), ROUND_TRIPS)
@given(v=positive)
def test_round_trip(a: str, b: str, analyte: str | None, v: float) -> None:
    assert convert(convert(v, a, b, analyte), b, a, analyte) == pytest.approx(v, rel=1e-9)


@given(positive, positive)
def test_conversion_is_monotone(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert convert(lo, "µmol/L", "mg/dL", "creatinine") <= convert(
        hi, "µmol/L", "mg/dL", "creatinine"
    )


@pytest.mark.parametrize(
    ("src", "dst", "analyte"),
    [("mg/dL", "mmol/L", None), ("mg/dL", "mmol/L", "unobtainium"), ("kg", "cm", None),
     ("furlongs", "cm", None), ("mmHg", "mL", None)],
)  # fmt: skip
def test_impossible_conversions_raise(src: str, dst: str, analyte: str | None) -> None:
    with pytest.raises(ValueError, match="cannot convert"):
        convert(1.0, src, dst, analyte)
