"""What every client does the same way, written once: request checks, response caching, retries
with exponential backoff and jitter, timeouts, and token/cost accounting.

A backend subclasses BaseChatClient and implements only `_call` (and, if it has a native async
API, `_acall`); it raises whatever its SDK raises, and `errors.classify` decides what is retried.
"""

from __future__ import annotations

import asyncio
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from medsim.llm.cache import KVCache, request_key
from medsim.llm.errors import RETRYABLE_KINDS, Attempt, LLMError, classify
from medsim.llm.pricing import PriceTable, default_prices
from medsim.llm.types import ChatResponse, Message, Tool, Usage


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: try i (from 0) waits min(max_delay, base_delay * 2**i), shortened by up to
    `jitter` (a fraction) at random so that parallel rollouts do not retry in lockstep."""

    max_tries: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.max_tries < 1:
            raise ValueError(f"RetryPolicy.max_tries must be >= 1, got {self.max_tries}")
        if self.base_delay < 0 or self.max_delay < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("RetryPolicy delays must be >= 0 and jitter in [0, 1]")

    def delay(self, try_index: int, rng: random.Random) -> float:
        """Seconds to wait after failed try `try_index`."""
        full = min(self.max_delay, self.base_delay * (2**try_index))
        return full * (1.0 - self.jitter * rng.random())


def check_request(messages: Any, tools: Any) -> None:
    """Reject malformed requests before anything is sent (a clear error, nothing spent)."""
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list of OpenAI chat message dicts")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise ValueError(f"messages[{i}] must be a dict with a string 'role', got {m!r:.80}")
    if tools is not None:
        if not isinstance(tools, list):
            raise ValueError("tools must be a list of OpenAI function schemas or None")
        for i, t in enumerate(tools):
            if not isinstance(t, dict) or not isinstance(t.get("function", {}).get("name"), str):
                raise ValueError(f"tools[{i}] must be {{'type': 'function', 'function': {{...}}}}")


class BaseChatClient(ABC):
    """Template for ChatClient implementations (see module docstring).

    Args:
        model: the model name reported and used for pricing and cache keys.
        timeout: seconds per try; network backends pass it to their SDK, and every async call is
            also bounded by it.
        retry: the RetryPolicy (bounded tries; then an LLMError listing every try).
        cache: an opt-in KVCache (or a path to one) of replies keyed by model+messages+tools+opts.
        usage: a running total to add to (share one between clients to total an episode).
        prices: the price table for cost (the packaged one by default).
        default_opts: options sent with every call unless overridden (temperature, seed, ...).
        sleep: the blocking sleep used between retries (tests pass a no-op).
    """

    def __init__(
        self,
        model: str,
        *,
        timeout: float | None = 60.0,
        retry: RetryPolicy | None = None,
        cache: KVCache | str | None = None,
        usage: Usage | None = None,
        prices: PriceTable | None = None,
        default_opts: dict[str, Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
    ) -> None:
        self.model = model
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.cache = KVCache(cache, namespace="chat") if isinstance(cache, str) else cache
        self.usage = usage if usage is not None else Usage()
        self.prices = prices or default_prices()
        self.default_opts = dict(default_opts or {})
        self._sleep = sleep
        self._rng = random.Random(seed)

    @abstractmethod
    def _call(self, messages: list[Message], tools: list[Tool] | None, opts: dict) -> ChatResponse:
        """One try against the backend; raise on failure."""

    async def _acall(
        self, messages: list[Message], tools: list[Tool] | None, opts: dict
    ) -> ChatResponse:
        """Async try; by default the sync one in a worker thread."""
        return await asyncio.to_thread(self._call, messages, tools, opts)

    def complete(
        self, messages: list[Message], tools: list[Tool] | None = None, **opts: Any
    ) -> ChatResponse:
        """One chat completion (see the ChatClient protocol)."""
        key, opts = self._prepare(messages, tools, opts)
        hit = self._cache_get(key)
        if hit is not None:
            return hit
        attempts: list[Attempt] = []
        while True:
            try:
                response = self._call(messages, tools, opts)
            except Exception as exc:  # every failure is classified, retried or reported
                self._sleep(self._failed(exc, attempts))
                continue
            return self._finish(key, response)

    async def acomplete(
        self, messages: list[Message], tools: list[Tool] | None = None, **opts: Any
    ) -> ChatResponse:
        """One chat completion without blocking the event loop."""
        key, opts = self._prepare(messages, tools, opts)
        hit = self._cache_get(key)
        if hit is not None:
            return hit
        attempts: list[Attempt] = []
        while True:
            try:
                response = await asyncio.wait_for(
                    self._acall(messages, tools, opts), timeout=self.timeout
                )
            except Exception as exc:
                await asyncio.sleep(self._failed(exc, attempts))
                continue
            return self._finish(key, response)

    def _prepare(
        self, messages: list[Message], tools: list[Tool] | None, opts: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        check_request(messages, tools)
        merged = {**self.default_opts, **opts}
        return request_key(self.model, messages, tools, merged), merged

    def _cache_get(self, key: str) -> ChatResponse | None:
        if self.cache is None:
            return None
        data = self.cache.get(key)
        if data is None:
            return None
        response = ChatResponse.from_dict(data, cached=True)
        response.usage = Usage(cached=1)
        self.usage.add(response.usage)
        return response

    def _failed(self, exc: Exception, attempts: list[Attempt]) -> float:
        """Record a failed try; return the delay before the next one, or raise LLMError.

        The whole retry policy lives here, once; ``complete`` and ``acomplete`` differ only in
        how they wait. (tenacity was considered: it would replace two 7-line loops but still
        need this function as callbacks — classification, usage accounting, an LLMError listing
        every try — plus a RetryError translation and an injectable seeded jitter, so it would
        add a dependency without removing logic.)"""
        attempt = classify(exc)
        attempts.append(attempt)
        self.usage.add(Usage(failed=1))
        if attempt.kind not in RETRYABLE_KINDS:
            if isinstance(exc, LLMError):  # already says what happened (e.g. a replay miss)
                exc.attempts = list(attempts)
                raise exc
            raise LLMError(f"{self.model}: call failed (not retryable)", attempts) from exc
        if len(attempts) >= self.retry.max_tries:
            raise LLMError(
                f"{self.model}: call failed after {len(attempts)} tries", attempts
            ) from exc
        return self.retry.delay(len(attempts) - 1, self._rng)

    def _finish(self, key: str, response: ChatResponse) -> ChatResponse:
        u = response.usage
        u.calls = max(u.calls, 1)
        if u.cost_usd == 0.0 and u.total_tokens:
            model = response.model if self.prices.price_of(response.model) else self.model
            u.cost_usd = self.prices.cost(model, u.prompt_tokens, u.completion_tokens)
        self.usage.add(u)
        if self.cache is not None:
            self.cache.set(key, response.to_dict())
        return response
