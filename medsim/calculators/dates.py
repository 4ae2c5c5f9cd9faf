"""Pregnancy dating from the last menstrual period (LMP): due date, conception, gestational age.

Dates are accepted as ``datetime.date``, ISO ``YYYY-MM-DD`` or US ``MM/DD/YYYY`` (MedCalc-Bench's
form). Results: due date and conception date as ``MM/DD/YYYY`` strings (what MedCalc-Bench
grades); gestational age as the string ``"(W weeks, D days)"``, graded as the tuple (W, D).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, TypeAlias

from pydantic import BeforeValidator, model_validator

from medsim.calculators.base import CalculatorInputs, Result, calculator
from medsim.calculators.units import quantity

TERM_DAYS = 280  # Naegele: 40 weeks from the LMP of a 28-day cycle
LUTEAL_DAYS = 14  # ovulation ~14 days before the next menses, whatever the cycle length
MAX_GESTATION_DAYS = 44 * 7


def _date(raw: Any) -> Any:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, str):
        text = raw.strip()
        for fmt in ("%m/%d/%Y", "%Y-%m-%d"):
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise ValueError(f"expected a date as MM/DD/YYYY or YYYY-MM-DD, got {raw!r}")
    return raw


Date = Annotated[date, BeforeValidator(_date)]
CycleLength: TypeAlias = quantity("days", ge=20, le=45, description="usual menstrual cycle length")
_ENTITIES = {
    "Last menstrual date": "lmp",
    "cycle length": "cycle_length",
    "Current Date": "current_date",
}


def us_date(d: date) -> str:
    """MM/DD/YYYY, the form MedCalc-Bench asks for and grades."""
    return d.strftime("%m/%d/%Y")


class DueDateInputs(CalculatorInputs):
    lmp: Date
    cycle_length: CycleLength = 28.0


@calculator(
    id="estimated_due_date",
    name="Estimated Due Date",
    medcalc_id=13,
    category="date",
    output="date",
    unit=None,
    medcalc_entities=_ENTITIES,
    aliases=("naegele", "edd"),
)
def estimated_due_date(x: DueDateInputs) -> Result:
    """EDD = LMP + 280 days + (cycle length - 28) days (Naegele's rule adjusted for cycle length:
    a longer cycle ovulates later, a shorter one earlier). Cycle length not given: 28 days.

    Sources: Naegele's rule as endorsed by ACOG Committee Opinion No. 700, "Methods for estimating
    the due date." Obstet Gynecol. 2017;129(5):e150-e154; cycle adjustment from the constant
    ~14-day luteal phase: Lenton EA, Landgren BM, Sexton L. "Normal variation in the length of the
    luteal phase of the menstrual cycle." Br J Obstet Gynaecol. 1984;91(7):685-689.
    MedCalc-Bench v1.0 adds |cycle - 28| days, i.e. moves short cycles the wrong way.
    """
    shift = round(x.cycle_length) - 28
    edd = x.lmp + timedelta(days=TERM_DAYS + shift)
    steps = (
        f"LMP {us_date(x.lmp)} + 280 days = {us_date(x.lmp + timedelta(days=TERM_DAYS))}.\n"
        f"Cycle {x.cycle_length:g} days: adjust by ({x.cycle_length:g} - 28) = {shift:+d} days.\n"
        f"EDD = {us_date(edd)} ({edd.isoformat()})"
    )
    return Result(calculator="estimated_due_date", value=us_date(edd), unit=None, explanation=steps)


@calculator(
    id="estimated_conception_date",
    name="Estimated of Conception",
    medcalc_id=68,
    category="date",
    output="date",
    unit=None,
    medcalc_entities=_ENTITIES,
    aliases=("estimated conception", "date of conception"),
)
def estimated_conception_date(x: DueDateInputs) -> Result:
    """Conception (ovulation) = LMP + (cycle length - 14) days, i.e. LMP + 14 days for a 28-day
    cycle; consistent with the due date (EDD = conception + 266 days). Cycle not given: 28 days.

    Source: constant ~14-day luteal phase, Lenton EA, Landgren BM, Sexton L. Br J Obstet
    Gynaecol. 1984;91(7):685-689; ACOG Committee Opinion No. 700 (2017). MedCalc-Bench v1.0
    adds 14 days whatever the cycle length.
    """
    offset = round(x.cycle_length) - LUTEAL_DAYS
    conception = x.lmp + timedelta(days=offset)
    steps = (
        f"Ovulation ~{LUTEAL_DAYS} days before the next menses: day {x.cycle_length:g} - "
        f"{LUTEAL_DAYS} = day {offset} of the cycle.\n"
        f"Conception = {us_date(x.lmp)} + {offset} days = {us_date(conception)} "
        f"({conception.isoformat()})"
    )
    return Result(
        calculator="estimated_conception_date", value=us_date(conception), unit=None,
        explanation=steps,
    )  # fmt: skip


class GestationalAgeInputs(CalculatorInputs):
    lmp: Date
    current_date: Date

    @model_validator(mode="after")
    def _order(self) -> GestationalAgeInputs:
        days = (self.current_date - self.lmp).days
        if days < 0:
            raise ValueError("current_date: is before the last menstrual period (lmp)")
        if days > MAX_GESTATION_DAYS:
            raise ValueError(
                f"current_date: {days} days after the LMP exceeds 44 weeks; not a gestation"
            )
        return self


@calculator(
    id="estimated_gestational_age",
    name="Estimated Gestational Age",
    medcalc_id=69,
    category="date",
    output="weeks_days",
    unit=None,
    medcalc_entities=_ENTITIES,
    aliases=("gestational age",),
)
def estimated_gestational_age(x: GestationalAgeInputs) -> Result:
    """Gestational age = current date - LMP, as completed weeks and remaining days; the value is
    the string "(W weeks, D days)".

    Source: ACOG Committee Opinion No. 700, "Methods for estimating the due date." Obstet Gynecol.
    2017;129(5):e150-e154 (gestational age counted from the first day of the LMP).
    """
    days = (x.current_date - x.lmp).days
    weeks, rest = divmod(days, 7)
    value = f"({weeks} weeks, {rest} days)"
    steps = (
        f"{us_date(x.current_date)} - {us_date(x.lmp)} = {days} days = {weeks} x 7 + {rest}.\n"
        f"Gestational age = {weeks} weeks, {rest} days"
    )
    return Result(calculator="estimated_gestational_age", value=value, unit=None, explanation=steps)
