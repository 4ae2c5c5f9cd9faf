"""Date and time helpers for the generator: one fixed reference date, no wall clock.

All generated datetimes are timezone-aware UTC and rendered as ISO 8601 with ``+00:00`` so that
FHIR ``dateTime`` and ``instant`` fields validate and sort as strings.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

DAYS_PER_YEAR = 365.25
DEFAULT_AS_OF = datetime(2025, 1, 1, tzinfo=UTC)


def parse_day(text: str) -> datetime:
    """``YYYY-MM-DD`` -> midnight UTC of that day."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """FHIR dateTime/instant text with seconds and offset, e.g. ``2023-04-05T09:30:00+00:00``."""
    return moment.isoformat(timespec="seconds")


def iso_date(moment: datetime | date) -> str:
    """FHIR date text ``YYYY-MM-DD``."""
    return moment.strftime("%Y-%m-%d")


def years_between(start: datetime, end: datetime) -> float:
    """Fractional years from ``start`` to ``end`` (negative if end is earlier)."""
    return (end - start).total_seconds() / (DAYS_PER_YEAR * 86400.0)


def age_years(birth: date, on: datetime) -> int:
    """Completed years of age on a day."""
    day = on.date()
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def add_days(moment: datetime, days: float) -> datetime:
    """``moment`` shifted by a (fractional) number of days."""
    return moment + timedelta(days=days)


def add_months(moment: datetime, months: float) -> datetime:
    """``moment`` shifted by months counted as 30.44 days (good enough for schedules)."""
    return moment + timedelta(days=months * 30.44)


def months_between(start: datetime, end: datetime) -> float:
    """Fractional months between two datetimes."""
    return (end - start).total_seconds() / (30.44 * 86400.0)


def at_clock(day: datetime, hour: int, minute: int) -> datetime:
    """The same calendar day at ``hour:minute`` UTC."""
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def next_weekday(moment: datetime) -> datetime:
    """``moment`` moved forward to Monday if it falls on a weekend (clinics are closed)."""
    while moment.weekday() >= 5:
        moment += timedelta(days=1)
    return moment
