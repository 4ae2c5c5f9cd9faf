"""Total daily morphine milligram equivalents (MME/day) of an opioid regimen (CDC factors)."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from medsim.calculators.base import CalculatorInputs, Result, calculator
from medsim.calculators.units import convert, parse_quantity

_TABLE: dict[str, Any] = json.loads(
    resources.files(__package__).joinpath("opioids.json").read_text(encoding="utf-8")
)
DRUGS: dict[str, dict[str, Any]] = _TABLE["drugs"]

Opioid = Literal[
    "codeine", "fentanyl_buccal", "fentanyl_patch", "hydrocodone", "hydromorphone", "methadone",
    "morphine", "oxycodone", "oxymorphone", "tapentadol", "tramadol",
]  # fmt: skip


class OpioidDose(BaseModel):
    """One opioid: the dose per administration in the drug's unit (mg; µg for buccal fentanyl;
    µg/h patch strength for transdermal fentanyl) and administrations per day (for transdermal
    fentanyl: the number of such patches worn at once)."""

    model_config = ConfigDict(extra="forbid")

    drug: Opioid
    dose: float = Field(gt=0, le=100000)
    doses_per_day: float = Field(gt=0, le=48)

    @model_validator(mode="before")
    @classmethod
    def _units(cls, data: Any) -> Any:
        if isinstance(data, dict) and "dose" in data and data.get("drug") in DRUGS:
            value, unit = parse_quantity(data["dose"])
            canonical = DRUGS[data["drug"]]["unit"]
            try:
                dose = value if unit is None else convert(value, unit, canonical)
            except ValueError as exc:
                raise ValueError(f"dose: {exc} ({data['drug']} is dosed in {canonical})") from None
            data = {**data, "dose": dose}
        if isinstance(data, dict) and "doses_per_day" in data:
            data = {**data, "doses_per_day": parse_quantity(data["doses_per_day"])[0]}
        return data


class MmeInputs(CalculatorInputs):
    opioids: list[OpioidDose] = Field(min_length=1)


def _drug_id(entity_name: str) -> str:
    """'FentANYL patch' -> 'fentanyl_patch', 'HYDROcodone' -> 'hydrocodone'."""
    return re.sub(r"\s+", "_", entity_name.strip().lower())


def _from_medcalc(entities: dict[str, Any]) -> dict[str, Any]:
    """'<Drug> Dose': [v, unit] and '<Drug> Dose Per Day': [n, 'per day'] -> opioid list.

    MedCalc-Bench writes transdermal fentanyl strengths as 'mg' while its labels apply CDC's
    per-µg/h factor to the number; the number is read as µg/h (the patch strength)."""
    doses: dict[str, dict[str, Any]] = {}
    for key, value in entities.items():
        m = re.fullmatch(r"(.+?) Dose( Per Day)?", key)
        drug = _drug_id(m.group(1)) if m else ""
        if not m or drug not in DRUGS:
            return {"opioids": [], key: value}  # unknown entity: let validation name it
        slot = doses.setdefault(drug, {"drug": drug})
        if m.group(2):
            slot["doses_per_day"] = value
        elif drug == "fentanyl_patch" and isinstance(value, list | tuple) and len(value) == 2:
            slot["dose"] = [value[0], "µg/h"]
        else:
            slot["dose"] = value
    return {"opioids": list(doses.values())}


@calculator(
    id="morphine_milligram_equivalents",
    name="Morphine Milligram Equivalents (MME) Calculator",
    medcalc_id=49,
    category="dosage",
    output="decimal",
    unit="MME/day",
    from_medcalc=_from_medcalc,
    aliases=("mme", "morphine equivalent dose"),
)
def morphine_milligram_equivalents(x: MmeInputs) -> Result:
    """MME/day = sum over opioids of dose x administrations per day x conversion factor.

    Factors (CDC 2022): codeine 0.15, hydrocodone 1, hydromorphone 5, methadone 4.7, morphine 1,
    oxycodone 1.5, oxymorphone 3, tapentadol 0.4, tramadol 0.2, transdermal fentanyl 2.4 per µg/h
    (patches worn at once); buccal/sublingual fentanyl 0.13 per µg (CMS/CDC 2017 table).
    Source: Dowell D, Ragan KR, Jones CM, Baldwin GT, Chou R. "CDC Clinical Practice Guideline
    for Prescribing Opioids for Pain - United States, 2022." MMWR Recomm Rep. 2022;71(3):1-95.
    """
    total, lines = 0.0, []
    for item in x.opioids:
        info = DRUGS[item.drug]
        mme = item.dose * item.doses_per_day * info["factor"]
        total += mme
        count = "patch(es)" if info["unit"] == "µg/h" else "/day"
        lines.append(
            f"{info['name']}: {item.dose:g} {info['unit']} x {item.doses_per_day:g} {count} x "
            f"{info['factor']} = {mme:.3f} MME/day"
        )
    lines.append(f"Total = {total:.3f} MME/day")
    return Result(
        calculator="morphine_milligram_equivalents",
        value=round(total, 3),
        unit="MME/day",
        explanation="\n".join(lines),
    )
