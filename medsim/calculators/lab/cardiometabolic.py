"""Cardiometabolic calculators: HOMA-IR, Friedewald LDL, Framingham/ATP III hard CHD risk."""

from __future__ import annotations

import math
from typing import TypeAlias

from medsim.calculators.base import CalculatorError, CalculatorInputs, Result, calculator
from medsim.calculators.lab.analytes import Age, Glucose
from medsim.calculators.physical.anthropometry import Sex
from medsim.calculators.units import convert, quantity

Cholesterol: TypeAlias = quantity(
    "mg/dL", analyte="cholesterol", gt=0, le=2000, description="cholesterol"
)
Triglycerides: TypeAlias = quantity(
    "mg/dL", analyte="triglycerides", gt=0, le=20000, description="triglycerides"
)


class HomaIrInputs(CalculatorInputs):
    glucose: Glucose
    insulin: quantity("µIU/mL", gt=0, le=3000, description="fasting insulin")


@calculator(
    id="homa_ir",
    name="HOMA-IR (Homeostatic Model Assessment for Insulin Resistance)",
    medcalc_id=31,
    category="lab",
    output="decimal",
    unit=None,
    medcalc_entities={"Glucose": "glucose", "Insulin": "insulin"},
    aliases=("homa-ir",),
)
def homa_ir(x: HomaIrInputs) -> Result:
    """HOMA-IR = fasting glucose (mmol/L) x fasting insulin (µU/mL) / 22.5
    (= glucose (mg/dL) x insulin / 405).

    Source: Matthews DR, Hosker JP, Rudenski AS, Naylor BA, Treacher DF, Turner RC. "Homeostasis
    model assessment: insulin resistance and beta-cell function from fasting plasma glucose and
    insulin concentrations in man." Diabetologia. 1985;28(7):412-419.
    """
    glucose_mmol = convert(x.glucose, "mg/dL", "mmol/L", "glucose")
    value = glucose_mmol * x.insulin / 22.5
    steps = (
        f"Glucose {x.glucose:.4g} mg/dL = {glucose_mmol:.3f} mmol/L.\n"
        f"HOMA-IR = {glucose_mmol:.3f} x {x.insulin:g} / 22.5 = {value:.3f}"
    )
    return Result(calculator="homa_ir", value=round(value, 3), unit=None, explanation=steps)


class LdlInputs(CalculatorInputs):
    total_cholesterol: Cholesterol
    hdl_cholesterol: Cholesterol
    triglycerides: Triglycerides


@calculator(
    id="ldl_friedewald",
    name="LDL Calculated",
    medcalc_id=44,
    category="lab",
    output="decimal",
    unit="mg/dL",
    medcalc_entities={
        "Total cholesterol": "total_cholesterol",
        "high-density lipoprotein cholesterol": "hdl_cholesterol",
        "Triglycerides": "triglycerides",
    },
    aliases=("friedewald", "ldl"),
)
def ldl_friedewald(x: LdlInputs) -> Result:
    """LDL-C = total cholesterol - HDL-C - triglycerides / 5 (all mg/dL).

    Not valid with triglycerides above 400 mg/dL (refused with an error, as the authors advise).
    Source: Friedewald WT, Levy RI, Fredrickson DS. "Estimation of the concentration of
    low-density lipoprotein cholesterol in plasma, without use of the preparative
    ultracentrifuge." Clin Chem. 1972;18(6):499-502.
    """
    if x.triglycerides > 400:
        raise CalculatorError(
            f"triglycerides: {x.triglycerides:.4g} mg/dL is above 400 mg/dL, where the Friedewald "
            "equation is not valid; measure LDL directly"
        )
    value = x.total_cholesterol - x.hdl_cholesterol - x.triglycerides / 5
    steps = (
        f"LDL = {x.total_cholesterol:.4g} - {x.hdl_cholesterol:.4g} - {x.triglycerides:.4g} / 5 "
        f"= {value:.3f} mg/dL"
    )
    return Result(
        calculator="ldl_friedewald", value=round(value, 3), unit="mg/dL", explanation=steps
    )


