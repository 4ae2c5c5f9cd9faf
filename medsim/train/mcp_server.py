"""An MCP server over one medsim episode: any Model Context Protocol client acts in it and is graded.

``medsim mcp --env Demo-v0 [--task ID | --seed N] [--record PATH]`` resets the env and serves the
episode's tools (FHIR read/search/create/update, calculators, workbench tools, ``finish`` — exactly
the task's ``info["tools"]``) over stdio with the official ``mcp`` SDK (low-level ``Server``, so the
env's own JSON schemas are served unchanged). The task's instruction is the server's
``instructions`` and also the ``instruction`` prompt. Each ``tools/call`` is one ``env.step``; an
env error comes back as a tool result with ``isError`` set. When ``finish`` (or the step budget)
ends the episode, the reply carries the grade (score, success, checkpoints) and the record is
written to ``--record`` if given; later calls are answered with the env's ``episode_over``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import medsim


class EpisodeSession:
    """One env episode driven by tool calls (transport-free, so it is testable on its own)."""

    def __init__(
        self,
        env_id: str,
        *,
        task_id: str | None = None,
        seed: int = 0,
        record_path: Path | None = None,
        env_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.env = medsim.make(env_id, **(env_kwargs or {}))
        options = {"task_id": task_id} if task_id else None
        self.instruction, info = self.env.reset(seed=seed, options=options)
        self.task_id = str(info["task_id"])
        self.tools: list[dict[str, Any]] = list(info.get("tools") or [])
        self.record_path = record_path
        self.grade: dict[str, Any] | None = None

    def call(self, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
        """Run one tool call as an env step: (text reply, is_error)."""
        obs, _r, term, trunc, info = self.env.step({"name": name, "arguments": arguments})
        text = str(obs)
        if (term or trunc) and self.grade is None:
            record = self.env.unwrapped.record  # type: ignore[attr-defined]
            grade = record.grade or {}
            self.grade = {
                "task_id": self.task_id,
                "score": grade.get("score"),
                "success": grade.get("success"),
                "checkpoints": {
                    cid: c.get("status") for cid, c in (grade.get("checkpoints") or {}).items()
                },
            }
            if self.record_path is not None:
                self.record_path.write_text(record.model_dump_json(indent=1))
            text += "\n\nEpisode graded: " + json.dumps(self.grade)
        return text, info.get("error") is not None


def build_server(session: EpisodeSession) -> Any:
    """The ``mcp`` low-level Server serving ``session``'s tools."""
    import mcp_types as types
    from mcp.server.lowlevel import Server

    tools = [
        types.Tool(
            name=t["function"]["name"],
            description=t["function"].get("description") or "",
            input_schema=t["function"].get("parameters") or {"type": "object", "properties": {}},
        )
        for t in session.tools
    ]

    async def list_tools(ctx: Any, params: Any) -> Any:
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: Any, params: Any) -> Any:
        text, is_error = session.call(params.name, dict(params.arguments or {}))
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)], is_error=is_error
        )

    async def list_prompts(ctx: Any, params: Any) -> Any:
        return types.ListPromptsResult(
            prompts=[types.Prompt(name="instruction", description="the task's instruction")]
        )

    async def get_prompt(ctx: Any, params: Any) -> Any:
        message = types.PromptMessage(
            role="user", content=types.TextContent(type="text", text=session.instruction)
        )
        return types.GetPromptResult(messages=[message])

    return Server(
        "medsim",
        instructions=session.instruction,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )


async def serve_stdio(session: EpisodeSession) -> None:
    """Serve ``session`` over stdin/stdout until the client disconnects."""
    from mcp.server.stdio import stdio_server

    server = build_server(session)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())
    if session.grade is not None:
        print(json.dumps(session.grade), file=sys.stderr)
