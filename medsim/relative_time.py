"""Time expressions relative to a task's clinical "now": one grammar for every task file.

Scenario overlays (``effectiveDateTime: "@now-PT6H"``) and checkpoint windows (``since:
"@now-PT24H"``, ``after: "@today+P1DT8H"``) both use it, so what works in one works in the other.

Grammar (no spaces)::

    expr      := "@now" [sign duration] | "@today" [sign duration]
    sign      := "+" | "-"
    duration  := "P" [n "Y"] [n "M"] [n "W"] [n "D"] ["T" [n "H"] [n "M"] [n["." n] "S"]]

with at least one part, ``T`` followed by at least one time part, and fractions only on
seconds (ISO 8601 durations as FHIR uses them). ``@now`` is the task's "now"; ``@today`` is
midnight of that day in "now"'s time zone.

Arithmetic: years and months are calendar steps, applied first, with the day clamped to the end
of the target month (2024-03-31 minus P1M is 2024-02-29); weeks, days and the time part are
then exact. Results outside years 1-9999 are errors.

Where a *date* is wanted (an overlay's ``birthDate: "@today-P60Y"``), ``@today`` resolves to
``YYYY-MM-DD`` and takes only date parts; everywhere else an expression is a timezone-aware
``datetime``. Errors are :class:`TimeExpressionError` (a ``ValueError``) naming the text.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_DURATION = re.compile(
    r"P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)
_EXPRESSION = re.compile(r"@(?P<anchor>now|today)(?:(?P<sign>[+-])(?P<duration>P\S*))?")
EXAMPLES = "@now, @now-P1D, @now+PT2H, @now-PT0.5S, @today-P3D, @today+P1DT8H"


class TimeExpressionError(ValueError):
    """A malformed relative time or duration, or one whose result is out of range."""


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration split into calendar (years, months) and exact parts."""

    years: int = 0
    months: int = 0
    days: int = 0
    seconds: float = 0.0

    @property
    def has_time(self) -> bool:
        return self.seconds != 0.0


def parse_duration(text: str) -> Duration:
    """Parse ``PnYnMnWnDTnHnMnS`` (at least one part; fractions only on seconds)."""
    match = _DURATION.fullmatch(text)
    if match is None or text.endswith("T"):
        raise TimeExpressionError(
            f"invalid ISO 8601 duration {text!r} (expected e.g. P1D, PT2H, P1Y2M, PT0.5S)"
        )
    parts = {k: v for k, v in match.groupdict().items() if v is not None}
    seconds = (
        float(parts.get("hours", 0)) * 3600
        + float(parts.get("minutes", 0)) * 60
        + float(parts.get("seconds", 0))
    )
    return Duration(
        int(parts.get("years", 0)),
        int(parts.get("months", 0)),
        int(parts.get("weeks", 0)) * 7 + int(parts.get("days", 0)),
        seconds,
    )


def shift(moment: datetime, duration: Duration, sign: int) -> datetime:
    """``moment`` plus (sign=1) or minus (sign=-1) ``duration``: calendar parts first (day
    clamped to the month's end), then the exact parts."""
    index = moment.year * 12 + (moment.month - 1) + sign * (duration.years * 12 + duration.months)
    year, month0 = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise TimeExpressionError(f"relative time out of range (year {year})")
    day = min(moment.day, calendar.monthrange(year, month0 + 1)[1])
    try:
        out = moment.replace(year=year, month=month0 + 1, day=day)
        return out + sign * timedelta(days=duration.days, seconds=duration.seconds)
    except OverflowError:
        raise TimeExpressionError("relative time out of range") from None


@dataclass(frozen=True)
class TimeExpression:
    """A parsed ``@now…``/``@today…`` expression."""

    anchor: str  # "now" | "today"
    sign: int = 1
    duration: Duration | None = None

    def resolve(self, now: datetime) -> datetime:
        """The moment it names, given the task's ``now`` (timezone-aware)."""
        base = now
        if self.anchor == "today":
            base = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return base if self.duration is None else shift(base, self.duration, self.sign)


def is_expression(text: str) -> bool:
    """Whether ``text`` is meant as a relative time (starts with ``@now`` or ``@today``)."""
    return text.startswith(("@now", "@today"))


def parse(text: str) -> TimeExpression:
    """Parse an expression; a malformed one raises :class:`TimeExpressionError`."""
    match = _EXPRESSION.fullmatch(text)
    if match is None:
        raise TimeExpressionError(f"invalid relative time {text!r} (expected {EXAMPLES} ...)")
    duration = parse_duration(match["duration"]) if match["duration"] else None
    return TimeExpression(match["anchor"], -1 if match["sign"] == "-" else 1, duration)


def resolve(text: str, now: datetime) -> datetime:
    """``text`` as a timezone-aware datetime, given the task's ``now``."""
    return parse(text).resolve(now)


def resolve_for_chart(text: str, now: datetime) -> str:
    """``text`` as FHIR JSON writes it: ``@now…`` a dateTime with ``now``'s timezone (whole
    seconds unless a fraction is needed), ``@today…`` a date ``YYYY-MM-DD`` (date parts only)."""
    expr = parse(text)
    if expr.anchor == "today":
        if expr.duration is not None and expr.duration.has_time:
            raise TimeExpressionError(
                f"{text!r}: @today names a date here, so its duration takes no time (T) part"
            )
        return expr.resolve(now).date().isoformat()
    moment = expr.resolve(now)
    return moment.isoformat(timespec="seconds" if moment.microsecond == 0 else "microseconds")
