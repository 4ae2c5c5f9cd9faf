"""The agent protocol every medsim agent follows, and what LLM agents share.

An agent is anything with ``act(observation, info) -> action`` (the protocol is
:class:`medsim.core.rollout.Agent`, re-exported here); the async twin ``aact`` lets ``medsim eval`` run many
episodes on one event loop while LLM calls are in flight. ``reset()`` starts a new episode.

Agents report their own token usage (``agent.usage``, a :class:`medsim.llm.Usage` totalled over
everything they did; the runner snapshots it per episode) and stop cleanly when the env answers
the same error several times in a row (PhysicianBench's loop does the same): they send
``finish`` with no answer and set ``stop_reason``, instead of burning the step budget.

An info carrying ``tools`` is the env's reset info, so agents also start over by themselves
when a caller forgets ``reset()``.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from medsim.core.rollout import GIVE_UP, Agent  # GIVE_UP: finish with no answer
from medsim.llm.types import Usage

__all__ = ["GIVE_UP", "Agent", "AsyncAgent", "BaseAgent", "ErrorStreak"]


@runtime_checkable
class AsyncAgent(Agent, Protocol):
    """An agent with the async twin ``aact`` (same contract, awaitable)."""

    async def aact(self, observation: str, info: dict[str, Any]) -> Any: ...


class ErrorStreak:
    """Counts identical consecutive env errors (same type and message)."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"max_repeated_errors must be >= 1, not {limit}")
        self.limit = limit
        self._last: tuple[str, str] | None = None
        self.count = 0

    def reset(self) -> None:
        self._last, self.count = None, 0

    def see(self, error: Any) -> bool:
        """Record the latest ``info["error"]``; True once the same error came ``limit`` times."""
        if not isinstance(error, dict):
            self.reset()
            return False
        key = (str(error.get("type")), str(error.get("message")))
        self.count = self.count + 1 if key == self._last else 1
        self._last = key
        return self.count >= self.limit


class BaseAgent:
    """Shared plumbing: name, usage, the repeated-error stop, and ``aact`` for sync agents.

    Subclasses implement ``_act`` (and ``_aact`` when they have real async work).
    """

    name = "agent"

    def __init__(self, max_repeated_errors: int = 3) -> None:
        self.usage = Usage()
        self.stop_reason: str | None = None
        self._errors = ErrorStreak(max_repeated_errors)

    def reset(self) -> None:
        """Forget the previous episode."""
        self.stop_reason = None
        self._errors.reset()

    def _should_stop(self, info: dict[str, Any]) -> bool:
        if info.get("tools") is not None:  # a reset info (lean info): a new episode began
            self.reset()
        if self.stop_reason is None and self._errors.see(info.get("error")):
            self.stop_reason = f"repeated_error: {info['error'].get('type')}"
        return self.stop_reason is not None

    def act(self, observation: str, info: dict[str, Any]) -> Any:
        if self._should_stop(info):
            return dict(GIVE_UP)
        return self._act(observation, info)

    async def aact(self, observation: str, info: dict[str, Any]) -> Any:
        if self._should_stop(info):
            return dict(GIVE_UP)
        return await self._aact(observation, info)

    def _act(self, observation: str, info: dict[str, Any]) -> Any:
        raise NotImplementedError

    async def _aact(self, observation: str, info: dict[str, Any]) -> Any:
        return self._act(observation, info)
