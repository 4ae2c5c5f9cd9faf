"""Execution-grounded grading: checkpoint graders, rubric scoring, task score and rewards.

Contract API (see docs/grading.md)::

    grade(task, record, store, judge=None) -> Grade
    checkpoint_status(task, record, store) -> {id: {status, evidence, weight, gate}}
    DenseReward(task).step(record, store) / .finish(grade)
    EpisodeRecord / ToolCall (save/load JSON), @checkpoint("name", params=Model)

Graders read the episode's tool results, its EHR writes and the store, never the agent's claims.
Importing this package imports nothing else: names are resolved on first use, so the task
schema can import the rubric's data model (``medsim.grading.criteria``) cheaply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from medsim.lazy import lazy_attributes

if TYPE_CHECKING:
    from medsim.grading.checkpoints import (
        CheckResult,
        GradeContext,
        GradingError,
        checkpoint,
        get_grader,
        graders,
        run_checkpoint,
        validate_params,
    )
    from medsim.grading.record import EpisodeRecord, RecordedWrite, ToolCall, WrittenResource
    from medsim.grading.rewards import DenseReward
    from medsim.grading.score import CheckpointOutcome, Grade, checkpoint_status, combine, grade

#: name -> module: imported on first access, so ``import medsim.grading.criteria`` (what the task
#: schema needs) does not pull in every grader, the calculators and the LLM clients.
_LAZY = {
    **dict.fromkeys(
        [
            "CheckResult",
            "GradeContext",
            "GradingError",
            "checkpoint",
            "get_grader",
            "graders",
            "run_checkpoint",
            "validate_params",
        ],
        "medsim.grading.checkpoints",
    ),
    **dict.fromkeys(
        ["EpisodeRecord", "RecordedWrite", "ToolCall", "WrittenResource"], "medsim.grading.record"
    ),
    "DenseReward": "medsim.grading.rewards",
    **dict.fromkeys(
        ["CheckpointOutcome", "Grade", "checkpoint_status", "combine", "grade"],
        "medsim.grading.score",
    ),
}


__getattr__ = lazy_attributes("medsim.grading", _LAZY)


__all__ = [
    "CheckResult",
    "CheckpointOutcome",
    "DenseReward",
    "EpisodeRecord",
    "Grade",
    "RecordedWrite",
    "GradeContext",
    "GradingError",
    "ToolCall",
    "WrittenResource",
    "checkpoint",
    "checkpoint_status",
    "combine",
    "get_grader",
    "grade",
    "graders",
    "run_checkpoint",
    "validate_params",
]
