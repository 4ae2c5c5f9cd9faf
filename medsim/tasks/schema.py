"""The task schema (docs/writing-a-suite.md): a task is data — patient, clinical "now", instruction, allowed
tools, scenario overlay, checkpoints, rubric, scoring, a reference solution and negative controls.

Every model forbids unknown fields, so a misspelt key in a task file is an error, not a silently
ignored option.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from medsim.grading.criteria import RubricCriterion

__all__ = [
    "Action",
    "CheckpointSpec",
    "NegativeControl",
    "RubricCriterion",
    "Scoring",
    "Task",
    "TaskMetadata",
]

#: An action in any format the env accepts: a JSON tool call dict, a text line, or plain text.
Action = str | dict[str, Any]

_STRICT = ConfigDict(extra="forbid")


class _Data(BaseModel):
    """A model whose equality is its fields: private attributes (where a task came from, the
    grader-parsed params) are bookkeeping, not task data."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]


class CheckpointSpec(_Data):
    """One execution-grounded check, run by the grader registered as ``grader``."""

    model_config = _STRICT

    id: str = Field(min_length=1)
    grader: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    weight: float = Field(default=1.0, ge=0)
    gate: bool = False  # safety gate: when it fails the task score is 0
    description: str = ""
    #: (params, parsed params) once the grader registry validated them (at task load); kept
    #: here so graders do not re-validate every step. Not part of the task data.
    _validated: tuple[dict[str, Any], Any] | None = PrivateAttr(default=None)
    #: (parsed params, live dependencies) from ``registry.spec_depends``; not task data either.
    _depends: tuple[Any, Any] | None = PrivateAttr(default=None)
    #: What the checkpoint measures, for reports (PhysicianBench: data_retrieval,
    #: clinical_reasoning, action_execution, documentation). Free text; no effect on grading.
    category: str | None = None


class Scoring(BaseModel):
    """How checkpoints and rubric combine into the task score, and what counts as success."""

    model_config = _STRICT

    checkpoint_weight: float = Field(default=1.0, ge=0)
    rubric_weight: float = Field(default=0.0, ge=0)
    pass_threshold: float = Field(default=1.0, ge=0, le=1)


class NegativeControl(BaseModel):
    """A scripted wrong trajectory that must score ``<= max_score`` and below 1.0; the
    checkpoints named in ``must_fail`` must not pass in its run (e.g. a wrong method's answer
    must fail the ``answer`` checkpoint, not only lower the score)."""

    model_config = _STRICT

    name: str = Field(min_length=1)
    actions: list[Action]
    max_score: float = Field(default=0.99, ge=0, le=1)
    must_fail: list[str] = Field(default_factory=list)
    why: str


class TaskMetadata(BaseModel):
    """Descriptive data: difficulty, tags, provenance and known problems of the task."""

    model_config = _STRICT

    difficulty: Literal["easy", "medium", "hard"] = "medium"
    tags: list[str] = Field(default_factory=list)
    source: str = ""
    issues: list[str] = Field(default_factory=list)
    #: Suite-specific descriptive data (a suite validates its own shape, e.g. PhysicianBench's
    #: task type, requesting clinician, citations and review record). Never read by graders.
    details: dict[str, Any] = Field(default_factory=dict)


class Task(_Data):
    """One clinical task over one patient at one clinical moment."""

    model_config = _STRICT

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    suite: str = Field(min_length=1)
    version: int = Field(default=0, ge=0)
    split: Literal["train", "dev", "test"] = "test"
    specialty: str
    workflow: str  # query, action, conditional_action, documentation, calculation ...
    patient: str = Field(min_length=1)
    now: datetime
    instruction: str = Field(min_length=1)
    context: str = ""
    tools: list[str] = Field(min_length=1)
    max_steps: int = Field(default=30, ge=1)
    overlay: list[dict[str, Any]] = Field(default_factory=list)
    checkpoints: list[CheckpointSpec] = Field(default_factory=list)
    rubric: list[RubricCriterion] = Field(default_factory=list)
    scoring: Scoring = Field(default_factory=Scoring)
    reference_solution: list[Action] = Field(min_length=1)
    negative_controls: list[NegativeControl] = Field(default_factory=list)
    metadata: TaskMetadata = Field(default_factory=TaskMetadata)
    #: Where the task was read from ("file" or "file:line"), set by the loader; errors name it.
    _source: str = PrivateAttr(default="")

    @property
    def source(self) -> str:
        """The file (and position) the task was loaded from, or "" for a task built in code."""
        return self._source

    @field_validator("now")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("must include a timezone, e.g. 2024-03-14T09:00:00+00:00")
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> Task:
        for label, ids in (
            ("checkpoint", [c.id for c in self.checkpoints]),
            ("negative control", [n.name for n in self.negative_controls]),
            ("tool", list(self.tools)),
        ):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"duplicate {label} {', '.join(dupes)}")
        if not self.checkpoints and not self.rubric:
            raise ValueError("a task needs at least one checkpoint or rubric criterion")
        scored = sum(c.weight for c in self.checkpoints if not c.gate)
        weight = (self.scoring.checkpoint_weight if scored > 0 else 0.0) + (
            self.scoring.rubric_weight if self.rubric else 0.0
        )
        gates_only = not self.rubric and all(c.gate for c in self.checkpoints)
        if weight == 0 and not gates_only:
            raise ValueError(
                "nothing would be scored: the scored (non-gate) checkpoints weigh 0 in all (or "
                "scoring.checkpoint_weight is 0) and no rubric carries scoring.rubric_weight > 0"
            )
        known = {c.id for c in self.checkpoints}
        for control in self.negative_controls:
            unknown = sorted(set(control.must_fail) - known)
            if unknown:
                raise ValueError(
                    f"negative control {control.name}: must_fail names unknown checkpoint(s) "
                    f"{', '.join(unknown)}"
                )
        return self

    def negative_control(self, name: str) -> NegativeControl:
        """The negative control called ``name`` (KeyError listing the names otherwise)."""
        for control in self.negative_controls:
            if control.name == name:
                return control
        names = ", ".join(c.name for c in self.negative_controls) or "none"
        raise KeyError(f"task {self.id} has no negative control {name!r} (has: {names})")
