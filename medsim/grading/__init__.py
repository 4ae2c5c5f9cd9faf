"""Execution-grounded grading: checkpoint graders, rubric scoring, task score and rewards.

Contract API (see docs/grading.md)::

    grade(task, record, store, judge=None) -> Grade
    checkpoint_status(task, record, store) -> {id: {status, evidence, weight, gate}}
    DenseReward(task).step(record, store) / .finish(grade)
    EpisodeRecord / ToolCall (save/load JSON), @checkpoint("name", params=Model)

Graders read the episode's tool results, its EHR writes and the store, never the agent's claims.
Nothing here imports ``medsim.tasks`` at import time (the task schema imports the rubric model
from this package).
"""

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
