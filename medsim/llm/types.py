"""The chat-client protocol: OpenAI-format messages in, a ChatResponse out, usage accounted.

Messages are OpenAI chat dicts (`{"role": ..., "content": ..., "tool_calls": ...}`) and tools are
OpenAI function schemas, whatever the backend, so agents, patient simulators and judges can swap
clients freely.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Message = dict[str, Any]
Tool = dict[str, Any]


@dataclass
class Usage:
    """Tokens and cost of model calls, addable, and usable as a thread-safe running total.

    `calls` counts calls that reached the model, `cached` calls served from the cache (they cost
    nothing), `failed` tries that failed (retried or not).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0
    cached: int = 0
    failed: int = 0
    _lock: threading.Lock = field(
        default_factory=threading.Lock, repr=False, compare=False, init=False
    )

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Usage) -> None:
        """Accumulate another Usage into this one (safe from several threads)."""
        with self._lock:
            self.prompt_tokens += other.prompt_tokens
            self.completion_tokens += other.completion_tokens
            self.cost_usd += other.cost_usd
            self.calls += other.calls
            self.cached += other.cached
            self.failed += other.failed

    def __getstate__(self) -> dict[str, Any]:
        return self._fields()  # the lock is not picklable; a copy gets a new one

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def __add__(self, other: Usage) -> Usage:
        total = self.copy()
        total.add(other)
        return total

    def copy(self) -> Usage:
        """A snapshot of this Usage."""
        return Usage(**self._fields())

    def _fields(self) -> dict[str, Any]:
        """The counters as a dict."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": self.cost_usd,
            "calls": self.calls,
            "cached": self.cached,
            "failed": self.failed,
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data, as reported in an env's `info["usage"]`."""
        data = self._fields()
        data["cost_usd"] = round(self.cost_usd, 8)
        data["total_tokens"] = self.total_tokens
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Usage:
        """Inverse of to_dict (extra keys such as total_tokens are ignored)."""
        keys = ("prompt_tokens", "completion_tokens", "cost_usd", "calls", "cached", "failed")
        return cls(**{k: data[k] for k in keys if k in data})


@dataclass
class ChatResponse:
    """One model reply. `message` is an OpenAI assistant dict (content, optional tool_calls)."""

    message: Message
    usage: Usage
    model: str
    cached: bool = False
    finish_reason: str | None = None

    @property
    def content(self) -> str:
        """The reply's text ("" when the model only called tools)."""
        content = self.message.get("content")
        if isinstance(content, list):
            return "".join(p.get("text", "") for p in content if isinstance(p, dict))
        return content if isinstance(content, str) else ""

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """OpenAI tool_calls entries (empty when there are none)."""
        return list(self.message.get("tool_calls") or [])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (used by the cache and replay files)."""
        return {
            "message": self.message,
            "usage": self.usage.to_dict(),
            "model": self.model,
            "finish_reason": self.finish_reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], cached: bool = False) -> ChatResponse:
        """Inverse of to_dict."""
        return cls(
            message=dict(data["message"]),
            usage=Usage.from_dict(data.get("usage", {})),
            model=str(data.get("model", "")),
            cached=cached,
            finish_reason=data.get("finish_reason"),
        )


@runtime_checkable
class ChatClient(Protocol):
    """What every client offers. `usage` is the running total of everything it has done."""

    model: str
    usage: Usage

    def complete(
        self, messages: list[Message], tools: list[Tool] | None = None, **opts: Any
    ) -> ChatResponse:
        """One chat completion."""
        ...

    async def acomplete(
        self, messages: list[Message], tools: list[Tool] | None = None, **opts: Any
    ) -> ChatResponse:
        """One chat completion, without blocking the event loop."""
        ...
