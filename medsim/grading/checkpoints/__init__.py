"""Checkpoint graders: a registry plus one module per family.

The built-in families are listed once, in ``registry.BUILTIN_MODULES``, and imported on the first
lookup (so importing this package stays cheap); ``graders()`` lists them, ``run_checkpoint`` runs
one with validated parameters. See docs/grading.md for each grader's parameters.
"""

from medsim.grading.checkpoints.registry import (
    CheckResult,
    GradeContext,
    Grader,
    GradingError,
    TaskLike,
    checkpoint,
    get_grader,
    graders,
    load_grader_modules,
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
    "load_grader_modules",
    "run_checkpoint",
    "validate_params",
]
