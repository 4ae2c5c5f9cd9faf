"""Checks an action must pass before anything parses it, so that ``step`` never raises.

Python actions can be built that no JSON text could express, or that the parser and the engine
cannot handle: nesting deep enough to exhaust the recursion limit (a ``finish`` answer of 1,000
nested lists raised ``RecursionError``), or strings with unpaired UTF-16 surrogates, which are
not text and fail with ``UnicodeEncodeError`` when stored or written. :func:`action_problem`
walks the action iteratively (it cannot overflow itself) and says what is wrong, so the env
answers with an ``invalid_action`` observation instead. :func:`safe_text` makes any string
printable for the transcript.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Deepest nesting an action may have. FHIR resources nest about 10 levels; 100 leaves room for
#: any real tool call and stays far below Python's recursion limit (1,000).
MAX_DEPTH = 100


def _bad_text(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        char = text[exc.start]
        return f"contains U+{ord(char):04X}, an unpaired surrogate, which is not valid Unicode text"
    return None


def action_problem(action: Any) -> str | None:
    """Why ``action`` cannot be read (too deep, invalid text), or None when it can."""
    stack: list[tuple[Any, int]] = [(action, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            problem = _bad_text(value)
            if problem:
                return f"the action {problem}"
            continue
        if not isinstance(value, Mapping | list | tuple):
            continue
        if depth > MAX_DEPTH:
            return f"the action is nested more than {MAX_DEPTH} levels deep"
        if isinstance(value, Mapping):
            for key, item in value.items():
                stack.append((key, depth + 1))
                stack.append((item, depth + 1))
        else:
            stack.extend((item, depth + 1) for item in value)
    return None


def safe_text(text: str) -> str:
    """``text`` with unpaired surrogates escaped (``\\ud800``), so it can be stored and printed."""
    if _bad_text(text) is None:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
