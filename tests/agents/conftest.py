"""Shared pieces for the agent and eval tests: the Demo-v0 env and a stub-server script that
plays demo-k-latest (look up the potassium, then finish with it).

The expected answer comes from the task file (environments/demo/tasks/k_latest.yaml): the
overlay's potassium is 3.1 mmol/L at "now" (2025-01-15T09:00Z) minus 3 h.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import medsim

K_TASK = "demo-k-latest"
K_ANSWER = [3.1, "2025-01-15T06:00:00+00:00"]
K_SEARCH = {
    "resource_type": "Observation",
    "params": {"patient": "pat-0007", "code": "http://loinc.org|2823-3", "_sort": "-date"},
}


def k_latest_tool_reply(body: dict[str, Any]) -> dict[str, Any]:
    """Stub reply: search first; once a tool result is in the conversation, finish."""
    seen_tool = any(m.get("role") == "tool" for m in body["messages"])
    if not seen_tool:
        return {"tool_calls": [{"id": "call_s", "name": "fhir_search", "arguments": K_SEARCH}]}
    return {"tool_calls": [{"id": "call_f", "name": "finish", "arguments": {"answer": K_ANSWER}}]}


def k_latest_text_reply(body: dict[str, Any]) -> str:
    """Stub reply for the text protocol: GET first, FINISH once the server has answered."""
    if len(body["messages"]) <= 3:  # protocol system prompt, env system prompt, instruction
        return (
            "GET http://localhost:8080/fhir/Observation?patient=pat-0007"
            "&code=http://loinc.org|2823-3&_sort=-date&_count=1"
        )
    return f"FINISH({json.dumps(K_ANSWER)})"


@pytest.fixture()
def demo_env() -> Iterator[Any]:
    env = medsim.make("Demo-v0")
    yield env
    env.close()
