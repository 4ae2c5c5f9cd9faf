"""OpenAIClient: the real `openai` package against OpenAI or any OpenAI-compatible server
(vLLM, SGLang, Ollama, LiteLLM, medsim's stub server) through `base_url`.

The SDK's own retries are switched off so the shared policy in BaseChatClient is the only one.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from medsim.llm.base import BaseChatClient
from medsim.llm.errors import TransientLLMError
from medsim.llm.types import ChatResponse, Message, Tool, Usage

DEFAULT_KEY_ENV = "OPENAI_API_KEY"


def _import_openai() -> Any:
    try:
        import openai
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "OpenAIClient needs the openai package: pip install 'medsim[llm]'"
        ) from exc
    return openai


def response_from_openai(completion: Any, fallback_model: str) -> ChatResponse:
    """A ChatResponse from an SDK ChatCompletion; a reply without choices is a retryable
    'malformed' failure (some servers return one under load)."""
    choices = getattr(completion, "choices", None)
    if not choices or getattr(choices[0], "message", None) is None:
        raise TransientLLMError("malformed", f"completion without choices: {completion!r:.200}")
    choice = choices[0]
    message: Message = choice.message.model_dump(exclude_none=True)
    message["role"] = "assistant"
    message.setdefault("content", None if message.get("tool_calls") else "")
    for key in ("audio", "function_call", "annotations"):
        message.pop(key, None)
    if not message.get("tool_calls"):
        message.pop("tool_calls", None)
    u = getattr(completion, "usage", None)
    usage = Usage(
        prompt_tokens=int(getattr(u, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(u, "completion_tokens", 0) or 0),
    )
    return ChatResponse(
        message=message,
        usage=usage,
        model=str(getattr(completion, "model", None) or fallback_model),
        finish_reason=getattr(choice, "finish_reason", None),
    )


class OpenAIClient(BaseChatClient):
    """A ChatClient over `openai.OpenAI` / `openai.AsyncOpenAI`.

    Args:
        model: the model name sent to the server.
        base_url: an OpenAI-compatible endpoint (default: the SDK's, i.e. OpenAI or OPENAI_BASE_URL).
        api_key: the key; default read from `api_key_env`. Missing -> ValueError naming the variable.
        api_key_env: the environment variable holding the key (default OPENAI_API_KEY).
        **kwargs: BaseChatClient options (timeout, retry, cache, usage, default_opts, ...).
    """

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str = DEFAULT_KEY_ENV,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, **kwargs)
        key = api_key or os.environ.get(api_key_env)
        if not key:
            raise ValueError(
                f"OpenAIClient({model!r}): no API key. Set the {api_key_env} environment variable "
                "or pass api_key=... (any non-empty string for a local server that ignores it)."
            )
        openai = _import_openai()
        common: dict[str, Any] = {"api_key": key, "max_retries": 0, "timeout": self.timeout}
        if base_url:
            common["base_url"] = base_url
        self.base_url = base_url
        self._client = openai.OpenAI(**common)
        self._common = common
        self._async_client: Any = None

    @staticmethod
    def _request(model: str, messages: list[Message], tools: list[Tool] | None, opts: dict) -> dict:
        request: dict[str, Any] = {"model": model, "messages": messages, **opts}
        if tools:
            request["tools"] = tools
        return request

    def _call(self, messages: list[Message], tools: list[Tool] | None, opts: dict) -> ChatResponse:
        completion = self._client.chat.completions.create(
            **self._request(self.model, messages, tools, opts)
        )
        return response_from_openai(completion, self.model)

    async def _acall(
        self, messages: list[Message], tools: list[Tool] | None, opts: dict
    ) -> ChatResponse:
        loop = asyncio.get_running_loop()
        if self._async_client is None or self._async_client[0] is not loop:
            # an async HTTP pool belongs to the event loop that opened it
            self._async_client = (loop, _import_openai().AsyncOpenAI(**self._common))
        completion = await self._async_client[1].chat.completions.create(
            **self._request(self.model, messages, tools, opts)
        )
        return response_from_openai(completion, self.model)
