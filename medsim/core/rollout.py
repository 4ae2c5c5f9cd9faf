"""Running one episode with an agent: the loop every script, test and the validator share.

An agent is anything with ``act(observation, info) -> action`` (and optionally ``reset()``);
:class:`ScriptedAgent` replays a fixed list of actions, which is what the oracle (a task's
reference solution) and negative controls are.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import gymnasium as gym

from medsim.grading.record import EpisodeRecord

#: What a scripted agent sends once its script is exhausted.
GIVE_UP: dict[str, Any] = {"name": "finish", "arguments": {"answer": None}}


class Agent(Protocol):
    def act(self, observation: str, info: dict[str, Any]) -> Any: ...


class ScriptedAgent:
    """Replays ``actions`` in order; afterwards it finishes with no answer."""

    def __init__(self, actions: Sequence[Any], name: str = "scripted") -> None:
        self.actions = list(actions)
        self.name = name
        self._next = 0

    def reset(self) -> None:
        self._next = 0

    def act(self, observation: str, info: dict[str, Any]) -> Any:
        if self._next < len(self.actions):
            action = self.actions[self._next]
            self._next += 1
            return copy.deepcopy(action)
        return copy.deepcopy(GIVE_UP)


@dataclass
class EpisodeResult:
    """The outcome of one episode: the record, the rewards, and the final grade's score."""

    task_id: str
    record: EpisodeRecord
    rewards: list[float] = field(default_factory=list)
    score: float = 0.0
    success: bool = False
    terminated: bool = False
    truncated: bool = False
    last_info: dict[str, Any] = field(default_factory=dict)

    @property
    def total_reward(self) -> float:
        return float(sum(self.rewards))

    @property
    def steps(self) -> int:
        return self.record.steps


def run_episode(
    env: gym.Env[Any, Any],
    agent: Agent,
    *,
    task_id: str | None = None,
    seed: int | None = None,
) -> EpisodeResult:
    """Reset ``env`` (on ``task_id`` when given), let ``agent`` act until the episode ends."""
    reset = getattr(agent, "reset", None)
    if callable(reset):
        reset()
    options = {"task_id": task_id} if task_id is not None else None
    obs, info = env.reset(seed=seed, options=options)
    rewards: list[float] = []
    terminated = truncated = False
    while not (terminated or truncated):
        obs, reward, terminated, truncated, info = env.step(agent.act(obs, info))
        rewards.append(float(reward))
    record: EpisodeRecord = env.unwrapped.record  # type: ignore[attr-defined]
    grade = record.grade or {}
    return EpisodeResult(
        task_id=record.task_id,
        record=record,
        rewards=rewards,
        score=float(grade.get("score", 0.0)),
        success=bool(grade.get("success", False)),
        terminated=terminated,
        truncated=truncated,
        last_info=info,
    )
