"""Dense rewards: per-step checkpoint credit that always sums to the terminal score."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from medsim.grading import DenseReward, Grade, grade
from medsim.grading.rubric_adapter import RubricOutcome
from medsim.grading.score import CheckpointOutcome, Status, combine
from tests.grading.helpers import LOINC, P, cp, make_task

STATUS = st.sampled_from(["passed", "failed", "pending"])


@st.composite
def episodes(draw: st.DrawFn) -> tuple[Any, Any, Any, float | None]:
    n = draw(st.integers(1, 6))
    gates = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    weights = draw(st.lists(st.floats(0, 5, allow_nan=False), min_size=n, max_size=n))
    has_rubric = draw(st.booleans())
    rubric = (
        [
            {
                "id": "r",
                "criterion": "x",
                "points": 1.0,
                "verifier": {"kind": "regex", "params": {"pattern": "x"}},
            }
        ]
        if has_rubric
        else []
    )
    scoring = {
        "checkpoint_weight": draw(st.floats(0, 3, allow_nan=False)),
        "rubric_weight": draw(st.floats(0, 3, allow_nan=False)),
    }
    # a task where nothing would be scored is refused by the schema (tests/tasks/test_loader.py)
    scored = sum(w for g, w in zip(gates, weights, strict=True) if not g)
    weight = (scoring["checkpoint_weight"] if scored > 0 else 0) + (
        scoring["rubric_weight"] if has_rubric else 0
    )
    assume(weight > 0 or (all(gates) and not has_rubric))
    task = make_task(
        [
            cp(f"c{i}", "nothing_created", gate=g, weight=w)
            for i, (g, w) in enumerate(zip(gates, weights, strict=True))
        ],
        rubric=rubric,
        scoring=scoring,
    )
    steps = draw(st.lists(st.fixed_dictionaries({f"c{i}": STATUS for i in range(n)}), max_size=8))
    final = draw(
        st.fixed_dictionaries({f"c{i}": st.sampled_from(["passed", "failed"]) for i in range(n)})
    )
    score = draw(st.one_of(st.none(), st.floats(-2, 2, allow_nan=False))) if has_rubric else None
    return task, steps, final, score


def outcome(task: Any, status: dict[str, Status]) -> dict[str, CheckpointOutcome]:
    return {
        s.id: CheckpointOutcome(status=status[s.id], evidence="", weight=s.weight, gate=s.gate)
        for s in task.checkpoints
    }


@settings(max_examples=300, deadline=None)
@given(episodes())
def test_dense_rewards_sum_to_terminal_score(ep: Any) -> None:
    task, steps, final, rubric_score = ep
    dense = DenseReward(task)
    rewards = [dense.credit(outcome(task, s)) for s in steps]
    rubric = None
    if task.rubric:
        rubric = RubricOutcome(rubric_score, [("r", 1.0, 1.0 if rubric_score else 0.0)], 1.0)
    score, gated, breakdown = combine(task, outcome(task, final), rubric)
    g = Grade(
        score=score,
        success=score >= 1,
        checkpoints=outcome(task, final),
        gated=gated,
        breakdown=breakdown,
    )
    rewards.append(dense.finish(g))
    assert sum(rewards) == pytest.approx(g.score, abs=1e-12)
    assert all(r >= 0 for r in rewards[:-1])  # credit is never taken back mid-episode
    assert 0.0 <= g.score <= 1.0
    assert sum(breakdown.values()) == pytest.approx(score, abs=1e-12)


def test_dense_rewards_on_a_real_episode(drive: Any) -> None:
    k = {"codes": [f"{LOINC}|2823-3"]}
    d = drive(
        [
            cp("looked", "data_retrieved", resource_type="Observation", code=k),
            cp("answer", "value_reported", weight=3, expected={"observation": {"code": k}}),
            cp("nothing", "nothing_created", weight=1),
            cp("safe", "writes_only_task_patient", gate=True),
        ]
    )
    dense = DenseReward(d.task)
    assert dense.step(d.record, d.episode) == 0.0
    d.search("Observation", patient=P, code=f"{LOINC}|2823-3")
    assert dense.step(d.record, d.episode) == pytest.approx(0.2)
    d.search("Observation", patient=P, code=f"{LOINC}|2823-3")
    assert dense.step(d.record, d.episode) == 0.0  # paid once
    d.finish([3.1])
    assert dense.step(d.record, d.episode) == pytest.approx(0.6)  # the answer
    g = grade(d.task, d.record, d.episode)
    last = dense.finish(g)
    assert last == pytest.approx(0.2)  # nothing_created decides only at the end
    assert 0.2 + 0.6 + last == pytest.approx(g.score) and g.score == 1.0
    with pytest.raises(RuntimeError):
        dense.finish(g)
