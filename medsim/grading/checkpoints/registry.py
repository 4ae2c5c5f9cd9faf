"""The checkpoint registry: ``@checkpoint("name", params=Model)`` on ``fn(ctx, **params)``.

A checkpoint grader is a pure function of a :class:`GradeContext` (task, episode record, FHIR store)
and its parameters, returning a :class:`CheckResult`. Parameters are declared as a pydantic model
(``extra="forbid"``), so a task file with a misspelt or missing parameter fails when the task is
loaded (:func:`validate_params`), not in the middle of an evaluation.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from medsim.fhir.interface import FhirClient
from medsim.grading.checkpoints.depends import Depends
from medsim.grading.record import EpisodeRecord
from medsim.named_registry import NamedRegistry, origin_of


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
    checkpoint: str = ""  # id of the checkpoint being graded (set by ``score.checkpoint_status``)

    def state(self) -> dict[str, Any]:
        """Scratch space one checkpoint keeps from one live evaluation to the next (in
        ``cache``), for graders that work incrementally; empty when grading is final or the
        checkpoint is unnamed, so a final grade is always computed from the whole record."""
        if self.final or not self.checkpoint:
            return {}
        key = ("state", self.checkpoint)
        out: dict[str, Any] | None = self.cache.get(key)
        if out is None:  # (not setdefault: it would build a new dict every step)
            out = self.cache[key] = {}
        return out

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
#: A grader's live dependencies: fixed, computed from its validated params, or None (everything).
DependsSpec = Depends | Callable[[Any], Depends] | None


@dataclass(frozen=True)
class Grader:
    name: str
    fn: GraderFn
    params: type[BaseModel]
    family: str
    monotone: bool = False  # once passed, more steps cannot make it fail (live status may reuse it)
    depends: DependsSpec = None  # what can change its live verdict (None: anything, re-run always)

    @property
    def description(self) -> str:
        return (self.fn.__doc__ or self.name).strip()


#: Modules whose import registers the built-in graders (one per family). A suite ships its own
#: graders by naming their modules in ``Suite.grader_modules``.
BUILTIN_MODULES = tuple(
    f"medsim.grading.checkpoints.{family}"
    for family in (
        "answers",
        "calculators",
        "notes",
        "orders",
        "retrieval",
        "safety",
        "sequence",
        "workspace",
    )
)

GRADERS: NamedRegistry[Grader] = NamedRegistry(
    "checkpoint grader", BUILTIN_MODULES, origin=lambda g: origin_of(g.fn), unknown=GradingError
)


def checkpoint(
    name: str,
    params: type[BaseModel] = NoParams,
    *,
    monotone: bool = False,
    depends: DependsSpec = None,
) -> Callable[[GraderFn], GraderFn]:
    """Register ``fn(ctx: GradeContext, **params) -> CheckResult`` under ``name``.

    ``monotone=True`` declares that a pass can never be undone by later steps (e.g. "the agent
    retrieved the potassium"): live status during an episode then reuses the pass instead of
    re-running the grader every step. ``depends`` declares the events that can change its live
    verdict (a :class:`~medsim.grading.checkpoints.depends.Depends`, or a function of the validated
    params returning one); live status re-runs the grader only after such an event, and a grader
    that declares nothing is re-run every step. Final grading always re-runs every grader. Names follow the
    registry rule of :mod:`medsim.named_registry` (a different function under a taken name is an
    error; the same function again, e.g. a module reload, replaces it)."""

    def register(fn: GraderFn) -> GraderFn:
        family = fn.__module__.rsplit(".", 1)[-1]
        GRADERS.add(
            name,
            Grader(
                name=name, fn=fn, params=params, family=family, monotone=monotone, depends=depends
            ),
        )
        return fn

    return register


def graders() -> dict[str, Grader]:
    """Every registered grader by name (the built-in ones are imported on first use)."""
    return GRADERS.items()


def builtin_graders() -> dict[str, Grader]:
    """medsim's own graders (not those a suite registered through ``Suite.grader_modules``)."""
    return {n: g for n, g in graders().items() if g.fn.__module__.startswith("medsim.grading.")}


def load_grader_modules(modules: Sequence[str]) -> None:
    """Import modules whose ``@checkpoint`` functions register more graders (a suite's own)."""
    GRADERS.load_modules(modules)


def get_grader(name: str) -> Grader:
    """The grader called ``name``; an unknown name raises :class:`GradingError`."""
    return GRADERS.get(name)


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


def _kept(spec: CheckpointSpecLike, name: str) -> Any:
    """What this module kept on ``spec`` as ``name`` (None if nothing). A pydantic spec keeps it
    in its private values (``__pydantic_private__``), read directly: ``getattr`` of a private
    attribute goes through ``BaseModel.__getattr__`` (~1 µs), and live grading reads it for
    every checkpoint it runs, every step."""
    private = getattr(spec, "__pydantic_private__", None)
    if isinstance(private, dict):
        return private.get(name)
    return getattr(spec, name, None)


def validated_params(spec: CheckpointSpecLike) -> BaseModel:
    """``spec``'s params parsed by its grader's model, parsed once per spec: the result is kept on
    the spec (``CheckpointSpec._validated``) with a copy of the params it came from, so graders
    run every step without re-validating, and a spec whose params were changed is re-parsed."""
    cached = _kept(spec, "_validated")
    if cached is not None and cached[0] == spec.params:
        return cached[1]  # type: ignore[no-any-return]
    model = validate_params(spec.grader, spec.params)
    with contextlib.suppress(AttributeError, TypeError, ValueError):
        spec._validated = (_snapshot(spec.params), model)  # type: ignore[attr-defined]
    return model


def _snapshot(params: Mapping[str, Any]) -> dict[str, Any]:
    """An independent copy of ``params`` that compares equal to them, to notice later changes.
    Params read from task files are JSON: an orjson round trip copies them ~10x faster than
    ``copy.deepcopy`` (which was ~85 % of validating the 1,200 PhysicianBench train tasks at
    ``make``); anything that does not come back equal (tuples, non-string keys, NaN, objects)
    is deep-copied."""
    try:
        copied = orjson.loads(orjson.dumps(params))
    except TypeError:  # orjson.JSONEncodeError: not plain JSON
        return copy.deepcopy(dict(params))
    return copied if copied == params else copy.deepcopy(dict(params))  # type: ignore[no-any-return]


def spec_depends(spec: CheckpointSpecLike) -> Depends | None:
    """What can change ``spec``'s live verdict (None: anything). Kept on the spec beside its
    validated params (see :func:`validated_params`), so it is worked out once per spec."""
    model = validated_params(spec)
    cached = _kept(spec, "_depends")
    if cached is not None and cached[0] is model:
        return cached[1]  # type: ignore[no-any-return]
    declared = get_grader(spec.grader).depends
    deps = declared(model) if callable(declared) else declared
    with contextlib.suppress(AttributeError, TypeError, ValueError):
        spec._depends = (model, deps)  # type: ignore[attr-defined]
    return deps


def checkpoint_problems(task: TaskLike) -> list[str]:
    """Each checkpoint of ``task`` whose grader is unknown or rejects its params, as
    ``"checkpoints.<id>: grader 'x': invalid params: field: reason"`` (the task loader prefixes
    file and task). Run when tasks are loaded, so a misspelt parameter fails at ``make``."""
    problems = []
    for spec in task.checkpoints:
        try:
            validated_params(spec)
        except GradingError as exc:
            problems.append(f"checkpoints.{spec.id}: {exc}")
    return problems


def _call(grader: str, model: BaseModel, ctx: GradeContext) -> CheckResult:
    fn = get_grader(grader).fn
    return fn(ctx, **model.__dict__)  # a pydantic model's __dict__: its fields, by name


def run_checkpoint(grader: str, params: Mapping[str, Any], ctx: GradeContext) -> CheckResult:
    """Validate ``params`` and run the grader. Graders never see unvalidated parameters."""
    return _call(grader, validate_params(grader, params), ctx)


def run_spec(spec: CheckpointSpecLike, ctx: GradeContext) -> CheckResult:
    """Run a task's checkpoint with its params validated once (see :func:`validated_params`).

    While an episode runs (``ctx.final`` False: live status, every step) the grader function and
    its parsed params are looked up once per episode and kept in ``ctx.cache``: comparing the
    spec's params with the copy they were parsed from costs more than many graders' own work
    there. So a spec whose params were changed during an episode is re-parsed from that
    episode's final grade, and live from the next episode on."""
    if ctx.final:
        return _call(spec.grader, validated_params(spec), ctx)
    key = ("run", spec.id)
    found: tuple[GraderFn, dict[str, Any]] | None = ctx.cache.get(key)
    if found is None:
        model = validated_params(spec)
        found = ctx.cache[key] = (get_grader(spec.grader).fn, model.__dict__)
    return found[0](ctx, **found[1])
