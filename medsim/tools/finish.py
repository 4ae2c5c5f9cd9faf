"""The ``finish`` tool: the agent's final answer (and an optional note); it ends the episode."""

from __future__ import annotations

from typing import Any

from medsim.tools.base import tool


@tool(terminal=True, examples={"answer": ["done", [3.1, "2024-03-14T06:00:00+00:00"]]})
def finish(answer: str | float | list[Any] | None, note: str | None = None) -> dict[str, Any]:
    """Finish the task and give your final answer. Call this once, when all the work is done.

    Args:
        answer: The final answer the task asks for: a string, a number, or a JSON list of
            values (e.g. [3.1, "2024-03-14T06:00:00+00:00"]); null if the task asks for none.
        note: Optional free-text note for the clinician (summary, reasoning, follow-up).
    """
    return {"status": "finished", "answer": answer, "note": note}
