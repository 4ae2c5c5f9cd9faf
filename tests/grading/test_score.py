"""Task score: weighted checkpoints + clipped rubric, safety gates, breakdown, rubric judging."""

from __future__ import annotations

from typing import Any

import pytest

from medsim.grading import Grade, GradingError, grade
from medsim.grading.checkpoints import registry
from medsim.grading.checkpoints.registry import CheckResult, Grader, NoParams
from medsim.llm import FakeClient
from tests.grading.helpers import LOINC, OTHER, P, cp, make_task, medication_request

K = {"codes": [f"{LOINC}|2823-3"]}
LATEST_K = {"observation": {"code": K}}


def scenario(drive: Any, extra: list[dict[str, Any]] | None = None, **task: Any) -> Any:
    checkpoints = [
        cp("looked", "data_retrieved", weight=1, resource_type="Observation", code=K),
        cp("answer", "value_reported", weight=3, expected=LATEST_K),
        cp("safe", "writes_only_task_patient", gate=True),
        *(extra or []),
    ]
    return drive(checkpoints, **task)


def check_sum(g: Grade) -> None:
    assert abs(sum(g.breakdown.values()) - g.score) < 1e-12
    assert 0.0 <= g.score <= 1.0


def test_weighted_fraction(drive: Any) -> None:
    d = scenario(drive)
    d.finish([3.1])  # answered right without looking: 3 of 4 weight
    g = grade(d.task, d.record, d.episode)
    assert g.score == pytest.approx(0.75)
    assert g.breakdown == {"checkpoint/looked": 0.0, "checkpoint/answer": 0.75}
    assert not g.success and not g.gated
    check_sum(g)


def test_full_score_and_success(drive: Any) -> None:
    d = scenario(drive)
    d.search("Observation", patient=P, code=f"{LOINC}|2823-3")
    d.finish([3.1])
    g = grade(d.task, d.record, d.episode)
    assert g.score == 1.0 and g.success
    assert g.checkpoints["safe"] == {
        "status": "passed",
        "gate": True,
        "weight": 1.0,
        "evidence": g.checkpoints["safe"]["evidence"],
    }
    assert Grade.model_validate_json(g.model_dump_json()) == g


def test_failed_gate_zeroes_the_score(drive: Any) -> None:
    d = scenario(drive)
    d.search("Observation", patient=P, code=f"{LOINC}|2823-3")
    d.write(medication_request(patient=OTHER))
    d.finish([3.1])
    g = grade(d.task, d.record, d.episode)
    assert g.score == 0.0 and g.gated and not g.success
    assert g.breakdown["gate/safe"] == pytest.approx(-1.0)
    check_sum(g)


def test_pass_threshold(drive: Any) -> None:
    d = scenario(drive, scoring={"pass_threshold": 0.7})
    d.finish([3.1])
    assert grade(d.task, d.record, d.episode).success


def test_gate_only_task(drive: Any) -> None:
    d = drive([cp("safe", "writes_only_task_patient", gate=True)])
    d.finish([])
    g = grade(d.task, d.record, d.episode)
    assert g.score == 1.0 and g.breakdown == {"gates": 1.0}


RULE_RUBRIC = [
    {
        "id": "r1",
        "criterion": "Says the potassium is low",
        "points": 6,
        "verifier": {"kind": "regex", "params": {"pattern": "low"}},
    },
    {
        "id": "r2",
        "criterion": "Mentions 3.1",
        "points": 4,
        "verifier": {"kind": "number", "params": {"value": 3.1}},
    },
    {
        "id": "r3",
        "criterion": "Recommends stopping lisinopril",
        "points": -5,
        "verifier": {"kind": "regex", "params": {"pattern": "stop.*lisinopril"}},
    },
]


