"""ChatAgent: a tool-calling agent over any :class:`medsim.llm.ChatClient`.

The conversation is the env's own transcript: the env's ``info["messages"]`` carries the
messages added since the last step (lean info; the first info holds the system prompt and the
instruction), and the agent appends them. So the assistant turn the model sent comes back as the
env recorded it (with the call ids it answered), and the history the model sees is exactly what
was graded. Tool schemas come from the reset info (``info["tools"]``; ``None`` later means
unchanged).

Retries, timeouts and cost live in the client (medsim.llm); a call that still fails raises
``LLMError``, which ``medsim eval`` records as an infrastructure error, never as an agent failure.
"""

from __future__ import annotations

import copy
from typing import Any

from medsim.agents.base import BaseAgent
from medsim.llm.types import ChatClient, ChatResponse, Message


class ChatAgent(BaseAgent):
    """Sends the transcript and the task's tools to ``client``; the reply's tool calls (or its
    text, when it called none) are the action.

    Args:
        client: any ChatClient (``medsim.llm.make_client(...)``).
        options: per-call options passed to the client unchanged (``temperature``,
            ``reasoning_effort``, ``parallel_tool_calls``, ``max_tokens``, ...).
        system_prompt: an extra system message put before the env's messages.
        use_tools: send the env's tool schemas (False for text-protocol agents).
        max_repeated_errors: identical env errors in a row before the agent gives up.
    """

    def __init__(
        self,
        client: ChatClient,
        *,
        options: dict[str, Any] | None = None,
        system_prompt: str | None = None,
        use_tools: bool = True,
        max_repeated_errors: int = 3,
        name: str | None = None,
    ) -> None:
        super().__init__(max_repeated_errors)
        self.client = client
        self.usage = client.usage  # the client's running total is the agent's usage
        self.options = dict(options or {})
        self.system_prompt = system_prompt
        self.use_tools = use_tools
        self.name = name or f"chat:{client.model}"
        self.messages: list[Message] = []
        self.tools: list[dict[str, Any]] | None = None
        self.last_response: ChatResponse | None = None

    def reset(self) -> None:
        super().reset()
        self.messages = (
            [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        )
        self.tools = None
        self.last_response = None

    def observe(self, observation: str, info: dict[str, Any]) -> None:
        """Append what the env added to the transcript (or the observation, for envs that do
        not report messages)."""
        if not self.messages and self.system_prompt:
            self.messages.append({"role": "system", "content": self.system_prompt})
        new = info.get("messages")
        if new is None:
            new = [{"role": "user", "content": observation}]
        self.messages.extend(copy.deepcopy(list(new)))
        if info.get("tools") is not None:
            self.tools = list(info["tools"])

    def request(self) -> tuple[list[Message], list[dict[str, Any]] | None]:
        """The messages and tools of the next model call."""
        return list(self.messages), (self.tools or None) if self.use_tools else None

    def to_action(self, response: ChatResponse) -> Any:
        """The env action for a model reply: the assistant message with its tool calls, or the
        reply's text."""
        self.last_response = response
        if response.tool_calls:
            return {
                "role": "assistant",
                "content": response.content or None,
                "tool_calls": response.tool_calls,
            }
        return response.content

    def _act(self, observation: str, info: dict[str, Any]) -> Any:
        self.observe(observation, info)
        messages, tools = self.request()
        return self.to_action(self.client.complete(messages, tools=tools, **self.options))

    async def _aact(self, observation: str, info: dict[str, Any]) -> Any:
        self.observe(observation, info)
        messages, tools = self.request()
        return self.to_action(await self.client.acomplete(messages, tools=tools, **self.options))
