"""The process side of a MedCalc-EHR-v0 task: which retrievals it checks, the reference
trajectory (read the patient, fetch each result, review conditions/medications, calculate,
finish), and the negative controls built from it (no lookup, wrong answer, wrong unit, a missed
retrieval, the wrong calculator)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from medsim.calculators import CalculatorError, compute

from ..grading import AnswerRule
from .chart import PatientChart
from .controls import unit_confusions, wrong_unit
from .data import load
from .methods import WrongAnswer, wrong_method_controls
from .sampling import evaluate
from .v0 import call, control, finish


@dataclass
class Plan:
    """One sampled case: the patient, its overlay, and the inputs as the chart states them."""

    calc_id: str
    patient: PatientChart
    now: datetime
    overlay: list[dict[str, Any]] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # all values, hidden ones included
    derives: dict[str, str] = field(default_factory=dict)  # input -> expression
    inputs: dict[str, Any] = field(default_factory=dict)  # what calculate gets
    shown: dict[str, Any] = field(default_factory=dict)  # charted value (unit dict if needed)
    concepts: dict[str, list[str]] = field(default_factory=dict)  # observation -> input names
    criteria: dict[str, str] = field(default_factory=dict)  # input -> criterion name
    present: list[str] = field(default_factory=list)  # criteria the chart shows
    uses_patient: bool = False
    truth: Any = None


def _crit_kind(cfg: dict[str, Any], criterion: str) -> str:
    return "medications" if "medications" in cfg["criteria"][criterion] else "conditions"


def _kinds(cfg: dict[str, Any], plan: Plan) -> set[str]:
    return {_crit_kind(cfg, c) for c in plan.criteria.values()}


def _retrieved(cid: str, rtype: str, codes: list[str] | None, what: str) -> dict[str, Any]:
    params: dict[str, Any] = {"resource_type": rtype}
    if codes:
        params["code"] = {"codes": codes}
    return {
        "id": cid,
        "grader": "data_retrieved",
        "params": params,
        "description": f"The agent retrieved {what}.",
    }


def _loinc(cfg: dict[str, Any], concept: str) -> tuple[str, str]:
    src = cfg["panels"].get(concept) or cfg["observations"][concept]
    return str(src["loinc"]), str(src["text"]).lower()


def retrieval_checkpoints(cfg: dict[str, Any], plan: Plan) -> list[dict[str, Any]]:
    """One data_retrieved checkpoint per chart source of an input."""
    out: list[dict[str, Any]] = []
    if plan.uses_patient:
        out.append(_retrieved("retrieved_patient", "Patient", None, "the Patient (age, sex)"))
    for concept in plan.concepts:
        code, text = _loinc(cfg, concept)
        out.append(
            _retrieved(
                f"retrieved_{concept}", "Observation", [f"{cfg['loinc']}|{code}"], f"the {text}"
            )
        )
    kinds = _kinds(cfg, plan)
    present = [c for c in plan.present]
    for criterion in present:
        crit = cfg["criteria"][criterion]
        if "medications" in crit:
            codes = [
                f"{cfg['rxnorm']}|{cfg['medications'][m]['rxnorm']}" for m in crit["medications"]
            ]
            out.append(_retrieved(f"retrieved_{criterion}", "MedicationRequest", codes, criterion))
        else:
            codes = []
            for name in crit["conditions"]:
                c = cfg["conditions"][name]
                codes += [f"{cfg['snomed']}|{c['snomed']}", f"{cfg['icd10']}|{c['icd10']}"]
            out.append(_retrieved(f"retrieved_{criterion}", "Condition", codes, criterion))
    present_kinds = {_crit_kind(cfg, c) for c in present}
    if "conditions" in kinds and "conditions" not in present_kinds:
        out.append(_retrieved("conditions_reviewed", "Condition", None, "the problem list"))
    if "medications" in kinds and "medications" not in present_kinds and plan.patient.medications:
        out.append(
            _retrieved("medications_reviewed", "MedicationRequest", None, "the medication list")
        )
    return out


def _search(rtype: str, params: dict[str, str]) -> dict[str, Any]:
    return {"name": "fhir_search", "arguments": {"resource_type": rtype, "params": params}}


def retrieval_steps(plan: Plan, cfg: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(what, action) for every retrieval of the reference trajectory, in order."""
    pid = plan.patient.id
    steps: list[tuple[str, dict[str, Any]]] = []
    if plan.uses_patient:
        steps.append(
            ("patient", {"name": "fhir_read", "arguments": {"resource_type": "Patient", "id": pid}})
        )
    for concept in plan.concepts:
        code, _ = _loinc(cfg, concept)
        params = {"patient": pid, "code": f"{cfg['loinc']}|{code}", "_sort": "-date", "_count": "1"}
        steps.append((f"obs:{concept}", _search("Observation", params)))
    kinds = _kinds(cfg, plan)
    if "conditions" in kinds:
        steps.append(("conditions", _search("Condition", {"patient": pid, "_count": "200"})))
    if "medications" in kinds:
        steps.append(
            ("medications", _search("MedicationRequest", {"patient": pid, "_count": "200"}))
        )
    return steps


