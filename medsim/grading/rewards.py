"""Dense rewards that always sum to the terminal task score.

Each non-gate checkpoint pays its share of the score, ``cw * weight / sum(weights) / (cw + rw)``,
the first time it passes during the episode (never twice, never taken back mid-episode). At the
end :meth:`DenseReward.finish` pays ``grade.score - paid``: the rubric part, checkpoints that only
pass at the end, and the correction when a gate failed or a paid checkpoint no longer holds (this
last reward can be negative). So for every episode ``sum(step rewards) + finish == grade.score``
(up to float rounding).
"""

from __future__ import annotations

from typing import Any

from medsim.fhir.interface import FhirClient
from medsim.grading.checkpoints.registry import TaskLike
from medsim.grading.record import EpisodeRecord
from medsim.grading.score import CheckpointOutcome, Grade, checkpoint_status, component_weights


class DenseReward:
    """Per-step checkpoint credit for one episode of ``task`` (make a new one per episode)."""

    def __init__(self, task: TaskLike) -> None:
        self.task = task
        cw, _, denom = component_weights(task, rubric_scored=bool(task.rubric))
        total = sum(float(s.weight) for s in task.checkpoints if not s.gate)
        self.shares: dict[str, float] = {
            s.id: (cw * float(s.weight) / total / denom if denom > 0 and total > 0 else 0.0)
            for s in task.checkpoints
            if not s.gate
        }
        self.paid_ids: set[str] = set()
        self.paid = 0.0
        self.last_status: dict[str, CheckpointOutcome] = {}
        self.cache: dict[Any, Any] = {}  # chart queries, reused across steps
        self.finished = False

    def step(self, record: EpisodeRecord, store: FhirClient | None) -> float:
        """Credit newly earned by the record so far (call after every env step)."""
        if self.finished:
            raise RuntimeError(
                "DenseReward.step after finish(): make a new DenseReward per episode"
            )
        self.last_status = checkpoint_status(
            self.task, record, store, final=False, cache=self.cache
        )
        return self.credit(self.last_status)

    def credit(self, status: dict[str, CheckpointOutcome]) -> float:
        """Pay for checkpoints passing in ``status`` that were not paid before."""
        reward = 0.0
        for cid, share in self.shares.items():
            if cid not in self.paid_ids and cid in status and status[cid]["status"] == "passed":
                self.paid_ids.add(cid)
                reward += share
        self.paid += reward
        return reward

    def finish(self, grade: Grade) -> float:
        """The last reward: ``grade.score`` minus everything already paid."""
        if self.finished:
            raise RuntimeError("DenseReward.finish called twice")
        self.finished = True
        return grade.score - self.paid
