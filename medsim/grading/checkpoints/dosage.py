"""Dosage of a MedicationRequest (R4 ``dosageInstruction``): dose, rate, route, frequency.

R4 puts the route in a CodeableConcept and the frequency in ``timing.repeat`` (or ``timing.code`` /
``text``). MedAgentBench's reference grader instead wanted ``route`` as a bare string (its issue #8);
medsim accepts that form only when a task opts in with ``allow_string``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from medsim.grading.checkpoints.fhirdata import CodeMatch, Json, concept_texts, dicts, label, member
from medsim.grading.checkpoints.values import Approx

# Seconds per UCUM period unit of Timing.repeat.periodUnit.
_PERIOD_S = {"s": 1, "min": 60, "h": 3600, "d": 86400, "wk": 604800, "mo": 2629800, "a": 31557600}


def _num(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _unit(quantity: Json) -> str | None:
    return label(quantity.get("unit")) or label(quantity.get("code"))


def instructions(resource: Json) -> list[Json]:
    return dicts(resource, "dosageInstruction")


def doses(instruction: Json) -> list[tuple[float, float, str | None]]:
    """(low, high, unit) of each dose in an instruction (a quantity gives low == high)."""
    out: list[tuple[float, float, str | None]] = []
    for dr in dicts(instruction, "doseAndRate"):
        q = member(dr, "doseQuantity")
        value = _num(q.get("value"))
        if value is not None:
            out.append((value, value, _unit(q)))
        lo, hi = member(member(dr, "doseRange"), "low"), member(member(dr, "doseRange"), "high")
        lv, hv = _num(lo.get("value")), _num(hi.get("value"))
        if lv is not None or hv is not None:
            low = lv if lv is not None else hv
            high = hv if hv is not None else lv
            assert low is not None and high is not None
            out.append((low, high, _unit(hi) or _unit(lo)))
    return out


def rates(instruction: Json) -> list[tuple[float, str | None]]:
    """Rates of an instruction: rateQuantity, or rateRatio as numerator per denominator."""
    out: list[tuple[float, str | None]] = []
    for dr in dicts(instruction, "doseAndRate"):
        q = member(dr, "rateQuantity")
        value = _num(q.get("value"))
        if value is not None:
            out.append((value, _unit(q)))
        num, den = (
            member(member(dr, "rateRatio"), "numerator"),
            member(member(dr, "rateRatio"), "denominator"),
        )
        top, bottom = _num(num.get("value")), _num(den.get("value"))
        if top is not None:
            per = bottom if bottom else 1.0
            out.append((top / per, f"{_unit(num) or ''}/{_unit(den) or 'h'}"))
    return out


def per_day(instruction: Json) -> float | None:
    """Administrations per day from ``timing.repeat`` (frequency / period in periodUnit)."""
    repeat = member(member(instruction, "timing"), "repeat")
    unit = label(repeat.get("periodUnit"))
    if unit not in _PERIOD_S:
        return None
    freq = _num(repeat.get("frequencyMax")) or _num(repeat.get("frequency")) or 1.0
    period = _num(repeat.get("period")) or 1.0
    seconds = period * _PERIOD_S[unit]
    return freq * 86400.0 / seconds if seconds > 0 else None


def frequency_text(instruction: Json) -> str:
    """The frequency as written: instruction text and timing.code text/codes."""
    code = member(member(instruction, "timing"), "code")
    parts = [label(instruction.get("text")) or "", *concept_texts(code)]
    parts.extend(label(c.get("code")) or "" for c in dicts(code, "coding"))
    return " ".join(p for p in parts if p)


class RouteMatch(CodeMatch):
    """A route: SNOMED CT codes (e.g. ``http://snomed.info/sct|26643006`` oral) or a display regex;
    ``allow_string`` also accepts MedAgentBench's bare-string route when it matches the regex."""

    allow_string: bool = False

    def matches_route(self, route: Any) -> bool:
        if isinstance(route, str):
            return bool(
                self.allow_string
                and self.display_regex
                and re.search(self.display_regex, route, re.IGNORECASE)
            )
        return self.matches_concept(route)


class FrequencyMatch(BaseModel):
    """A frequency: ``text_regex`` on the written frequency, or ``per_day`` administrations per
    day from ``timing.repeat``; either one matching is enough (PhysicianBench semantics)."""

    model_config = ConfigDict(extra="forbid")

    text_regex: str | None = None
    per_day: float | None = None

    @field_validator("text_regex")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            re.compile(v)
        return v

    def matches(self, instruction: Json) -> bool:
        if self.text_regex and re.search(
            self.text_regex, frequency_text(instruction), re.IGNORECASE
        ):
            return True
        n = per_day(instruction)
        return self.per_day is not None and n is not None and abs(n - self.per_day) < 1e-6


class DosageMatch(BaseModel):
    """Constraints one dosage instruction must meet together."""

    model_config = ConfigDict(extra="forbid")

    dose: Approx | None = None
    rate: Approx | None = None
    route: RouteMatch | None = None
    frequency: FrequencyMatch | None = None

    def check(self, instruction: Json) -> str | None:
        """None when the instruction meets every constraint, else the first reason it does not."""
        if self.dose is not None:
            ds = doses(instruction)
            if not ds:
                return "no dose"
            if not any(self._dose_ok(d) for d in ds):
                lo, hi, unit = ds[0]
                shown = f"{lo:g}" if lo == hi else f"{lo:g}-{hi:g}"
                return f"dose {shown} {unit or ''} not {self.dose.describe()}".replace("  ", " ")
        if self.rate is not None:
            rs = rates(instruction)
            if not any(self.rate.check(v, u)[0] for v, u in rs):
                return f"rate {rs or 'missing'} not {self.rate.describe()}"
        if self.route is not None and not self.route.matches_route(instruction.get("route")):
            return f"route {instruction.get('route')!r} not {self.route.describe()}"
        if self.frequency is not None and not self.frequency.matches(instruction):
            return (
                f"frequency {frequency_text(instruction) or per_day(instruction)!r} does not match"
            )
        return None

    def _dose_ok(self, dose: tuple[float, float, str | None]) -> bool:
        assert self.dose is not None
        lo, hi, unit = dose
        return self.dose.check(lo, unit)[0] and self.dose.check(hi, unit)[0]

    @property
    def empty(self) -> bool:
        return (
            self.dose is None
            and self.rate is None
            and self.route is None
            and self.frequency is None
        )
