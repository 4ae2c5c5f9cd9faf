"""``medsim mcp`` tested with the official MCP SDK's own client over stdio."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp", reason="the mcp extra is part of dev")

from mcp.client.session import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402


def _server(tmp: Path, *args: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "medsim.cli.main", "mcp", *args, "--record", str(tmp / "rec.json")],
        cwd=str(Path(__file__).resolve().parents[1]),
    )


async def _play(params: StdioServerParameters, calls: list[tuple[str, dict[str, Any]]]) -> Any:
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        init = await session.initialize()
        tools = await session.list_tools()
        prompt = await session.get_prompt("instruction")
        results = [await session.call_tool(name, args) for name, args in calls]
        return init, tools, prompt, results


def _text(result: Any) -> str:
    return "".join(c.text for c in result.content)


def test_mcp_client_acts_and_is_graded(tmp_path: Path) -> None:
    search = {
        "resource_type": "Observation",
        "params": {"patient": "pat-0007", "code": "http://loinc.org|2823-3", "_sort": "-date"},
    }
    calls = [
        ("fhir_search", search),
        ("fhir_read", {"resource_type": "Nope", "id": "x"}),
        ("finish", {"answer": [3.1, "2025-01-15T06:00:00+00:00"]}),
    ]
    params = _server(tmp_path, "--env", "Demo-v0", "--task", "demo-k-latest")
    init, tools, prompt, results = asyncio.run(asyncio.wait_for(_play(params, calls), 120))
    names = {t.name for t in tools.tools}
    assert {"fhir_search", "fhir_read", "finish"} <= names
    finish = next(t for t in tools.tools if t.name == "finish")
    assert "answer" in finish.input_schema["properties"]
    assert "pat-0007" in init.instructions and "potassium" in init.instructions.lower()
    assert prompt.messages[0].content.text == init.instructions
    assert '"resourceType": "Bundle"' in _text(results[0]) and not results[0].is_error
    assert results[1].is_error  # an unknown resource type is an env error, not a crash
    assert "Episode graded" in _text(results[2])
    grade = json.loads(_text(results[2]).split("Episode graded: ", 1)[1])
    assert grade["score"] == 1.0 and grade["success"] is True
    record = json.loads((tmp_path / "rec.json").read_text())
    assert record["task_id"] == "demo-k-latest" and record["grade"]["score"] == 1.0


def test_mcp_wrong_answer_scores_less(tmp_path: Path) -> None:
    params = _server(tmp_path, "--env", "Demo-v0", "--task", "demo-k-latest")
    calls = [("finish", {"answer": [4.0, "2025-01-01T00:00:00+00:00"]})]
    _init, _tools, _prompt, results = asyncio.run(asyncio.wait_for(_play(params, calls), 120))
    grade = json.loads(_text(results[0]).split("Episode graded: ", 1)[1])
    assert grade["score"] < 1.0 and grade["success"] is False
