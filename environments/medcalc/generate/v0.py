"""MedCalc-v0 tasks: for every calculator, seeded structured cases rendered as clinical notes,
a question, the truth from :mod:`medsim.calculators`, MedCalc-Bench's answer rule, a reference
solution (``calculate`` with the note's values, then ``finish``) and negative controls.

Every case comes from ``random.Random("medcalc-v0:<seed>:<calculator>:<n>")``, so adding a
calculator or a case never changes the others.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from medsim.calculators import Calculator, CalculatorError, catalog, compute, get

from ..grading import AnswerRule, rule_for
from .controls import missed_input, unit_confusions, wrong_unit
from .data import load
from .methods import WrongAnswer, wrong_answers, wrong_method_controls
from .notes import NoteWriter
from .sampling import Draw, Redraw, draw_case

SUITE = "medcalc"
TOOLS = ["list_calculators", "calculate", "finish"]
MAX_ATTEMPTS = 500
SPECIALTY = {
    "lab": "internal_medicine",
    "physical": "internal_medicine",
    "date": "obstetrics",
    "dosage": "clinical_pharmacology",
    "risk": "internal_medicine",
    "severity": "internal_medicine",
    "diagnosis": "emergency_medicine",
}
FORMAT_HINT = {
    "date": "Call finish with the date as the answer, formatted MM/DD/YYYY.",
    "weeks_days": 'Call finish with the answer formatted "(W weeks, D days)".',
    "integer": "Call finish with the score (a number) as the answer.",
    "range": "Call finish with the number, in the unit asked for, as the answer.",
}
INSTRUCTION = """Read the patient note and answer the question. Findings the note does not \
mention are absent (or normal).

Patient note:
{note}

