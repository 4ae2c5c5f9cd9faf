"""The dialogue graders and their matching rules, on hand-built episode records."""

from __future__ import annotations

from typing import Any

import pytest

from medsim.environments.dialogue import graders  # noqa: F401  (registers the graders)
from medsim.environments.dialogue.matching import (
    diagnosis_verdict,
    icd_equivalent,
    mentions,
    plan_hits,
    primary,
)
from medsim.grading.checkpoints.registry import (
    GradeContext,
    GradingError,
    get_grader,
    run_checkpoint,
    validate_params,
)
from medsim.grading.record import EpisodeRecord, ToolCall
from medsim.tasks.schema import Task

NAMES = ["Inferior ST-elevation myocardial infarction", "inferior STEMI", "STEMI"]
CODES = ["I21.19", "I21.3"]


@pytest.mark.parametrize(
    ("answer", "icd", "ok"),
    [
        ("Inferior STEMI", None, True),
        ("inferior st-elevation myocardial infarction", None, True),
        ("Acute inferior STEMI from RCA occlusion", None, True),
        ("STEMI or pericarditis", None, True),  # the first item is the diagnosis
        ("Pericarditis or STEMI", None, False),  # a shotgun list counts its first item only
        ("not a STEMI; pericarditis", None, False),
        ("rule out STEMI", None, False),
        ("NSTEMI", None, False),
        ("Myocardial infarction", "I21.19", True),  # ICD-10-CM equal
        ("Myocardial infarction", "I21.3", True),
        ("MI (I21.19)", None, True),  # code written in the answer
        ("Myocardial infarction", "I21", False),  # parent category: also covers NSTEMI
        ("Myocardial infarction", "I21.4", False),  # a sibling (NSTEMI)
        ("", None, False),
    ],
)
def test_diagnosis_verdict(answer: str, icd: str | None, ok: bool) -> None:
    assert diagnosis_verdict(answer, icd, NAMES, CODES)[0] is ok


def test_icd_children_match_but_not_parents_or_siblings() -> None:
    assert icd_equivalent("I21.19", ["I21.1"]) and icd_equivalent("i21.19", ["I21.19"])
    assert icd_equivalent("E11.65", ["E11"])
    assert icd_equivalent("E110", ["E11"]) is False and icd_equivalent("I21.1", ["I21.19"]) is False
    assert icd_equivalent("I22.1", ["I21.1"]) is False


def test_primary_item() -> None:
    assert primary("Pulmonary embolism vs pneumonia") == "Pulmonary embolism"
    assert primary("PE / pneumothorax") == "PE"
    assert primary("  ") == ""
    assert primary(" ; PE") == "PE"  # blank items are skipped


@pytest.mark.parametrize(
    ("plan", "phrase", "present"),
    [
        ("Activate the cath lab for primary PCI.", "primary PCI", True),
        ("Do not discharge home.", "discharge home", False),
        ("Avoid NSAIDs; start pantoprazole", "nsaids", False),
        ("Avoid NSAIDs; start pantoprazole", "pantoprazole", True),
        (
            "Admit, but discharge home tomorrow if stable",
            "discharge home",
            True,
        ),  # "but" ends the clause
        ("No anticoagulation needed", "anticoagulation", False),
        ("Anticoagulation with apixaban", "anticoagulation", True),
        ("Hold aspirin until the aneurysm is secured", "aspirin", False),
        ("Start heparin drip", "heparin", True),
        ("Start low-molecular-weight heparin", "low molecular weight heparin", True),
        ("enoxaparinx", "enoxaparin", False),  # whole words only
        ("No need for more tests discharge home", "discharge home", True),  # cue 5 words back
        ("No need for tests discharge home", "discharge home", False),  # cue 4 words back
        ("aspirin", "", False),
    ],
)
def test_plan_mentions(plan: str, phrase: str, present: bool) -> None:
    assert mentions(plan, phrase) is present


def test_plan_hits_lists_present_phrases() -> None:
    assert plan_hits(
        "cath lab; aspirin 325 mg; no thrombolysis", ["aspirin", "thrombolysis", "cath lab"]
    ) == [
        "aspirin",
        "cath lab",
    ]


TASK = Task.model_validate(
    {
        "id": "t",
        "suite": "dialogue",
        "specialty": "cardiology",
        "workflow": "diagnostic_interview",
        "patient": "pat-0042",
        "now": "2025-03-03T10:00:00+00:00",
        "instruction": "x",
        "tools": ["ask_patient"],
        "checkpoints": [{"id": "c", "grader": "dialogue_plan_item", "params": {"any_of": ["x"]}}],
        "reference_solution": ["x"],
    }
)


def record(questions: list[str], submit: dict[str, Any] | None = None) -> EpisodeRecord:
    calls = [
        ToolCall(step=i, name="ask_patient", arguments={"question": q}, result={"patient": "..."})
        for i, q in enumerate(questions, 1)
    ]
    calls.append(
        ToolCall(step=50, name="ask_patient", arguments={"question": "radiation?"}, error="bad")
    )
    if submit is not None:
        calls.append(ToolCall(step=99, name="submit_diagnosis", arguments={}, result=submit))
    return EpisodeRecord(task_id="t", tool_calls=calls)


