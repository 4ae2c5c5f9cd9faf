"""MedCalc-Bench's answer rule as medsim checkpoints.

MedCalc-Bench (``evaluation/evaluate.py``) grades an answer by calculator: dates (due date,
conception) must equal the truth, a gestational age must equal the ``(weeks, days)`` tuple,
integer scores must round to the truth, and every other (decimal) answer must lie between the
row's Lower and Upper Limit: 95 % and 105 % of the truth for equation-based calculators (lab,
physical, date, dosage), the truth itself for rule-based ones (Wells PE). This module turns
that rule into the ``answer`` checkpoint of a task (limits stored in its params), checks an
answer the same way (to pick negative controls that really are wrong) and makes a wrong one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from medsim.calculators import Calculator
from medsim.calculators.conformance import (
    DATE_IDS,
    EQUATION_CATEGORIES,
    INTEGER_IDS,
    WEEKS_DAYS_IDS,
    grade,
    parse_weeks_days,
)

RuleKind = Literal["date", "weeks_days", "integer", "range"]
#: The smallest half-width a decimal rule may have, as a fraction of the truth: an answer given
#: to three significant digits is within 0.5 % of it.
RESOLUTION = 0.005
_FMT = "%m/%d/%Y"


@dataclass(frozen=True)
class AnswerRule:
    """How one task's answer is graded: its kind, the truth and (for decimals) the limits."""

    medcalc_id: int
    kind: RuleKind
    truth: Any
    low: float | None = None
    high: float | None = None

    def is_correct(self, answer: Any) -> bool:
        """MedCalc-Bench's verdict on ``answer`` (the same rule the checkpoint applies)."""
        lower = "" if self.low is None else repr(self.low)
        upper = "" if self.high is None else repr(self.high)
        return grade(self.medcalc_id, str(answer), str(self.truth), lower, upper)

    def narrowed(self, wrong: Iterable[Any]) -> AnswerRule | None:
        """This rule with its limits narrowed so that every wrong-method answer in ``wrong`` is
        rejected (issue 21): a decimal rule accepts truth +/- half the distance to the nearest
        wrong answer, never more than MedCalc-Bench's limits. None when a wrong answer lies within
        the resolution (0.5 % of the truth): the case cannot tell the methods apart and must be
        redrawn. A wrong answer equal to the truth is no mistake for this case (the uncorrected
        calcium when the albumin is exactly 4.0 g/dL; TBW 0.6 for a young man) and is ignored.
        Integer, date and exact rules are returned unchanged (a wrong method that lands on the
        same score or date is likewise no mistake for that case)."""
        if self.kind != "range" or self.low is None or self.high is None or self.low == self.high:
            return self
        truth = float(self.truth)
        same = 1e-9 * max(abs(truth), 1.0)
        distances = [
            abs(float(w) - truth)
            for w in wrong
            if isinstance(w, int | float) and not isinstance(w, bool) and math.isfinite(w)
        ]
        distances = [d for d in distances if d > same]
        if not distances:
            return self
        half = min(distances) / 2
        if half < RESOLUTION * max(abs(truth), 1.0):
            return None
        slack = min(half, (self.high - self.low) / 2)
        low, high = round(truth - slack, 6), round(truth + slack, 6)
        return AnswerRule(self.medcalc_id, self.kind, self.truth, low, high)

    def wrong(self) -> Any:
        """A plausible answer the rule marks wrong (the "plain wrong answer" control)."""
        if self.kind == "date":
            day = datetime.strptime(str(self.truth), _FMT) + timedelta(days=7)
            return day.strftime(_FMT)
        if self.kind == "weeks_days":
            weeks, days = parse_weeks_days(str(self.truth)) or (0, 0)
            return f"({weeks + 1} weeks, {days} days)"
        if self.kind == "integer":
            value = int(round(float(self.truth)))
            return value - 1 if value >= 1 else value + 1
        number = float(self.truth)
        return round(number * 1.25, 3) if number != 0 else 1.0

    def checkpoint(self) -> dict[str, Any]:
        """The ``answer`` checkpoint (a CheckpointSpec as a dict)."""
        if self.kind == "date":
            month, day, year = (int(p) for p in str(self.truth).split("/"))
            iso = f"{year:04d}-{month:02d}-{day:02d}"
            regex = rf"^\s*(0?{month}/0?{day}/{year}|{iso})\s*$"
            return _spec(
                "answer_matches",
                {"regex": [regex]},
                f"The answer is the date {self.truth} (MM/DD/YYYY; exact, as in MedCalc-Bench).",
            )
        if self.kind == "weeks_days":
            weeks, days = parse_weeks_days(str(self.truth)) or (0, 0)
            regex = (
                rf"^\D*\b{weeks}\s*weeks?\W+{days}\s*days?\b\D*$"
                rf"|^\[\s*{weeks}\s*,\s*{days}\s*\]$"
            )
            return _spec(
                "answer_matches",
                {"regex": [regex]},
                f"The answer is {weeks} weeks, {days} days (exact, as in MedCalc-Bench).",
            )
        if self.kind == "integer":
            value = int(round(float(self.truth)))
            return _spec(
                "value_reported",
                {"expected": {"value": value}, "tolerance": 0.49},
                f"The answer rounds to {value} (MedCalc-Bench: round(answer) == truth).",
            )
        return _spec(
            "value_reported",
            {"range": [self.low, self.high]},
            f"The answer lies in [{self.low}, {self.high}] around the truth {self.truth} "
            "(at most MedCalc-Bench's Lower/Upper Limit; generated tasks narrow it to half the "
            "distance to the nearest wrong method's answer, docs/medcalc.md).",
        )


def _spec(grader: str, params: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "id": "answer",
        "grader": grader,
        "params": params,
        "weight": 1.0,
        "description": description,
    }


def limits(truth: float, equation_based: bool) -> tuple[float, float]:
    """MedCalc-Bench's Lower/Upper Limit: +/-5 % for equation-based outputs (ordered, so a
    negative truth works too), the truth itself otherwise."""
    if not equation_based:
        return truth, truth
    a, b = round(truth * 0.95, 6), round(truth * 1.05, 6)
    return min(a, b), max(a, b)


def rule_for(calc: Calculator, truth: Any) -> AnswerRule:
    """The answer rule of ``calc`` for a task whose true answer is ``truth``."""
    mid = int(calc.medcalc_id or 0)
    if mid in DATE_IDS:
        return AnswerRule(mid, "date", str(truth))
    if mid in WEEKS_DAYS_IDS:
        return AnswerRule(mid, "weeks_days", str(truth))
    if mid in INTEGER_IDS:
        return AnswerRule(mid, "integer", int(round(float(truth))))
    low, high = limits(float(truth), calc.category in EQUATION_CATEGORIES)
    return AnswerRule(mid, "range", truth, low, high)


def rule_from_row(medcalc_id: int, truth: str, lower: str, upper: str) -> AnswerRule:
    """The rule of a MedCalc-Bench CSV row (its own limits, whatever they are)."""
    if medcalc_id in DATE_IDS:
        return AnswerRule(medcalc_id, "date", truth.strip())
    if medcalc_id in WEEKS_DAYS_IDS:
        return AnswerRule(medcalc_id, "weeks_days", truth.strip())
    if medcalc_id in INTEGER_IDS:
        return AnswerRule(medcalc_id, "integer", int(round(float(truth))))
    low, high = float(lower), float(upper)
    return AnswerRule(medcalc_id, "range", float(truth), min(low, high), max(low, high))
