"""One grammar for ``@now±duration``: overlays and checkpoint windows accept the same
expressions and agree on the moment they name; calendar arithmetic checked against dateutil's
relativedelta (an independent implementation that also clamps to the month's end)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from medsim import relative_time
from medsim.data.overlay import OverlayError, resolve_relative
from medsim.grading.checkpoints.values import resolve_time, validate_time_spec
from tests.data.test_overlay import moments

n = st.integers(min_value=0, max_value=300)


@st.composite
def durations(draw: st.DrawFn) -> tuple[str, relativedelta]:
    y, mo, w, d, h, mi = (draw(n) for _ in range(6))
    sec = draw(st.sampled_from(["", "0.5", "1.25", "30", "59.75"]))
    date_part = "".join(f"{v}{u}" for v, u in ((y, "Y"), (mo, "M"), (w, "W"), (d, "D")) if v)
    time_part = "".join(f"{v}{u}" for v, u in ((h, "H"), (mi, "M")) if v) + (
        f"{sec}S" if sec else ""
    )
    if not date_part and not time_part:
        date_part, d = "1D", 1  # an empty duration is not valid
    text = "P" + date_part + (("T" + time_part) if time_part else "")
    seconds = float(sec or 0)
    calendar_part = relativedelta(years=y, months=mo)
    exact = timedelta(weeks=w, days=d, hours=h, minutes=mi, seconds=seconds)
    return text, (calendar_part, exact)  # type: ignore[return-value]


@given(moments, durations(), st.sampled_from(["+", "-"]))
def test_overlay_and_checkpoints_agree_and_match_relativedelta(
    now: datetime, dur: tuple[str, tuple[relativedelta, timedelta]], sign: str
) -> None:
    text, (calendar_part, exact) = dur
    expr = f"@now{sign}{text}"
    expected = now + calendar_part + exact if sign == "+" else now - calendar_part - exact
    if not 1 <= expected.year <= 9999:
        return
    assert resolve_time(expr, now) == expected
    assert datetime.fromisoformat(resolve_relative(expr, now)) == expected
    assert validate_time_spec(expr) == expr


@given(moments, st.integers(0, 400), st.integers(0, 23))
def test_today_is_midnight_of_nows_day(now: datetime, days: int, hours: int) -> None:
    midnight = now.replace(hour=0, minute=0, second=0)
    assert resolve_time(f"@today+P{days}DT{hours}H", now) == midnight + timedelta(
        days=days, hours=hours
    )
    assert (
        resolve_relative(f"@today-P{days}D", now)
        == (midnight - timedelta(days=days)).date().isoformat()
    )


def test_fractional_seconds_work_in_both_places() -> None:
    now = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)
    assert resolve_time("@now-PT0.5S", now) == now - timedelta(seconds=0.5)
    assert resolve_relative("@now-PT0.5S", now) == "2024-02-01T07:59:59.500000+00:00"


@pytest.mark.parametrize(
    "bad",
    [
        "@now-1D",
        "@nowP1D",
        "@now-P",
        "@now-PT",
        "@now-P1H",
        "@tomorrow",
        "@now - P1D",
        "@now-P1.5D",
    ],
)
def test_the_same_expressions_are_rejected_in_both_places(bad: str) -> None:
    now = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)
    with pytest.raises(OverlayError):
        resolve_relative(bad, now)
    with pytest.raises(ValueError):
        resolve_time(bad, now)
    with pytest.raises(ValueError):
        validate_time_spec(bad)


def test_a_date_takes_no_time_part_and_out_of_range_is_an_error() -> None:
    now = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)
    with pytest.raises(OverlayError, match="no time"):
        resolve_relative("@today-PT2H", now)
    with pytest.raises(relative_time.TimeExpressionError, match="out of range"):
        relative_time.resolve("@now+P8000Y", now)
