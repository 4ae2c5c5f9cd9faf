"""Corticosteroid dose conversion by equivalent anti-inflammatory (glucocorticoid) potency."""

from __future__ import annotations

import json
from importlib import resources
from typing import Annotated, Any

from pydantic import AfterValidator

from medsim.calculators.base import CalculatorInputs, Result, calculator
from medsim.calculators.units import quantity

_TABLE: dict[str, Any] = json.loads(
    resources.files(__package__).joinpath("steroids.json").read_text(encoding="utf-8")
)
EQUIVALENT_MG: dict[str, float] = {k: float(v) for k, v in _TABLE["equivalent_mg"].items()}
ROUTES: tuple[str, ...] = tuple(_TABLE["routes"])


def _steroid(raw: str) -> str:
    """'PredniSONE PO', 'methylprednisolone iv', 'Dexamethasone' -> canonical 'Drug [ROUTE]'."""
    words = raw.strip().split()
    route = words[-1].upper() if len(words) > 1 and words[-1].upper() in ROUTES else None
    drug = " ".join(words[:-1] if route else words).lower()
    if drug not in EQUIVALENT_MG:
        raise ValueError(
            f"unknown corticosteroid {raw!r}; known: {', '.join(sorted(EQUIVALENT_MG))}"
        )
    return f"{drug} {route}" if route else drug


Steroid = Annotated[str, AfterValidator(_steroid)]


class SteroidConversionInputs(CalculatorInputs):
    from_steroid: Steroid
    dose: quantity("mg", gt=0, le=20000, description="dose of the current corticosteroid")
    to_steroid: Steroid


def _from_medcalc(entities: dict[str, Any]) -> dict[str, Any]:
    """{'input steroid': [name, dose, unit], 'target steroid': name} -> field names."""
    out = {k: v for k, v in entities.items() if k not in ("input steroid", "target steroid")}
    given = entities.get("input steroid")
    if isinstance(given, list | tuple) and len(given) == 3:
        out["from_steroid"], out["dose"] = given[0], [given[1], given[2]]
    elif given is not None:
        out["from_steroid"] = given
    if "target steroid" in entities:
        out["to_steroid"] = entities["target steroid"]
    return out


@calculator(
    id="steroid_conversion",
    name="Steroid Conversion Calculator",
    medcalc_id=24,
    category="dosage",
    output="decimal",
    unit="mg",
    from_medcalc=_from_medcalc,
    aliases=("corticosteroid conversion",),
)
def steroid_conversion(x: SteroidConversionInputs) -> Result:
    """Equivalent dose = dose x (equivalent mg of target) / (equivalent mg of current steroid).

    Equivalent doses (mg): cortisone 25, hydrocortisone 20, prednisone 5, prednisolone 5,
    methylprednisolone 4, triamcinolone 4, dexamethasone 0.75, betamethasone 0.75; the same for
    oral and intravenous routes. Source: Meikle AW, Tyler FH. "Potency and duration of action of
    glucocorticoids." Am J Med. 1977;63(2):200-207 (table in dosage/steroids.json).
    """
    src, dst = EQUIVALENT_MG[x.from_steroid.split()[0]], EQUIVALENT_MG[x.to_steroid.split()[0]]
    value = x.dose * dst / src
    steps = (
        f"Equivalent doses: {x.from_steroid} {src:g} mg = {x.to_steroid} {dst:g} mg.\n"
        f"{x.dose:g} mg x {dst:g} / {src:g} = {value:.3f} mg {x.to_steroid}"
    )
    return Result(
        calculator="steroid_conversion", value=round(value, 3), unit="mg", explanation=steps
    )
