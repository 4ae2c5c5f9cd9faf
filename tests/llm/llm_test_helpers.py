"""Constants shared by the LLM-layer tests (imported by name: tests/llm is on sys.path)."""

from __future__ import annotations

from typing import Any

from medsim.llm.base import RetryPolicy

LOOKUP_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "lookup_lab",
        "description": "Latest value of a lab test for the patient in context.",
        "parameters": {
            "type": "object",
            "properties": {"loinc": {"type": "string"}},
            "required": ["loinc"],
        },
    },
}

# Potassium [Moles/volume] in Serum or Plasma
POTASSIUM_LOINC = "2823-3"

FAST_RETRY = RetryPolicy(max_tries=3, base_delay=0.0, jitter=0.0)

USER = [{"role": "user", "content": "What is the latest potassium?"}]


def no_sleep(_seconds: float) -> None:
    """Retries in tests do not wait."""
