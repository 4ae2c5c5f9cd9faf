"""A random agent: samples well-formed tool calls from the env's action space (a baseline and a
smoke test: it must never crash the env, and it scores ~0)."""

from __future__ import annotations

from typing import Any

from gymnasium import Space

from medsim.agents.base import BaseAgent


class RandomAgent(BaseAgent):
    """``RandomAgent(env.action_space, seed=0).act(obs, info)`` -> a random valid action.

    The env updates its action space's tool list at every reset, so one agent follows the env
    across tasks.
    """

    name = "random"

    def __init__(self, action_space: Space[Any], seed: int | None = None) -> None:
        super().__init__(max_repeated_errors=10**9)
        self.action_space = action_space
        if seed is not None:
            action_space.seed(seed)

    def _act(self, observation: str, info: dict[str, Any]) -> Any:
        return self.action_space.sample()

    def seed_episode(self, seed: int) -> None:
        """Reseed the sampler (``medsim eval`` calls this with a per-(task, trial) seed)."""
        self.action_space.seed(seed)
