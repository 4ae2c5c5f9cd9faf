"""Anion-gap family: anion gap, delta gap, delta ratio, and their albumin-corrected forms.

Normal values (overridable per call): anion gap 12 mmol/L, bicarbonate 24 mmol/L, albumin 4 g/dL.
"""

from __future__ import annotations

from medsim.calculators.base import CalculatorError, CalculatorInputs, Result, calculator
from medsim.calculators.lab.analytes import Albumin, Bicarbonate, Chloride, Sodium
from medsim.calculators.units import quantity

_ENTITIES = {
    "Sodium": "sodium",
    "Chloride": "chloride",
    "Bicarbonate": "bicarbonate",
    "Albumin": "albumin",
}


class AnionGapInputs(CalculatorInputs):
    sodium: Sodium
    chloride: Chloride
    bicarbonate: Bicarbonate


class DeltaInputs(AnionGapInputs):
    normal_anion_gap: quantity("mmol/L", ge=0, le=30, description="normal anion gap") = 12.0
    normal_bicarbonate: quantity("mmol/L", ge=10, le=40, description="normal bicarbonate") = 24.0


class AlbuminGapInputs(DeltaInputs):
    albumin: Albumin
    normal_albumin: quantity("g/dL", ge=2, le=6, description="reference albumin") = 4.0


def _anion_gap(x: AnionGapInputs) -> tuple[float, str]:
    ag = x.sodium - (x.chloride + x.bicarbonate)
    return ag, f"Anion gap = {x.sodium:g} - ({x.chloride:g} + {x.bicarbonate:g}) = {ag:.3f} mmol/L"


def _corrected_gap(x: AlbuminGapInputs) -> tuple[float, str]:
    ag, steps = _anion_gap(x)
    corrected = ag + 2.5 * (x.normal_albumin - x.albumin)
    return corrected, (
        f"{steps}\nAlbumin-corrected anion gap = {ag:.3f} + 2.5 x ({x.normal_albumin:g} - "
        f"{x.albumin:.4g}) = {corrected:.3f} mmol/L"
    )


def _ratio(gap: float, label: str, x: DeltaInputs) -> tuple[float, str]:
    denominator = x.normal_bicarbonate - x.bicarbonate
    if denominator == 0:
        raise CalculatorError(
            f"bicarbonate: the delta ratio is undefined when bicarbonate equals the normal "
            f"{x.normal_bicarbonate:g} mmol/L (division by zero)"
        )
    excess = gap - x.normal_anion_gap
    ratio = excess / denominator
    return ratio, (
        f"Delta ratio = ({label} - {x.normal_anion_gap:g}) / ({x.normal_bicarbonate:g} - "
        f"{x.bicarbonate:g}) = {excess:.3f} / {denominator:.3f} = {ratio:.3f}"
    )


def _mmol(calc_id: str, value: float, steps: str, unit: str | None = "mmol/L") -> Result:
    return Result(calculator=calc_id, value=round(value, 3), unit=unit, explanation=steps)


@calculator(
    id="anion_gap",
    name="Anion Gap",
    medcalc_id=39,
    category="lab",
    output="decimal",
    unit="mmol/L",
    medcalc_entities=_ENTITIES,
)
def anion_gap(x: AnionGapInputs) -> Result:
    """Anion gap = Na - (Cl + HCO3), all in mmol/L (= mEq/L).

    Source: Emmett M, Narins RG. "Clinical use of the anion gap." Medicine (Baltimore).
    1977;56(1):38-54.
    """
    ag, steps = _anion_gap(x)
    return _mmol("anion_gap", ag, steps)


@calculator(
    id="delta_gap",
    name="Delta Gap",
    medcalc_id=63,
    category="lab",
    output="decimal",
    unit="mmol/L",
    medcalc_entities=_ENTITIES,
)
def delta_gap(x: DeltaInputs) -> Result:
    """Delta gap = anion gap - normal anion gap (12 mmol/L).

    Source: Wrenn K. Ann Emerg Med. 1990;19(11):1310-1313; anion gap per Emmett & Narins 1977.
    """
    ag, steps = _anion_gap(x)
    value = ag - x.normal_anion_gap
    return _mmol(
        "delta_gap", value, f"{steps}\nDelta gap = {ag:.3f} - {x.normal_anion_gap:g} = {value:.3f}"
    )


@calculator(
    id="delta_ratio",
    name="Delta Ratio",
    medcalc_id=64,
    category="lab",
    output="decimal",
    unit=None,
    medcalc_entities=_ENTITIES,
)
def delta_ratio(x: DeltaInputs) -> Result:
    """Delta ratio = (anion gap - 12) / (24 - HCO3); undefined (error) when HCO3 = 24.

    Source: Wrenn K. "The delta (delta) gap: an approach to mixed acid-base disorders." Ann Emerg
    Med. 1990;19(11):1310-1313.
    """
    ag, steps = _anion_gap(x)
    value, ratio_steps = _ratio(ag, "anion gap", x)
    return _mmol("delta_ratio", value, f"{steps}\n{ratio_steps}", unit=None)


@calculator(
    id="albumin_corrected_anion_gap",
    name="Albumin Corrected Anion Gap",
    medcalc_id=65,
    category="lab",
    output="decimal",
    unit="mmol/L",
    medcalc_entities=_ENTITIES,
)
def albumin_corrected_anion_gap(x: AlbuminGapInputs) -> Result:
    """Corrected anion gap = anion gap + 2.5 x (4 - albumin (g/dL)).

    Source: Figge J, Jabor A, Kazda A, Fencl V. "Anion gap and hypoalbuminemia." Crit Care Med.
    1998;26(11):1807-1810.
    """
    value, steps = _corrected_gap(x)
    return _mmol("albumin_corrected_anion_gap", value, steps)


@calculator(
    id="albumin_corrected_delta_gap",
    name="Albumin Corrected Delta Gap",
    medcalc_id=66,
    category="lab",
    output="decimal",
    unit="mmol/L",
    medcalc_entities=_ENTITIES,
)
def albumin_corrected_delta_gap(x: AlbuminGapInputs) -> Result:
    """Corrected delta gap = albumin-corrected anion gap - 12.

    Sources: Figge J, et al. Crit Care Med. 1998;26(11):1807-1810 (albumin correction); Wrenn K.
    Ann Emerg Med. 1990;19(11):1310-1313 (delta gap).
    """
    corrected, steps = _corrected_gap(x)
    value = corrected - x.normal_anion_gap
    return _mmol(
        "albumin_corrected_delta_gap",
        value,
        f"{steps}\nCorrected delta gap = {corrected:.3f} - {x.normal_anion_gap:g} = {value:.3f}",
    )


@calculator(
    id="albumin_corrected_delta_ratio",
    name="Albumin Corrected Delta Ratio",
    medcalc_id=67,
    category="lab",
    output="decimal",
    unit=None,
    medcalc_entities=_ENTITIES,
)
def albumin_corrected_delta_ratio(x: AlbuminGapInputs) -> Result:
    """Corrected delta ratio = (albumin-corrected anion gap - 12) / (24 - HCO3).

    Sources: Figge J, et al. Crit Care Med. 1998;26(11):1807-1810; Wrenn K. Ann Emerg Med.
    1990;19(11):1310-1313.
    """
    corrected, steps = _corrected_gap(x)
    value, ratio_steps = _ratio(corrected, "corrected anion gap", x)
    return _mmol("albumin_corrected_delta_ratio", value, f"{steps}\n{ratio_steps}", unit=None)