def reference_actions(plan: Plan, cfg: dict[str, Any]) -> list[dict[str, Any]]:
    """Retrieve everything, calculate with the chart's values, finish with the truth."""
    steps = [a for _, a in retrieval_steps(plan, cfg)]
    return [*steps, call(plan.calc_id, plan.inputs), finish(plan.truth)]


def _graded_wrong(calc_id: str, inputs: dict[str, Any], rule: AnswerRule) -> Any | None:
    try:
        value = compute(calc_id, inputs).value
    except CalculatorError:
        return None
    return None if rule.is_correct(value) else value


def _without(plan: Plan, cfg: dict[str, Any], what: str) -> dict[str, Any] | None:
    """The inputs a careless agent would pass without the retrieval ``what`` (None: cannot)."""
    normal = load("controls.yaml")["normal_values"]
    values = dict(plan.values)
    inputs = dict(plan.inputs)
    if what.startswith("obs:"):
        for name in plan.concepts[what[4:]]:
            default = normal.get(name.lstrip("_"))
            if default is None:
                return None
            values[name] = default[0] if isinstance(default, list) else default
            if not name.startswith("_"):
                given = (
                    {"value": default[0], "unit": default[1]}
                    if isinstance(default, list)
                    else default
                )
                inputs[name] = given
    elif what in ("conditions", "medications"):
        for name, criterion in plan.criteria.items():
            if _crit_kind(cfg, criterion) == what:
                values[name] = False
                if not name.startswith("_"):
                    inputs[name] = False
    else:
        return None
    for name, expr in plan.derives.items():
        inputs[name] = bool(evaluate(expr, values))
    return inputs


def controls(
    plan: Plan,
    rule: AnswerRule,
    cfg: dict[str, Any],
    units: dict[str, str],
    required: set[str],
    rng: random.Random,
    answers: list[WrongAnswer],
) -> list[dict[str, Any]]:
    """The task's negative controls (see the module doc); each one's answer must fail."""
    steps = retrieval_steps(plan, cfg)
    retrieve = [a for _, a in steps]
    wrong = rule.wrong()
    fail = ["answer"]
    out = [
        control("no_lookup", [finish(wrong)], f"answers {wrong!r} without reading the chart", fail),
        control(
            "wrong_answer",
            [*retrieve, call(plan.calc_id, plan.inputs), finish(wrong)],
            f"does every step right but reports {wrong!r}",
            fail,
        ),
    ]
    confusions = load("controls.yaml")["confusions"]
    unit = wrong_unit(unit_confusions(plan.calc_id, plan.inputs, units, confusions, rng), rule)
    if unit is not None:
        out.append(
            control(
                "wrong_unit",
                [*retrieve, call(plan.calc_id, unit.inputs), finish(unit.value)],
                f"{unit.why}: the calculator returns {unit.value}",
            )
        )
    order = [what for what, _ in steps if what != "patient"]
    rng.shuffle(order)
    for what in order:
        inputs = _without(plan, cfg, what)
        value = None if inputs is None else _graded_wrong(plan.calc_id, inputs, rule)
        if inputs is not None and value is not None:
            kept = [a for w, a in steps if w != what]
            out.append(
                control(
                    "missed_input",
                    [*kept, call(plan.calc_id, inputs), finish(value)],
                    f"skips the {what.replace('obs:', '')} lookup and assumes normal/absent: "
                    f"the calculator returns {value}",
                    fail,
                )
            )
            break
    # The wrong calculator (ehr.yaml alternatives) and every other wrong method: the accepted
    # range was narrowed so that each of them is rejected (methods.py), so none is dropped.
    alternatives = set(cfg["calculators"][plan.calc_id].get("alternatives", []))
    for a in answers:
        if (
            a.calculator is not None
            and a.calculator in alternatives
            and a.calculator != plan.calc_id
            and not rule.is_correct(a.value)
        ):
            out.append(
                control(
                    "wrong_calculator",
                    [*retrieve, call(a.calculator, a.inputs), finish(a.value)],
                    f"uses {a.calculator} instead of {plan.calc_id}: {a.value}",
                    fail,
                )
            )
            break
    others = [
        a for a in answers if a.calculator not in alternatives or a.calculator == plan.calc_id
    ]
    out.extend(wrong_method_controls(others, rule, retrieve))
    return out
