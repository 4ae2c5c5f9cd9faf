"""Numbers, units, tolerances and relative times in grader parameters.

A task says "4.2 +/- 0.1 mmol/L", "between 88 and 100 mcg" or "at or after @now"; these helpers turn
those into checks. Units are converted with :mod:`medsim.calculators.units` (UCUM-style spellings);
an answer whose unit cannot be converted to the expected one never matches.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from medsim import relative_time
from medsim.calculators.units import convert, normalize_unit, parse_quantity

_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")


def parse_number(raw: Any) -> tuple[float, str | None] | None:
    """(value, unit) from 4.2, "4.2", "4.2 mmol/L", {"value": 4.2, "unit": ...}, [4.2, "mmol/L"];
    from other text only when it holds exactly one number. None when there is no clear number."""
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        value, unit = parse_quantity(raw)
    except (ValueError, TypeError):
        if not isinstance(raw, str):
            return None
        found = _NUMBER.findall(raw)
        if len(found) != 1:
            return None
        value, unit = float(found[0]), None
    return (value, unit) if math.isfinite(value) else None


def numbers_in(text: str) -> list[float]:
    """Every number written in a text (for "the note mentions the eGFR")."""
    return [float(x.replace(",", "")) for x in re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", text)]


def to_unit(
    value: float, unit: str | None, target: str | None, analyte: str | None = None
) -> float | None:
    """``value`` in ``target`` units; a missing unit on either side is taken as already matching.
    None when the units are not convertible."""
    if unit is None or target is None:
        return value
    a, b = normalize_unit(unit), normalize_unit(target)
    if a == b or a.casefold() == b.casefold():  # "meq" (UCUM code) vs "mEq" (print form)
        return value
    try:
        return convert(value, unit, target, analyte)
    except ValueError:
        return None


class Approx(BaseModel):
    """An expected number: ``value`` within ``tolerance`` (absolute) or ``rel_tolerance``
    (fraction, 0.1 = +/-10%), or inside ``range`` [low, high]; ``unit`` is the expected unit."""

    model_config = ConfigDict(extra="forbid")

    value: float | None = None
    tolerance: float = 0.0
    rel_tolerance: float = 0.0
    range: tuple[float, float] | None = None
    unit: str | None = None
    analyte: str | None = None  # for mass <-> molar conversions (see calculators.units)

    @model_validator(mode="after")
    def _one_target(self) -> Approx:
        if (self.value is None) == (self.range is None):
            raise ValueError("give exactly one of value or range")
        if self.tolerance < 0 or self.rel_tolerance < 0:
            raise ValueError("tolerances must be >= 0")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError("range low must be <= high")
        return self

    def bounds(self) -> tuple[float, float]:
        if self.range is not None:
            return self.range
        assert self.value is not None
        slack = max(self.tolerance, abs(self.value) * self.rel_tolerance)
        return self.value - slack, self.value + slack

    def check(self, value: float, unit: str | None = None) -> tuple[bool, str]:
        """(ok, why) for an observed number in ``unit``."""
        got = to_unit(value, unit, self.unit, self.analyte)
        if got is None:
            return False, f"unit {unit!r} is not convertible to {self.unit!r}"
        lo, hi = self.bounds()
        ok = lo - 1e-9 * max(1.0, abs(lo)) <= got <= hi + 1e-9 * max(1.0, abs(hi))
        return ok, f"{got:g} {'in' if ok else 'outside'} [{lo:g}, {hi:g}] {self.unit or ''}".strip()

    def describe(self) -> str:
        lo, hi = self.bounds()
        unit = f" {self.unit}" if self.unit else ""
        return (
            f"{self.value:g}{unit}"
            if lo == hi and self.value is not None
            else f"{lo:g}-{hi:g}{unit}"
        )


def as_approx(raw: Any) -> Approx:
    """An :class:`Approx` from a bare number, a [low, high] pair or a mapping."""
    if isinstance(raw, Approx):
        return raw
    if isinstance(raw, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(raw, int | float):
        return Approx(value=float(raw))
    if isinstance(raw, list | tuple) and len(raw) == 2:
        return Approx(range=(float(raw[0]), float(raw[1])))
    if isinstance(raw, dict):
        return Approx.model_validate(raw)
    raise ValueError(f"expected a number, [low, high] or {{value, tolerance}}, got {raw!r}")


# ---- relative times (the grammar of medsim.relative_time, shared with overlays) ----------------


def validate_time_spec(spec: str) -> str:
    """Pydantic helper: "@now", "@now-P1D", "@today+P1DT8H" or an absolute ISO dateTime."""
    if relative_time.is_expression(spec.strip()):
        relative_time.parse(spec.strip())
    else:
        resolve_time(spec, datetime(2000, 1, 1).astimezone())
    return spec


def resolve_time(spec: str, now: datetime) -> datetime:
    """A time from "@now", "@now-P1D", "@today+P1DT8H" (today = midnight of now's day, in now's
    zone; see :mod:`medsim.relative_time`) or an absolute ISO dateTime."""
    from medsim.grading.checkpoints.fhirdata import parse_datetime

    text = spec.strip()
    if relative_time.is_expression(text):
        return relative_time.resolve(text, now)
    dt = parse_datetime(text)
    if dt is None:
        raise ValueError(
            f"not a time: {spec!r} (use {relative_time.EXAMPLES} or an ISO 8601 dateTime)"
        )
    return dt
