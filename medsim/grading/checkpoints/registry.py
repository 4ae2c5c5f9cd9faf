"""The checkpoint registry: ``@checkpoint("name", params=Model)`` on ``fn(ctx, **params)``.

A checkpoint grader is a pure function of a :class:`GradeContext` (task, episode record, FHIR store)
and its parameters, returning a :class:`CheckResult`. Parameters are declared as a pydantic model
(``extra="forbid"``), so a task file with a misspelt or missing parameter fails when the task is
loaded (:func:`validate_params`), not in the middle of an evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from medsim.fhir.interface import FhirClient
from medsim.grading.record import EpisodeRecord


class GradingError(ValueError):
    """A grader was misconfigured (unknown name, bad parameters); the message names the problem."""


# ---- the task as graders see it (structural: medsim.tasks.schema.Task satisfies it) -----------


class CheckpointSpecLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def grader(self) -> str: ...
    @property
    def params(self) -> Mapping[str, Any]: ...
    @property
    def weight(self) -> float: ...
    @property
    def gate(self) -> bool: ...


class ScoringLike(Protocol):
    @property
    def checkpoint_weight(self) -> float: ...
    @property
    def rubric_weight(self) -> float: ...
    @property
    def pass_threshold(self) -> float: ...


class TaskLike(Protocol):
    """The fields of ``medsim.tasks.schema.Task`` the graders read."""

    @property
    def id(self) -> str: ...
    @property
    def patient(self) -> str: ...
    @property
    def now(self) -> datetime: ...
    @property
    def checkpoints(self) -> Sequence[CheckpointSpecLike]: ...
    @property
    def rubric(self) -> Sequence[Any]: ...
    @property
    def scoring(self) -> ScoringLike: ...


# ---- results and context ----------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """A grader's verdict. ``pending``: cannot be decided yet (episode still running, no store)."""

    passed: bool
    evidence: str
    pending: bool = False

    @property
    def status(self) -> str:
        return "pending" if self.pending else ("passed" if self.passed else "failed")


def passed(evidence: str) -> CheckResult:
    return CheckResult(True, evidence)


def failed(evidence: str) -> CheckResult:
    return CheckResult(False, evidence)


def pending(evidence: str) -> CheckResult:
    return CheckResult(False, evidence, pending=True)


@dataclass
class GradeContext:
    """What a grader may read. ``final`` is False while the episode is still running (then checks
    that can only be decided at the end, like "nothing was ordered", report pending). ``cache``
    holds chart queries so dense rewards do not repeat them every step."""

    task: TaskLike
    record: EpisodeRecord
    store: FhirClient | None = None
    final: bool = True
    cache: dict[Any, Any] = field(default_factory=dict)

    @property
    def patient_id(self) -> str:
        return self.task.patient

    @property
    def now(self) -> datetime:
        return self.task.now


# ---- registry ---------------------------------------------------------------------------------


class NoParams(BaseModel):
    """Parameters of a grader that takes none."""

    model_config = ConfigDict(extra="forbid")


GraderFn = Callable[..., CheckResult]


@dataclass(frozen=True)
class Grader:
    name: str
    fn: GraderFn
    params: type[BaseModel]
    family: str
    monotone: bool = False  # once passed, more steps cannot make it fail (live status may reuse it)

    @property
    def description(self) -> str:
        return (self.fn.__doc__ or self.name).strip()


_REGISTRY: dict[str, Grader] = {}


def checkpoint(
    name: str, params: type[BaseModel] = NoParams, *, monotone: bool = False
) -> Callable[[GraderFn], GraderFn]:
    """Register ``fn(ctx: GradeContext, **params) -> CheckResult`` under ``name``.

    ``monotone=True`` declares that a pass can never be undone by later steps (e.g. "the agent
    retrieved the potassium"): live status during an episode then reuses the pass instead of
    re-running the grader every step. Final grading always re-runs every grader."""

    def register(fn: GraderFn) -> GraderFn:
        if name in _REGISTRY:
            raise RuntimeError(f"checkpoint grader {name!r} registered twice")
        family = fn.__module__.rsplit(".", 1)[-1]
        _REGISTRY[name] = Grader(name=name, fn=fn, params=params, family=family, monotone=monotone)
        return fn

    return register


def graders() -> dict[str, Grader]:
    """Every registered grader by name (importing the package registers them all)."""
    import medsim.grading.checkpoints  # noqa: F401

    return dict(_REGISTRY)


def get_grader(name: str) -> Grader:
    reg = graders()
    if name not in reg:
        raise GradingError(f"unknown checkpoint grader {name!r}; known: {', '.join(sorted(reg))}")
    return reg[name]


def validate_params(grader: str, params: Mapping[str, Any]) -> BaseModel:
    """Parse a checkpoint's params with its grader's model; errors name the grader and field."""
    g = get_grader(grader)
    try:
        return g.params.model_validate(dict(params))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(params)'}: {e['msg']}" for e in exc.errors()
        )
        raise GradingError(f"grader {grader!r}: invalid params: {problems}") from None


def run_checkpoint(grader: str, params: Mapping[str, Any], ctx: GradeContext) -> CheckResult:
    """Validate ``params`` and run the grader. Graders never see unvalidated parameters."""
    model = validate_params(grader, params)
    fn = get_grader(grader).fn
    kwargs = {name: getattr(model, name) for name in type(model).model_fields}
    return fn(ctx, **kwargs)
