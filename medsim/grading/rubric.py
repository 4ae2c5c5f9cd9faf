"""HealthBench-style rubrics: criteria with signed points, one binary decision per criterion,
score = points of met criteria / points of positive criteria.

- `RubricCriterion` is the criterion as task files write it (id, criterion, points, tags,
  optional rule `verifier`).
- `score_rubric` is pure: criteria + decisions -> score, unclipped per example (met negative
  criteria can push it below 0); `aggregate_scores` clips the mean to [0, 1] as HealthBench does.
- `judge_rubric` / `ajudge_rubric` decide every criterion: rule-verified ones in Python
  (`rubric_rules`, never an LLM), the rest with an injected judge or jury (`rubric_judge`). A
  criterion the judge could not decide is an error in the result, and the score is then None.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from medsim.grading import rubric_rules
from medsim.grading.criteria import RubricCriterion
from medsim.grading.rubric_judge import Judgement, Jury, RubricJudge
from medsim.llm.types import ChatClient, Message, Usage


@dataclass
class Decision:
    """How one criterion was decided: by a rule, a judge or a jury; `met` None means error."""

    criterion_id: str
    met: bool | float | None
    explanation: str
    source: Literal["rule", "judge", "jury"]
    error: str | None = None
    votes: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data for episode records."""
        return {
            "criterion_id": self.criterion_id,
            "met": self.met,
            "explanation": self.explanation,
            "source": self.source,
            "error": self.error,
            "votes": self.votes,
            "usage": self.usage.to_dict(),
            "cached": self.cached,
        }


@dataclass
class RubricResult:
    """Every decision, the score (None if any criterion errored or no criterion is positive),
    per-tag scores, the errors, and the tokens and cost the judging spent."""

    decisions: dict[str, Decision]
    score: float | None
    tag_scores: dict[str, float]
    errors: list[str]
    usage: Usage

    @property
    def complete(self) -> bool:
        """True when every criterion got a decision."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data for episode records."""
        return {
            "score": self.score,
            "tag_scores": self.tag_scores,
            "errors": self.errors,
            "usage": self.usage.to_dict(),
            "decisions": {k: d.to_dict() for k, d in self.decisions.items()},
        }


def _check_conversation(conversation: Sequence[Message]) -> None:
    """A list of OpenAI chat dicts (empty is allowed: an agent that said nothing is graded)."""
    if isinstance(conversation, str | bytes) or not isinstance(conversation, Sequence):
        raise ValueError("the conversation must be a list of OpenAI chat message dicts")
    for i, m in enumerate(conversation):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise ValueError(
                f"conversation[{i}] must be a dict with a string 'role', got {m!r:.80}"
            )


def _check_ids(criteria: Sequence[RubricCriterion]) -> None:
    seen: set[str] = set()
    for c in criteria:
        if c.id in seen:
            raise ValueError(f"duplicate rubric criterion id {c.id!r}")
        seen.add(c.id)


def score_rubric(
    criteria: Sequence[RubricCriterion], decisions: Mapping[str, bool | float]
) -> float | None:
    """Σ points × met / Σ positive points (HealthBench `calculate_score`); None when no criterion
    has positive points. `met` is a bool or a fraction in [0, 1] (a jury's mean). Unclipped.
    Raises ValueError naming any criterion without a valid decision."""
    _check_ids(criteria)
    positive = sum(c.points for c in criteria if c.points > 0)
    achieved = 0.0
    for c in criteria:
        met = decisions.get(c.id)
        if met is None or isinstance(met, str) or not 0.0 <= float(met) <= 1.0:
            raise ValueError(f"criterion {c.id!r} has no valid decision (got {met!r})")
        achieved += c.points * float(met)
    return achieved / positive if positive > 0 else None


def tag_scores(
    criteria: Sequence[RubricCriterion], decisions: Mapping[str, bool | float]
) -> dict[str, float]:
    """score_rubric over the criteria carrying each tag (tags without positive points omitted)."""
    scores: dict[str, float] = {}
    for tag in sorted({t for c in criteria for t in c.tags}):
        s = score_rubric([c for c in criteria if tag in c.tags], decisions)
        if s is not None:
            scores[tag] = s
    return scores


