"""ReferenceAgent: plays each task's reference solution (the upper bound every task guarantees:
its reference scores 1.0, checked by ``medsim tasks validate``). It follows the env across
tasks: the task is looked up from ``info["task_id"]`` on the first step of each episode."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from medsim.agents.base import BaseAgent
from medsim.core.rollout import ScriptedAgent
from medsim.tasks.schema import Task


class ReferenceAgent(BaseAgent):
    """``ReferenceAgent(env.unwrapped.tasks)``; ``act`` replays the current task's solution."""

    name = "reference"

    def __init__(self, tasks: Iterable[Task]) -> None:
        super().__init__(max_repeated_errors=10**9)  # a script never gives up early
        self.tasks = {t.id: t for t in tasks}
        self._script: ScriptedAgent | None = None

    def reset(self) -> None:
        super().reset()
        self._script = None

    def _act(self, observation: str, info: dict[str, Any]) -> Any:
        if self._script is None:
            task_id = info.get("task_id")
            if task_id not in self.tasks:
                raise KeyError(f"ReferenceAgent: no task {task_id!r} among {len(self.tasks)} tasks")
            self._script = ScriptedAgent(self.tasks[str(task_id)].reference_solution, "reference")
        return self._script.act(observation, info)
