"""How often an order is given: administrations in any 24 h and over the whole order, from an R4
``Dosage.timing`` (``repeat`` frequency / period / periodUnit, ``timeOfDay`` / ``when``,
``count`` and ``bounds``; ``event`` lists; the HL7 ``timing.code`` abbreviations).

Dose graders multiply a dose by these counts. Everything here is **fail-safe**: a timing that
cannot be read (no timing, an unknown period unit, an unknown abbreviation, contradictory
numbers) gives ``None`` with the reason, and the graders then fail or stay pending — they never
assume "once". Only the structured timing counts; the free-text ``Dosage.text`` is never parsed
for the arithmetic (it stays available to ``FrequencyMatch.text_regex``).

The 24 h count is the most administrations that can fall in one 24 h window when the events are
evenly spaced: ``ceil(frequency x 24 h / period)`` (q6h -> 4, q5h -> 5, three times a week -> 1),
capped by ``count``; the 7-day count is the same over one week (once daily -> 7, once weekly ->
1), so a weekly maximum tells weekly methotrexate from a daily order; with ``frequencyMax`` / ``countMax`` the maxima are used, so a maximum-dose
check reads the high end of every range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from medsim.grading.checkpoints.fhirdata import (
    Json,
    dicts,
    label,
    member,
    parse_datetime,
)

DAY_S = 86400.0
#: Seconds per UCUM unit of ``Timing.repeat.periodUnit`` / ``durationUnit`` (mo = 30.4375 d,
#: a = 365.25 d, UCUM's mean Julian month and year).
UNIT_S: dict[str, float] = {
    "s": 1.0,
    "min": 60.0,
    "h": 3600.0,
    "d": DAY_S,
    "wk": 7 * DAY_S,
    "mo": 30.4375 * DAY_S,
    "a": 365.25 * DAY_S,
}
#: Events per period of the HL7 timing abbreviations (R4 value set ``timing-abbreviation``,
#: code system ``v3-GTSAbbreviation``): (frequency, period, periodUnit).
ABBREVIATIONS: dict[str, tuple[int, float, str]] = {
    "QD": (1, 1, "d"),
    "BID": (2, 1, "d"),
    "TID": (3, 1, "d"),
    "QID": (4, 1, "d"),
    "AM": (1, 1, "d"),
    "PM": (1, 1, "d"),
    "BED": (1, 1, "d"),
    "QOD": (1, 2, "d"),
    "Q1H": (1, 1, "h"),
    "Q2H": (1, 2, "h"),
    "Q3H": (1, 3, "h"),
    "Q4H": (1, 4, "h"),
    "Q6H": (1, 6, "h"),
    "Q8H": (1, 8, "h"),
    "WK": (1, 1, "wk"),
    "MO": (1, 1, "mo"),
}


@dataclass(frozen=True)
class Schedule:
    """Administrations in any 24 h (``per_24h``) and over the whole order (``total``, None when
    open-ended or unreadable); ``why`` explains a None."""

    per_24h: float | None
    total: float | None
    why: str = ""
    rate: float | None = None  # mean administrations per day (q48h -> 0.5), for frequency matching
    per_7d: float | None = None  # administrations in any 7 days (weekly methotrexate -> 1)


def finite(value: Any) -> float | None:
    """A finite int/float as float (booleans, NaN, infinities and non-numbers give None)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _seconds(quantity: Json) -> float | None:
    """A FHIR Duration (``boundsDuration``) in seconds; None when its unit is unknown."""
    value = finite(quantity.get("value"))
    unit = label(quantity.get("code")) or label(quantity.get("unit"))
    if value is None or unit not in UNIT_S or value < 0:
        return None
    return value * UNIT_S[unit]


def _bounds_seconds(repeat: Json) -> tuple[float | None, str]:
    """Length of ``boundsDuration`` / ``boundsRange`` (high) / ``boundsPeriod`` (start..end)."""
    if "boundsDuration" in repeat:
        s = _seconds(member(repeat, "boundsDuration"))
        return s, "" if s is not None else "boundsDuration has no known unit"
    if "boundsRange" in repeat:
        s = _seconds(member(member(repeat, "boundsRange"), "high"))
        return s, "" if s is not None else "boundsRange.high has no known unit"
    if "boundsPeriod" in repeat:
        period = member(repeat, "boundsPeriod")
        start, end = parse_datetime(period.get("start")), parse_datetime(period.get("end"))
        if start is None or end is None or end < start:
            return None, "boundsPeriod has no start and end"
        return (end - start).total_seconds(), ""
    return None, "no count or bounds: the order is open-ended"


