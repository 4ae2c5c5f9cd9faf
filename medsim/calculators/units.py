"""Explicit units for calculator inputs.

A calculator field declares its canonical unit with :func:`quantity`; callers may pass a bare number
(taken to be in the canonical unit), a ``{"value": v, "unit": u}`` dict, a ``[v, u]`` pair (the
MedCalc-Bench entity format) or a ``"v u"`` string. Anything else, or a unit that cannot be
converted to the canonical one, is a validation error naming the field.

Conversions between mass and molar concentrations depend on the analyte, so a field names its
analyte (``quantity("mg/dL", analyte="creatinine")``) and the molar mass comes from
:data:`MOLAR_MASS_G_PER_MOL`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

# g/mol; sources: IUPAC standard atomic weights. Urea nitrogen (BUN) is 2 N atoms = 28.014 g/mol.
MOLAR_MASS_G_PER_MOL: dict[str, float] = {
    "creatinine": 113.12,
    "glucose": 180.156,
    "bun": 28.014,
    "urea": 60.06,
    "calcium": 40.078,
    "bilirubin": 584.66,
    "cholesterol": 386.65,
    "triglycerides": 885.7,
    "magnesium": 24.305,
    "phosphate": 30.974,
    "uric_acid": 168.11,
    "ethanol": 46.07,
    "lactate": 90.08,
    # equation-based calculators (medsim.calculators.lab): monatomic ions and bicarbonate
    "sodium": 22.990,
    "potassium": 39.098,
    "chloride": 35.453,
    "bicarbonate": 61.017,
}

# Charge of ions whose mEq differs from their mmol (1 mmol Ca2+ = 2 mEq); others are monovalent.
VALENCE: dict[str, int] = {"calcium": 2, "magnesium": 2, "phosphate": 2}

# Aliases people and MedCalc-Bench write for the same unit (after lower-casing, µ→u, spaces removed).
_UNIT_ALIASES: dict[str, str] = {
    # UCUM codes, as agents copy them from FHIR valueQuantity.code
    "[lb_av]": "lb",
    "[in_i]": "in",
    "[degf]": "°F",
    "cel": "°C",
    "mm[hg]": "mmHg",
    "10*3/ul": "10^9/L",
    "10*9/l": "10^9/L",
    "10*3/mm3": "10^9/L",
    "/[hpf]": "/[HPF]",
    "{beats}/min": "beats/min",
    "{breaths}/min": "/min",
    # international units of a drug dose (UCUM [iU]); prescribers write "units" / "IU"
    "[iu]": "[iU]",
    "iu": "[iU]",
    "unit": "[iU]",
    "units": "[iU]",
    "internationalunits": "[iU]",
    "mg/dl": "mg/dL",
    "mg/l": "mg/L",
    "g/dl": "g/dL",
    "g/l": "g/L",
    "umol/l": "µmol/L",
    "μmol/l": "µmol/L",
    "mmol/l": "mmol/L",
    "mol/l": "mol/L",
    "meq/l": "mEq/L",
    "ueq/l": "µEq/L",
    "ng/ml": "ng/mL",
    "ng/dl": "ng/dL",
    "pg/ml": "pg/mL",
    "ug/dl": "µg/dL",
    "µg/dl": "µg/dL",
    "mg/mmol": "mg/mmol",
    "kg": "kg",
    "g": "g",
    "lb": "lb",
    "lbs": "lb",
    "oz": "oz",
    "mg": "mg",
    "µg": "µg",
    "ug": "µg",
    "mcg": "µg",
    "cm": "cm",
    "m": "m",
    "mm": "mm",
    "in": "in",
    "inch": "in",
    "inches": "in",
    "ft": "ft",
    "°c": "°C",
    "degc": "°C",
    "c": "°C",
    "celsius": "°C",
    "°f": "°F",
    "degf": "°F",
    "f": "°F",
    "fahrenheit": "°F",
    "k": "K",
    "mmhg": "mmHg",
    "kpa": "kPa",
    "years": "years",
    "year": "years",
    "yr": "years",
    "yrs": "years",
    "y": "years",
    "months": "months",
    "month": "months",
    "weeks": "weeks",
    "week": "weeks",
    "wk": "weeks",
    "days": "days",
    "day": "days",
    "d": "days",
    "hours": "hours",
    "hour": "hours",
    "h": "hours",
    "hr": "hours",
    "msec": "ms",
    "ms": "ms",
    "s": "s",
    "sec": "s",
    "beats/min": "beats/min",
    "bpm": "beats/min",
    "/min": "/min",
    "breaths/min": "/min",
    "%": "%",
    "µiu/ml": "µIU/mL",
    "uiu/ml": "µIU/mL",
    "miu/l": "mIU/L",
    "pmol/l": "pmol/L",
    "10^9/l": "10^9/L",
    "10³/µl": "10^9/L",
    "10^3/ul": "10^9/L",
    "10^3/µl": "10^9/L",
    "k/ul": "10^9/L",
    "/µl": "/µL",
    "/ul": "/µL",
    "cells/µl": "/µL",
    "/mm3": "/µL",
    "cells/mm3": "/µL",
    "count/µl": "/µL",
    "10^3/mm3": "10^9/L",
    "mosm/kg": "mOsm/kg",
    "ml/min": "mL/min",
    "ml/hr": "mL/h",
    "ml/h": "mL/h",
    "l": "L",
    "ml": "mL",
    "dl": "dL",
    "iu/l": "U/L",
    "u/l": "U/L",
    "units/l": "U/L",
    "mg/day": "mg/day",
    "mg/kg": "mg/kg",
    "points": "points",
    "sec ": "s",
}
# Added for the equation-based calculators (MedCalc-Bench spellings included).
_UNIT_ALIASES.update(
    {
        "beatspermin": "beats/min",
        "beatsperminute": "beats/min",
        "/minute": "/min",
        "kg/m^2": "kg/m²",
        "kg/m2": "kg/m²",
        "kg/m²": "kg/m²",
        "/l": "/L",
        "cells/l": "/L",
        "count/l": "/L",
        "10^9/l": "10^9/L",
        "x10^9/l": "10^9/L",
        "µg/h": "µg/h",
        "ug/h": "µg/h",
        "ug/hr": "µg/h",
        "mcg/h": "µg/h",
        "mcg/hr": "µg/h",
        "mu/l": "mIU/L",
        "uu/ml": "µIU/mL",
        "µu/ml": "µIU/mL",
        "mcu/ml": "µIU/mL",
    }
)
# Added for the rule-based calculators (risk, severity, diagnosis scores).
_UNIT_ALIASES.update(
    {
        "breathsperminute": "/min",
        "breathspermin": "/min",
        "rpm": "/min",
        "degreescelsius": "°C",
        "degreesc": "°C",
        "degreesfahrenheit": "°F",
        "degreesf": "°F",
        "mcg/kg/min": "µg/kg/min",
        "ug/kg/min": "µg/kg/min",
        "µg/kg/min": "µg/kg/min",
        "ml/day": "mL/day",
        "ml/d": "mL/day",
        "ml/24h": "mL/day",
        "ml/24hr": "mL/day",
    }
)

# Linear factors: value_in_to = value_in_from * factor, keyed (from, to).
_LINEAR: dict[tuple[str, str], float] = {
    ("kg", "g"): 1000.0,
    ("lb", "kg"): 0.45359237,
    ("oz", "kg"): 0.028349523125,
    ("g", "kg"): 0.001,
    ("mg", "g"): 0.001,
    ("µg", "mg"): 0.001,
    ("m", "cm"): 100.0,
    ("mm", "cm"): 0.1,
    ("in", "cm"): 2.54,
    ("ft", "cm"): 30.48,
    ("g/dL", "g/L"): 10.0,
    ("mg/dL", "mg/L"): 10.0,
    ("g/dL", "mg/dL"): 1000.0,
    ("µg/dL", "mg/dL"): 0.001,
    ("mEq/L", "mmol/L"): 1.0,
    ("µmol/L", "mmol/L"): 0.001,
    ("mol/L", "mmol/L"): 1000.0,
    ("kPa", "mmHg"): 7.500616827,
    ("s", "ms"): 1000.0,
    ("weeks", "days"): 7.0,
    ("years", "months"): 12.0,
    ("hours", "minutes"): 60.0,
    ("10^9/L", "/µL"): 1000.0,
    ("mIU/L", "µIU/mL"): 1.0,
    ("L", "mL"): 1000.0,
    ("dL", "mL"): 100.0,
    ("10^9/L", "/L"): 1e9,
    ("/µL", "/L"): 1e6,
    ("beats/min", "/min"): 1.0,
}


def normalize_unit(unit: str) -> str:
    """Canonical spelling of a unit string (case, micro sign, spaces); unknown units pass through."""
    key = unit.strip().replace("μ", "µ").replace(" ", "").lower()
    return _UNIT_ALIASES.get(key, _UNIT_ALIASES.get(key.replace("µ", "u"), unit.strip()))


def _molar(from_unit: str, to_unit: str, analyte: str | None) -> float | None:
    """Factor between mass and molar concentrations for an analyte (mg/dL <-> mmol/L, µmol/L)."""
    if analyte is None or analyte not in MOLAR_MASS_G_PER_MOL:
        return None
    mm = MOLAR_MASS_G_PER_MOL[analyte]
    # Express both as mg/L (mass) or mmol/L (molar) first.
    mass = {"mg/dL": 10.0, "mg/L": 1.0, "g/dL": 10000.0, "g/L": 1000.0, "µg/dL": 0.01}
    molar = {
        "mmol/L": 1.0,
        "µmol/L": 0.001,
        "mol/L": 1000.0,
        "mEq/L": 1.0 / VALENCE.get(analyte, 1),
    }
    if from_unit in mass and to_unit in molar:
        return mass[from_unit] / mm / molar[to_unit]
    if from_unit in molar and to_unit in mass:
        return molar[from_unit] * mm / mass[to_unit]
    return None


def convert(value: float, from_unit: str, to_unit: str, analyte: str | None = None) -> float:
    """Convert ``value`` between units; raises ``ValueError`` when no conversion is known."""
    f, t = normalize_unit(from_unit), normalize_unit(to_unit)
    if f == t:
        return value
    if analyte in VALENCE and "mEq/L" in (f, t):  # mEq/L <-> mmol/L is not 1:1 for Ca2+, Mg2+
        other = t if f == "mEq/L" else f
        mmol = value / VALENCE[analyte] if f == "mEq/L" else convert(value, f, "mmol/L", analyte)
        return mmol * VALENCE[analyte] if t == "mEq/L" else convert(mmol, "mmol/L", other, analyte)
    if (f, t) == ("°F", "°C"):
        return (value - 32.0) * 5.0 / 9.0
    if (f, t) == ("°C", "°F"):
        return value * 9.0 / 5.0 + 32.0
    if (f, t) == ("K", "°C"):
        return value - 273.15
    if (f, t) in _LINEAR:
        return value * _LINEAR[(f, t)]
    if (t, f) in _LINEAR:
        return value / _LINEAR[(t, f)]
    # two-hop through a shared intermediate (e.g. g/dL -> g/L -> ...)
    for (a, b), k in _LINEAR.items():
        if a == f and (b, t) in _LINEAR:
            return value * k * _LINEAR[(b, t)]
        if a == f and (t, b) in _LINEAR:
            return value * k / _LINEAR[(t, b)]
    factor = _molar(f, t, analyte)
    if factor is not None:
        return value * factor
    raise ValueError(
        f"cannot convert {from_unit!r} to {to_unit!r}" + (f" for {analyte}" if analyte else "")
    )


_NUM_UNIT = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def parse_quantity(raw: Any) -> tuple[float, str | None]:
    """Split any accepted input form into (value, unit or None)."""
    if isinstance(raw, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(raw, int | float):
        return float(raw), None
    if isinstance(raw, dict) and "value" in raw:
        return float(raw["value"]), (str(raw["unit"]) if raw.get("unit") else None)
    if isinstance(raw, list | tuple) and len(raw) == 2 and not isinstance(raw[0], str | bool):
        return float(raw[0]), (str(raw[1]) if raw[1] else None)
    if isinstance(raw, str):
        m = _NUM_UNIT.match(raw)
        if m:
            return float(m.group(1)), (m.group(2) or None)
    raise ValueError(f"expected a number or a [value, unit] pair, got {raw!r}")


def _converter(unit: str, analyte: str | None) -> Callable[[Any], float]:
    def to_canonical(raw: Any) -> float:
        value, given = parse_quantity(raw)
        if not math.isfinite(value):
            raise ValueError("value must be finite")
        return value if given is None else convert(value, given, unit, analyte)

    return to_canonical


def quantity(
    unit: str,
    *,
    analyte: str | None = None,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    description: str = "",
) -> Any:
    """A float field in ``unit`` that accepts other units and converts them (see module doc).

    Bounds (``ge``/``le``/``gt``/``lt``) apply after conversion, in the canonical unit.
    """
    desc = f"{description} [{unit}]".strip()
    return Annotated[
        float,
        # constraints first, so they stay in the JSON schema as minimum/maximum
        Field(ge=ge, le=le, gt=gt, lt=lt, description=desc, json_schema_extra={"unit": unit}),
        BeforeValidator(_converter(unit, analyte)),
    ]
