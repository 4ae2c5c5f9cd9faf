"""Body-size calculators: BMI, ideal, adjusted and target body weight, body surface area.

Also home of :data:`Sex` and :func:`ideal_body_weight_kg`, which the renal calculators reuse
(Cockcroft-Gault's weight rules need the ideal body weight).
"""

from __future__ import annotations

import math
from typing import TypeAlias

from medsim.calculators.base import CalculatorError, CalculatorInputs, Result, Sex, calculator
from medsim.calculators.units import quantity

CM_PER_INCH = 2.54


Height: TypeAlias = quantity("cm", gt=20, le=275, description="height")
Weight: TypeAlias = quantity("kg", gt=0, le=650, description="body weight")


def ideal_body_weight_kg(sex: str, height_cm: float) -> tuple[float, str]:
    """Devine (1974) ideal body weight: 50 kg (men) / 45.5 kg (women) + 2.3 kg per inch over 60 in.

    Below 60 in the same straight line is extended (as ARDSNet's predicted body weight does); a
    height at which it reaches 0 kg is rejected. Returns the weight and the worked arithmetic.
    """
    base = 50.0 if sex == "male" else 45.5
    inches = height_cm / CM_PER_INCH
    ibw = base + 2.3 * (inches - 60)
    if ibw <= 0:
        raise CalculatorError(
            f"height: {height_cm:g} cm is too short for the Devine ideal-body-weight formula "
            "(it gives a weight <= 0 kg)"
        )
    steps = (
        f"Height {height_cm:g} cm = {inches:.3f} in. IBW ({sex}) = {base:g} kg + 2.3 kg x "
        f"({inches:.3f} in - 60 in) = {ibw:.3f} kg"
    )
    if inches < 60:
        steps += " (height below 60 in: Devine's line extended below its published range)"
    return ibw, steps


class BmiInputs(CalculatorInputs):
    weight: Weight
    height: Height


@calculator(
    id="bmi",
    name="Body Mass Index (BMI)",
    medcalc_id=6,
    category="physical",
    output="decimal",
    unit="kg/m2",
    aliases=("body mass index", "quetelet index"),
)
def bmi(x: BmiInputs) -> Result:
    """BMI = weight (kg) / height (m)^2.

    Source: Keys A, Fidanza F, Karvonen MJ, Kimura N, Taylor HL. "Indices of relative weight and
    obesity." J Chronic Dis. 1972;25(6):329-343 (Quetelet's index).
    """
    h_m = x.height / 100
    value = x.weight / h_m**2
    steps = (
        f"Height {x.height:g} cm = {h_m:.4g} m.\n"
        f"BMI = {x.weight:g} kg / ({h_m:.4g} m)^2 = {value:.3f} kg/m2"
    )
    return Result(calculator="bmi", value=round(value, 3), unit="kg/m2", explanation=steps)


class IdealBodyWeightInputs(CalculatorInputs):
    sex: Sex
    height: Height


@calculator(
    id="ideal_body_weight",
    name="Ideal Body Weight",
    medcalc_id=10,
    category="physical",
    output="decimal",
    unit="kg",
    aliases=("ibw", "devine ideal body weight"),
)
def ideal_body_weight(x: IdealBodyWeightInputs) -> Result:
    """IBW = 50 kg (men) or 45.5 kg (women) + 2.3 kg per inch of height over 5 feet.

    Source: Devine BJ. "Gentamicin therapy." Drug Intell Clin Pharm. 1974;8:650-655.
    Heights under 60 in extend the same line (noted in the explanation).
    """
    value, steps = ideal_body_weight_kg(x.sex, x.height)
    return Result(
        calculator="ideal_body_weight", value=round(value, 3), unit="kg", explanation=steps
    )


class AdjustedBodyWeightInputs(CalculatorInputs):
    sex: Sex
    weight: Weight
    height: Height


@calculator(
    id="adjusted_body_weight",
    name="Adjusted Body Weight",
    medcalc_id=62,
    category="physical",
    output="decimal",
    unit="kg",
    aliases=("abw",),
)
def adjusted_body_weight(x: AdjustedBodyWeightInputs) -> Result:
    """ABW = IBW + 0.4 x (actual weight - IBW), IBW by Devine.

    Source: Traynor AM, Nafziger AN, Bertino JS Jr. "Aminoglycoside dosing weight correction
    factors for patients of various body sizes." Antimicrob Agents Chemother.
    1995;39(2):545-548 (the 0.4 correction factor); IBW: Devine BJ, Drug Intell Clin Pharm 1974.
    The formula is applied whatever the weight (below IBW it gives a value below IBW).
    """
    ibw, ibw_steps = ideal_body_weight_kg(x.sex, x.height)
    value = ibw + 0.4 * (x.weight - ibw)
    steps = (
        f"{ibw_steps}.\n"
        f"ABW = IBW + 0.4 x (weight - IBW) = {ibw:.3f} + 0.4 x ({x.weight:g} - {ibw:.3f}) "
        f"= {value:.3f} kg"
    )
    return Result(
        calculator="adjusted_body_weight", value=round(value, 3), unit="kg", explanation=steps
    )


class BodySurfaceAreaInputs(CalculatorInputs):
    weight: Weight
    height: Height


@calculator(
    id="body_surface_area",
    name="Body Surface Area Calculator",
    medcalc_id=60,
    category="physical",
    output="decimal",
    unit="m2",
    aliases=("bsa", "mosteller bsa"),
)
def body_surface_area(x: BodySurfaceAreaInputs) -> Result:
    """BSA (m^2) = sqrt(height (cm) x weight (kg) / 3600), the Mosteller formula.

    Source: Mosteller RD. "Simplified calculation of body-surface area." N Engl J Med.
    1987;317(17):1098.
    """
    value = math.sqrt(x.height * x.weight / 3600)
    steps = f"BSA = sqrt({x.height:g} cm x {x.weight:g} kg / 3600) = {value:.3f} m2"
    return Result(
        calculator="body_surface_area", value=round(value, 3), unit="m2", explanation=steps
    )


class TargetWeightInputs(CalculatorInputs):
    target_bmi: quantity("kg/m²", gt=5, le=100, description="target body mass index")
    height: Height


@calculator(
    id="target_weight",
    name="Target weight",
    medcalc_id=61,
    category="physical",
    output="decimal",
    unit="kg",
    medcalc_entities={"Body Mass Index (BMI)": "target_bmi"},
    aliases=("target body weight",),
)
def target_weight(x: TargetWeightInputs) -> Result:
    """Target weight (kg) = target BMI (kg/m^2) x height (m)^2 (the BMI definition solved for weight).

    Source: Keys A, et al. J Chronic Dis. 1972;25(6):329-343 (BMI definition).
    """
    h_m = x.height / 100
    value = x.target_bmi * h_m**2
    steps = (
        f"Height {x.height:g} cm = {h_m:.4g} m.\n"
        f"Target weight = {x.target_bmi:g} kg/m2 x ({h_m:.4g} m)^2 = {value:.3f} kg"
    )
    return Result(calculator="target_weight", value=round(value, 3), unit="kg", explanation=steps)
