"""Pregnancy dating: estimated due date, estimated conception, gestational age."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medsim.calculators import compute
from tests.calculators.equation_helpers import rejects, value

EDD, CONC, GA = "estimated_due_date", "estimated_conception_date", "estimated_gestational_age"
lmps = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))
cycles = st.integers(20, 45)


@pytest.mark.parametrize(
    ("lmp", "cycle", "expected"),
    [("01/01/2023", 28, "10/08/2023"), ("2023-01-01", 35, "10/15/2023"),
     ("01/01/2023", 21, "10/01/2023"), ("12/11/2013", 22, "09/11/2014"),
     ("02/29/2024", 28, "12/05/2024")],
)  # fmt: skip
def test_due_date_naegele_with_cycle(lmp: str, cycle: int, expected: str) -> None:
    assert value(EDD, lmp=lmp, cycle_length=cycle) == expected


def test_due_date_default_cycle_is_28_days() -> None:
    assert value(EDD, lmp=date(2023, 1, 1)) == "10/08/2023"


@pytest.mark.parametrize(
    ("lmp", "cycle", "expected"),
    [("01/01/2023", 28, "01/15/2023"), ("01/01/2023", 35, "01/22/2023"),
     ("12/17/2009", 21, "12/24/2009")],
)  # fmt: skip
def test_conception_date(lmp: str, cycle: int, expected: str) -> None:
    assert value(CONC, lmp=lmp, cycle_length=cycle) == expected


@given(lmps, cycles)
def test_due_date_is_266_days_after_conception(lmp: date, cycle: int) -> None:
    edd = datetime.strptime(str(value(EDD, lmp=lmp, cycle_length=cycle)), "%m/%d/%Y")
    conc = datetime.strptime(str(value(CONC, lmp=lmp, cycle_length=cycle)), "%m/%d/%Y")
    assert edd - conc == timedelta(days=266)


@pytest.mark.parametrize(
    ("lmp", "today", "expected"),
    [("03/23/2020", "03/29/2020", "(0 weeks, 6 days)"), ("2024-02-14", "2024-05-23", "(14 weeks, 1 days)"),
     ("01/01/2023", "10/08/2023", "(40 weeks, 0 days)"), ("01/01/2023", "01/01/2023", "(0 weeks, 0 days)")],
)  # fmt: skip
def test_gestational_age(lmp: str, today: str, expected: str) -> None:
    assert value(GA, lmp=lmp, current_date=today) == expected


@given(lmps, st.integers(0, 308))
def test_gestational_age_weeks_and_days_add_up(lmp: date, days: int) -> None:
    text = str(value(GA, lmp=lmp, current_date=lmp + timedelta(days=days)))
    weeks, rest = (int(part.split()[0]) for part in text.strip("()").split(", "))
    assert 0 <= rest < 7 and weeks * 7 + rest == days


def test_medcalc_entities() -> None:
    assert (
        compute(13, {"cycle length": 28, "Last menstrual date": "02/03/2012"}).value == "11/09/2012"
    )
    row = {"Current Date": "03/29/2020", "Last menstrual date": "03/23/2020"}
    assert compute(69, row).value == "(0 weeks, 6 days)"


@pytest.mark.parametrize(
    ("calc", "field", "inputs"),
    [
        (EDD, "lmp", {"lmp": "31/12/2023"}),
        (EDD, "lmp", {"cycle_length": 28}),
        (EDD, "cycle_length", {"lmp": "01/01/2023", "cycle_length": 90}),
        (CONC, "cycle_length", {"lmp": "01/01/2023", "cycle_length": [3, "kg"]}),
        (GA, "current_date", {"lmp": "01/10/2023", "current_date": "01/01/2023"}),
        (GA, "current_date", {"lmp": "01/01/2020", "current_date": "01/01/2023"}),
        (GA, "current_date", {"lmp": "01/01/2023"}),
    ],
)
def test_bad_inputs_name_the_field(calc: str, field: str, inputs: dict[str, object]) -> None:
    rejects(calc, field, inputs)
