"""Scenario overlays: relative dates, patient placeholders, deterministic ids."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medsim.data.overlay import (
    Duration,
    OverlayError,
    applied_overlay,
    apply_overlay,
    parse_duration,
    resolve_overlay,
    resolve_relative,
)

NOW = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)
zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
)
moments = st.datetimes(
    min_value=datetime(1950, 1, 1), max_value=datetime(2090, 12, 31), timezones=zones
).map(lambda d: d.replace(microsecond=0))
small = st.integers(min_value=0, max_value=400)


def _duration_text(y: int, mo: int, d: int, h: int, mi: int, s: int) -> str:
    date_part = "".join(f"{v}{u}" for v, u in ((y, "Y"), (mo, "M"), (d, "D")) if v)
    time_part = "".join(f"{v}{u}" for v, u in ((h, "H"), (mi, "M"), (s, "S")) if v)
    return "P" + date_part + (("T" + time_part) if time_part else "")


@given(small, small, small, small, small, small)
def test_parse_duration_round_trip(y: int, mo: int, d: int, h: int, mi: int, s: int) -> None:
    if not any((y, mo, d, h, mi, s)):
        return
    dur = parse_duration(_duration_text(y, mo, d, h, mi, s))
    assert dur == Duration(y, mo, d, float(h * 3600 + mi * 60 + s))


@given(moments, st.integers(min_value=0, max_value=3000))
def test_days_forward_and_back(now: datetime, days: int) -> None:
    later = datetime.fromisoformat(resolve_relative(f"@now+P{days}D", now))
    earlier = datetime.fromisoformat(resolve_relative(f"@now-P{days}D", now))
    assert later - earlier == timedelta(days=2 * days)
    assert later.utcoffset() == now.utcoffset()


@given(moments, st.integers(min_value=0, max_value=10_000))
def test_hours_are_exact(now: datetime, hours: int) -> None:
    got = datetime.fromisoformat(resolve_relative(f"@now-PT{hours}H", now))
    assert now - got == timedelta(hours=hours)


@given(moments, st.integers(min_value=0, max_value=600))
def test_months_clamp_to_month_end(now: datetime, months: int) -> None:
    got = datetime.fromisoformat(resolve_relative(f"@now-P{months}M", now))
    year, month0 = divmod(now.year * 12 + now.month - 1 - months, 12)
    assert (got.year, got.month) == (year, month0 + 1)
    assert got.day == min(now.day, calendar.monthrange(got.year, got.month)[1])
    assert got.time() == now.time()


@given(moments, st.integers(min_value=0, max_value=3000))
def test_today_is_a_date(now: datetime, days: int) -> None:
    text = resolve_relative(f"@today-P{days}D", now)
    assert date.fromisoformat(text) == now.date() - timedelta(days=days)


@given(st.text(min_size=1, max_size=12))
def test_garbage_after_now_is_rejected(suffix: str) -> None:
    text = "@now" + suffix
    try:
        resolve_relative(text, NOW)
    except OverlayError:
        return
    assert suffix[0] in "+-" and suffix[1:2] == "P"  # only well-formed durations get through


def test_examples_from_the_spec() -> None:
    assert resolve_relative("@now", NOW) == "2024-02-01T08:00:00+00:00"
    assert resolve_relative("@now-P1D", NOW) == "2024-01-31T08:00:00+00:00"
    assert resolve_relative("@now+PT2H", NOW) == "2024-02-01T10:00:00+00:00"
    assert resolve_relative("@now-P1Y2M", NOW) == "2022-12-01T08:00:00+00:00"
    assert resolve_relative("@today-P3D", NOW) == "2024-01-29"
    assert resolve_relative("@now-P1M", datetime(2024, 3, 31, 9, tzinfo=UTC)).startswith(
        "2024-02-29"
    )


# malformed expressions: tests/data/test_relative_time.py (the same list for overlays and
# checkpoints)


def test_apply_overlay_makes_concrete_resources() -> None:
    templates = [
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "19123-9"}]},
            "effectiveDateTime": "@now-PT6H",
            "issued": "@now-PT5H",
            "valueQuantity": {"value": 1.3, "unit": "mg/dL"},
        },
        {
            "resourceType": "MedicationRequest",
            "id": "given-id",
            "status": "active",
            "intent": "order",
            "subject": {"reference": "@patient"},
            "authoredOn": "@today-P1D",
            "medicationCodeableConcept": {"text": "x"},
        },
        {"resourceType": "AllergyIntolerance", "code": {"text": "penicillin"}},
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "K"},
            "effectiveDateTime": "@now",
        },
    ]
    snapshot = [dict(t) for t in templates]
    out = apply_overlay(templates, "pat-0007", NOW)
    assert templates == snapshot  # inputs untouched
    assert out[0]["effectiveDateTime"] == "2024-02-01T02:00:00+00:00"
    assert out[0]["subject"] == {"reference": "Patient/pat-0007"}
    assert out[0]["id"] == "ovl-pat-0007-obs-001" and out[3]["id"] == "ovl-pat-0007-obs-002"
    assert out[1]["id"] == "given-id" and out[1]["authoredOn"] == "2024-01-31"
    assert out[1]["subject"] == {"reference": "Patient/pat-0007"}
    assert out[2]["patient"] == {"reference": "Patient/pat-0007"}
    assert apply_overlay(templates, "Patient/pat-0007", NOW.isoformat()) == out
    assert resolve_overlay(templates, "pat-0007", NOW) == out
    # what an env loads at every reset (worked out once per templates, patient and now)
    first = applied_overlay(templates, "pat-0007", NOW)
    again = applied_overlay(templates, "pat-0007", NOW)
    assert first == again == out and first[0] is not again[0]  # new dicts every time
    first[0]["status"] = "changed"  # (a caller's change does not reach the next call)
    assert applied_overlay(templates, "pat-0007", NOW) == out
    other = applied_overlay(templates, "pat-0008", NOW + timedelta(days=1))
    assert other[0]["effectiveDateTime"] == "2024-02-02T02:00:00+00:00"
    assert other[0]["subject"] == {"reference": "Patient/pat-0008"}
    templates[0]["issued"] = "@now-PT1H"  # an edited template is applied again
    assert applied_overlay(templates, "pat-0007", NOW)[0]["issued"] == "2024-02-01T07:00:00+00:00"


def test_templates_that_are_not_plain_json_are_applied_as_they_are() -> None:
    """A YAML date object is not JSON: no cache key is made of it (orjson would write it as a
    string, and the resource validated at reset would not be the one the task gave)."""
    dated = [{"resourceType": "Patient", "birthDate": date(1950, 1, 2)}]
    assert applied_overlay(dated, "p1", NOW)[0]["birthDate"] == date(1950, 1, 2)


def test_overlay_errors_name_the_problem() -> None:
    with pytest.raises(OverlayError, match="effectiveDateTime"):
        apply_overlay([{"resourceType": "Observation", "effectiveDateTime": "@now-1D"}], "p1", NOW)
    with pytest.raises(OverlayError, match="timezone"):
        apply_overlay([], "p1", datetime(2024, 1, 1))
    with pytest.raises(OverlayError, match="resourceType"):
        apply_overlay([{"id": "x"}], "p1", NOW)
    with pytest.raises(OverlayError, match="patient id"):
        apply_overlay([], "bad id!", NOW)


def test_overlay_resources_validate_as_r4() -> None:
    from medsim.data.cohort.validate import Validator

    out = apply_overlay(
        [
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]},
                "effectiveDateTime": "@now-PT1H",
                "valueQuantity": {
                    "value": 3.1,
                    "unit": "mmol/L",
                    "system": "http://unitsofmeasure.org",
                    "code": "mmol/L",
                },
            }
        ],
        "pat-0001",
        NOW,
        id_prefix="task-k-low",
    )
    validator = Validator()
    assert validator.check(out[0]), validator.errors
    assert out[0]["id"] == "task-k-low-obs-001"
