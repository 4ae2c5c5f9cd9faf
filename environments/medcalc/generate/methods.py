"""Wrong methods (issue 21): the answers a plausible wrong method gives for a case, and the
accepted range they leave.

A benchmark that accepts the answer of the wrong method measures nothing: serum osmolality
without BUN (313 vs 323) or the plain anion gap for the albumin-corrected one (22 vs 22.25) sat
inside MedCalc-Bench's +/-5 %. For each case the generator computes the answer of every wrong
method of ``data/wrong_methods.yaml`` (an older or neighbouring formula, an omitted term, the
uncorrected variant, the other coefficient; plus the calculators listed as ``alternatives`` in
``ehr.yaml``) and of every real unit confusion (``controls.yaml``), then narrows the accepted
range to half the distance to the nearest one (:meth:`AnswerRule.narrowed`). A case the rule
cannot separate from a wrong method is redrawn.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from medsim.calculators import CalculatorError, compute, get

from ..grading import AnswerRule
from .controls import unit_confusions
from .data import load
from .sampling import SpecError, evaluate


@dataclass(frozen=True)
class WrongMethod:
    """One wrong method of a calculator (see ``data/wrong_methods.yaml``)."""

    name: str
    why: str
    calculator: str | None = None
    inputs: tuple[tuple[str, Any], ...] = ()
    expr: str | None = None


@dataclass(frozen=True)
class WrongAnswer:
    """What a wrong method answers for one case, and how an agent would get there."""

    name: str
    value: Any
    why: str
    calculator: str | None  # the calculator the agent would run (None: computed by hand)
    inputs: dict[str, Any]


@cache
def _table() -> dict[str, tuple[WrongMethod, ...]]:
    raw = load("wrong_methods.yaml")
    out: dict[str, tuple[WrongMethod, ...]] = {}
    for calc_id, methods in raw.items():
        get(calc_id)  # an unknown calculator id is an error in the data file
        items = []
        for m in methods:
            given = [k for k in ("calculator", "inputs", "expr") if k in m]
            if len(given) != 1:
                raise SpecError(
                    f"wrong_methods.yaml {calc_id}.{m.get('name')}: give one of {given}"
                )
            items.append(
                WrongMethod(
                    name=str(m["name"]),
                    why=str(m["why"]),
                    calculator=m.get("calculator"),
                    inputs=tuple(sorted((m.get("inputs") or {}).items())),
                    expr=m.get("expr"),
                )
            )
        out[calc_id] = tuple(items)
    return out


def methods_for(calc_id: str, alternatives: Iterable[str] = ()) -> list[WrongMethod]:
    """The wrong methods of ``calc_id``: its table entries, then each listed alternative
    calculator not already in the table."""
    methods = list(_table().get(calc_id, ()))
    named = {m.calculator for m in methods}
    for alt in alternatives:
        if alt not in named:
            methods.append(WrongMethod(f"{alt}", f"uses {alt} instead of {calc_id}", alt))
    return methods


def _answer(calc_id: str, m: WrongMethod, inputs: dict[str, Any]) -> WrongAnswer | None:
    try:
        if m.calculator is not None:
            fields = set(get(m.calculator).inputs.model_fields)
            given = {k: v for k, v in inputs.items() if k in fields}
            value = compute(m.calculator, given).value
            return WrongAnswer(m.name, value, m.why, m.calculator, given)
        if m.inputs:
            given = {**inputs, **dict(m.inputs)}
            return WrongAnswer(m.name, compute(calc_id, given).value, m.why, calc_id, given)
        assert m.expr is not None
        canonical = compute(calc_id, inputs).inputs
        value = evaluate(m.expr, canonical)
    except (CalculatorError, ZeroDivisionError, SpecError, TypeError, ValueError):
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return WrongAnswer(m.name, round(float(value), 3), m.why, None, dict(inputs))


def wrong_answers(
    calc_id: str,
    inputs: dict[str, Any],
    units: dict[str, str],
    alternatives: Iterable[str] = (),
) -> list[WrongAnswer]:
    """Every wrong method's answer for a case (methods the calculator refuses are left out),
    then every real unit confusion's."""
    out = [a for m in methods_for(calc_id, alternatives) if (a := _answer(calc_id, m, inputs))]
    confusions = load("controls.yaml")["confusions"]
    rng = random.Random(0)  # order does not matter here: all confusions are computed
    for mistake in unit_confusions(calc_id, inputs, units, confusions, rng):
        why = mistake.why
        out.append(
            WrongAnswer(f"unit_{mistake.field}", mistake.value, why, calc_id, mistake.inputs)
        )
    return out


def wrong_method_controls(
    answers: list[WrongAnswer], rule: AnswerRule, retrieve: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """One negative control per formula wrong method the rule marks wrong (unit confusions have
    their own ``wrong_unit`` control): the retrievals (EHR), the method, and its answer; the
    ``answer`` checkpoint must fail."""
    from .v0 import call, finish  # v0 builds its tasks with this module

    out: list[dict[str, Any]] = []
    for a in answers:
        if a.name.startswith("unit_") or rule.is_correct(a.value):
            continue
        steps = [call(a.calculator, a.inputs)] if a.calculator else []
        how = f" (runs {a.calculator})" if a.calculator else " (by hand)"
        out.append(
            {
                "name": f"wrong_method_{a.name}",
                "actions": [*(retrieve or []), *steps, finish(a.value)],
                "why": f"{a.why}{how}: answers {a.value}",
                "must_fail": ["answer"],
            }
        )
    return out