def _events(timing: Json) -> Schedule | None:
    """A ``Timing.event`` list: the busiest 24 h window and the number of events."""
    raw = timing.get("event")
    if not isinstance(raw, list) or not raw:
        return None
    times = [parse_datetime(e) for e in raw]
    if any(t is None for t in times):
        return Schedule(None, None, "timing.event holds a value that is not a dateTime")
    ts = sorted(t for t in times if t is not None)
    busiest = max(sum(1 for u in ts if t <= u < t + timedelta(days=1)) for t in ts)
    week = max(sum(1 for u in ts if t <= u < t + timedelta(days=7)) for t in ts)
    return Schedule(float(busiest), float(len(ts)), rate=float(busiest), per_7d=float(week))


def _periodic(repeat: Json, code: str | None) -> tuple[float, float, str] | str:
    """(frequency, period in seconds, description) from ``repeat`` or the abbreviation; a string
    is the reason it cannot be read."""
    freq = finite(repeat.get("frequencyMax")) or finite(repeat.get("frequency"))
    period = finite(repeat.get("period"))
    unit = label(repeat.get("periodUnit"))
    if period is not None or unit is not None:
        if unit not in UNIT_S:
            return f"timing.repeat.periodUnit {unit!r} is not a UCUM period unit"
        if period is None or period <= 0:
            return "timing.repeat.period is missing or not positive"
        # FHIR: "If no frequency is stated, the assumption is that the event occurs once per
        # period" (R4 Timing.repeat.frequency).
        f = freq if freq is not None else 1.0
        return f, period * UNIT_S[unit], f"{f:g} per {period:g} {unit}"
    daily = [x for x in ("timeOfDay", "when") if isinstance(repeat.get(x), list) and repeat[x]]
    if daily:
        n = float(max(len(repeat[x]) for x in daily))
        return n, DAY_S, f"{n:g} per day ({'/'.join(daily)})"
    if code is not None:
        if code not in ABBREVIATIONS:
            return f"timing.code {code!r} is not a known abbreviation"
        f_, p_, u_ = ABBREVIATIONS[code]
        return float(f_), p_ * UNIT_S[u_], code
    if freq is not None:
        return "timing.repeat.frequency without a period"
    return "no frequency"


def schedule(instruction: Json) -> Schedule:
    """Administrations of one ``dosageInstruction`` in any 24 h and in total."""
    timing = instruction.get("timing")
    if not isinstance(timing, dict) or not timing:
        return Schedule(None, None, "no timing: frequency unknown")
    events = _events(timing)
    if events is not None:
        return events
    repeat = member(timing, "repeat")
    codes = [label(c.get("code")) for c in dicts(member(timing, "code"), "coding")]
    code = next((c.upper() for c in codes if c), None)
    count = finite(repeat.get("countMax")) or finite(repeat.get("count"))
    if count is not None and count < 1:
        return Schedule(None, None, "timing.repeat.count is below 1")
    periodic = _periodic(repeat, code)
    if isinstance(periodic, str):
        if count is not None and periodic == "no frequency":
            # "count 1" (a single dose) or "n doses" with no spacing given: all may fall in 24 h.
            return Schedule(count, count, per_7d=count)
        return Schedule(None, count, f"frequency unknown: {periodic}")
    freq, period_s, _ = periodic
    per_24h = float(math.ceil(freq * DAY_S / period_s - 1e-9))
    per_7d = float(math.ceil(freq * 7 * DAY_S / period_s - 1e-9))
    if count is not None:
        per_24h = min(per_24h, count)
        per_7d = min(per_7d, count)
    bounds_s, why = _bounds_seconds(repeat)
    total: float | None = None
    if bounds_s is not None:
        total = float(math.ceil(freq * bounds_s / period_s - 1e-9))
    if count is not None:
        total = count if total is None else min(total, count)
    rate = freq * DAY_S / period_s
    return Schedule(per_24h, total, "" if total is not None else why, rate=rate, per_7d=per_7d)


def per_day(instruction: Json) -> float | None:
    """Mean administrations per day (twice daily -> 2, every other day -> 0.5); None when the
    timing cannot be read. Maximum checks use :attr:`Schedule.per_24h` instead."""
    return schedule(instruction).rate