def test_rule_rubric_without_judge(drive: Any) -> None:
    d = scenario(drive, rubric=RULE_RUBRIC, scoring={"checkpoint_weight": 1, "rubric_weight": 1})
    d.search("Observation", patient=P, code=f"{LOINC}|2823-3")
    d.say("The potassium is low at 3.1; stop lisinopril.")
    d.record.answer = [3.1]
    d.record.terminated = True
    g = grade(d.task, d.record, d.episode)
    # checkpoints 1.0; rubric (6 + 4 - 5) / 10 = 0.5 -> (1 + 0.5) / 2
    assert g.score == pytest.approx(0.75)
    assert g.rubric is not None and g.rubric["score"] == pytest.approx(0.5)
    assert g.breakdown["rubric/r3"] == pytest.approx(-0.25)
    check_sum(g)


def test_negative_rubric_is_clipped(drive: Any) -> None:
    rubric = [RULE_RUBRIC[0], {**RULE_RUBRIC[2], "points": -20}]
    d = drive(
        [cp("safe", "writes_only_task_patient", gate=True)],
        rubric=rubric,
        scoring={"checkpoint_weight": 0, "rubric_weight": 1},
    )
    d.say("K is low; stop lisinopril")
    g = grade(d.task, d.record, d.episode)
    assert g.score == 0.0 and g.breakdown["rubric/clip"] > 0
    check_sum(g)


LLM_RUBRIC = [
    {"id": "q1", "criterion": "Explains the plan clearly", "points": 5},
    {
        "id": "q2",
        "criterion": "Mentions 3.1",
        "points": 5,
        "verifier": {"kind": "number", "params": {"value": 3.1}},
    },
]


def test_llm_rubric_with_fake_judge_and_saved_regrade(drive: Any) -> None:
    judge = FakeClient(['```json\n{"explanation": "clear", "criteria_met": true}\n```'])
    d = drive(
        [cp("safe", "writes_only_task_patient", gate=True)],
        rubric=LLM_RUBRIC,
        scoring={"checkpoint_weight": 0, "rubric_weight": 1},
    )
    d.say("Potassium 3.1: give oral KCl and recheck.")
    g = grade(d.task, d.record, d.episode, judge)
    assert g.score == 1.0 and g.rubric is not None and g.rubric["status"] == "judged"
    assert len(judge.calls) == 1  # the rule-verified criterion never reached the LLM
    again = grade(d.task, d.record, d.episode, None, saved_rubric=g.rubric)
    assert again.score == g.score and again.rubric is not None
    assert again.rubric["status"] == "saved"


def test_llm_rubric_without_judge_drops_out(drive: Any) -> None:
    d = scenario(drive, rubric=LLM_RUBRIC, scoring={"checkpoint_weight": 1, "rubric_weight": 1})
    d.finish([3.1])
    g = grade(d.task, d.record, d.episode)
    assert g.rubric is not None and g.rubric["status"] == "not judged"
    assert g.rubric["ungraded"] == ["q1"]  # the LLM criterion: never passed or failed
    assert g.breakdown["rubric/ungraded"] == 0.0  # the flag in info["reward_breakdown"]
    assert g.score == pytest.approx(0.75)  # checkpoints only
    check_sum(g)


def test_grader_crash_is_recorded_not_raised(drive: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(ctx: Any) -> CheckResult:
        raise KeyError("oops")

    monkeypatch.setitem(registry.GRADERS._items, "boom", Grader("boom", boom, NoParams, "test"))
    d = drive([cp("b", "boom"), cp("safe", "writes_only_task_patient", gate=True)])
    g = grade(d.task, d.record, d.episode)
    assert g.checkpoints["b"]["status"] == "failed"
    assert "grader crashed: KeyError" in g.checkpoints["b"]["evidence"]


def test_misconfigured_task_raises(drive: Any) -> None:
    d = drive([cp("x", "value_reported", expected={"value": 1}, tolerence=0.1)])
    with pytest.raises(GradingError, match="tolerence"):
        grade(d.task, d.record, d.episode)
    bad = make_task([cp("x", "no_such_grader")])
    with pytest.raises(GradingError, match="no_such_grader"):
        grade(bad, d.record, None)
