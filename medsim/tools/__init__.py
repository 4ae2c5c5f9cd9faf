"""Tools agents call: ``@tool`` functions with derived OpenAI / LangChain / MCP schemas.

Public API: :func:`tool`, :class:`Tool`, :class:`ToolContext`, :class:`ToolError`,
:class:`ToolResult`, and the registry (:func:`get_tool`, :func:`tool_names`,
:func:`register_tool`, :func:`resolve_tools`).
"""

from medsim.tools.base import INJECTED, Tool, ToolContext, ToolError, ToolResult, tool
from medsim.tools.registry import (
    UnknownToolError,
    get_tool,
    has_tool,
    register_tool,
    resolve_tools,
    tool_names,
)

__all__ = [
    "INJECTED",
    "Tool",
    "ToolContext",
    "ToolError",
    "ToolResult",
    "UnknownToolError",
    "get_tool",
    "has_tool",
    "register_tool",
    "resolve_tools",
    "tool",
    "tool_names",
]
