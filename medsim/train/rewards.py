"""medsim episodes as reward functions for trainers that score completions (TRL's GRPO, ...).

:class:`CompletionReward` grades a completion as the policy's action on a task: the env is reset
on the task (``task_id``, a dataset column the trainer passes through), the completion is sent as
one action (a tool call as JSON, a protocol line such as ``FINISH([...])``, or text), and if the
episode has not ended the agent gives up (``finish`` with no answer), so every completion is
graded by the task's own checkpoints. The reward is the episode's score (0..1). This is the
single-turn case; multi-turn rollouts are :mod:`medsim.train.rollouts`.
"""

from __future__ import annotations

from typing import Any

import medsim
from medsim.core.rollout import ScriptedAgent, run_episode
from medsim.llm.messages import text_of


def completion_text(completion: Any) -> str:
    """The text of a completion given as a string or as a list of chat messages."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):
        return "".join(text_of(m) for m in completion if isinstance(m, dict))
    raise TypeError(f"a completion is a str or a list of messages, not {type(completion).__name__}")


class CompletionReward:
    """``reward(prompts, completions, task_id, **kwargs) -> list[float]`` (TRL's signature)."""

    def __init__(self, env_id: str, **env_kwargs: Any) -> None:
        self.env = medsim.make(env_id, **env_kwargs)
        self.__name__ = f"medsim:{env_id}"  # trainers log rewards under their function's name

    def score(self, task_id: str, completion: Any) -> float:
        """The score of one completion on ``task_id``."""
        agent = ScriptedAgent([completion_text(completion)])
        return run_episode(self.env, agent, task_id=task_id).score

    def __call__(
        self, prompts: list[Any], completions: list[Any], task_id: list[str], **kwargs: Any
    ) -> list[float]:
        return [self.score(t, c) for t, c in zip(task_id, completions, strict=True)]
