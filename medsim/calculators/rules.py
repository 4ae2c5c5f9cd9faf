"""Shared machinery of the rule-based (point-score) calculators: risk, severity, diagnosis.

Each score keeps its point table in ``medsim/calculators/data/<calculator id>.json``: the items
(yes/no criteria, numeric bands, categories), their points and the MedCalc-Bench entity names of
its inputs. This module loads those tables, declares the field types the input models use
(:func:`flag`, :func:`choice`, :data:`Sex`), adds the points up on a :class:`ScoreSheet` that
writes one explanation line per criterion, and translates MedCalc-Bench "Relevant Entities"
dicts (:func:`medcalc_adapter`).

Missing inputs. Yes/no criteria that are not given count as absent (MedCalc-Bench and MDCalc do
the same; scores are built from documented findings). Categorical items that are not given take
the table's reference (0-point) category. Which numeric inputs are optional is each calculator's
choice, documented on its fields. Every assumption is written into the explanation as
"not reported".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from medsim.calculators.base import CalculatorInputs, Result
from medsim.calculators.base import Sex as Sex  # re-exported for the score modules
from medsim.calculators.units import quantity

Table = dict[str, Any]


@cache
def load_table(calculator_id: str) -> Table:
    """The point table of one calculator (``data/<calculator_id>.json``)."""
    path = resources.files("medsim.calculators").joinpath("data", f"{calculator_id}.json")
    table: Table = json.loads(path.read_text(encoding="utf-8"))
    return table


def _norm(text: str) -> str:
    """Case-, space- and dash-insensitive key for matching category strings and entity names."""
    return re.sub(r"\s+", " ", text.replace("\u2013", "-").replace("\u2014", "-")).strip().lower()


# --- field types -------------------------------------------------------------------------------

_TRUE = {"true", "yes", "y", "present", "positive", "1"}
_FALSE = {"false", "no", "n", "absent", "negative", "none", "0"}


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and _norm(raw) in _TRUE | _FALSE:
        return _norm(raw) in _TRUE
    raise ValueError(f"expected true/false (yes/no, present/absent), got {raw!r}")


def flag(description: str) -> Any:
    """A yes/no criterion (true/false, yes/no, present/absent, 1/0 accepted). Give it a default of
    ``False`` on the model: a criterion that is not reported counts as absent."""
    return Annotated[bool, BeforeValidator(_to_bool), Field(description=description)]


def choice(options: Mapping[str, Sequence[str]], description: str) -> Any:
    """A categorical input: one of ``options`` (canonical value -> synonyms), matched ignoring
    case, spacing and dashes. Booleans match the synonyms "true"/"false" where a table lists them.
    Anything else is an error that lists the accepted values."""
    lookup: dict[str, str] = {}
    for canonical, synonyms in options.items():
        for word in (canonical, *synonyms):
            lookup[_norm(word)] = canonical

    def parse(raw: Any) -> str:
        key = str(raw).lower() if isinstance(raw, bool | int) else raw
        if isinstance(key, str) and _norm(key) in lookup:
            return lookup[_norm(key)]
        raise ValueError(f"unknown value {raw!r}; expected one of: {', '.join(options)}")

    return Annotated[
        str,
        BeforeValidator(parse),
        Field(description=description, json_schema_extra={"enum": list(options)}),
    ]


def cell_count(description: str, minimum: float, maximum: float) -> Any:
    """A blood cell count in 10^9/L (= 10^3/µL; /µL, /mm3 and /L converted). Counts below
    ``minimum`` are refused as implausible: they almost always mean a wrong unit (9,440/L for
    9.44 x10^9/L), and scoring them would silently turn a normal count into a critical one."""

    def plausible(value: float) -> float:
        if value < minimum:
            raise ValueError(
                f"{value:.3g} x10^9/L is implausible for a {description}; check the unit "
                f"(e.g. 9.4 x10^9/L = 9,400/µL)"
            )
        return value

    return Annotated[
        quantity("10^9/L", le=maximum, description=description), AfterValidator(plausible)
    ]


# --- scoring -----------------------------------------------------------------------------------


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "gt": lambda v, b: v > b, "ge": lambda v, b: v >= b,
    "lt": lambda v, b: v < b, "le": lambda v, b: v <= b,
}  # fmt: skip


def measured(value: float) -> float:
    """``value`` at 4 significant digits, the precision at which scores compare measurements.

    A unit conversion must not move a value across a band edge it was measured on: bilirubin
    34.2 µmol/L (the SI edge of 2 mg/dL) converts to 1.99954 mg/dL, which scores as 2.000.
    """
    return float(f"{value:.4g}")


def band(value: float, bands: Iterable[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The first band whose bounds (``ge``/``gt``/``le``/``lt``, all optional) contain ``value``
    (compared as :func:`measured`).

    Tables list bands from one end of the scale to the other, so gaps between the published
    integer ranges (e.g. "110-139", "70-109") close naturally for non-integer values.
    """
    value = measured(value)
    for entry in bands:
        if all(test(value, entry[key]) for key, test in _COMPARE.items() if key in entry):
            return entry
    raise ValueError(f"no band of the table contains {value!r}")  # tables end with a catch-all