class FraminghamInputs(CalculatorInputs):
    age: Age
    sex: Sex
    total_cholesterol: Cholesterol
    hdl_cholesterol: Cholesterol
    sbp: quantity("mmHg", ge=50, le=300, description="systolic blood pressure")
    smoker: bool = False
    bp_treated: bool = False


# ATP III hard-CHD equation: (ln age, ln TC, ln HDL, ln SBP, treated, smoker, ln age x ln TC,
# ln age(capped) x smoker, ln age squared, constant), baseline survival, age cap for smoking term.
_FRAMINGHAM = {
    "male": ((52.00961, 20.014077, -0.905964, 1.305784, 0.241549, 12.096316, -4.605038,
              -2.84367, -2.93323, -172.300168), 0.9402, 70.0),
    "female": ((31.764001, 22.465206, -1.187731, 2.552905, 0.420251, 13.07543, -5.060998,
                -2.996945, 0.0, -146.5933061), 0.98767, 78.0),
}  # fmt: skip


@calculator(
    id="framingham_hard_chd",
    name="Framingham Risk Score for Hard Coronary Heart Disease",
    medcalc_id=46,
    category="lab",
    output="decimal",
    unit="%",
    medcalc_entities={
        "Systolic Blood Pressure": "sbp",
        "Smoker": "smoker",
        "Total cholesterol": "total_cholesterol",
        "high-density lipoprotein cholesterol": "hdl_cholesterol",
        "Blood pressure being treated with medicines": "bp_treated",
    },
    aliases=("framingham", "atp iii risk"),
)
def framingham_hard_chd(x: FraminghamInputs) -> Result:
    """10-year risk (%) of hard CHD (MI or coronary death) = 100 x (1 - S0^exp(L)), where L is the
    sex-specific ATP III sum of ln(age), ln(TC), ln(HDL), ln(SBP), treatment, smoking and
    interaction terms (ln age capped at 70 y men / 78 y women in the smoking term); S0 = 0.9402
    (men), 0.98767 (women). Cholesterol in mg/dL. Smoking or treatment not stated: taken as no.

    Sources: National Cholesterol Education Program Expert Panel. "Executive Summary of the Third
    Report of the NCEP Expert Panel on Detection, Evaluation, and Treatment of High Blood
    Cholesterol in Adults (Adult Treatment Panel III)." JAMA. 2001;285(19):2486-2497, and its
    Framingham-based 10-year hard-CHD risk equations (Wilson PW, et al. Circulation.
    1998;97(18):1837-1847). MedCalc-Bench v1.0 labels (fractions of 1, from mmol/L inputs) differ.
    """
    coef, s0, cap = _FRAMINGHAM[x.sex]
    ln_age, ln_tc, ln_hdl = (
        math.log(x.age),
        math.log(x.total_cholesterol),
        math.log(x.hdl_cholesterol),
    )
    ln_age_smoke = math.log(min(x.age, cap))
    terms = (ln_age, ln_tc, ln_hdl, math.log(x.sbp), float(x.bp_treated), float(x.smoker),
             ln_age * ln_tc, ln_age_smoke * float(x.smoker), ln_age * ln_age, 1.0)  # fmt: skip
    total = sum(c * t for c, t in zip(coef, terms, strict=True))
    risk = 100 * (1 - s0 ** math.exp(total))
    steps = (
        f"{x.sex}, age {x.age:g}, TC {x.total_cholesterol:.4g} mg/dL, HDL {x.hdl_cholesterol:.4g} "
        f"mg/dL, SBP {x.sbp:g} mmHg, treated {x.bp_treated}, smoker {x.smoker}.\n"
        f"Linear predictor L = {total:.4f} (coefficients: ATP III, {x.sex}).\n"
        f"10-year risk = 100 x (1 - {s0}^exp({total:.4f})) = {risk:.3f} %"
    )
    if not 30 <= x.age <= 79:
        steps += "\nNote: the equations were derived for ages 30-79 (ATP III applies them 20-79)."
    return Result(
        calculator="framingham_hard_chd", value=round(risk, 3), unit="%", explanation=steps
    )
