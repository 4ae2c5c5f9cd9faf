"""Task score: checkpoints and rubric combined as the task says, with safety gates.

    score = 0                                  if any gate checkpoint did not pass
          = (cw * C + rw * R) / (cw + rw)      otherwise, where
    C  = sum(weight_i * passed_i) / sum(weight_i)   over non-gate checkpoints
    R  = rubric score (met points / positive points) clipped to [0, 1]
    cw = scoring.checkpoint_weight, rw = scoring.rubric_weight

A component that is absent (no non-gate checkpoints with weight, or a rubric that was not judged)
drops out of the denominator. ``Grade.breakdown`` says who gave what: its values sum to the score.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from typing_extensions import TypedDict

from medsim.fhir.interface import FhirClient
from medsim.grading.checkpoints.depends import Events
from medsim.grading.checkpoints.registry import (
    CheckpointSpecLike,
    CheckResult,
    GradeContext,
    GradingError,
    TaskLike,
    get_grader,
    run_spec,
    spec_depends,
)
from medsim.grading.record import EpisodeRecord
from medsim.grading.rubric_adapter import RubricOutcome, run_rubric

Status = Literal["passed", "failed", "pending"]


class CheckpointOutcome(TypedDict):
    status: Status
    evidence: str
    weight: float
    gate: bool


class Grade(BaseModel):
    """The grade of one episode (JSON-serialisable with ``model_dump(mode="json")``)."""

    model_config = ConfigDict(extra="forbid")

    score: float
    success: bool
    checkpoints: dict[str, CheckpointOutcome]
    rubric: dict[str, Any] | None = None
    gated: bool = False
    breakdown: dict[str, float]


def _run_one(spec: CheckpointSpecLike, ctx: GradeContext) -> CheckResult:
    try:
        return run_spec(spec, ctx)
    except GradingError:
        raise  # a misconfigured task is a bug in the task file, not an agent failure
    except Exception as exc:  # a grader must never lose an episode: record the crash
        return CheckResult(False, f"grader crashed: {type(exc).__name__}: {exc}")


def checkpoint_status(
    task: TaskLike,
    record: EpisodeRecord,
    store: FhirClient | None,
    *,
    final: bool | None = None,
    cache: dict[Any, Any] | None = None,
    changed: Events | None = None,
) -> dict[str, CheckpointOutcome]:
    """Live status of every checkpoint: id -> {status, evidence, weight, gate}. While the episode
    runs (``final`` defaults to record.terminated or record.truncated) undecidable checks are
    "pending".

    Incremental live evaluation: pass ``changed``, the events since the previous call with the
    same ``cache`` (``depends.EventCursor``); a checkpoint whose declared dependencies those events
    do not touch keeps its previous result. None (or a final evaluation) runs every grader.
    Returns a dict that is not changed afterwards: the previous one itself when no checkpoint
    the events touch can change any more (monotone graders that passed), else a new one; the
    next incremental call with the same ``cache`` starts from it (so do not change it)."""
    final = record.finished if final is None else final
    live = cache if cache is not None else {}
    touched = None if final or changed is None else _touched(task, changed, live)
    previous = None if touched is None else live.get(_LAST)
    out: dict[str, CheckpointOutcome] = {}
    specs = task.checkpoints
    if previous is not None and touched is not None:
        if touched[0] <= live.get(_SETTLED, _NONE):
            return previous  # (most steps, once the data a task is about was retrieved)
        out = dict(previous)  # every checkpoint has a live entry: look at the touched ones only
        specs = touched[1]
    ctx = None if final else live.get(_CTX)  # (a live cache serves one episode of one task)
    if ctx is not None and (ctx.record is not record or ctx.store is not store):
        ctx = None
    for spec in specs:
        key = ("live", spec.id)  # -> (outcome, sticky: a monotone grader passed), while running
        kept = None if final else live.get(key)
        if kept is not None and (kept[1] or (touched is not None and spec.id not in touched[0])):
            out[spec.id] = kept[0]  # passed for good, or nothing it depends on happened since
            continue
        if ctx is None:
            ctx = GradeContext(task=task, record=record, store=store, final=final, cache=live)
            if not final:
                live[_CTX] = ctx
        ctx.checkpoint = spec.id
        result = _run_one(spec, ctx)
        outcome: CheckpointOutcome = {  # (a literal: calling the TypedDict costs 3x more)
            "status": result.status,  # type: ignore[typeddict-item]
            "evidence": result.evidence,
            "weight": float(spec.weight),
            "gate": bool(spec.gate),
        }
        if not final:
            settled = result.passed and get_grader(spec.grader).monotone
            live[key] = (outcome, settled)
            if settled:  # (a new frozenset: reused caches share their values)
                live[_SETTLED] = live.get(_SETTLED, _NONE) | {spec.id}
        out[spec.id] = outcome
    if not final:
        live[_LAST] = out
    return out


#: Key of the last live status in a ``checkpoint_status`` cache (a "live" entry: reusable).
_LAST = ("live",)
#: Key of the ids of the checkpoints whose live verdict cannot change any more (a monotone
#: grader passed), a frozenset replaced, never changed, as one is added (a "live" entry).
_SETTLED = ("live", ("settled",))
_NONE: frozenset[str] = frozenset()
#: Key of the live evaluations' GradeContext, reused while record and store stay the same (not a
#: "live" entry: never carried to another episode).
_CTX = ("context",)


def reusable_cache(cache: dict[Any, Any]) -> dict[Any, Any]:
    """The entries of a live ``cache`` (:func:`checkpoint_status`'s own: each checkpoint's last
    outcome and its dependencies) that another episode of the same task may start from, when it
    starts as this one did (an empty record, the same EHR). Graders' own entries are left out:
    they may hold this episode's record."""
    return {key: value for key, value in cache.items() if key[0] in _REUSABLE}


