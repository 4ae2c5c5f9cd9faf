"""The episode transcript in OpenAI chat format, and its plain-text rendering.

Structured tool calls become an assistant message with ``tool_calls`` followed by one ``tool``
message per call (what an OpenAI client sends back); text actions (the MedAgentBench protocol,
plain text, unreadable actions) become an assistant message and the env's reply as a ``user``
message, as in MedAgentBench's own loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from medsim.observation.view import json_text

_RENDER_LIMIT = 2000


def system(content: str) -> dict[str, Any]:
    return {"role": "system", "content": content}


def user(content: str) -> dict[str, Any]:
    return {"role": "user", "content": content}


def assistant_text(content: str) -> dict[str, Any]:
    return {"role": "assistant", "content": content}


def assistant_calls(calls: Sequence[tuple[str, str, Any]], content: str = "") -> dict[str, Any]:
    """An assistant turn with tool calls given as (id, name, arguments)."""
    return {
        "role": "assistant",
        "content": content or None,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": json_text(args),
                },
            }
            for call_id, name, args in calls
        ],
    }


def tool_reply(call_id: str, content: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def render(messages: Sequence[dict[str, Any]], limit: int = _RENDER_LIMIT) -> str:
    """The transcript as readable text (long contents shortened to ``limit`` characters)."""
    lines: list[str] = []
    for msg in messages:
        role = str(msg.get("role", "?"))
        content = msg.get("content")
        if isinstance(content, str) and content:
            lines.append(f"[{role}] {_short(content, limit)}")
        for call in msg.get("tool_calls") or []:
            fn = call.get("function", {})
            lines.append(f"[{role}] -> {fn.get('name')}({_short(str(fn.get('arguments')), limit)})")
    return "\n".join(lines) + "\n"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]} ... [{len(text) - limit} more chars]"
