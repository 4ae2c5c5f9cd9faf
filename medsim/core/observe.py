"""The env's standard messages: errors, MedAgentBench's reply phrasing, how to act. (Tool
results themselves are rendered and cut by :mod:`medsim.observation`.)"""

from __future__ import annotations

from medsim.tools.base import ToolResult

MAB_SUFFIX = (
    "Please call FINISH if you have got answers for all the questions and finished all the "
    "requested tasks"
)


def error_info(kind: str, message: str) -> dict[str, str]:
    """``info["error"]``: what kind of problem the last action had, and the explanation."""
    return {"type": kind, "message": message}


def medagentbench_text(method: str, result: ToolResult, body: str) -> str:
    """MedAgentBench's phrasing of a GET/POST response (for ``text_style="medagentbench"``);
    ``body`` is the result as the env's observation view shows it."""
    if result.error is not None:
        return f"Invalid {method} request. {body}"
    if method == "GET":
        return f"Here is the response from the GET request:\n{body}. {MAB_SUFFIX}"
    return f"{method} request accepted and executed successfully. {MAB_SUFFIX}"


def how_to_act(tool_names: list[str]) -> str:
    """The reminder given after an action the env could not use."""
    names = ", ".join(tool_names)
    return (
        f"Act by calling one of the tools ({names}) as a JSON tool call "
        '{"name": "<tool>", "arguments": {...}}, or with the text protocol: `GET <url>`, '
        "`POST <url>` followed by a JSON body, or `FINISH([answer, ...])`. "
        "Give your final answer with the finish tool."
    )