def grade(name: str, params: dict[str, Any], rec: EpisodeRecord, final: bool = True) -> str:
    return run_checkpoint(name, params, GradeContext(TASK, rec, None, final=final)).status


ASKED = {"fact": "radiation", "intents": ["radiation", "arm"], "others": {"onset": ["onset"]}}


def test_asked_passes_on_a_matching_question_only() -> None:
    assert (
        grade("dialogue_asked", ASKED, record(["When did it start?", "Does it spread anywhere?"]))
        == "passed"
    )
    assert grade("dialogue_asked", ASKED, record(["When did it start?"])) == "failed"
    assert grade("dialogue_asked", ASKED, record(["When did it start?"]), final=False) == "pending"
    # the failed call with an error does not count, even though its question matches
    assert grade("dialogue_asked", ASKED, record([])) == "failed"


def test_asked_evidence_names_the_question() -> None:
    ctx = GradeContext(TASK, record(["When did it start?", "Does it spread?"]), None)
    result = run_checkpoint("dialogue_asked", ASKED, ctx)
    assert result.evidence.startswith("question 2 ('Does it spread?')")
    assert get_grader("dialogue_asked").monotone  # a question once asked stays asked


def test_params_are_validated() -> None:
    validate_params("dialogue_diagnosis", {"names": ["STEMI"]})
    validate_params("dialogue_asked", {"fact": "x", "intents": ["y"]})
    for grader, params in [
        ("dialogue_diagnosis", {"names": []}),
        ("dialogue_asked", {"fact": "", "intents": ["y"]}),
        ("dialogue_asked", {"fact": "x", "intents": []}),
        ("dialogue_plan_item", {"any_of": []}),
        ("dialogue_plan_safe", {"any_of": ["x"], "extra": 1}),
    ]:
        with pytest.raises(GradingError):
            validate_params(grader, params)


def test_only_successful_submit_calls_count() -> None:
    params = {"names": NAMES, "icd10": CODES}
    failed_submit = ToolCall(
        step=9, name="submit_diagnosis", arguments={}, result=dict(SUB), error="bad"
    )
    rec = EpisodeRecord(task_id="t", tool_calls=[failed_submit])
    assert grade("dialogue_diagnosis", params, rec) == "failed"
    asked_last = ToolCall(step=9, name="ask_patient", arguments={"question": "x"}, result=dict(SUB))
    rec = EpisodeRecord(task_id="t", tool_calls=[asked_last])
    assert grade("dialogue_diagnosis", params, rec) == "failed"


def test_asked_respects_the_per_question_cap() -> None:
    crowded = {
        "fact": "radiation",
        "intents": ["radiation"],
        "others": {"a": ["fever"], "b": ["cough"], "c": ["rash"], "radiation": ["radiation"]},
    }
    # three other facts come first in the case order and use up the cap of 3
    assert (
        grade("dialogue_asked", crowded, record(["Fever, cough, rash or radiation?"])) == "failed"
    )
    assert grade("dialogue_asked", crowded, record(["Radiation?"])) == "passed"


SUB = {"answer": "Inferior STEMI", "note": "cath lab; aspirin", "icd10": None}


def test_diagnosis_grader() -> None:
    params = {"names": NAMES, "icd10": CODES}
    assert grade("dialogue_diagnosis", params, record([], SUB)) == "passed"
    assert (
        grade("dialogue_diagnosis", params, record([], {**SUB, "answer": "Pericarditis"}))
        == "failed"
    )
    assert grade("dialogue_diagnosis", params, record([])) == "failed"
    assert grade("dialogue_diagnosis", params, record([]), final=False) == "pending"
    moderated = {**SUB, "answer": "Heart attack of the inferior wall", "moderator": "Yes"}
    assert grade("dialogue_diagnosis", params, record([], moderated)) == "passed"
    assert (
        grade("dialogue_diagnosis", {**params, "moderator": False}, record([], moderated))
        == "failed"
    )
    assert (
        grade("dialogue_diagnosis", params, record([], {**moderated, "moderator": "no"}))
        == "failed"
    )


def test_plan_graders() -> None:
    assert grade("dialogue_plan_item", {"any_of": ["aspirin"]}, record([], SUB)) == "passed"
    assert grade("dialogue_plan_item", {"any_of": ["heparin"]}, record([], SUB)) == "failed"
    assert grade("dialogue_plan_item", {"any_of": ["aspirin"]}, record([])) == "failed"
    safe = {"any_of": ["discharge home"], "why": "STEMI"}
    assert grade("dialogue_plan_safe", safe, record([], SUB)) == "passed"
    assert (
        grade("dialogue_plan_safe", safe, record([], {**SUB, "note": "discharge home"})) == "failed"
    )
    assert (
        grade("dialogue_plan_safe", safe, record([], {**SUB, "note": "never discharge home"}))
        == "passed"
    )
    assert grade("dialogue_plan_safe", safe, record([])) == "passed"  # nothing submitted
    assert grade("dialogue_plan_safe", safe, record([]), final=False) == "pending"
