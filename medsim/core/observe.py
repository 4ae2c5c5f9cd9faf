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


#: What the first observation says plain text (not a tool call, not GET/POST/FINISH) will do.
PLAIN_TEXT_NOTES = {
    "error": "Plain text is not an action here: act with a tool call (or a GET/POST/FINISH "
    "line); text alone only gets an error back.",
    "answer": "Plain text (anything that is not a tool call or a GET/POST/FINISH line) is taken "
    "as your final answer and ends the task.",
    "patient": "Plain text is said to the patient; act on the record with tool calls.",
}


def plain_text_note(policy: str, finish_available: bool) -> str:
    """The line the first observation ends with, saying what plain text will do. "answer" needs
    the finish tool; without it plain text is an error (as ``on_plain_text`` does)."""
    if policy == "answer" and not finish_available:
        policy = "error"
    return PLAIN_TEXT_NOTES.get(policy, PLAIN_TEXT_NOTES["error"])
