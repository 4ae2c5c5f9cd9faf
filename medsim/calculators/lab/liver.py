"""Liver calculators: FIB-4 fibrosis index and MELD-Na."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeAlias

from pydantic import Field

from medsim.calculators.base import CalculatorInputs, Result, calculator
from medsim.calculators.lab.analytes import Age, Creatinine, Sodium
from medsim.calculators.units import quantity


def round_half_up(value: float, ndigits: int = 0) -> float:
    """Round like a clinician (2.5 -> 3, 0.25 -> 0.3), not Python's round-half-to-even."""
    step = Decimal(1).scaleb(-ndigits)
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP))


Aminotransferase: TypeAlias = quantity(
    "U/L", gt=0, le=50000, description="aminotransferase activity"
)


class Fib4Inputs(CalculatorInputs):
    age: Age
    ast: Aminotransferase
    alt: Aminotransferase
    platelets: quantity("10^9/L", ge=1, le=5000, description="platelet count")


_FIB4_ENTITIES = {
    "age": "age",
    "Aspartate aminotransferase": "ast",
    "Alanine aminotransferase": "alt",
    "Platelet count": "platelets",
}


def _fib4_from_medcalc(entities: dict[str, Any]) -> dict[str, Any]:
    """MedCalc-Bench writes platelet counts as [n, 'µL'] / [n, 'L'] meaning n per µL / per L."""
    out = {_FIB4_ENTITIES.get(k, k): v for k, v in entities.items()}
    plt = out.get("platelets")
    if isinstance(plt, list | tuple) and len(plt) == 2 and plt[1] in ("µL", "uL", "L"):
        out["platelets"] = [plt[0], "/" + str(plt[1])]
    return out


@calculator(
    id="fib4",
    name="Fibrosis-4 (FIB-4) Index for Liver Fibrosis",
    medcalc_id=19,
    category="lab",
    output="decimal",
    unit=None,
    from_medcalc=_fib4_from_medcalc,
    aliases=("fib-4",),
)
def fib4(x: Fib4Inputs) -> Result:
    """FIB-4 = age (years) x AST (U/L) / (platelets (10^9/L) x sqrt(ALT (U/L))).

    Source: Sterling RK, Lissen E, Clumeck N, et al. "Development of a simple noninvasive index to
    predict significant fibrosis in patients with HIV/HCV coinfection." Hepatology.
    2006;43(6):1317-1325.
    """
    value = x.age * x.ast / (x.platelets * math.sqrt(x.alt))
    steps = f"FIB-4 = {x.age:g} x {x.ast:g} / ({x.platelets:.4g} x sqrt({x.alt:g})) = {value:.3f}"
    return Result(calculator="fib4", value=round(value, 3), unit=None, explanation=steps)


class MeldNaInputs(CalculatorInputs):
    creatinine: Creatinine
    bilirubin: quantity("mg/dL", analyte="bilirubin", gt=0, le=80, description="total bilirubin")
    inr: float = Field(ge=0.5, le=20, description="international normalized ratio")
    sodium: Sodium
    dialysis_twice_past_week: bool = False
    cvvhd_24h_past_week: bool = False


@calculator(
    id="meld_na",
    name="MELD-Na (2016 OPTN version; replaced by MELD 3.0 in 2023)",
    medcalc_id=23,
    category="lab",
    output="integer",
    unit="points",
    medcalc_entities={
        "Bilirubin": "bilirubin",
        "international normalized ratio": "inr",
        "Sodium": "sodium",
        "Dialysis at least twice in the past week": "dialysis_twice_past_week",
        "Continuous veno-venous hemodialysis for ≥24 hours in the past week": "cvvhd_24h_past_week",
    },
    aliases=("meld-na", "meldna", "MELD Na (UNOS/OPTN)"),  # the last: MedCalc-Bench's name
)
def meld_na(x: MeldNaInputs) -> Result:
    """MELD(i) = 0.957 ln(Cr) + 0.378 ln(bili) + 1.120 ln(INR) + 0.643, rounded to the tenth and
    x 10; if MELD(i) > 11: MELD = MELD(i) + 1.32 (137 - Na) - 0.033 MELD(i) (137 - Na).
    Cr, bilirubin and INR below 1.0 are set to 1.0; Cr above 4.0, or any Cr with dialysis twice or
    CVVHD >= 24 h in the past week, is set to 4.0; Na is bounded to 125-137; score capped at 40
    and rounded to an integer. Dialysis/CVVHD not stated: taken as absent.

    Sources: Kim WR, Biggins SW, Kremers WK, et al. "Hyponatremia and mortality among patients on
    the liver-transplant waiting list." N Engl J Med. 2008;359(10):1018-1026; OPTN/UNOS policy 9.1
    (MELD-Na as implemented January 2016). This is not the current OPTN score: OPTN allocates
    livers by MELD 3.0 since July 2023 (Kim WR, Mannalithara A, Heimbach JK, et al. "MELD 3.0:
    the model for end-stage liver disease updated for the modern era." Gastroenterology.
    2021;161(6):1887-1895).
    """
    lines = []
    dialysed = x.dialysis_twice_past_week or x.cvvhd_24h_past_week
    if dialysed:
        cr = 4.0
        lines.append("Dialysis twice or CVVHD >= 24 h in the past week: creatinine set to 4.0.")
    else:
        cr = min(max(x.creatinine, 1.0), 4.0)
    bili, inr = max(x.bilirubin, 1.0), max(x.inr, 1.0)
    na = min(max(x.sodium, 125.0), 137.0)
    lines.append(
        f"Bounded values: creatinine {cr:.4g} mg/dL, bilirubin {bili:.4g} mg/dL, INR {inr:.4g}, "
        f"sodium {na:g} mmol/L (measured {x.creatinine:.4g}, {x.bilirubin:.4g}, {x.inr:g}, "
        f"{x.sodium:g})."
    )
    raw = 0.957 * math.log(cr) + 0.378 * math.log(bili) + 1.120 * math.log(inr) + 0.643
    meld_i = round_half_up(raw, 1) * 10
    lines.append(
        f"MELD(i) = 0.957 ln({cr:.4g}) + 0.378 ln({bili:.4g}) + 1.120 ln({inr:.4g}) + 0.643 = "
        f"{raw:.4f}; rounded to the tenth and x 10 = {meld_i:.1f}"
    )
    score = meld_i
    if meld_i > 11:
        score = meld_i + 1.32 * (137 - na) - 0.033 * meld_i * (137 - na)
        lines.append(
            f"MELD(i) > 11: MELD-Na = {meld_i:.1f} + 1.32 x (137 - {na:g}) - 0.033 x {meld_i:.1f} "
            f"x (137 - {na:g}) = {score:.3f}"
        )
    final = min(int(round_half_up(score)), 40)
    lines.append(f"MELD-Na = {final} (rounded, capped at 40)")
    return Result(calculator="meld_na", value=final, unit="points", explanation="\n".join(lines))
