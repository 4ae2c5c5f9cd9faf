"""Electrolyte calculators: corrected calcium, corrected sodium, serum osmolality, free water deficit."""

from __future__ import annotations

from typing import Literal

from medsim.calculators.base import CalculatorInputs, Result, calculator
from medsim.calculators.lab.analytes import Age, Albumin, Bun, Calcium, Glucose, Sodium
from medsim.calculators.physical.anthropometry import Sex, Weight
from medsim.calculators.units import quantity


class CalciumCorrectionInputs(CalculatorInputs):
    calcium: Calcium
    albumin: Albumin
    normal_albumin: quantity("g/dL", ge=2, le=6, description="reference albumin") = 4.0


@calculator(
    id="calcium_correction",
    name="Calcium Correction for Hypoalbuminemia",
    medcalc_id=7,
    category="lab",
    output="decimal",
    unit="mg/dL",
    medcalc_entities={"Calcium": "calcium", "Albumin": "albumin"},
    aliases=("corrected calcium",),
)
def calcium_correction(x: CalciumCorrectionInputs) -> Result:
    """Corrected Ca (mg/dL) = Ca + 0.8 x (normal albumin - albumin), albumin in g/dL, normal 4.0.

    Source: Payne RB, Little AJ, Williams RB, Milner JR. "Interpretation of serum calcium in
    patients with abnormal serum proteins." Br Med J. 1973;4(5893):643-646 (0.02 mmol/L per g/L
    albumin = 0.8 mg/dL per g/dL).
    """
    value = x.calcium + 0.8 * (x.normal_albumin - x.albumin)
    steps = (
        f"Corrected Ca = {x.calcium:.4g} + 0.8 x ({x.normal_albumin:g} - {x.albumin:.4g}) "
        f"= {value:.3f} mg/dL"
    )
    return Result(
        calculator="calcium_correction", value=round(value, 3), unit="mg/dL", explanation=steps
    )


_SODIUM_FACTORS = {"hillier": 2.4, "katz": 1.6}


class SodiumCorrectionInputs(CalculatorInputs):
    sodium: Sodium
    glucose: Glucose
    method: Literal["hillier", "katz"] = "hillier"


@calculator(
    id="sodium_correction_hyperglycemia",
    name="Sodium Correction for Hyperglycemia",
    medcalc_id=26,
    category="lab",
    output="decimal",
    unit="mmol/L",
    medcalc_entities={"Sodium": "sodium", "Glucose": "glucose"},
    aliases=("corrected sodium",),
)
def sodium_correction(x: SodiumCorrectionInputs) -> Result:
    """Corrected Na = Na + k x (glucose (mg/dL) - 100) / 100; k = 2.4 (Hillier, default) or 1.6
    (Katz).

    Sources: Hillier TA, Abbott RD, Barrett EJ. "Hyponatremia: evaluating the correction factor for
    hyperglycemia." Am J Med. 1999;106(4):399-403. Katz MA. "Hyperglycemia-induced hyponatremia:
    calculation of expected serum sodium depression." N Engl J Med. 1973;289(16):843-844.
    """
    k = _SODIUM_FACTORS[x.method]
    value = x.sodium + k * (x.glucose - 100) / 100
    steps = (
        f"Correction factor {k} mmol/L per 100 mg/dL glucose ({x.method}).\n"
        f"Corrected Na = {x.sodium:g} + {k} x ({x.glucose:.4g} - 100) / 100 = {value:.3f} mmol/L"
    )
    return Result(
        calculator="sodium_correction_hyperglycemia",
        value=round(value, 3),
        unit="mmol/L",
        explanation=steps,
    )


class SerumOsmolalityInputs(CalculatorInputs):
    sodium: Sodium
    bun: Bun
    glucose: Glucose


@calculator(
    id="serum_osmolality",
    name="Serum Osmolality",
    medcalc_id=30,
    category="lab",
    output="decimal",
    unit="mOsm/kg",
    medcalc_entities={"Sodium": "sodium", "Blood Urea Nitrogen (BUN)": "bun", "Glucose": "glucose"},
    aliases=("calculated osmolality",),
)
def serum_osmolality(x: SerumOsmolalityInputs) -> Result:
    """Calculated osmolality = 2 x Na (mmol/L) + BUN (mg/dL) / 2.8 + glucose (mg/dL) / 18.

    Source: Smithline N, Gardner KD Jr. "Gaps--anionic and osmolal." JAMA. 1976;236(14):1594-1597.
    """
    value = 2 * x.sodium + x.bun / 2.8 + x.glucose / 18
    steps = (
        f"Osmolality = 2 x {x.sodium:g} + {x.bun:.4g} / 2.8 + {x.glucose:.4g} / 18 "
        f"= {value:.3f} mOsm/kg"
    )
    return Result(
        calculator="serum_osmolality", value=round(value, 3), unit="mOsm/kg", explanation=steps
    )


class FreeWaterDeficitInputs(CalculatorInputs):
    age: Age
    sex: Sex
    weight: Weight
    sodium: Sodium
    target_sodium: quantity("mmol/L", ge=120, le=160, description="target sodium") = 140.0


def _tbw_fraction(age: float, sex: str) -> tuple[float, str]:
    if age < 18:
        return 0.6, "child (< 18 years)"
    elderly = age >= 65
    group = ("elderly " if elderly else "adult ") + sex
    if sex == "male":
        return (0.5 if elderly else 0.6), group
    return (0.45 if elderly else 0.5), group


@calculator(
    id="free_water_deficit",
    name="Free Water Deficit",
    medcalc_id=38,
    category="lab",
    output="decimal",
    unit="L",
    medcalc_entities={"Sodium": "sodium"},
    aliases=("water deficit",),
)
def free_water_deficit(x: FreeWaterDeficitInputs) -> Result:
    """Free water deficit (L) = TBW fraction x weight (kg) x (Na / target Na - 1), target 140.

    TBW fraction: 0.6 children (< 18 y) and adult men, 0.5 adult women and elderly (>= 65 y) men,
    0.45 elderly women. Negative when sodium is below the target (a water excess).
    Source: Adrogue HJ, Madias NE. "Hypernatremia." N Engl J Med. 2000;342(20):1493-1499.
    """
    fraction, group = _tbw_fraction(x.age, x.sex)
    value = fraction * x.weight * (x.sodium / x.target_sodium - 1)
    steps = (
        f"Age {x.age:g} years, {x.sex}: {group}, TBW fraction {fraction}.\n"
        f"Deficit = {fraction} x {x.weight:.4g} kg x ({x.sodium:g} / {x.target_sodium:g} - 1) "
        f"= {value:.3f} L"
    )
    return Result(
        calculator="free_water_deficit", value=round(value, 3), unit="L", explanation=steps
    )
