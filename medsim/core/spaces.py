"""Text spaces for LLM environments.

Gymnasium's ``spaces.Text`` requires every character to come from a fixed charset, so it cannot
hold JSON or model output. :class:`TextSpace` holds any string. :class:`ActionSpace` also accepts
structured tool calls (a dict, or a list of dicts: what ``ClinicalEnv.step`` accepts besides
strings), and its ``sample()`` returns a *valid* action for the episode: a well-formed JSON tool
call to one of the tools available now, with arguments drawn from the tool (seeded by the space's
RNG), so ``gymnasium.utils.env_checker.check_env`` can step with it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from gymnasium.spaces import Space

from medsim.tools.base import Tool, ToolContext

_ALPHABET = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;-_/()[]{}\"'µ°é≥"


class TextSpace(Space[str]):
    """Any Python string (of at most ``max_length`` characters when set)."""

    def __init__(
        self, max_length: int | None = None, seed: int | np.random.Generator | None = None
    ):
        self.max_length = max_length
        super().__init__(shape=None, dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and (self.max_length is None or len(x) <= self.max_length)

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        """A random short string (mostly ASCII, a few non-ASCII characters)."""
        length = int(self.np_random.integers(1, min(self.max_length or 64, 64) + 1))
        idx = self.np_random.integers(0, len(_ALPHABET), size=length)
        return "".join(_ALPHABET[i] for i in idx)

    def __repr__(self) -> str:
        return f"TextSpace(max_length={self.max_length})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextSpace) and other.max_length == self.max_length


class ActionSpace(TextSpace):
    """Agent actions: any string, a tool-call dict, or a list of tool-call dicts.

    ``sample()`` picks one of the tools available now (``set_tools``), read-only tools only
    unless ``sample_writes`` is set, and returns ``{"name": ..., "arguments": ...}`` as JSON text.
    """

    def __init__(
        self,
        tools: Sequence[Tool] = (),
        context: ToolContext | None = None,
        *,
        sample_writes: bool = False,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(seed=seed)
        self.sample_writes = sample_writes
        self._tools: tuple[Tool, ...] = ()
        self._context = ToolContext()
        self.set_tools(tools, context)

    def set_tools(self, tools: Sequence[Tool], context: ToolContext | None = None) -> None:
        """Tools (and the patient/now context) that ``sample()`` draws from."""
        self._tools = tuple(tools)
        # Only plain data is kept: spaces are deep-copied by vector envs and must not drag the
        # episode (its EHR view) along.
        ctx = context or ToolContext()
        self._context = ToolContext(patient_id=ctx.patient_id, now=ctx.now)

    @property
    def tool_names(self) -> list[str]:
        return [t.name for t in self._tools]

    def contains(self, x: Any) -> bool:
        if isinstance(x, str):
            return True
        if isinstance(x, Mapping):
            return True
        return isinstance(x, list) and all(isinstance(e, Mapping) for e in x)

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        """A valid JSON tool call to a tool available now (falls back to random text)."""
        candidates = [t for t in self._tools if self.sample_writes or not t.writes]
        if not candidates:
            return super().sample()
        chosen = candidates[int(self.np_random.integers(0, len(candidates)))]
        args = chosen.sample_arguments(self.np_random, self._context)
        return json.dumps({"name": chosen.name, "arguments": args}, ensure_ascii=False)

    def __repr__(self) -> str:
        return f"ActionSpace(tools={self.tool_names})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ActionSpace) and other.tool_names == self.tool_names
