"""The scripted reference agent ("oracle"): replays a task's reference solution, which scores
1.0 by construction of the task (checked by ``medsim tasks validate``). Also plays negative
controls, the scripted wrong trajectories every task ships."""

from __future__ import annotations

from medsim.core.rollout import ScriptedAgent
from medsim.tasks.schema import Task


class OracleAgent(ScriptedAgent):
    """``OracleAgent(task).act(observation, info)`` returns the next reference action."""

    def __init__(self, task: Task) -> None:
        super().__init__(task.reference_solution, name="oracle")
        self.task = task

    @staticmethod
    def negative_control(task: Task, name: str) -> ScriptedAgent:
        """A scripted agent replaying the task's negative control called ``name``."""
        control = task.negative_control(name)
        return ScriptedAgent(control.actions, name=control.name)


__all__ = ["OracleAgent", "ScriptedAgent"]
