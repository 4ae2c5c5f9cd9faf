"""Checkpoint graders: a registry plus one module per family.

Importing this package registers every grader; ``graders()`` lists them, ``run_checkpoint`` runs
one with validated parameters. See docs/grading.md for each grader's parameters.
"""

from medsim.grading.checkpoints import (  # noqa: F401  (importing registers the graders)
    answers,
    calculators,
    notes,
    orders,
    retrieval,
    safety,
    sequence,
    workspace,
)
from medsim.grading.checkpoints.registry import (
    CheckResult,
    GradeContext,
    Grader,
    GradingError,
    TaskLike,
    checkpoint,
    get_grader,
    graders,
    run_checkpoint,
    validate_params,
)

__all__ = [
    "CheckResult",
    "GradeContext",
    "Grader",
    "GradingError",
    "TaskLike",
    "checkpoint",
    "get_grader",
    "graders",
    "run_checkpoint",
    "validate_params",
]
