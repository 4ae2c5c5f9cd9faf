"""LangChainAgent: any tool-calling LangChain chat model as a medsim agent.

The env's tools reach the model through LangChain's ``bind_tools`` (inside
:class:`medsim.llm.LangChainClient`), which turns the OpenAI function schemas the env derives
from its typed tools into the model's native tool format.
"""

from __future__ import annotations

from typing import Any

from medsim.agents.chat import ChatAgent
from medsim.llm.langchain_client import LangChainClient, chat_openai_client


class LangChainAgent(ChatAgent):
    """``LangChainAgent(chat_model)`` for any ``BaseChatModel``, or
    ``LangChainAgent.openai("gpt-4.1-mini", base_url=...)`` for langchain-openai's ChatOpenAI."""

    def __init__(
        self,
        chat_model: Any,
        *,
        options: dict[str, Any] | None = None,
        client_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        client = (
            chat_model
            if isinstance(chat_model, LangChainClient)
            else LangChainClient(chat_model, **(client_options or {}))
        )
        kwargs.setdefault("name", f"langchain:{client.model}")
        super().__init__(client, options=options, **kwargs)

    @classmethod
    def openai(
        cls,
        model: str,
        *,
        base_url: str | None = None,
        client_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> LangChainAgent:
        """ChatOpenAI (langchain-openai) on OpenAI or any OpenAI-compatible ``base_url``."""
        client = chat_openai_client(model, base_url=base_url, **(client_options or {}))
        return cls(client, **kwargs)
