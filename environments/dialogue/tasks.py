"""Dialogue cases -> ordinary medsim ``Task``s (test and train splits, both environments).

The **test** split binds each case to its named test patient. The **train** split instantiates
every scenario on other cohort patients that fit its ``patient.criteria`` and host no test case
of the suite, drawn deterministically from (case id, version, index, seed) — the PhysicianBench
template rule (:func:`medsim.tasks.templates.seed_for`, :class:`medsim.tasks.profiles.
Eligibility`).

Each task carries: the presentation as its instruction (plus, in the partial variant, the
initial facts), the dialogue tools, checkpoints (diagnosis, must-ask and red-flag questions,
required plan items, dangerous-plan gates), a reference solution built from the case (asks
every must-ask and red-flag question, examines, orders every test, submits the diagnosis and a
plan with the required items) and three negative controls: guess without asking, wrong
diagnosis, dangerous plan. The diagnosis is a ``diagnosis:<name>`` tag in the task metadata.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from medsim.environments.dialogue.case import Case, CaseError
from medsim.environments.dialogue.chart import chart_overrides
from medsim.tasks.loader import parse_task
from medsim.tasks.profiles import Eligibility, Profile, profiles
from medsim.tasks.schema import Task
from medsim.tasks.templates import seed_for

BASE_TOOLS = ["ask_patient", "request_exam", "request_test", "fhir_search", "fhir_read"]
MAX_STEPS = 40
#: Checkpoint weights: the diagnosis outweighs any single history item (AgentClinic scores the
#: diagnosis alone; MedDialogRubrics adds the interview items).
W_DIAGNOSIS, W_DIFFERENTIAL, W_ITEM = 4.0, 1.0, 1.0


def eligibility(case: Case) -> Eligibility:
    """The case's patient criteria as the template engine's eligibility rule."""
    c = case.patient.criteria
    return Eligibility(
        min_age=c.min_age,
        max_age=c.max_age,
        sex=[] if c.sex == "any" else [c.sex],
        exclude_conditions=c.exclude_conditions,
        require_conditions=c.require_conditions,
        exclude_ingredients=c.exclude_ingredients,
    )


def _profile(case: Case, patient: str) -> Profile:
    prof = profiles().get(patient)
    if prof is None:
        raise CaseError(f"{case.path}: patient {patient} is not in the cohort")
    return prof


def _asked_checks(case: Case, partial: bool) -> list[dict[str, Any]]:
    initial = {f.id for f in case.facts if f.initial}
    others = {f.id: list(f.intents) for f in case.facts}
    by_id = {f.id: f for f in case.facts}
    out = []
    for fid in dict.fromkeys([*case.red_flags, *case.must_ask]):
        if partial and fid in initial:
            continue  # already known in the partial case: asking again earns nothing
        f = by_id[fid]
        red = fid in case.red_flags
        out.append(
            {
                "id": f"{'red_flag' if red else 'ask'}_{fid}",
                "grader": "dialogue_asked",
                "params": {
                    "fact": fid,
                    "intents": list(f.intents),
                    "category": f.category,
                    "system": f.system,
                    "others": others,
                },
                "weight": W_ITEM,
                "category": "red_flag" if red else "history",
            }
        )
    return out


def checkpoints(case: Case, partial: bool = False) -> list[dict[str, Any]]:
    """The task's checkpoints (see module docstring)."""
    dx = {"names": case.names(), "icd10": case.diagnosis.icd10}
    out: list[dict[str, Any]] = [
        {
            "id": "diagnosis",
            "grader": "dialogue_diagnosis",
            "params": dx,
            "weight": W_DIAGNOSIS,
            "category": "diagnosis",
        }
    ]
    if case.differential_ok:
        out.append(
            {
                "id": "diagnosis_or_differential",
                "grader": "dialogue_diagnosis",
                "params": {**dx, "names": [*case.names(), *case.differential_ok]},
                "weight": W_DIFFERENTIAL,
                "category": "diagnosis",
            }
        )
    out += _asked_checks(case, partial)
    out += [
        {
            "id": f"plan_{item.id}",
            "grader": "dialogue_plan_item",
            "params": {"any_of": item.any_of},
            "weight": W_ITEM,
            "category": "plan",
        }
        for item in case.plan.required
    ]
    out += [
        {
            "id": f"danger_{item.id}",
            "grader": "dialogue_plan_safe",
            "params": {"any_of": item.any_of, "why": item.why},
            "gate": True,
            "category": "safety",
        }
        for item in case.plan.dangerous
    ]
    return out


