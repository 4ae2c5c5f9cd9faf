"""The env's side of grading: live checkpoint status, dense or sparse rewards, the final grade.

Sparse: every step pays 0 and the last pays the task score. Dense: each step pays the checkpoint
credit first earned in it and the last step also pays ``grade.score - already paid``, so an
episode's rewards always sum to its score (docs/grading.md).
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

from medsim.fhir.interface import FhirClient
from medsim.grading.checkpoints.depends import EventCursor
from medsim.grading.record import EpisodeRecord
from medsim.tasks.schema import Task

if TYPE_CHECKING:
    from medsim.grading.rewards import DenseReward
    from medsim.grading.score import Grade


def _score() -> ModuleType:
    """:mod:`medsim.grading.score`, imported on first use (``import medsim`` stays light) and
    then looked up once, not on every step."""
    global _SCORE
    if _SCORE is None:
        from medsim.grading import score

        _SCORE = score
    return _SCORE


_SCORE: ModuleType | None = None


class Scorer:
    """Per-env scoring state, restarted for every episode by :meth:`start`.

    The live checkpoint status is computed once per step and shared by ``info["checkpoints"]``
    and the dense reward (``DenseReward.credit``), so graders do not run twice. It is
    incremental: after each step only the checkpoints whose declared dependencies (tool calls,
    resource types written, the answer; :mod:`medsim.grading.checkpoints.depends`) the step
    touched are re-run. The status at reset is worked out once per task and reused by the
    task's later episodes (each starts from an empty record and the same EHR state, and a
    verdict depends only on those; see depends.py). ``incremental=False`` re-runs every grader
    every step and at every reset (same results, slower; the tests compare the two).
    """

    def __init__(
        self, *, dense: bool = False, live: bool = True, judge: Any = None, incremental: bool = True
    ) -> None:
        self.dense = dense
        self.live = live
        self.judge = judge
        self.incremental = incremental
        self._cursor: EventCursor | None = None
        self._task: Task | None = None
        self._dense: DenseReward | None = None
        self._grade: Grade | None = None
        self._status: dict[str, Any] = {}
        self._cache: dict[Any, Any] = {}
        self._initial: dict[int, tuple[Task, dict[str, Any], dict[Any, Any]]] = {}
        self._paid = 0.0
        self._last = 0.0

    def start(self, task: Task, record: EpisodeRecord, store: FhirClient | None) -> None:
        """A new episode of ``task``."""
        self._keep_plan()
        self._task = task
        self._grade = None
        self._cache = {}
        self._paid = 0.0
        self._last = 0.0
        self._dense = None
        if self.dense:
            from medsim.grading import DenseReward

            self._dense = DenseReward(task)
        self._cursor = None
        self._status = self._initial_status(task, record, store) if self.live else {}

    def _initial_status(
        self, task: Task, record: EpisodeRecord, store: FhirClient | None
    ) -> dict[str, Any]:
        """The live status at reset: computed at the task's first episode, then reused with the
        cache entries it made (``score.reusable_cache``) while the scorer is incremental."""
        known = self._initial.get(id(task))
        if known is not None and known[0] is task and self.incremental:
            self._cache = dict(known[2])
            self._cursor = EventCursor(record)
            return known[1]
        status = self._live_status(record, store)
        self._initial[id(task)] = (task, status, _score().reusable_cache(self._cache))
        return status

    def _keep_plan(self) -> None:
        """Carry what the last episode worked out about its task's checkpoints (what each
        depends on, which ones a kind of step touches: ``score.plan_entries``) into the task's
        reusable cache, so the task's later episodes do not work it out again at their first
        steps. Those entries depend on the task alone, as the reused status at reset does."""
        task = self._task
        if task is None or not self.incremental:
            return
        known = self._initial.get(id(task))
        if known is not None and known[0] is task:
            known[2].update(_score().plan_entries(self._cache))

    @property
    def grade(self) -> Grade | None:
        """The final ``Grade`` once the episode has ended (else None)."""
        return self._grade

    def _live_status(self, record: EpisodeRecord, store: FhirClient | None) -> dict[str, Any]:
        assert self._task is not None
        if not self._task.checkpoints:
            return {}
        changed = None
        if self._cursor is None or not self.incremental:
            self._cursor = EventCursor(record)
        else:
            changed = self._cursor.advance(record)
        return _score().checkpoint_status(  # a new dict: the previous status stays as it was
            self._task, record, store, final=False, cache=self._cache, changed=changed
        )

    def step(self, record: EpisodeRecord, store: FhirClient | None, done: bool) -> float:
        """The reward of the step just recorded; grades the episode when ``done``."""
        assert self._task is not None, "Scorer.start() first"
        reward = 0.0
        if self._dense is not None or (self.live and not done):
            self._status = self._live_status(record, store)
            if self._dense is not None:
                reward += float(self._dense.credit(self._status))
        if done:
            result = _score().grade(self._task, record, store, self.judge, cache=self._cache)
            self._grade = result
            record.grade = result.model_dump(mode="json")
            if self._dense is not None:
                reward += float(self._dense.finish(result))
            else:
                reward = float(result.score)
        self._paid += reward
        self._last = reward
        return reward

    def status(self) -> dict[str, Any]:
        """Checkpoint id -> {status, evidence, weight, gate} (final once graded)."""
        source = self._grade.checkpoints if self._grade is not None else self._status
        return {k: dict(v) for k, v in source.items()}

    def breakdown(self) -> dict[str, float]:
        """Who gave what: the grade's breakdown at the end, the rewards paid so far before."""
        if self._grade is not None:
            out = {k: float(v) for k, v in self._grade.breakdown.items()}
            out["score"] = float(self._grade.score)
            return out
        return {"step": self._last, "paid": self._paid}