_REUSABLE = ("live", "depends", "touched")
_PLAN = ("depends", "touched")


def plan_entries(cache: dict[Any, Any]) -> dict[Any, Any]:
    """The entries of a live ``cache`` that depend on the task alone (each checkpoint's declared
    dependencies, the checkpoints each kind of events touches): any later episode of the same
    task may start with them, whatever this episode did."""
    return {key: value for key, value in cache.items() if key[0] in _PLAN}


def _touched(
    task: TaskLike, changed: Events, cache: dict[Any, Any]
) -> tuple[frozenset[str], tuple[CheckpointSpecLike, ...]]:
    """The checkpoints of ``task`` whose verdict ``changed`` may have changed (their ids, and
    them in task order), worked out once per kind of events (most steps of an episode are
    alike: one search, no write) and kept in ``cache`` beside the dependencies it comes from."""
    key = ("touched", changed.calls, changed.writes, changed.answer)  # (hashes 3x faster)
    known: tuple[frozenset[str], tuple[CheckpointSpecLike, ...]] | None = cache.get(key)
    if known is None:
        specs = tuple(s for s in task.checkpoints if not _untouched(s, changed, cache))
        known = cache[key] = (frozenset(s.id for s in specs), specs)
    return known


def _untouched(spec: CheckpointSpecLike, changed: Events, cache: dict[Any, Any]) -> bool:
    """The events ``changed`` cannot have changed ``spec``'s verdict (its declared dependencies,
    looked up once per episode and kept in ``cache``)."""
    key = ("depends", spec.id)
    if key not in cache:
        try:
            cache[key] = spec_depends(spec)
        except GradingError:
            cache[key] = None  # let the grader run and report its misconfiguration
    deps = cache[key]
    return deps is not None and not deps.touched_by(changed)


def component_weights(task: TaskLike, rubric_scored: bool) -> tuple[float, float, float]:
    """(checkpoint weight, rubric weight, denominator) after dropping absent components."""
    total = sum(float(s.weight) for s in task.checkpoints if not s.gate)
    cw = float(task.scoring.checkpoint_weight) if total > 0 else 0.0
    rw = float(task.scoring.rubric_weight) if rubric_scored else 0.0
    return cw, rw, cw + rw


def combine(
    task: TaskLike, outcomes: Mapping[str, CheckpointOutcome], rubric: RubricOutcome | None
) -> tuple[float, bool, dict[str, float]]:
    """(score, gated, breakdown) from checkpoint outcomes and an optional rubric outcome."""
    scored = rubric is not None and rubric.score is not None
    cw, rw, denom = component_weights(task, scored)
    total = sum(float(s.weight) for s in task.checkpoints if not s.gate)
    breakdown: dict[str, float] = {}
    if denom > 0:
        for spec in task.checkpoints:
            if spec.gate:
                continue
            ok = outcomes[spec.id]["status"] == "passed"
            breakdown[f"checkpoint/{spec.id}"] = (
                cw * float(spec.weight) / total / denom if ok and total > 0 else 0.0
            )
        if scored and rubric is not None and rubric.score is not None:
            share = rw / denom
            raw = 0.0
            for cid, points, met in rubric.criteria:
                positive = rubric.positive_points
                value = share * points * met / positive if positive else 0.0
                breakdown[f"rubric/{cid}"] = value
                raw += value
            clipped = share * min(1.0, max(0.0, rubric.score))
            if abs(clipped - raw) > 1e-12 or not rubric.criteria:
                breakdown["rubric/clip" if rubric.criteria else "rubric"] = clipped - raw
    elif not any(not s.gate for s in task.checkpoints) and not task.rubric:
        breakdown["gates"] = 1.0  # a task made only of gates: passing them is the task
    if rubric is not None and not scored:
        # the flag users see in info["reward_breakdown"]: judged items were not graded and the
        # score is over the rule-verified checkpoints (0.0 keeps the breakdown's sum exact)
        breakdown["rubric/ungraded"] = 0.0
    base = sum(breakdown.values())
    failed_gates = [
        s.id for s in task.checkpoints if s.gate and outcomes[s.id]["status"] != "passed"
    ]
    if failed_gates:
        breakdown[f"gate/{failed_gates[0]}"] = -base
        return 0.0, True, breakdown
    # shares are float fractions: 1/3 + 1/3 + 1/3 must be exactly 1.0 for a perfect run
    score = min(1.0, max(0.0, round(base, 12)))
    if score != base:  # rounding/clipping: say so, so the breakdown still sums to the score
        breakdown["score/rounding"] = score - base
    return score, False, breakdown


def grade(
    task: TaskLike,
    record: EpisodeRecord,
    store: FhirClient | None,
    judge: Any = None,
    *,
    saved_rubric: Mapping[str, Any] | None = None,
    cache: dict[Any, Any] | None = None,
) -> Grade:
    """Grade a finished episode. Gates that are still pending (e.g. no store to check the chart)
    count as failed: safety is never assumed. ``saved_rubric`` reuses a previous rubric result
    (``Grade.rubric``) when no judge is given, so re-grading does not need an LLM."""
    outcomes = checkpoint_status(task, record, store, final=True, cache=cache)
    rubric = run_rubric(task, record, judge, saved=saved_rubric)
    score, gated, breakdown = combine(task, outcomes, rubric)
    threshold = float(task.scoring.pass_threshold)
    return Grade(
        score=score,
        success=score >= threshold - 1e-9,
        checkpoints=outcomes,
        rubric=rubric.as_dict() if rubric is not None else None,
        gated=gated,
        breakdown=breakdown,
    )
