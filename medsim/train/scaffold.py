"""Rubric scaffolding (after RuscaRL): a task's rubric items shown to the policy as hints in the
instruction, fewer and fewer as training goes on; graders and judges never see them.

``RubricScaffold(env, schedule)`` is a Gymnasium wrapper. On ``reset`` it appends a "Hints" block
to the instruction (the observation and the user message of the reset ``info["messages"]``) with
the first ``k`` of the task's positive rubric criteria (``points > 0``, in the task's order;
penalties are never shown, they would teach what to avoid by naming it), where
``k = round(schedule.fraction(step) * n)``. The episode record — the transcript graders, rule
verifiers and LLM judges read — keeps the plain instruction, so the grade of a given behaviour is
the same with and without hints. At the end, ``info["transcript"]`` is what the policy saw (with
the hints), for the trainer's token masks.

Schedules (``ScaffoldSchedule(kind, total_steps, start=1.0)``, ``t = step / total_steps``):

- ``"linear"``:  ``start * max(0, 1 - t)``
- ``"sigmoid"``: ``start / (1 + exp(10 * (t - 0.5)))`` normalised so that it is ``start`` at
  ``t = 0`` and 0 at ``t >= 1`` — slow at first, fastest at mid-training (RuscaRL's shape)
- ``"step"``:    ``start`` for ``t < 0.5``, then 0
- ``"none"``:    always 0 (the plain env)

Set the training step with ``wrapper.set_step(step)`` (or ``schedule=...`` per call).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import gymnasium as gym

KINDS = ("linear", "sigmoid", "step", "none")
HEADER = "Hints (what a complete answer covers):"


@dataclass(frozen=True)
class ScaffoldSchedule:
    """The fraction of rubric items shown at a training step (see the module docstring)."""

    kind: str = "sigmoid"
    total_steps: int = 1000
    start: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"scaffold schedule kind must be one of {KINDS}, not {self.kind!r}")
        if self.total_steps < 1:
            raise ValueError(f"total_steps must be >= 1, not {self.total_steps}")
        if not 0.0 <= self.start <= 1.0:
            raise ValueError(f"start must be within [0, 1], not {self.start}")

    def fraction(self, step: int) -> float:
        if step < 0:
            raise ValueError(f"step must be >= 0, not {step}")
        t = min(step / self.total_steps, 1.0)
        if self.kind == "none" or t >= 1.0:
            return 0.0
        if self.kind == "linear":
            return self.start * (1.0 - t)
        if self.kind == "step":
            return self.start if t < 0.5 else 0.0

        def s(x: float) -> float:
            return 1.0 / (1.0 + math.exp(10.0 * (x - 0.5)))

        return self.start * (s(t) - s(1.0)) / (s(0.0) - s(1.0))


def rubric_hints(task: Any, fraction: float) -> list[str]:
    """The hint lines for ``task`` at ``fraction`` of its positive rubric items."""
    items = [c.criterion for c in task.rubric if c.points > 0]
    return items[: round(fraction * len(items))]


class RubricScaffold(gym.Wrapper[Any, Any, Any, Any]):
    """Shows rubric hints in the instruction by ``schedule`` at the current training step."""

    def __init__(self, env: gym.Env[Any, Any], schedule: ScaffoldSchedule, step: int = 0) -> None:
        super().__init__(env)
        self.schedule = schedule
        self.step_count = step
        self._shown: tuple[str, str] | None = None  # (plain prompt, hinted prompt)

    def set_step(self, step: int) -> None:
        """The trainer's current step (decides how many hints the next resets show)."""
        self.schedule.fraction(step)  # validates
        self.step_count = step

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        hints = rubric_hints(self.env.unwrapped.task, self.schedule.fraction(self.step_count))  # type: ignore[attr-defined]
        self._shown = None
        if not hints:
            return obs, info
        hinted = f"{obs}\n\n{HEADER}\n" + "\n".join(f"- {h}" for h in hints)
        self._shown = (str(obs), hinted)
        info = dict(info)
        info["messages"] = self._swap(info.get("messages") or [])
        return hinted, info

    def _swap(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``messages`` with the plain instruction replaced by the hinted one."""
        out = copy.deepcopy(messages)
        if self._shown is not None:
            plain, hinted = self._shown
            for m in out:
                if m.get("role") == "user" and m.get("content") == plain:
                    m["content"] = hinted
                    break
        return out

    def step(self, action: Any) -> tuple[Any, Any, bool, bool, dict[str, Any]]:
        obs, reward, term, trunc, info = self.env.step(action)
        if info.get("transcript") and self._shown is not None:
            info = dict(info)
            info["transcript"] = self._swap(info["transcript"])
        return obs, reward, term, trunc, info
