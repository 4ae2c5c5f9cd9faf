"""The tool registry: tools by name, so tasks can list the tools they allow as plain strings.

The stable built-in tools (FHIR search/read/create/update, finish, calculators) are loaded on
first use; a suite adds its own (``ask_patient`` ...) by naming modules whose functions carry
``@tool`` in ``Suite.tool_modules``. The rule (shared with the checkpoint-grader registry, see
:mod:`medsim.named_registry`): names are unique, registering a different function under a taken
name is an error, re-registering the same function (a module reload) replaces it; loading is
thread-safe.
"""

from __future__ import annotations

from collections.abc import Iterable

from medsim.named_registry import NamedRegistry, origin_of
from medsim.tools.base import Tool

#: Modules whose import registers the built-in tools.
BUILTIN_MODULES = ("medsim.tools.fhir", "medsim.tools.finish", "medsim.tools.calculate")


class UnknownToolError(KeyError):
    """A tool name nobody registered; the message lists the closest names."""

    def __str__(self) -> str:
        return str(self.args[0])


TOOLS: NamedRegistry[Tool] = NamedRegistry(
    "tool", BUILTIN_MODULES, origin=lambda t: origin_of(t.fn), unknown=UnknownToolError
)


def register_tool(t: Tool, *, replace: bool = False) -> Tool:
    """Add ``t`` under ``t.name``; a clash with a different function raises ``ValueError``."""
    return TOOLS.add(t.name, t, replace=replace)


def get_tool(name: str) -> Tool:
    """The tool called ``name``; unknown names raise :class:`UnknownToolError` with suggestions."""
    return TOOLS.get(name)


def has_tool(name: str) -> bool:
    """Whether a tool called ``name`` is registered."""
    return name in TOOLS


def tool_names() -> list[str]:
    """Every registered tool name, sorted."""
    return TOOLS.names()


def load_tool_modules(modules: Iterable[str]) -> None:
    """Import modules whose ``@tool`` functions register more tools (a suite's own)."""
    TOOLS.load_modules(modules)


def resolve_tools(names: Iterable[str]) -> list[Tool]:
    """The tools for a task's ``tools:`` list, in the order given (unknown names raise)."""
    return [get_tool(n) for n in names]
