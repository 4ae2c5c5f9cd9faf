"""Every conversion factor and molar mass of :mod:`medsim.calculators.units`, one by one.

Expected values are definitions (SI / international yard and pound agreement 1959: 1 lb =
0.45359237 kg exactly, 1 in = 2.54 cm, 1 oz = 1/16 lb; 1 mmHg = 133.322 Pa) or the SI conversion
factors of clinical chemistry as printed in the AMA Manual of Style SI conversion table (Young,
"Implementation of SI units for clinical laboratory data", Ann Intern Med 1987), to 4 significant
figures. A wrong factor or a molar mass off by 1 g/mol moves a result by far more than the
tolerance (relative 5e-4 for the printed 4-figure factors).
"""

from __future__ import annotations

from typing import TypeAlias

import pytest
from pydantic import BaseModel, ValidationError

from medsim.calculators.units import convert, quantity

EXACT = [
    (1, "kg", "g", 1000.0),
    (1, "lb", "kg", 0.45359237),
    (1, "oz", "kg", 0.028349523125),
    (1, "g", "kg", 0.001),
    (1, "mg", "g", 0.001),
    (1, "µg", "mg", 0.001),
    (1, "m", "cm", 100.0),
    (1, "mm", "cm", 0.1),
    (1, "in", "cm", 2.54),
    (1, "ft", "cm", 30.48),
    (1, "g/dL", "g/L", 10.0),
    (1, "mg/dL", "mg/L", 10.0),
    (1, "g/dL", "mg/dL", 1000.0),
    (1, "µg/dL", "mg/dL", 0.001),
    (1, "µmol/L", "mmol/L", 0.001),
    (1, "mol/L", "mmol/L", 1000.0),
    (1, "s", "ms", 1000.0),
    (1, "weeks", "days", 7.0),
    (1, "years", "months", 12.0),
    (1, "hours", "minutes", 60.0),
    (1, "10^9/L", "/µL", 1000.0),
    (1, "mIU/L", "µIU/mL", 1.0),
    (1, "L", "mL", 1000.0),
    (1, "dL", "mL", 100.0),
    (1, "10^9/L", "/L", 1e9),
    (1, "/µL", "/L", 1e6),
    (72, "beats/min", "/min", 72.0),
    # two steps through a shared unit: lb -> kg -> g, and lb -> kg <- oz
    (1, "lb", "g", 453.59237),
    (1, "lb", "oz", 16.0),
]


@pytest.mark.parametrize(("value", "src", "dst", "expected"), EXACT)
def test_exact_factors(value: float, src: str, dst: str, expected: float) -> None:
    assert convert(value, src, dst) == pytest.approx(expected, rel=1e-9)
    assert convert(expected, dst, src) == pytest.approx(value, rel=1e-9)


def test_kelvin_to_celsius() -> None:
    assert convert(310.15, "K", "°C") == pytest.approx(37.0, rel=1e-9)


def test_kpa_to_mmhg() -> None:
    # 1 mmHg = 133.322 Pa, so 1 kPa = 1000 / 133.322 = 7.5006 mmHg
    assert convert(1, "kPa", "mmHg") == pytest.approx(7.5006, rel=1e-4)


# 1 mg/dL of the analyte in mmol/L (or in µmol/L where the table prints that)
SI_FACTORS = [
    ("urea", "mmol/L", 0.1665),
    ("bilirubin", "µmol/L", 17.10),
    ("magnesium", "mmol/L", 0.4114),
    ("phosphate", "mmol/L", 0.3229),
    ("uric_acid", "µmol/L", 59.48),
    ("ethanol", "mmol/L", 0.2171),
    ("lactate", "mmol/L", 0.1110),
    ("sodium", "mmol/L", 0.4350),
    ("potassium", "mmol/L", 0.2558),
    ("chloride", "mmol/L", 0.2821),
    ("bicarbonate", "mmol/L", 0.1639),
    ("glucose", "mmol/L", 0.05551),
    ("triglycerides", "mmol/L", 0.01129),
]


@pytest.mark.parametrize(("analyte", "unit", "per_mg_dl"), SI_FACTORS)
def test_molar_masses(analyte: str, unit: str, per_mg_dl: float) -> None:
    assert convert(1, "mg/dL", unit, analyte) == pytest.approx(per_mg_dl, rel=5e-4)
    assert convert(per_mg_dl, unit, "mg/dL", analyte) == pytest.approx(1.0, rel=5e-4)


@pytest.mark.parametrize(
    ("value", "src", "dst", "expected"),
    [
        # glucose 1 mmol/L = 18.016 mg/dL = 0.18016 g/L = 0.018016 g/dL = 18016 µg/dL
        (1.8016, "g/L", "mmol/L", 10.0),
        (180.16, "mg/L", "mmol/L", 1.0),
        (0.18016, "g/dL", "mmol/L", 10.0),
        (18016, "µg/dL", "mmol/L", 1.0),
        (0.001, "mol/L", "mg/dL", 18.016),
    ],
)
def test_glucose_in_every_mass_and_molar_unit(
    value: float, src: str, dst: str, expected: float
) -> None:
    assert convert(value, src, dst, "glucose") == pytest.approx(expected, rel=5e-4)


def test_milliequivalents() -> None:
    # divalent ions: 1 mmol = 2 mEq (Mg2+, HPO4 2- as tabulated here); monovalent: 1 mmol = 1 mEq
    assert convert(1, "mmol/L", "mEq/L", "magnesium") == 2.0
    assert convert(1, "mmol/L", "mEq/L", "phosphate") == 2.0
    # sodium 140 mEq/L = 140 mmol/L = 140 x 22.99 mg/L = 321.9 mg/dL
    assert convert(140, "mEq/L", "mg/dL", "sodium") == pytest.approx(321.86, rel=5e-4)


@pytest.mark.parametrize(
    ("src", "dst", "message"),
    [
        ("mg/dL", "mmHg", "cannot convert 'mg/dL' to 'mmHg' for glucose"),  # mass -> not molar
        ("mmol/L", "mmHg", "cannot convert 'mmol/L' to 'mmHg' for glucose"),  # molar -> not mass
    ],
)
def test_mass_or_molar_to_anything_else_is_refused(src: str, dst: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        convert(1, src, dst, "glucose")
    assert str(err.value) == message


def test_refusal_without_an_analyte_names_none() -> None:
    with pytest.raises(ValueError) as err:
        convert(1, "kg", "cm")
    assert str(err.value) == "cannot convert 'kg' to 'cm'"


Kg: TypeAlias = quantity("kg", gt=0)  # type: ignore[valid-type]


class Weighed(BaseModel):
    weight: Kg


def test_quantity_fields_convert_and_refuse() -> None:
    assert Weighed(weight=70).weight == 70.0  # a bare number is already in kg
    assert Weighed(weight=[154.3236, "lb"]).weight == pytest.approx(70.0, rel=1e-6)
    assert Weighed(weight="70000 g").weight == pytest.approx(70.0)
    for bad in (float("nan"), float("inf"), [1, "cm"], -5):
        with pytest.raises(ValidationError):
            Weighed(weight=bad)


def test_large_factors_are_exact() -> None:
    """Factors that are powers of ten are exact in binary floating point for these values."""
    assert convert(1, "10^9/L", "/L") == 1e9
    assert convert(2.5, "/µL", "/L") == 2.5e6
    # glucose 1 g/dL = 10,000 mg/L / 180.156 g/mol (C6H12O6, IUPAC) = 55.507 mmol/L
    assert convert(1, "g/dL", "mmol/L", "glucose") == pytest.approx(10_000 / 180.156, rel=1e-9)
