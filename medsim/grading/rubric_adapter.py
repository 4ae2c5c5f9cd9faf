"""Running a task's rubric for :func:`medsim.grading.score.grade`.

The rubric judge itself lives in :mod:`medsim.grading.rubric` (HealthBench semantics). This module
decides when to call it: rule-verified criteria need no judge; LLM criteria need one, or a saved
rubric result (re-grading without an LLM); otherwise the rubric is reported as not judged and
drops out of the score instead of counting as an agent failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from medsim.grading.record import EpisodeRecord


@dataclass
class RubricOutcome:
    """score: unclipped HealthBench score or None (not judged / judge errors); criteria:
    (id, points, met as 0..1) for the breakdown; details: the plain-JSON rubric result."""

    score: float | None
    criteria: list[tuple[str, float, float]] = field(default_factory=list)
    positive_points: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.details)


def _criteria_rows(criteria: Any, met: Mapping[str, Any]) -> list[tuple[str, float, float]]:
    rows = []
    for c in criteria:
        m = met.get(c.id)
        rows.append((c.id, float(c.points), float(m) if isinstance(m, bool | int | float) else 0.0))
    return rows


def run_rubric(
    task: Any, record: EpisodeRecord, judge: Any = None, saved: Mapping[str, Any] | None = None
) -> RubricOutcome | None:
    """The rubric outcome of an episode; None when the task has no rubric."""
    criteria = list(getattr(task, "rubric", []) or [])
    if not criteria:
        return None
    from medsim.grading.rubric import judge_rubric, score_rubric

    positive = sum(float(c.points) for c in criteria if c.points > 0)
    needs_llm = any(c.verifier is None for c in criteria)
    if judge is not None or not needs_llm:
        result = judge_rubric(record.messages, criteria, judge)
        details = {"status": "judged" if result.complete else "error", **result.to_dict()}
        met = {k: d.met for k, d in result.decisions.items()}
        return RubricOutcome(result.score, _criteria_rows(criteria, met), positive, details)
    if saved and isinstance(saved.get("decisions"), dict):
        met = {
            k: (d.get("met") if isinstance(d, dict) else None)
            for k, d in saved["decisions"].items()
        }
        try:
            score = score_rubric(criteria, {k: v for k, v in met.items() if v is not None})
        except ValueError as exc:
            return RubricOutcome(None, [], positive, {"status": "error", "errors": [str(exc)]})
        details = {**dict(saved), "status": "saved", "score": score}
        return RubricOutcome(score, _criteria_rows(criteria, met), positive, details)
    return RubricOutcome(
        None,
        [],
        positive,
        {
            "status": "not judged",
            "score": None,
            # reported as ungraded, never as passed or failed; the score is over the rest
            "ungraded": [c.id for c in criteria if c.verifier is None],
            "errors": ["the rubric has LLM-judged criteria and no judge was given"],
        },
    )
