"""LangChainClient: any LangChain `BaseChatModel` behind the medsim ChatClient protocol.

OpenAI-format messages are converted with langchain-core's own converters, tools are bound with
`bind_tools` (which accepts OpenAI function schemas), and the reply's tool calls and usage metadata
come back in OpenAI shape. `chat_openai_client` builds one over langchain-openai's ChatOpenAI.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from medsim.llm.base import BaseChatClient
from medsim.llm.errors import TransientLLMError
from medsim.llm.openai_client import DEFAULT_KEY_ENV
from medsim.llm.types import ChatResponse, Message, Tool, Usage


def _import_core() -> Any:
    try:
        from langchain_core import messages
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "LangChainClient needs langchain-core: pip install 'medsim[llm]'"
        ) from exc
    return messages


def response_from_langchain(ai_message: Any, fallback_model: str) -> ChatResponse:
    """A ChatResponse from a LangChain AIMessage (tool calls and usage in OpenAI shape)."""
    lc = _import_core()
    if not isinstance(ai_message, lc.AIMessage):
        raise TransientLLMError("malformed", f"model returned {type(ai_message).__name__}")
    message: Message = lc.convert_to_openai_messages(ai_message)
    message["role"] = "assistant"
    if message.get("tool_calls"):
        message["content"] = message.get("content") or None  # as OpenAI sends it
    else:
        message.pop("tool_calls", None)
        message["content"] = message.get("content") or ""
    meta = ai_message.usage_metadata or {}
    usage = Usage(
        prompt_tokens=int(meta.get("input_tokens", 0)),
        completion_tokens=int(meta.get("output_tokens", 0)),
    )
    info = ai_message.response_metadata or {}
    return ChatResponse(
        message=message,
        usage=usage,
        model=str(info.get("model_name") or info.get("model") or fallback_model),
        finish_reason=info.get("finish_reason"),
    )


class LangChainClient(BaseChatClient):
    """A ChatClient over a LangChain chat model.

    Per-call options (temperature, max_tokens, ...) are passed as `bind` kwargs. Turn off the chat
    model's own retries (e.g. ChatOpenAI(max_retries=0)) so that only medsim's policy retries.

    Chat models that hold an async HTTP pool (ChatOpenAI) can serve only the event loop that first
    used it; give `factory` (a zero-argument builder of the same chat model) and async calls get
    a fresh model for each new event loop. `chat_openai_client` does this.
    """

    def __init__(
        self,
        chat_model: Any,
        model: str | None = None,
        factory: Callable[[], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = (
            model or getattr(chat_model, "model_name", None) or getattr(chat_model, "model", None)
        )
        super().__init__(str(name or type(chat_model).__name__), **kwargs)
        self.chat_model = chat_model
        self.factory = factory
        self._loop_model: tuple[Any, Any] | None = None

    def _async_model(self) -> Any:
        if self.factory is None:
            return self.chat_model
        loop = asyncio.get_running_loop()
        if self._loop_model is None or self._loop_model[0] is not loop:
            self._loop_model = (loop, self.factory())
        return self._loop_model[1]

    @staticmethod
    def _runnable(chat_model: Any, tools: list[Tool] | None, opts: dict) -> Any:
        runnable = chat_model.bind_tools(tools) if tools else chat_model
        return runnable.bind(**opts) if opts else runnable

    def _call(self, messages: list[Message], tools: list[Tool] | None, opts: dict) -> ChatResponse:
        lc_messages = _import_core().convert_to_messages(messages)
        reply = self._runnable(self.chat_model, tools, opts).invoke(lc_messages)
        return response_from_langchain(reply, self.model)

    async def _acall(
        self, messages: list[Message], tools: list[Tool] | None, opts: dict
    ) -> ChatResponse:
        lc_messages = _import_core().convert_to_messages(messages)
        reply = await self._runnable(self._async_model(), tools, opts).ainvoke(lc_messages)
        return response_from_langchain(reply, self.model)


def chat_openai_client(
    model: str,
    base_url: str | None = None,
    api_key: str | None = None,
    api_key_env: str = DEFAULT_KEY_ENV,
    **kwargs: Any,
) -> LangChainClient:
    """A LangChainClient over langchain-openai's ChatOpenAI (any OpenAI-compatible base_url).

    A missing key is a ValueError naming the environment variable; ChatOpenAI's own retries are
    off and its timeout is medsim's, so the shared retry policy applies.
    """
    key = api_key or os.environ.get(api_key_env)
    if not key:
        raise ValueError(
            f"chat_openai_client({model!r}): no API key. Set the {api_key_env} environment "
            "variable or pass api_key=... (any non-empty string for a local server)."
        )
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "chat_openai_client needs langchain-openai: pip install 'medsim[llm]'"
        ) from exc
    timeout = kwargs.get("timeout", 60.0)

    def build() -> Any:
        # a private async HTTP pool: langchain-openai's default one is shared process-wide and
        # dies with the first event loop that used it
        import openai

        return ChatOpenAI(
            model=model,
            base_url=base_url,
            api_key=SecretStr(key),
            max_retries=0,
            timeout=timeout,
            http_async_client=openai.DefaultAsyncHttpxClient(),
        )

    return LangChainClient(build(), model=model, factory=build, **kwargs)
