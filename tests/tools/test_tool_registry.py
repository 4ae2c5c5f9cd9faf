"""The tool registry: built-ins by name, helpful errors for unknown names."""

from __future__ import annotations

import pytest

from medsim.tools import UnknownToolError, get_tool, has_tool, resolve_tools, tool_names


def test_builtins_registered() -> None:
    for name in ("fhir_search", "fhir_read", "fhir_create", "fhir_update", "finish"):
        assert has_tool(name)
    assert get_tool("fhir_create").writes and get_tool("fhir_update").writes
    assert not get_tool("fhir_search").writes and not get_tool("finish").writes
    assert get_tool("finish").terminal
    assert set(tool_names()) >= {"fhir_search", "finish"}


def test_unknown_tool_suggests() -> None:
    with pytest.raises(UnknownToolError, match="did you mean fhir_search"):
        get_tool("fhir_serach")
    with pytest.raises(UnknownToolError):
        resolve_tools(["finish", "nope"])


def test_resolve_keeps_order() -> None:
    assert [t.name for t in resolve_tools(["finish", "fhir_read"])] == ["finish", "fhir_read"]
