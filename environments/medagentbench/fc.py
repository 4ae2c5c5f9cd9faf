"""Text-protocol actions as function calls: the same reference solution in both protocols."""

from __future__ import annotations

from typing import Any

from medsim.core.actions import parse_action


def to_function_calls(actions: list[Any]) -> list[Any]:
    """``GET``/``POST``/``FINISH`` lines as ``{"name", "arguments"}`` calls (others unchanged)."""
    out: list[Any] = []
    for action in actions:
        parsed = parse_action(action)
        if isinstance(action, str) and parsed.kind == "calls" and parsed.protocol == "text":
            out.extend({"name": c.name, "arguments": c.arguments} for c in parsed.calls)
        else:
            out.append(action)
    return out