def _ask(question: str) -> dict[str, Any]:
    return {"name": "ask_patient", "arguments": {"question": question}}


def _submit(diagnosis: str, plan: str, icd10: str | None = None) -> dict[str, Any]:
    args: dict[str, Any] = {"diagnosis": diagnosis, "plan": plan}
    if icd10:
        args["icd10"] = icd10
    return {"name": "submit_diagnosis", "arguments": args}


def reference_plan(case: Case) -> str:
    """A plan naming the first phrase of every required item."""
    return "; ".join(item.any_of[0] for item in case.plan.required) or "Follow-up as needed"


def interview(case: Case, partial: bool = False) -> list[Any]:
    """The reference's questions (the first as plain text), exams and tests."""
    initial = {f.id for f in case.facts if f.initial}
    actions: list[Any] = []
    asked = [
        f
        for f in dict.fromkeys([*case.red_flags, *case.must_ask])
        if not partial or f not in initial
    ]
    for fid, question in case.questions_for(asked).items():
        if question is None:  # load_case already refuses such a case
            raise CaseError(f"{case.path}: fact {fid} cannot be reached by a question")
        actions.append(question if not actions else _ask(question))
    actions += [{"name": "request_exam", "arguments": {"system": e.system}} for e in case.exam]
    actions += [{"name": "request_test", "arguments": {"name": t.name}} for t in case.tests]
    return actions


def controls(case: Case, partial: bool) -> list[dict[str, Any]]:
    """Guess without asking, wrong diagnosis, dangerous plan (when the case has one)."""
    steps = interview(case, partial)
    plan = reference_plan(case)
    right = _submit(case.diagnosis.name, plan, case.diagnosis.icd10[0])
    first_ask = _asked_checks(case, partial)
    out: list[dict[str, Any]] = [
        {
            "name": "guess_without_asking",
            "actions": [right],
            "must_fail": [first_ask[0]["id"]] if first_ask else [],
            "why": "the right diagnosis and plan without taking a history (ProMed/MediQ: "
            "answering before asking)",
        },
        {
            "name": "wrong_diagnosis",
            "actions": [*steps, _submit(case.wrong_diagnosis, plan)],
            "must_fail": ["diagnosis"],
            "why": "a full interview, then a wrong diagnosis",
        },
    ]
    if case.plan.dangerous:
        bad = case.plan.dangerous[0]
        out.append(
            {
                "name": "dangerous_plan",
                "actions": [
                    *steps,
                    _submit(
                        case.diagnosis.name, f"{plan}; {bad.any_of[0]}", case.diagnosis.icd10[0]
                    ),
                ],
                "max_score": 0.0,
                "must_fail": [f"danger_{bad.id}"],
                "why": f"the right diagnosis, but the plan includes {bad.any_of[0]!r}: {bad.why}",
            }
        )
    return out


