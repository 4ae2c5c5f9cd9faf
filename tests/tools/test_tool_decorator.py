"""@tool: schemas from signature + docstring, validation errors, hidden injected arguments."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from medsim.tools import Tool, ToolContext, ToolError, get_tool, tool
from medsim.tools.docstrings import parse_docstring


def _dose(
    weight_kg: float,
    mg_per_kg: float = 1.0,
    route: str | None = None,
    patient_id: Any = None,
    now: Any = None,
) -> dict[str, Any]:
    """Compute a weight-based dose.

    Longer explanation that stays in the description.

    Args:
        weight_kg: Body weight in kg,
            measured today.
        mg_per_kg: Dose per kg.
        route: Optional route.

    Returns:
        Not shown to the model.
    """
    if weight_kg <= 0:
        raise ToolError("weight must be positive")
    return {"dose_mg": weight_kg * mg_per_kg, "patient": patient_id, "now": str(now)}


DOSE = Tool(_dose, name="dose_calc")


def test_docstring_parsing() -> None:
    doc = parse_docstring(_dose.__doc__)
    assert doc.description.startswith("Compute a weight-based dose.")
    assert "Longer explanation" in doc.description and "Returns" not in doc.description
    assert doc.args == {
        "weight_kg": "Body weight in kg, measured today.",
        "mg_per_kg": "Dose per kg.",
        "route": "Optional route.",
    }


def test_openai_schema_hides_injected_arguments() -> None:
    schema = DOSE.openai_schema()
    fn = schema["function"]
    assert schema["type"] == "function" and fn["name"] == "dose_calc"
    props = fn["parameters"]["properties"]
    assert set(props) == {"weight_kg", "mg_per_kg", "route"}  # patient_id / now are hidden
    assert fn["parameters"]["required"] == ["weight_kg"]
    assert fn["parameters"]["additionalProperties"] is False
    assert props["weight_kg"] == {
        "description": "Body weight in kg, measured today.",
        "type": "number",
    }
    assert props["route"]["type"] == "string"  # Optional collapsed, no anyOf null
    assert "title" not in json.dumps(fn["parameters"])
    assert DOSE.injected == ("patient_id", "now")


def test_mcp_schema() -> None:
    mcp = DOSE.mcp_schema()
    assert mcp["name"] == "dose_calc"
    assert mcp["inputSchema"] == DOSE.openai_schema()["function"]["parameters"]
    assert mcp["annotations"] == {"readOnlyHint": True}
    assert get_tool("fhir_create").mcp_schema()["annotations"] == {"readOnlyHint": False}


def test_invoke_injects_context_and_validates() -> None:
    now = datetime(2024, 3, 14, 9, tzinfo=UTC)
    ctx = ToolContext(patient_id="pat-0001", now=now)
    ok = DOSE.invoke({"weight_kg": 70, "mg_per_kg": "0.5"}, ctx)
    assert ok.error is None and ok.value["dose_mg"] == 35.0 and ok.value["patient"] == "pat-0001"
    bad = DOSE.invoke({"weight_kg": "heavy", "extra": 1}, ctx)
    assert bad.kind == "invalid_arguments"
    assert bad.error is not None
    assert "weight_kg" in bad.error and "unexpected argument 'extra'" in bad.error
    missing = DOSE.invoke({}, ctx)
    assert "missing required argument 'weight_kg'" in (missing.error or "")
    not_obj = DOSE.invoke(["x"], ctx)
    assert "must be a JSON object" in (not_obj.error or "")
    # an agent cannot smuggle a hidden argument in
    hidden = DOSE.invoke({"weight_kg": 1, "patient_id": "pat-9999"}, ctx)
    assert hidden.kind == "invalid_arguments"


def test_validate_reads_any_mapping_and_leaves_the_arguments_alone() -> None:
    from types import MappingProxyType

    assert DOSE.validate(MappingProxyType({"weight_kg": 70})) == {
        "weight_kg": 70.0,
        "mg_per_kg": 1.0,
        "route": None,
    }
    arguments: dict[str, Any] = {"weight_kg": "70", "route": 5}
    assert DOSE.validate(arguments) == {"weight_kg": 70.0, "mg_per_kg": 1.0, "route": "5"}
    assert arguments == {"weight_kg": "70", "route": 5}
    with pytest.raises(ToolError, match="missing required argument 'weight_kg'"):
        DOSE.validate(None)


def test_tool_error_and_crash_become_results() -> None:
    err = DOSE.invoke({"weight_kg": -1}, ToolContext())
    assert err.error == "weight must be positive" and err.kind == "tool_error"

    def boom(x: int) -> int:
        """Always fails."""
        raise RuntimeError("bug")

    crash = Tool(boom).invoke({"x": 1}, ToolContext())
    assert crash.kind == "tool_error" and "RuntimeError: bug" in (crash.error or "")


def test_decorator_registers_and_rejects_name_clash() -> None:
    @tool(name="test_only_echo", register=True)
    def echo(text: str) -> str:
        """Echo text back.

        Args:
            text: What to echo.
        """
        return text

    assert get_tool("test_only_echo") is echo
    assert echo("hi") == "hi"  # the Tool stays callable

    with pytest.raises(ValueError, match="already registered"):

        @tool(name="test_only_echo")
        def other(text: str) -> str:
            """Another."""
            return text


def test_unannotated_and_varargs_rejected() -> None:
    def untyped(x):  # type: ignore[no-untyped-def]
        """No types."""

    with pytest.raises(TypeError, match="type annotation"):
        Tool(untyped)

    def star(*args: int) -> None:
        """Varargs."""

    with pytest.raises(TypeError, match="args"):
        Tool(star)


def test_langchain_tool_uses_same_schema_and_context() -> None:
    lc = DOSE.to_langchain(ToolContext(patient_id="pat-0002"))
    assert lc.name == "dose_calc"
    assert set(lc.args) == {"weight_kg", "mg_per_kg", "route"}
    out = json.loads(lc.invoke({"weight_kg": 10}))
    assert out["dose_mg"] == 10.0 and out["patient"] == "pat-0002"


def test_sample_arguments_are_valid() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        args = DOSE.sample_arguments(rng, ToolContext())
        DOSE.validate(args)  # never raises