def aggregate_scores(
    scores: Sequence[float], n_bootstrap: int = 1000, seed: int = 0
) -> dict[str, float | int]:
    """HealthBench aggregate: the mean of per-example scores clipped to [0, 1], the count, and a
    bootstrap standard deviation of the clipped mean (seeded, so reports are reproducible)."""
    values = np.asarray([float(s) for s in scores], dtype=float)
    if values.size == 0:
        raise ValueError("aggregate_scores needs at least one score")
    if not np.all(np.isfinite(values)):
        raise ValueError("aggregate_scores got a non-finite score")
    rng = np.random.default_rng(seed)
    samples = rng.choice(values, size=(n_bootstrap, values.size), replace=True)
    boot = np.clip(samples.mean(axis=1), 0.0, 1.0)
    return {
        "mean": float(np.clip(values.mean(), 0.0, 1.0)),
        "n_samples": int(values.size),
        "bootstrap_std": float(boot.std()),
    }


JudgeLike = RubricJudge | Jury | ChatClient


def _as_judge(judge: JudgeLike | None, needed: bool) -> RubricJudge | Jury | None:
    if judge is None or isinstance(judge, RubricJudge | Jury):
        if needed and judge is None:
            raise ValueError("the rubric has LLM-judged criteria but no judge was given")
        return judge
    if not callable(getattr(judge, "complete", None)):
        raise TypeError(f"judge must be a RubricJudge, a Jury or a ChatClient, got {judge!r:.80}")
    return RubricJudge(judge)


def _from_judgement(c: RubricCriterion, j: Judgement, jury: bool) -> Decision:
    return Decision(
        c.id, j.met, j.explanation, "jury" if jury else "judge", j.error, j.votes, j.usage, j.cached
    )


def _rule(c: RubricCriterion, messages: Sequence[Message]) -> Decision:
    assert c.verifier is not None
    met, why = rubric_rules.verify(c.verifier.kind, c.verifier.params, list(messages))
    return Decision(c.id, met, why, "rule")


def _result(criteria: Sequence[RubricCriterion], decisions: dict[str, Decision]) -> RubricResult:
    usage = Usage()
    for d in decisions.values():
        usage.add(d.usage)
    errors = [f"{d.criterion_id}: {d.error}" for d in decisions.values() if d.error]
    if errors:
        return RubricResult(decisions, None, {}, errors, usage)
    met = {k: d.met for k, d in decisions.items() if d.met is not None}
    return RubricResult(
        decisions, score_rubric(criteria, met), tag_scores(criteria, met), [], usage
    )


def judge_rubric(
    conversation: Sequence[Message],
    criteria: Sequence[RubricCriterion],
    judge: JudgeLike | None = None,
) -> RubricResult:
    """Decide every criterion for a conversation whose last assistant turn is the response.
    `judge` is a RubricJudge, a Jury, or a bare ChatClient (wrapped in a default RubricJudge)."""
    _check_ids(criteria)
    _check_conversation(conversation)
    j = _as_judge(judge, any(c.verifier is None for c in criteria))
    decisions: dict[str, Decision] = {}
    for c in criteria:
        if c.verifier is not None:
            decisions[c.id] = _rule(c, conversation)
        else:
            assert j is not None
            verdict = j.judge(conversation, c.criterion, c.points)
            decisions[c.id] = _from_judgement(c, verdict, isinstance(j, Jury))
    return _result(criteria, decisions)


async def ajudge_rubric(
    conversation: Sequence[Message],
    criteria: Sequence[RubricCriterion],
    judge: JudgeLike | None = None,
    concurrency: int = 8,
) -> RubricResult:
    """Async `judge_rubric`: up to `concurrency` criteria are judged at once."""
    _check_ids(criteria)
    _check_conversation(conversation)
    j = _as_judge(judge, any(c.verifier is None for c in criteria))
    gate = asyncio.Semaphore(max(1, concurrency))

    async def decide(c: RubricCriterion) -> Decision:
        if c.verifier is not None:
            return _rule(c, conversation)
        assert j is not None
        async with gate:
            verdict = await j.ajudge(conversation, c.criterion, c.points)
        return _from_judgement(c, verdict, isinstance(j, Jury))

    decided = await asyncio.gather(*(decide(c) for c in criteria))
    return _result(criteria, {d.criterion_id: d for d in decided})
