"""``medsim.grading.score.combine`` on hand-built outcomes: every breakdown entry worked out by hand.

Rules (docs/grading.md): non-gate checkpoints share ``checkpoint_weight`` in proportion to their
weights; a judged rubric shares ``rubric_weight``, each criterion worth share x points x met /
positive points, clipped to [0, share] with the clip shown as ``rubric/clip``; absent components
drop out of the denominator; a failed gate zeroes the score; a task made only of gates scores 1
when they pass (but not when it also has a rubric that was not judged).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from medsim.grading import Grade
from medsim.grading.rubric_adapter import RubricOutcome
from medsim.grading.score import combine


def task(
    *specs: tuple[str, float, bool], cw: float = 0.5, rw: float = 0.5, rubric: Any = None
) -> Any:
    return SimpleNamespace(
        checkpoints=[SimpleNamespace(id=i, weight=w, gate=g) for i, w, g in specs],
        scoring=SimpleNamespace(checkpoint_weight=cw, rubric_weight=rw),
        rubric=rubric,
    )


def outcomes(**status: str) -> dict[str, Any]:
    return {k: {"status": v} for k, v in status.items()}


def test_one_checkpoint_of_weight_one_is_the_whole_score() -> None:
    score, gated, breakdown = combine(task(("c", 1.0, False)), outcomes(c="passed"), None)
    assert (score, gated, breakdown) == (1.0, False, {"checkpoint/c": 1.0})


def test_zero_weight_checkpoints_leave_the_rubric_alone() -> None:
    # checkpoints weigh nothing: the rubric is the whole score (5 of 10 positive points = 0.5)
    rubric = RubricOutcome(0.5, [("a", 5.0, 1.0), ("b", 5.0, 0.0)], positive_points=10.0)
    score, _, breakdown = combine(
        task(("c", 0.0, False), rubric=["x"]), outcomes(c="passed"), rubric
    )
    assert score == 0.5
    assert breakdown == {"checkpoint/c": 0.0, "rubric/a": 0.5, "rubric/b": 0.0}


def test_a_negative_rubric_is_clipped_at_zero_and_the_clip_shown() -> None:
    # share 0.5; harm: 0.5 x -1 x 1 / 4 = -0.125; the score -0.25 clips to 0: clip +0.125
    rubric = RubricOutcome(-0.25, [("good", 4.0, 0.0), ("harm", -1.0, 1.0)], positive_points=4.0)
    score, _, breakdown = combine(
        task(("c", 1.0, False), rubric=["x"]), outcomes(c="passed"), rubric
    )
    assert breakdown == {
        "checkpoint/c": 0.5, "rubric/good": 0.0, "rubric/harm": -0.125, "rubric/clip": 0.125,
    }  # fmt: skip
    assert score == 0.5


def test_a_rubric_above_one_is_clipped_at_its_share() -> None:
    # checkpoint failed: 0; rubric 1.2 clips to 1.0 x share 0.5 = 0.5, and its criterion gives 0.5
    rubric = RubricOutcome(1.2, [("a", 4.0, 1.0)], positive_points=4.0)
    score, _, breakdown = combine(
        task(("c", 1.0, False), rubric=["x"]), outcomes(c="failed"), rubric
    )
    assert breakdown == {"checkpoint/c": 0.0, "rubric/a": 0.5}
    assert score == 0.5


def test_a_rubric_without_positive_points_gives_its_criteria_nothing() -> None:
    rubric = RubricOutcome(0.0, [("harm", -2.0, 0.0)], positive_points=0.0)
    score, _, breakdown = combine(
        task(("c", 1.0, False), rubric=["x"]), outcomes(c="passed"), rubric
    )
    assert breakdown == {"checkpoint/c": 0.5, "rubric/harm": 0.0}
    assert score == 0.5


def test_a_task_of_gates_only() -> None:
    gates = task(("g", 1.0, True))
    assert combine(gates, outcomes(g="passed"), None) == (1.0, False, {"gates": 1.0})
    assert combine(gates, outcomes(g="failed"), None) == (0.0, True, {"gates": 1.0, "gate/g": -1.0})
    # with a rubric the judge did not grade: passing the gates is not the task
    with_rubric = task(("g", 1.0, True), rubric=["x"])
    score, gated, breakdown = combine(with_rubric, outcomes(g="passed"), RubricOutcome(None))
    assert (score, gated, breakdown) == (0.0, False, {"rubric/ungraded": 0.0})


def test_a_grade_without_the_gated_field_reads_as_not_gated() -> None:
    old = Grade.model_validate({"score": 1.0, "success": True, "checkpoints": {}, "breakdown": {}})
    assert old.gated is False


@pytest.mark.parametrize(("status", "expected"), [("passed", 0.25), ("failed", 0.0)])
def test_weights_are_proportional(status: str, expected: float) -> None:
    # weights 1 and 3, no rubric: the first is worth 1/4 of the score
    t = task(("a", 1.0, False), ("b", 3.0, False))
    score, _, breakdown = combine(t, outcomes(a=status, b="failed"), None)
    assert breakdown == {"checkpoint/a": expected, "checkpoint/b": 0.0} and score == expected
