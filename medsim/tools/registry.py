"""The tool registry: tools by name, so tasks can list the tools they allow as plain strings.

The stable built-in tools (FHIR search/read/create/update, finish) are loaded on first use; a
suite adds its own (``calculate``, ``ask_patient`` ...) simply by importing a module whose
functions carry ``@tool``. Names are unique: registering a different function under a taken name
is an error, re-registering the same function (a module reload) replaces it.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable

from medsim.tools.base import Tool

#: Modules whose import registers the built-in tools.
BUILTIN_MODULES = ("medsim.tools.fhir", "medsim.tools.finish", "medsim.tools.calculate")

_TOOLS: dict[str, Tool] = {}
_loaded = False


class UnknownToolError(KeyError):
    """A tool name nobody registered; the message lists the closest names."""

    def __str__(self) -> str:
        return str(self.args[0])


def _load_builtins() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in BUILTIN_MODULES:
            importlib.import_module(module)


def register_tool(t: Tool, *, replace: bool = False) -> Tool:
    """Add ``t`` under ``t.name``; a clash with a different function raises ``ValueError``."""
    old = _TOOLS.get(t.name)
    if old is not None and not replace:
        same = (old.fn.__module__, old.fn.__qualname__) == (t.fn.__module__, t.fn.__qualname__)
        if not same:
            raise ValueError(
                f"tool name {t.name!r} is already registered by "
                f"{old.fn.__module__}.{old.fn.__qualname__}"
            )
    _TOOLS[t.name] = t
    return t


def get_tool(name: str) -> Tool:
    """The tool called ``name``; unknown names raise :class:`UnknownToolError` with suggestions."""
    _load_builtins()
    try:
        return _TOOLS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(_TOOLS), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownToolError(
            f"unknown tool {name!r}{hint} (registered: {', '.join(sorted(_TOOLS))})"
        ) from None


def has_tool(name: str) -> bool:
    """Whether a tool called ``name`` is registered."""
    _load_builtins()
    return name in _TOOLS


def tool_names() -> list[str]:
    """Every registered tool name, sorted."""
    _load_builtins()
    return sorted(_TOOLS)


def resolve_tools(names: Iterable[str]) -> list[Tool]:
    """The tools for a task's ``tools:`` list, in the order given (unknown names raise)."""
    return [get_tool(n) for n in names]
