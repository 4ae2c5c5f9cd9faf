"""Tasks as data: the schema (:class:`Task` and its parts) and the YAML/JSON loader."""

from medsim.tasks.loader import TaskLoadError, load_task_file, load_tasks, parse_task
from medsim.tasks.schema import (
    Action,
    CheckpointSpec,
    NegativeControl,
    RubricCriterion,
    Scoring,
    Task,
    TaskMetadata,
)

__all__ = [
    "Action",
    "CheckpointSpec",
    "NegativeControl",
    "RubricCriterion",
    "Scoring",
    "Task",
    "TaskLoadError",
    "TaskMetadata",
    "load_task_file",
    "load_tasks",
    "parse_task",
]
