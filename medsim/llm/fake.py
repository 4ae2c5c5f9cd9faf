"""FakeClient: scripted replies for tests and deterministic offline runs; records every call.

A script is a list consumed in order, or a callable `(messages, tools) -> reply`. A reply is a
string, an assistant-message dict (tool calls allowed in the loose `{"name", "arguments"}` form), a
ChatResponse, or an exception instance, which is raised, so tests can script rate limits and
timeouts and watch the shared retry logic handle them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from typing import Any

from medsim.llm.base import BaseChatClient, RetryPolicy
from medsim.llm.errors import LLMError
from medsim.llm.messages import assistant_message, estimate_tokens
from medsim.llm.types import ChatResponse, Message, Tool, Usage

Reply = str | dict[str, Any] | ChatResponse | BaseException
Script = Sequence[Reply] | Callable[[list[Message], list[Tool] | None], Reply]


class FakeClient(BaseChatClient):
    """A ChatClient whose replies come from a script (see module docstring).

    `calls` holds every request received ({"messages", "tools", "opts"}), including failed tries.
    Running out of scripted replies is an LLMError saying so (not retried). Token counts are a
    rough estimate from text length; cost comes from the price table for `model`.
    """

    def __init__(
        self,
        script: Script = (),
        model: str = "fake",
        retry: RetryPolicy | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("sleep", lambda _s: None)
        super().__init__(model, retry=retry or RetryPolicy(max_tries=3, base_delay=0), **kwargs)
        self._script = script if callable(script) else list(script)
        self._next = 0
        self._lock = threading.Lock()
        self.calls: list[dict[str, Any]] = []

    @property
    def remaining(self) -> int | None:
        """How many scripted replies are left (None for a callable script)."""
        return None if callable(self._script) else len(self._script) - self._next

    def _reply_for(self, messages: list[Message], tools: list[Tool] | None) -> Reply:
        if callable(self._script):
            return self._script(messages, tools)
        with self._lock:
            if self._next >= len(self._script):
                raise LLMError(f"FakeClient script exhausted: all {len(self._script)} replies used")
            reply = self._script[self._next]
            self._next += 1
        return reply

    def _call(self, messages: list[Message], tools: list[Tool] | None, opts: dict) -> ChatResponse:
        self.calls.append({"messages": list(messages), "tools": tools, "opts": dict(opts)})
        reply = self._reply_for(messages, tools)
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, ChatResponse):
            return ChatResponse.from_dict(reply.to_dict())  # a copy: accounting mutates usage
        message = assistant_message(reply)
        prompt = json.dumps(messages) + (json.dumps(tools) if tools else "")
        completion = json.dumps(message.get("tool_calls") or message.get("content") or "")
        usage = Usage(
            prompt_tokens=estimate_tokens(prompt), completion_tokens=estimate_tokens(completion)
        )
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        return ChatResponse(message=message, usage=usage, model=self.model, finish_reason=finish)
