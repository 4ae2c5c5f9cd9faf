"""Helpers for OpenAI-format assistant messages, shared by the fake, replay and stub backends.

Scripts and fixtures may write a reply loosely (a string, `{"tool_calls": [{"name": ..., "arguments":
{...}}]}`); `assistant_message` turns any of those into the exact OpenAI shape, with call ids and
JSON-string arguments, so that every backend returns the same thing.
"""

from __future__ import annotations

import json
from typing import Any

from medsim.llm.types import Message


def normalize_tool_call(call: dict[str, Any], index: int = 0) -> dict[str, Any]:
    """An OpenAI `tool_calls` entry from either the OpenAI shape or `{"name", "arguments"}`."""
    function = call.get("function", call)
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"tool call {index} has no function name: {call!r:.120}")
    arguments = function.get("arguments", {})
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    return {
        "id": str(call.get("id") or f"call_{index}"),
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def assistant_message(reply: str | dict[str, Any]) -> Message:
    """An OpenAI assistant message from a string, a partial dict or a full message."""
    if isinstance(reply, str):
        return {"role": "assistant", "content": reply}
    if not isinstance(reply, dict):
        raise TypeError(f"a scripted reply must be a str or dict, got {type(reply).__name__}")
    unknown = set(reply) - {"role", "content", "tool_calls", "refusal", "name"}
    if unknown:
        raise ValueError(f"unknown keys in scripted reply: {sorted(unknown)}")
    message: Message = {"role": "assistant", "content": reply.get("content")}
    calls = reply.get("tool_calls") or []
    if calls:
        message["tool_calls"] = [normalize_tool_call(c, i) for i, c in enumerate(calls)]
    elif message["content"] is None:
        message["content"] = ""
    return message


def text_of(message: dict[str, Any]) -> str:
    """The text of a message whose content is a string, None, or a list of content parts."""
    content = message.get("content")
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def estimate_tokens(text: str) -> int:
    """A deterministic rough token count (about 4 characters a token) for offline backends."""
    return (len(text) + 3) // 4
