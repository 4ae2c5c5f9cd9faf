"""FHIR date/dateTime/instant values as time ranges.

Every FHIR date is a range at its precision: ``2023`` is the whole year, ``2023-11-13`` the whole
day, ``2023-11-13T10:15:00Z`` one second. Ranges are half-open ``[lo, hi)`` in UTC epoch seconds;
values without a timezone are taken as UTC (medsim's engine has no local timezone, which keeps
every run identical). Search prefixes compare such ranges as the FHIR spec defines (§3.1.1.4.2).
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime

NEG_INF = -1.0e18
POS_INF = 1.0e18

_DATE_RE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?P<f>\.\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$",
    re.ASCII,  # "\d" must not match other scripts' digits ("２０２３")
)


def parse_range(value: str) -> tuple[float, float]:
    """``[lo, hi)`` in epoch seconds for a FHIR date, dateTime or instant string.

    Raises ``ValueError`` for anything that is not a valid FHIR date.
    """
    m = _DATE_RE.match(value.strip())
    if not m:
        raise ValueError(f"not a FHIR date/dateTime: {value!r}")
    y = int(m["y"])
    if y < 1:  # FHIR's year pattern has no year 0000 (and datetime cannot hold it)
        raise ValueError(f"year out of range in {value!r}")
    if m["m"] is None:
        return _epoch(y, 1, 1), _epoch(y + 1, 1, 1)
    mo = int(m["m"])
    if not 1 <= mo <= 12:
        raise ValueError(f"month out of range in {value!r}")
    days = calendar.monthrange(y, mo)[1]
    if m["d"] is None:
        start = _epoch(y, mo, 1)
        return start, start + days * 86400.0
    day = int(m["d"])
    if not 1 <= day <= days:
        raise ValueError(f"day out of range in {value!r}")
    if m["H"] is None:
        start = _epoch(y, mo, day)
        return start, start + 86400.0
    hh, mm = int(m["H"]), int(m["M"])
    ss = int(m["S"]) if m["S"] else 0
    if hh > 23 or mm > 59 or ss > 60:
        raise ValueError(f"time out of range in {value!r}")
    tz = m["tz"]
    offset = 0
    if tz and tz != "Z":
        hours, minutes = int(tz[1:3]), int(tz[4:])
        # FHIR's offset pattern: (0[0-9]|1[0-3]):[0-5][0-9] or 14:00, i.e. -14:00 .. +14:00
        if hours * 60 + minutes > 14 * 60 or minutes > 59:
            raise ValueError(f"timezone out of range in {value!r}")
        sign = 1 if tz[0] == "+" else -1
        offset = sign * (hours * 3600 + minutes * 60)
    base = _epoch(y, mo, day, hh, mm, min(ss, 59)) - offset
    if m["f"]:
        frac = m["f"][1:]
        lo = base + float("0." + frac)
        return lo, lo + 10.0 ** (-len(frac))
    width = 1.0 if m["S"] else 60.0
    return base, base + width


def _epoch(y: int, mo: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> float:
    """UTC epoch seconds by calendar arithmetic (valid for years 0001-9999 and 10000-01-01,
    where ``datetime`` would overflow at the end of year 9999)."""
    if y > 9999:  # only ever 10000-01-01T00:00:00: the end of year 9999
        return _epoch(9999, 12, 31) + 86400.0
    return float(calendar.timegm((y, mo, d, hh, mm, ss)))


def period_range(start: str | None, end: str | None) -> tuple[float, float]:
    """A Period: open ends extend to infinity."""
    lo = parse_range(start)[0] if start else NEG_INF
    hi = parse_range(end)[1] if end else POS_INF
    return lo, hi


def matches(prefix: str, res: tuple[float, float], search: tuple[float, float]) -> bool:
    """Reference implementation of a date prefix comparison (used by tests and the HTTP checks).

    The SQL engine compiles the same conditions; see :data:`SQL_CONDITIONS`.
    """
    rl, rh = res
    sl, sh = search
    return {
        "eq": rl >= sl and rh <= sh,
        "ne": not (rl >= sl and rh <= sh),
        "gt": rh > sh,
        "lt": rl < sl,
        "ge": rh > sl,
        "le": rl < sh,
        "sa": rl >= sh,
        "eb": rh <= sl,
    }[prefix]


# The same rules as SQL over columns lo/hi with parameters (:sl, :sh).
SQL_CONDITIONS: dict[str, str] = {
    "eq": "(lo >= ? AND hi <= ?)",
    "ne": "NOT (lo >= ? AND hi <= ?)",
    "gt": "(hi > ?)",
    "lt": "(lo < ?)",
    "ge": "(hi > ?)",
    "le": "(lo < ?)",
    "sa": "(lo >= ?)",
    "eb": "(hi <= ?)",
}


def sql_args(prefix: str, search: tuple[float, float]) -> tuple[float, ...]:
    """The bound values for :data:`SQL_CONDITIONS` ``[prefix]``."""
    sl, sh = search
    return {
        "eq": (sl, sh),
        "ne": (sl, sh),
        "gt": (sh,),
        "lt": (sl,),
        "ge": (sl,),
        "le": (sh,),
        "sa": (sh,),
        "eb": (sl,),
    }[prefix]


def now_instant() -> str:
    """The current UTC instant as FHIR ``instant`` (used for ``meta.lastUpdated``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+00:00"
