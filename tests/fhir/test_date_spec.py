"""Date search against a hand-written table from the FHIR R4 specification.

The oracle here is the specification, not the engine: every expected set below was worked out by
hand from FHIR R4 §3.1.1.4.2 (search.html#prefix) and §3.1.1.5.3 (search.html#date):

- a date value is an implicit range at its precision (``2023`` = the whole year, ``2023-03`` =
  the whole month, ``2023-03-15T10:00:00Z`` = that second, ``...:00.5Z`` = that tenth of a second);
  a Period is the range from the start of ``start`` to the end of ``end`` (a missing end is
  unbounded);
- ``eq``: the search range fully contains the target range; ``ne``: it does not;
- ``gt`` / ``lt``: the part of the timeline above / below the search range overlaps the target;
- ``ge`` / ``le``: ``gt`` / ``lt`` or ``eq``;
- ``sa`` / ``eb``: the target starts after / ends before the search range (no overlap);
- times with an offset are compared as instants (``10:00+05:00`` is ``05:00Z``).

medsim does not implement ``ap`` for dates (the spec leaves "approximately" to the server); it
answers 400 rather than guessing, which the last tests pin down. The searches go through the
engine; ``medsim.fhir.dates`` is imported only to check its reference comparison ``matches``
against the same table, so a bug in its ranges or prefix rules cannot move the expected values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from medsim.fhir import FhirError
from medsim.fhir.dates import matches, parse_range, period_range
from tests.fhir.helpers import all_ids

SYSTEM = "urn:medsim:test:datespec"

# letter -> effective[x] of one Observation. Comments give each value's range in UTC.
TARGETS: dict[str, dict[str, Any]] = {
    "A": {"effectiveDateTime": "2023-03-15T10:00:00Z"},  # 1 s at 10:00:00 on 15 Mar
    "B": {"effectiveDateTime": "2023-03-15"},  # the whole of 15 Mar
    "C": {"effectiveDateTime": "2023-03"},  # the whole of March (1 Mar .. 1 Apr)
    "D": {"effectiveDateTime": "2023-03-31T23:59:59Z"},  # March's last second
    "E": {"effectiveDateTime": "2023-04-01T00:00:00Z"},  # April's first second
    "F": {"effectiveDateTime": "2023-02-28T23:59:59Z"},  # February's last second (2023: 28 days)
    "G": {"effectivePeriod": {"start": "2023-03-10", "end": "2023-04-05"}},  # 10 Mar .. 6 Apr
    "H": {"effectiveDateTime": "2024-02-29T12:00:00Z"},  # a leap day
    "I": {"effectiveDateTime": "2023-03-15T10:00:00+05:00"},  # = 05:00:00Z on 15 Mar
    "J": {"effectiveDateTime": "2023-03-16T02:00:00+05:00"},  # = 21:00:00Z on 15 Mar
    "K": {"effectiveDateTime": "2023-03-14T22:00:00-05:00"},  # = 03:00:00Z on 15 Mar
    "L": {"effectiveDateTime": "2023-03-01T00:00:00Z"},  # March's first second
    "M": {"effectiveDateTime": "2023-03-15T10:00:00.5Z"},  # 10:00:00.5 .. 10:00:00.6
    "N": {"effectiveDateTime": "2023-01-01T00:00:00Z"},  # 2023's first second
    "O": {"effectiveDateTime": "2023-12-31T23:59:59Z"},  # 2023's last second
    "P": {"effectiveDateTime": "2024-01-01T00:00:00Z"},  # 2024's first second
    "Q": {"effectiveDateTime": "2023-03-15T10:00:00+05:30"},  # = 04:30:00Z on 15 Mar
    "R": {"effectivePeriod": {"end": "2023-03-10"}},  # open start .. 11 Mar 00:00
}
ALL = set(TARGETS)


def _s(letters: str) -> set[str]:
    return set(letters.split())


# (search value, the letters it must find), each worked out by hand from the rules above.
CASES: list[tuple[str, set[str]]] = [
    # month precision: March 2023 is [1 Mar 00:00, 1 Apr 00:00); G spans into April, R has no start
    ("eq2023-03", _s("A B C D I J K L M Q")),
    ("2023-03", _s("A B C D I J K L M Q")),  # no prefix = eq
    ("ne2023-03", _s("E F G H N O P R")),
    ("eq2023-02", _s("F")),  # 28 days: 1 Mar (L) is not in it
    ("eq2024-02", _s("H")),  # 29 days in 2024
    ("eq2024-02-29", _s("H")),
    # year precision: 2023 is [1 Jan 2023, 1 Jan 2024)
    ("eq2023", ALL - _s("H P R")),
    ("ne2023", _s("H P R")),
    ("sa2023", _s("H P")),
    ("eb2024", ALL - _s("H P")),
    # day precision: 15 Mar 2023 is [15 Mar 00:00, 16 Mar 00:00)
    ("eq2023-03-15", _s("A B I J K M Q")),
    ("ne2023-03-15", _s("C D E F G H L N O P R")),
    ("gt2023-03-15", _s("C D E G H O P")),  # ends after 16 Mar 00:00
    ("lt2023-03-15", _s("C F G L N R")),  # starts before 15 Mar 00:00
    ("ge2023-03-15", ALL - _s("F L N R")),
    ("le2023-03-15", _s("A B C F G I J K L M N Q R")),
    ("sa2023-03-15", _s("D E H O P")),  # starts on or after 16 Mar 00:00
    ("eb2023-03-15", _s("F L N R")),  # ends on or before 15 Mar 00:00
    ("eq2023-03-31", _s("D")),  # the last day of March really is in March
    ("eq2023-04-01", _s("E")),
    ("lt2023-03-11", _s("C F G L N R")),  # G's period starts at the start of 10 Mar
    ("ge2023-03-01", ALL - _s("F N")),  # F ends exactly where 1 Mar starts: not after it
    ("le2023-02-28", _s("F N R")),  # L starts exactly where 28 Feb ends: not before it
    ("ge2023-04-05", _s("G H O P")),  # G's period ends at the end of 5 Apr
    # second precision and time zones
    ("eq2023-03-15T10:00:00Z", _s("A M")),  # M's tenth of a second lies inside A's second
    ("eq2023-03-15T05:00:00Z", _s("I")),
    ("eq2023-03-15T10:00:00+05:00", _s("I")),
    ("eq2023-03-15T16:00:00-05:00", _s("J")),  # 21:00Z
    ("eq2023-03-15T04:30:00Z", _s("Q")),  # a half-hour offset
    ("eq2023-03-15T20:00:00+10:00", _s("A M")),  # a two-digit offset: 10:00Z
    ("ge2023-03-15T21:00:00Z", _s("B C D E G H J O P")),
    ("gt2023-03-15T10:00:00Z", _s("B C D E G H J O P")),  # not M: it ends inside that second
    ("gt2023-03-31T23:59:59Z", _s("E G H O P")),  # C and D end exactly at 1 Apr 00:00
    ("lt2023-03-01T00:00:00Z", _s("F N R")),
    # minute precision (no seconds): 10:00 is [10:00:00, 10:01:00)
    ("eq2023-03-15T10:00Z", _s("A M")),
    ("sa2023-03-15T09:59Z", _s("A D E H J M O P")),  # starts at or after 10:00:00
    # fractional seconds: a value with n decimals is 10^-n s wide
    ("eq2023-03-15T10:00:00.5Z", _s("M")),
    ("eb2023-03-15T10:00:00.55Z", _s("F I K L N Q R")),  # M ends at .6, after .55
    ("eb2023-03-15T10:00:00.595Z", _s("F I K L N Q R")),  # ... and after .595
]


@pytest.fixture(scope="module")
def loaded(spec_backend: Any) -> Iterator[tuple[Any, dict[str, str]]]:
    """One episode holding the targets; returns it with id -> letter."""
    ep = spec_backend.episode()
    ids: dict[str, str] = {}
    for letter, effective in TARGETS.items():
        res = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": SYSTEM, "code": "datespec"}]},
            "subject": {"reference": "Patient/pat-6"},
            "valueString": letter,
            **effective,
        }
        ids[ep.create(res)["id"]] = letter
    yield ep, ids
    ep.reset()
    ep.close()


def _found(loaded: tuple[Any, dict[str, str]], params: list[tuple[str, str]]) -> set[str]:
    ep, ids = loaded
    got = all_ids(ep, "Observation", [("code", f"{SYSTEM}|datespec"), *params], count=100)
    return {ids[i] for i in got}


@pytest.mark.parametrize(("value", "expected"), CASES, ids=[c[0] for c in CASES])
def test_date_search_follows_the_spec_table(
    loaded: tuple[Any, dict[str, str]], value: str, expected: set[str]
) -> None:
    assert _found(loaded, [("date", value)]) == expected


def test_ne_is_the_complement_of_eq(loaded: tuple[Any, dict[str, str]]) -> None:
    for value in ("2023", "2023-03", "2023-03-15", "2023-03-15T10:00:00Z"):
        eq, ne = _found(loaded, [("date", f"eq{value}")]), _found(loaded, [("date", f"ne{value}")])
        assert eq | ne == ALL and not eq & ne, value


def test_two_bounds_are_anded(loaded: tuple[Any, dict[str, str]]) -> None:
    # ge 15 Mar and lt 16 Mar: ends after 15 Mar 00:00 and starts before 16 Mar 00:00
    got = _found(loaded, [("date", "ge2023-03-15"), ("date", "lt2023-03-16")])
    assert got == _s("A B C G I J K M Q")


def test_a_leap_second_is_a_valid_search_value(spec_ep: Any) -> None:
    # FHIR's dateTime allows second 60; it falls inside the day like any other second
    assert (
        spec_ep.search("Observation", {"date": "eq2016-12-31T23:59:60Z"})["resourceType"]
        == "Bundle"
    )


def test_the_reference_comparison_follows_the_table() -> None:
    """``medsim.fhir.dates.matches`` (the reference the brute-force search test uses) against the
    same hand-written table."""
    for value, expected in CASES:
        prefix, rest = (value[:2], value[2:]) if value[:2].isalpha() else ("eq", value)
        search = parse_range(rest)
        found = {letter for letter, eff in TARGETS.items() if matches(prefix, _range(eff), search)}
        assert found == expected, value


def _range(effective: dict[str, Any]) -> tuple[float, float]:
    if "effectiveDateTime" in effective:
        return parse_range(effective["effectiveDateTime"])
    period = effective["effectivePeriod"]
    return period_range(period.get("start"), period.get("end"))


def test_last_updated_is_the_current_instant(spec_ep: Any) -> None:
    before = datetime.now(UTC)
    stamp = spec_ep.create({"resourceType": "Patient", "gender": "other"})["meta"]["lastUpdated"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", stamp), stamp
    when = datetime.fromisoformat(stamp)
    assert before - timedelta(seconds=1) <= when <= datetime.now(UTC) + timedelta(seconds=1)


@pytest.mark.parametrize(
    "value",
    [
        "ap2023-03-15",
        "2023-02-29",
        "2023-13",
        "2023-03-32",
        "15/03",
        "2023-03-15T24:00:00Z",
        "2023-03-15T10:60:00Z",
        "2023-03-15T10:00:61Z",
        "0000-03-15",  # FHIR's year pattern starts at 0001
        "2023-03-15T10:00:00+14:30",  # offsets end at +14:00
        "2023-03-15T10:00:00-15:00",
        "2023-03-15T10:00:00+05:60",
    ],
)
def test_unsupported_or_impossible_dates_are_400(spec_ep: Any, value: str) -> None:
    with pytest.raises(FhirError) as err:
        spec_ep.search("Observation", {"date": value})
    assert err.value.status == 400


# Ranges in epoch seconds, from well-known instants: 1970-01-01T00:00:00Z = 0,
# 2000-01-01 = 946684800, 2001-01-01 = 978307200, 2017-01-01 = 1483228800,
# 0001-01-01 = -62135596800, 10000-01-01 = 253402300800 (one second after datetime's maximum,
# 9999-12-31T23:59:59 = 253402300799); days are 86400 s; 0001 and 9999 are not leap years.
DAY = 86400.0
Y1 = -62135596800.0
Y10000 = 253402300800.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1970-01-01T00:00:00Z", (0.0, 1.0)),
        ("1970-01-01T00:00Z", (0.0, 60.0)),
        ("2000", (946684800.0, 978307200.0)),
        ("0001", (Y1, Y1 + 365 * DAY)),
        ("0001-01-01", (Y1, Y1 + DAY)),
        ("0001-02", (Y1 + 31 * DAY, Y1 + 59 * DAY)),  # 28 days
        ("9999", (Y10000 - 365 * DAY, Y10000)),
        ("9999-03", (Y10000 - 306 * DAY, Y10000 - 275 * DAY)),  # Apr..Dec: 275 days
        ("9999-12", (Y10000 - 31 * DAY, Y10000)),
        ("9999-12-31", (Y10000 - DAY, Y10000)),
        # a leap second is the last second of its day, not the first of the next
        ("2016-12-31T23:59:60Z", (1483228799.0, 1483228800.0)),
        # the widest offsets FHIR allows, and minutes up to 59
        ("1970-01-01T14:00:00+14:00", (0.0, 1.0)),
        ("1969-12-31T10:00:00-14:00", (0.0, 1.0)),
        ("1970-01-01T05:59:00+05:59", (0.0, 1.0)),
        ("1970-01-01T13:59:00+13:59", (0.0, 1.0)),
    ],
)
def test_ranges_in_epoch_seconds(value: str, expected: tuple[float, float]) -> None:
    assert parse_range(value) == expected


@pytest.mark.parametrize(
    "value",
    ["0000", "0000-01", "0000-01-01", "2023-03-15T10:00:00+14:01", "2023-03-15T10:00:00+15:00",
     "2023-03-15T10:00:00-14:30", "2023-03-15T10:00:00+05:60"],
)  # fmt: skip
def test_year_zero_and_offsets_beyond_14_hours_are_not_dates(value: str) -> None:
    with pytest.raises(ValueError, match="out of range"):
        parse_range(value)