def instruction(
    case: Case, prof: Profile, now: datetime, partial: bool, split: str = "test"
) -> str:
    """What the agent is told at reset (never the diagnosis)."""
    p = case.presentation
    age = prof.age(now)
    lines = [
        f"A {age}-year-old {prof.sex} patient ({prof.id}) is seen in the {case.setting}. "
        f"Chief complaint: {p.chief_complaint}.",
        f'The patient says: "{p.opening_statement}"',
    ]
    if partial:
        answers = chart_overrides(case.facts, prof) if split == "train" else {}
        known = [f"- {answers.get(f.id, f.answer)}" for f in case.facts if f.initial]
        lines.append("What you know so far (the patient's own words):\n" + "\n".join(known))
    lines.append(
        "Take a history by asking the patient (ask_patient, or plain text), examine "
        "(request_exam), order tests (request_test) and read the chart (fhir_search, fhir_read) "
        "as needed; then call submit_diagnosis with the single most likely diagnosis and your "
        "management plan."
        + (
            " If you cannot decide with what you can learn, call abstain instead of guessing."
            if partial
            else ""
        )
    )
    return "\n\n".join(lines)


def build_task(
    case: Case,
    patient: str,
    *,
    split: str = "test",
    task_id: str | None = None,
    partial: bool = False,
) -> Task:
    """One task of ``case`` on ``patient`` (errors name the case file)."""
    prof = _profile(case, patient)
    problems = eligibility(case).problems(prof, case.now)
    if problems:
        raise CaseError(f"{case.path}: patient {patient} does not fit the criteria: {problems}")
    tools = BASE_TOOLS + (["abstain"] if partial else []) + ["submit_diagnosis"]
    data = {
        "id": task_id or case.id,
        "suite": "dialogue_partial" if partial else "dialogue",
        "version": case.version,
        "split": split,
        "specialty": case.specialty,
        "workflow": "diagnostic_interview",
        "patient": patient,
        "now": case.now.isoformat(),
        "instruction": instruction(case, prof, case.now, partial, split),
        "tools": tools,
        "max_steps": MAX_STEPS,
        "checkpoints": checkpoints(case, partial),
        "reference_solution": [
            *interview(case, partial),
            _submit(case.diagnosis.name, reference_plan(case), case.diagnosis.icd10[0]),
        ],
        "negative_controls": controls(case, partial),
        "metadata": {
            "difficulty": case.difficulty,
            "tags": [f"diagnosis:{case.diagnosis.name}", "dialogue", f"setting:{case.setting}"],
            "source": f"medsim dialogue case {case.id} v{case.version}",
            "details": {
                "case_id": case.id,
                "case_file": case.path,
                "citations": [c.model_dump() for c in case.citations],
                "review": case.review.model_dump(),
            },
        },
    }
    return parse_task(data, case.path)


def test_patients(cases: list[Case]) -> set[str]:
    """Patients hosting a test case (never used for training)."""
    return {c.patient.test for c in cases}


def train_patients(case: Case, exclude: set[str], count: int, seed: int) -> list[str]:
    """``count`` distinct eligible patients for ``case`` outside ``exclude`` (fewer when fewer
    are eligible), drawn without replacement from (case id, version, seed)."""
    rule = eligibility(case)
    pool = [
        pid
        for pid, prof in profiles().items()
        if pid not in exclude and not rule.problems(prof, case.now)
    ]
    if not pool:
        return []
    rng = np.random.default_rng(seed_for(case.id, case.version, seed))
    picks = rng.choice(len(pool), size=min(count, len(pool)), replace=False)
    return [pool[int(i)] for i in picks]


def train_tasks(
    cases: list[Case], count: int | None = None, seed: int = 0, partial: bool = False
) -> list[Task]:
    """Train instances of every case on other compatible patients (see module docstring)."""
    exclude = test_patients(cases)
    tasks = []
    for case in cases:
        n = case.train.count if count is None else count
        for i, patient in enumerate(train_patients(case, exclude, n, seed)):
            tid = f"{case.id}-train-{i:04d}"
            tasks.append(build_task(case, patient, split="train", task_id=tid, partial=partial))
    return sorted(tasks, key=lambda t: t.id)


__all__ = [
    "build_task",
    "checkpoints",
    "controls",
    "eligibility",
    "instruction",
    "interview",
    "reference_plan",
    "test_patients",
    "train_patients",
    "train_tasks",
]
