"""The POSTs of an episode, as the two grading modes see them.

* **fixed** (medsim's default): what the episode really wrote to the EHR (``post_mode="execute"``:
  the final state of every resource it created) plus what it posted in ``post_mode="record"``
  (payloads the env accepted and recorded without running them), in order. A POST the server
  rejected is not a POST. A no-order task fails only if something was written or recorded.
* **original**: MedAgentBench's ``refsol.py`` rules: a POST is an agent message that contains
  ``POST`` followed by a reply that contains "POST request accepted", its URL the first line
  after ``POST`` and its payload the JSON of the lines after; a no-order task fails when *any*
  agent message contains the letters ``POST``. Function calls (``fhir_create``) count as
  ``POST <api_base><type>`` with their ``resource`` as payload.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from medsim.grading.record import EpisodeRecord

Json = dict[str, Any]
API_BASE = "http://localhost:8080/fhir/"
WRITE_TOOLS = ("fhir_create", "fhir_update")
#: The result a recorded (not executed) POST gets in ``post_mode="record"``.
RECORDED = "recorded"


@dataclass(frozen=True)
class Post:
    """One POST: its URL as the agent wrote it (or the canonical one), type and payload."""

    url: str
    resource_type: str
    payload: Any


def fixed_posts(record: EpisodeRecord) -> list[Post]:
    """Resources the episode created in the EHR, and payloads recorded in record mode."""
    out: list[tuple[int, Post]] = []
    for written in record.written().values():
        if written.created and written.resource is not None:
            rtype = written.resource_type
            out.append((written.first_step, Post(API_BASE + rtype, rtype, written.resource)))
    for call in record.tool_calls:
        if call.name in WRITE_TOOLS and isinstance(call.result, dict) and call.result.get(RECORDED):
            rtype = str(call.arguments.get("resource_type", ""))
            out.append((call.step, Post(API_BASE + rtype, rtype, call.arguments.get("resource"))))
    return [p for _, p in sorted(out, key=lambda item: item[0])]


def _content(message: Json) -> str:
    content = message.get("content")
    return content if isinstance(content, str) else ""


def original_posts(record: EpisodeRecord) -> list[Post]:
    """MedAgentBench's ``extract_posts`` over the transcript (text protocol) and the function
    calls (function-calling protocol)."""
    out: list[Post] = []
    messages = record.messages
    for i, msg in enumerate(messages):
        if msg.get("role") != "assistant":
            continue
        text = _content(msg)
        accepted = i + 1 < len(messages) and "POST request accepted" in _content(messages[i + 1])
        if "POST" in text and accepted:
            found = _text_post(text)
            if found is not None:
                out.append(found)
        for call in msg.get("tool_calls") or []:
            fn = call.get("function") or {}
            if fn.get("name") != "fhir_create":
                continue
            reply = _tool_reply(messages, str(call.get("id")))
            if reply is None or reply.startswith("Error"):
                continue
            args = fn.get("arguments")
            try:
                data = json.loads(args) if isinstance(args, str) else dict(args or {})
            except (json.JSONDecodeError, TypeError, ValueError):
                continue
            rtype = str(data.get("resource_type", ""))
            out.append(Post(API_BASE + rtype, rtype, data.get("resource")))
    return out


def _text_post(text: str) -> Post | None:
    """``POST <url>`` + JSON lines, read as the original reads them (None if not JSON)."""
    lines = text.split("\n")
    try:
        payload = json.loads("\n".join(lines[1:]))
    except json.JSONDecodeError:
        return None
    url = lines[0][4:].strip()
    return Post(url, url.rsplit("/", 1)[-1], payload)


def _tool_reply(messages: list[Json], call_id: str) -> str | None:
    for msg in messages:
        if msg.get("role") == "tool" and str(msg.get("tool_call_id")) == call_id:
            return _content(msg)
    return None


def original_has_post(record: EpisodeRecord) -> bool:
    """``check_has_post``: any agent message mentioning POST (or any fhir_create call)."""
    for msg in record.messages:
        if msg.get("role") != "assistant":
            continue
        if "POST" in _content(msg):
            return True
        if any(
            (c.get("function") or {}).get("name") in WRITE_TOOLS
            for c in msg.get("tool_calls") or []
        ):
            return True
    return False
