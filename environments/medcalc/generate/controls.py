"""Negative controls: wrong inputs a careless agent would pass, kept only when they really give
a wrong answer (by the task's own rule).

* **wrong unit**: an input the note/chart gives in another unit passed as a bare number (read
  as the canonical unit), or a canonical-unit number passed with a confusable unit label
  (``data/controls.yaml`` ``confusions``, per input: creatinine mg/dL vs µmol/L, weight kg vs
  lb, height cm vs in ... only confusions that really happen);
* **missed input**: an optional input left out (a finding not reported counts as absent, a
  default is used), or a required one replaced by a "normal" value (``normal_values``);
* **wrong answer**: see :meth:`AnswerRule.wrong`.

Candidates are tried in a seeded order; the first one that the calculator accepts and the rule
marks wrong is used, so a control never fails for a boring reason (an invalid input).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from medsim.calculators import CalculatorError, compute

from ..grading import AnswerRule


@dataclass(frozen=True)
class Mistake:
    """Inputs with one mistake, what the calculator then says, and which input was wrong."""

    field: str
    inputs: dict[str, Any]
    value: Any
    why: str


def _value(calc_id: str, inputs: dict[str, Any]) -> Any | None:
    """The calculator's answer for ``inputs``, or None when it refuses them."""
    try:
        return compute(calc_id, inputs).value
    except CalculatorError:
        return None


def _try(calc_id: str, inputs: dict[str, Any], rule: AnswerRule) -> Any | None:
    """The calculator's answer for ``inputs`` when valid and graded wrong, else None."""
    value = _value(calc_id, inputs)
    return None if value is None or rule.is_correct(value) else value


def _number(reported: Any) -> float | None:
    if isinstance(reported, dict) and "value" in reported:
        return float(reported["value"])
    if isinstance(reported, int | float) and not isinstance(reported, bool):
        return float(reported)
    return None


def unit_confusions(
    calc_id: str,
    reported: Mapping[str, Any],
    units: Mapping[str, str],
    confusions: Mapping[str, list[str]],
    rng: random.Random,
) -> list[Mistake]:
    """Every real unit confusion of the reported inputs that the calculator accepts, in a seeded
    order (see the module doc; ``confusions`` is keyed by input name)."""
    ignored: list[str] = []
    relabelled: list[tuple[str, str]] = []
    for name, rep in reported.items():
        if isinstance(rep, dict) and "unit" in rep:
            ignored.append(name)
        elif _number(rep) is not None and name in units:
            relabelled.extend((name, u) for u in confusions.get(name, []))
    rng.shuffle(ignored)
    rng.shuffle(relabelled)
    out: list[Mistake] = []
    for name in ignored:
        rep = reported[name]
        inputs = {**reported, name: rep["value"]}
        value = _value(calc_id, inputs)
        if value is not None:
            why = (
                f"passes {name} = {rep['value']} without its unit ({rep['unit']}), so it is read "
                f"as {units.get(name)}"
            )
            out.append(Mistake(name, inputs, value, why))
    for name, unit in relabelled:
        number = _number(reported[name])
        inputs = {**reported, name: {"value": number, "unit": unit}}
        value = _value(calc_id, inputs)
        if value is not None:
            why = f"passes {name} = {number} as {unit} although it is in {units[name]}"
            out.append(Mistake(name, inputs, value, why))
    return out


def wrong_unit(mistakes: list[Mistake], rule: AnswerRule) -> Mistake | None:
    """The first unit confusion (of :func:`unit_confusions`) the rule marks wrong; None when
    no real confusion changes the answer."""
    for mistake in mistakes:
        if not rule.is_correct(mistake.value):
            return mistake
    return None


def missed_input(
    calc_id: str,
    reported: Mapping[str, Any],
    required: set[str],
    normal_values: Mapping[str, Any],
    rule: AnswerRule,
    rng: random.Random,
) -> Mistake | None:
    """An input left out or replaced by a normal value (see the module doc); None when no such
    mistake changes the answer."""
    dropped = [n for n in reported if n not in required]
    defaulted = [n for n in reported if n in required and n in normal_values]
    lists = [n for n, v in reported.items() if isinstance(v, list) and len(v) > 1]
    rng.shuffle(dropped)
    rng.shuffle(defaulted)
    for name in lists:
        inputs = {**reported, name: list(reported[name])[:-1]}
        value = _try(calc_id, inputs, rule)
        if value is not None:
            return Mistake(name, inputs, value, f"leaves the last item of {name} out")
    for name in dropped:
        inputs = {k: v for k, v in reported.items() if k != name}
        value = _try(calc_id, inputs, rule)
        if value is not None:
            return Mistake(name, inputs, value, f"leaves {name} out (the default is used)")
    for name in defaulted:
        normal = normal_values[name]
        given = {"value": normal[0], "unit": normal[1]} if isinstance(normal, list) else normal
        inputs = {**reported, name: given}
        value = _try(calc_id, inputs, rule)
        if value is not None:
            shown = f"{normal[0]} {normal[1]}" if isinstance(normal, list) else normal
            return Mistake(name, inputs, value, f"misses {name} and assumes a normal {shown}")
    return None