Question: {question}
{hint}"""


def schema_units(calc: Calculator) -> tuple[dict[str, str], set[str], set[str]]:
    """(input -> canonical unit, every input name, required input names) from the schema."""
    schema = calc.input_schema()
    units: dict[str, str] = {}
    for name, spec in schema.get("properties", {}).items():
        options = [spec, *spec.get("anyOf", [])]
        for option in options:
            if isinstance(option, dict) and option.get("unit"):
                units[name] = str(option["unit"])
                break
    return units, set(schema.get("properties", {})), set(schema.get("required", []))


class CaseBuilder:
    """Builds the tasks of one calculator."""

    def __init__(self, calc_id: str, seed: int) -> None:
        self.calc = get(calc_id)
        self.seed = seed
        cases = load("cases.yaml")
        self.spec = cases["calculators"][calc_id]
        self.defaults = cases.get("defaults", {})
        self.notes = load("notes.yaml")
        self.controls = load("controls.yaml")
        self.units, self.fields, self.required = schema_units(self.calc)
        self.writer = NoteWriter(self.notes, calc_id, self.units, self.fields)

    def _inputs_spec(self, rng: random.Random) -> dict[str, Any]:
        spec = dict(self.spec["inputs"])
        variants = self.spec.get("variants")
        if variants:
            spec.update(rng.choice(variants))
        hidden = {k: v for k, v in self.defaults.items() if k not in spec}
        return {**hidden, **spec}

    def draw(self, rng: random.Random, now: date) -> Draw:
        """A case whose inputs the calculator accepts (redrawn when a constraint fails)."""
        for _ in range(MAX_ATTEMPTS):
            try:
                d = draw_case(self._inputs_spec(rng), rng, now, self.spec.get("require"))
            except Redraw:
                continue
            return d
        raise RuntimeError(f"{self.calc.id}: no valid case in {MAX_ATTEMPTS} draws")

    def task(self, n: int) -> dict[str, Any]:
        """Task number ``n`` (1-based) of this calculator."""
        rng = random.Random(f"medcalc-v0:{self.seed}:{self.calc.id}:{n}")
        now = date(2024, 1, 8) + timedelta(days=rng.randint(0, 360))
        error = ""
        for _ in range(MAX_ATTEMPTS):
            d = self.draw(rng, now)
            rendered = self.writer.render(d, str(rng.choice(self.spec["settings"])), rng)
            try:
                truth = compute(self.calc.id, rendered.reported).value
            except CalculatorError as exc:
                error = str(exc)
                continue
            answers = wrong_answers(self.calc.id, rendered.reported, self.units)
            rule = rule_for(self.calc, truth).narrowed(a.value for a in answers)
            if rule is None:
                error = "a wrong method's answer is too close to the truth"
                continue
            return self._task(n, now, d, rendered.text, rendered.reported, rule, answers, rng)
        raise RuntimeError(f"{self.calc.id}: no computable case in {MAX_ATTEMPTS} draws ({error})")

    def _task(
        self,
        n: int,
        now: date,
        d: Draw,
        note: str,
        reported: dict[str, Any],
        rule: AnswerRule,
        answers: list[WrongAnswer],
        rng: random.Random,
    ) -> dict[str, Any]:
        calc = self.calc
        truth = rule.truth
        question = " ".join(str(self.spec["question"]).split()).format(**d.values)
        instruction = INSTRUCTION.format(note=note, question=question, hint=FORMAT_HINT[rule.kind])
        reference = [call(calc.id, reported), finish(truth)]
        checkpoints = [
            rule.checkpoint(),
            {
                "id": "used_calculator",
                "grader": "calculator_used",
                "params": {"calculator": calc.id},
                "weight": 0.0,
                "description": "Informational (weight 0): the agent ran this calculator.",
            },
        ]
        units_used = sorted(d.units)
        tags = [calc.category, calc.id, f"medcalc-{calc.medcalc_id}"]
        if units_used:
            tags.append("unit-conversion")
        return {
            "id": f"medcalc-{calc.id}-{n:02d}",
            "suite": SUITE,
            "version": 0,
            "split": "test",
            "specialty": self.spec.get("specialty", SPECIALTY[calc.category]),
            "workflow": "calculation",
            "patient": "note",
            "now": f"{now.isoformat()}T09:00:00+00:00",
            "instruction": instruction,
            "tools": list(TOOLS),
            "max_steps": 8,
            "checkpoints": checkpoints,
            "reference_solution": reference,
            "negative_controls": [
                *self.controls_for(reported, rule, rng),
                *wrong_method_controls(answers, rule),
            ],
            "metadata": {
                "difficulty": difficulty(calc, len(reported), bool(units_used)),
                "tags": tags,
                "source": (
                    f"medsim MedCalc-v0 generator (seed {self.seed}); {calc.name} "
                    f"(MedCalc-Bench calculator {calc.medcalc_id}); truth from "
                    "medsim.calculators; answer rule from MedCalc-Bench"
                ),
            },
        }

    def controls_for(
        self, reported: dict[str, Any], rule: AnswerRule, rng: random.Random
    ) -> list[dict[str, Any]]:
        calc_id = self.calc.id
        out: list[dict[str, Any]] = []
        unit = wrong_unit(
            unit_confusions(calc_id, reported, self.units, self.controls["confusions"], rng), rule
        )
        if unit is not None:
            out.append(
                control(
                    "wrong_unit",
                    [call(calc_id, unit.inputs), finish(unit.value)],
                    f"{unit.why}: the calculator returns {unit.value}",
                    must_fail=["answer"],
                )
            )
        missed = missed_input(
            calc_id, reported, self.required, self.controls["normal_values"], rule, rng
        )
        if missed is not None:
            out.append(
                control(
                    "missed_input",
                    [call(calc_id, missed.inputs), finish(missed.value)],
                    f"{missed.why}: the calculator returns {missed.value}",
                    must_fail=["answer"],
                )
            )
        wrong = rule.wrong()
        out.append(
            control(
                "wrong_answer",
                [finish(wrong)],
                f"answers {wrong!r} without calculating",
                must_fail=["answer"],
            )
        )
        return out


def call(calc_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """A ``calculate`` tool call action."""
    return {"name": "calculate", "arguments": {"name": calc_id, "inputs": inputs}}


def finish(answer: Any) -> dict[str, Any]:
    """A ``finish`` tool call action."""
    return {"name": "finish", "arguments": {"answer": answer}}


def control(
    name: str, actions: list[Any], why: str, must_fail: list[str] | None = None
) -> dict[str, Any]:
    """A negative control; ``must_fail`` names checkpoints its run must not pass."""
    out: dict[str, Any] = {"name": name, "actions": actions, "why": why}
    if must_fail:
        out["must_fail"] = list(must_fail)
    return out


def difficulty(calc: Calculator, n_inputs: int, converted: bool) -> str:
    """easy: few inputs in canonical units; hard: many inputs (scores) or unit conversion on top
    of several inputs; medium otherwise."""
    if n_inputs >= 8 or (converted and n_inputs >= 4):
        return "hard"
    if n_inputs <= 3 and not converted:
        return "easy"
    return "medium"


def build(
    seed: int = 0, per_calculator: int = 10, ids: list[str] | None = None
) -> list[dict[str, Any]]:
    """Every MedCalc-v0 task, in calculator (MedCalc-Bench id) order."""
    chosen = ids or [info["id"] for info in catalog()]
    tasks: list[dict[str, Any]] = []
    for calc_id in chosen:
        builder = CaseBuilder(calc_id, seed)
        tasks.extend(builder.task(n) for n in range(1, per_calculator + 1))
    return tasks
