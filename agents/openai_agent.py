"""OpenAIAgent: chat-completions tool calling through the real ``openai`` SDK against OpenAI or
any OpenAI-compatible server (vLLM, SGLang, Azure's OpenAI endpoint, Ollama, the stub server).
Reasoning effort and parallel tool calls are passed through to the API as given."""

from __future__ import annotations

from typing import Any

from medsim.agents.chat import ChatAgent
from medsim.llm.spec import make_client


class OpenAIAgent(ChatAgent):
    """``OpenAIAgent("gpt-4.1-mini", base_url=None, reasoning_effort="low")``.

    Args:
        model: model name sent to the server.
        base_url: OpenAI-compatible endpoint (default: the SDK's).
        reasoning_effort: sent as ``reasoning_effort`` when given (o-series / gpt-5 models).
        parallel_tool_calls: sent as ``parallel_tool_calls`` when given.
        temperature: sent when given (model default otherwise).
        options: any other chat-completions parameters, passed unchanged.
        client_options: options for the client (``api_key``, ``timeout``, ``retry``, ``cache``).
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        reasoning_effort: str | None = None,
        parallel_tool_calls: bool | None = None,
        temperature: float | None = None,
        options: dict[str, Any] | None = None,
        client_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        opts = dict(options or {})
        for key, value in (
            ("reasoning_effort", reasoning_effort),
            ("parallel_tool_calls", parallel_tool_calls),
            ("temperature", temperature),
        ):
            if value is not None:
                opts[key] = value
        copts = dict(client_options or {})
        if base_url:
            copts["base_url"] = base_url
        client = make_client(f"openai:{model}", **copts)
        kwargs.setdefault("name", f"openai:{model}")
        super().__init__(client, options=opts, **kwargs)
