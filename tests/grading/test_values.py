"""Numbers, tolerances and times in grader parameters (:mod:`medsim.grading.checkpoints.values`).

Every expected value is written out by hand. The float slack of :meth:`Approx.check` is pinned on
purpose: a bound is widened by 1e-9 x max(1, |bound|) — enough to absorb float error
(0.1 + 0.2 != 0.3), never enough to pass a clinically different number.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from medsim.grading.checkpoints.values import (
    Approx,
    as_approx,
    numbers_in,
    resolve_time,
    to_unit,
    validate_time_spec,
)


def test_numbers_in_a_note_with_thousands_separators() -> None:
    assert numbers_in("eGFR 27, urine albumin 1,250.5 mg, K 3.2") == [27.0, 1250.5, 3.2]
    assert numbers_in("no numbers here") == []


def test_units_that_differ_only_in_case_are_the_same_unit() -> None:
    assert to_unit(5.0, "Widgets", "widgets") == 5.0  # unknown to the converter, same spelling
    assert to_unit(5.0, "widgets", "gadgets") is None  # unknown and different: never matches
    assert to_unit(1.0, "g", "mg") == 1000.0


@pytest.mark.parametrize(
    ("target", "text"),
    [
        (Approx(value=4.2, unit="mmol/L"), "4.2 mmol/L"),
        (Approx(value=4.2), "4.2"),
        (Approx(value=4.2, tolerance=0.1), "4.1-4.3"),
        (Approx(range=(88, 100), unit="mcg"), "88-100 mcg"),
        (Approx(range=(5, 5)), "5-5"),  # a one-point range has no value to show
    ],
)
def test_describe(target: Approx, text: str) -> None:
    assert target.describe() == text


def test_a_one_point_range_is_valid_and_a_reversed_one_is_not() -> None:
    assert Approx(range=(5, 5)).check(5.0)[0] is True
    assert Approx(range=(5, 5)).check(5.1)[0] is False
    with pytest.raises(ValidationError, match="low must be <= high"):
        Approx(range=(6, 5))


@pytest.mark.parametrize("bad", [{"tolerance": -1.0}, {"rel_tolerance": -0.1}])
def test_negative_tolerances_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError, match="tolerances must be >= 0"):
        Approx.model_validate({"value": 1.0, **bad})


def test_as_approx_forms() -> None:
    a = Approx(value=3.0)
    assert as_approx(a) is a
    assert as_approx([88, 100]).bounds() == (88.0, 100.0)
    assert as_approx(4).bounds() == (4.0, 4.0)
    assert as_approx({"value": 10, "rel_tolerance": 0.1}).bounds() == (9.0, 11.0)
    for bad in ([1, 2, 3], [1], "4.2", True):
        with pytest.raises(ValueError):
            as_approx(bad)


def test_check_absorbs_float_error_only() -> None:
    assert Approx(value=0.3).check(0.1 + 0.2)[0] is True
    # at a bound below 1 in magnitude the slack is 1e-9 absolute, both ends inclusive
    r = Approx(range=(0.5, 1.0))
    assert r.check(0.5 - 1e-9)[0] is True and r.check(1.0 + 1e-9)[0] is True
    assert r.check(0.5 - 1.5e-9)[0] is False and r.check(1.0 + 1.5e-9)[0] is False
    # above 1 it is relative: 1e-9 x 1000 = 1e-6
    big = Approx(value=1000.0)
    assert big.check(1000.0 + 5e-7)[0] is True and big.check(1000.0 - 5e-7)[0] is True
    assert big.check(1000.0 + 1e-5)[0] is False and big.check(1000.0 - 1e-5)[0] is False


def test_time_specs() -> None:
    assert validate_time_spec("@now-P1D") == "@now-P1D"
    assert validate_time_spec("2023-11-13T10:15:00+00:00") == "2023-11-13T10:15:00+00:00"
    with pytest.raises(ValueError):
        validate_time_spec("yesterday")
    now = datetime(2024, 1, 2, 12, 0, tzinfo=UTC)
    assert resolve_time("2023-11-13T10:15:00+00:00", now) == datetime(
        2023, 11, 13, 10, 15, tzinfo=UTC
    )
    assert resolve_time("@now-P1D", now) == datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