def _num(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"


@dataclass
class ScoreSheet:
    """Running total of a point score, one explanation line per criterion.

    ``table`` supplies the title, the published range and the interpretation ``tiers`` (bands
    over the total) written at the end of the explanation.
    """

    table: Table
    x: CalculatorInputs
    total: float = 0
    lines: list[str] = field(default_factory=list)

    def reported(self, name: str) -> bool:
        """Whether the caller gave ``name`` (rather than leaving it to its default)."""
        return name in self.x.model_fields_set

    def add(self, label: str, finding: str, points: float) -> None:
        self.total += points
        self.lines.append(f"- {label}: {finding} -> {points:+g}")

    def note(self, text: str) -> None:
        self.lines.append(f"  ({text})")

    def flag(self, item: Mapping[str, Any]) -> None:
        """A yes/no criterion: ``{"field", "label", "points"}``."""
        name = item["field"]
        present = bool(getattr(self.x, name))
        finding = (
            "present" if present else "absent" + ("" if self.reported(name) else " (not reported)")
        )
        self.add(item["label"], finding, item["points"] if present else 0)

    def any_of(self, item: Mapping[str, Any]) -> None:
        """One criterion met by any of several findings, counted once: ``{"fields", ...}``."""
        found = [f for f in item["fields"] if getattr(self.x, f)]
        if found:
            finding = "present (" + ", ".join(f.replace("_", " ") for f in found) + ")"
        else:
            silent = [f for f in item["fields"] if not self.reported(f)]
            finding = "absent" + (" (not reported: " + ", ".join(silent) + ")" if silent else "")
        self.add(item["label"], finding, item["points"] if found else 0)

    def band(self, item: Mapping[str, Any], value: float | None = None) -> float:
        """A numeric input scored by ``item["bands"]``; ``value`` overrides the field's value."""
        if value is None:
            value = getattr(self.x, item["field"])
        assert value is not None
        entry = band(value, item["bands"])
        unit = f" {item['unit']}" if item.get("unit") else ""
        self.add(item["label"], f"{_num(value)}{unit} ({entry['label']})", entry["points"])
        points: float = entry["points"]
        return points

    def choice(self, item: Mapping[str, Any]) -> None:
        """A categorical input scored by ``item["points"]`` (canonical value -> points)."""
        name = item["field"]
        value = getattr(self.x, name)
        suffix = "" if self.reported(name) else " (not reported; reference category assumed)"
        self.add(item["label"], f"{value}{suffix}", item["points"][value])

    def threshold(self, item: Mapping[str, Any]) -> None:
        """A criterion met when any listed measurement crosses its limit:
        ``{"any": [[field, "gt"|"ge"|"lt"|"le", limit], ...], "units": {field: unit}}``.
        Measurements not given cannot meet it."""
        units = item.get("units", {})
        values = {name: getattr(self.x, name) for name, _, _ in item["any"]}
        met = any(
            values[name] is not None and _COMPARE[op](measured(values[name]), limit)
            for name, op, limit in item["any"]
        )
        shown = ", ".join(
            f"{name.replace('_', ' ')} "
            + ("not reported" if v is None else f"{_num(v)} {units.get(name, '')}".rstrip())
            for name, v in values.items()
        )
        self.add(item["label"], shown, item["points"] if met else 0)

    def missing(self, label: str, assumption: str) -> None:
        self.add(label, f"not reported; {assumption}", 0)

    def items(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Score table items of the simple kinds: flag, any, band, choice, threshold."""
        kinds: dict[str, Callable[[Mapping[str, Any]], Any]] = {
            "flag": self.flag, "any": self.any_of, "band": self.band, "choice": self.choice,
            "threshold": self.threshold,
        }  # fmt: skip
        for item in items:
            kinds[item["kind"]](item)

    def result(
        self, calculator: str, *, unit: str | None = "points", integer: bool = True
    ) -> Result:
        """The total as a :class:`Result`, with the range and interpretation tier appended."""
        value: float | int = int(round(self.total)) if integer else round(self.total, 2)
        low, high = self.table["range"]
        unit_text = f" {unit}" if unit else ""
        text = [self.table["title"], *self.lines,
                f"Total: {value:g}{unit_text} (range {low:g} to {high:g})"]  # fmt: skip
        if "tiers" in self.table:
            text.append(f"Interpretation: {band(self.total, self.table['tiers'])['label']}")
        return Result(calculator=calculator, value=value, unit=unit, explanation="\n".join(text))


# --- MedCalc-Bench entities --------------------------------------------------------------------

# Unit typos found in MedCalc-Bench v1.0 entities, mapped to the unit they mean.
MEDCALC_UNIT_FIXES: dict[str, str] = {
    "degrees celsisus": "°C", "degrees fahreinheit": "°F", "mc/kg/min": "µg/kg/min",
}  # fmt: skip
# Cell counts name only their denominator ("µL" for cells per µL); used for the fields a table
# lists under ``medcalc.counts``.
MEDCALC_COUNT_UNITS: dict[str, str] = {
    "µl": "/µL", "ul": "/µL", "m^3": "/µL", "mm^3": "/µL", "l": "/L",
}  # fmt: skip

# Strings MedCalc-Bench uses for "the note does not say": treated as not reported.
_NOT_REPORTED = {"not mentioned", "not mentinoed", "unknown", "not reported"}


def _medcalc_value(value: Any, count: bool) -> Any:
    if isinstance(value, list | tuple) and len(value) == 2 and isinstance(value[1], str):
        fixes = MEDCALC_COUNT_UNITS if count else MEDCALC_UNIT_FIXES
        return [value[0], fixes.get(_norm(value[1]), value[1])]
    if isinstance(value, str):
        return None if _norm(value) in _NOT_REPORTED else value.strip()
    return value


def medcalc_adapter(table: Table) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Translate a MedCalc-Bench "Relevant Entities" dict into this calculator's fields.

    Entity names are matched ignoring case and spacing; several entities that name one criterion
    are OR-ed; entities the table lists under ``ignore`` (extracted for another calculator) are
    dropped; any other unknown key is passed through so validation names it. Dataset unit typos
    are fixed, and cell counts (fields listed under ``counts``) read "µL" as "per µL".
    """
    spec = table["medcalc"]
    entities = {_norm(k): v for k, v in spec["entities"].items()}
    ignore = {_norm(k) for k in spec.get("ignore", [])}
    counts = set(spec.get("counts", []))

    def translate(raw: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if _norm(key) in ignore:
                continue
            name = entities.get(_norm(key), key)
            value = _medcalc_value(value, count=name in counts)
            if value is None:
                continue
            if isinstance(out.get(name), bool) and isinstance(value, bool):
                out[name] = out[name] or value
            else:
                out[name] = value
        return out

    return translate
