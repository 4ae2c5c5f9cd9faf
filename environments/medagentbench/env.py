"""``MedAgentBenchEnv``: ``ClinicalEnv`` with MedAgentBench's two protocols, two POST modes and
two grading rules, chosen by keyword::

    medsim.make("MedAgentBench-v0")                                   # text protocol, execute, fixed
    medsim.make("MedAgentBench-v0", protocol="tools")                 # function calling
    medsim.make("MedAgentBench-v0", post_mode="record", grading="original")  # the original's rules

* ``protocol="text"``: the first observation is MedAgentBench's prompt (in medsim's words: the
  three action forms, the function list as JSON, the context and the question), no system
  message, GET/POST replies phrased as the original phrases them. ``protocol="tools"``: a
  short system prompt, the instruction and context, and the FHIR tools + ``finish`` as
  function schemas. Both accept every action format medsim reads.
* ``post_mode="execute"``: POSTs run against the episode's EHR (invalid R4 is refused with the
  server's OperationOutcome) and are graded from its state. ``"record"``: as in the original, a
  POST (or ``fhir_create``/``fhir_update`` call) is answered "accepted", recorded in the episode
  record and not run, so any JSON payload (a ``route`` string, a ``note`` object) is accepted.
* ``invalid_action="end"`` (the default with ``grading="original"``, as in the original) ends
  the episode at the first action that is not a tool call or a GET/POST/FINISH line;
  ``"continue"`` (the default otherwise) answers it with an error and lets the agent retry.
* ``grading="fixed"`` or ``"original"``: see :mod:`.grading`. ``grading="original"`` defaults to
  ``post_mode="record"``: the original's payload forms (a ``route`` string) are invalid R4 and
  would be refused by an executing EHR, so its rules can only be met on recorded POSTs.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Literal

from medsim.core.actions import Call, ParsedAction
from medsim.core.env import ClinicalEnv
from medsim.core.observe import MAB_SUFFIX
from medsim.core.suite import Suite
from medsim.environments.medagentbench.posts import RECORDED, WRITE_TOOLS
from medsim.grading.record import ToolCall
from medsim.tasks.schema import Task
from medsim.tools.base import ToolResult

Protocol = Literal["text", "tools"]
PostMode = Literal["execute", "record"]
Grading = Literal["fixed", "original"]
RECORDED_REPLY = (
    "POST request accepted (recorded for grading; in record mode it is not executed and the "
    f"chart does not change). {MAB_SUFFIX}"
)


def with_grading(tasks: list[Task], grading: str) -> list[Task]:
    """The tasks with their ``medagentbench_pass`` checkpoint set to ``grading`` rules."""
    out = []
    for task in tasks:
        specs = [
            spec.model_copy(update={"params": {**spec.params, "rules": grading}})
            if spec.grader == "medagentbench_pass"
            else spec
            for spec in task.checkpoints
        ]
        out.append(task.model_copy(update={"checkpoints": specs}))
    return out


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, not {value!r}")


class MedAgentBenchEnv(ClinicalEnv):
    """MedAgentBench-v0 (see the module docstring); other keywords go to ``ClinicalEnv``."""

    def __init__(
        self,
        suite: Suite,
        *,
        protocol: Protocol = "text",
        post_mode: PostMode | None = None,
        grading: Grading = "fixed",
        tasks: list[Task] | None = None,
        **kwargs: Any,
    ) -> None:
        # the original ends a task at the first action it cannot read; "fixed" lets the agent retry
        kwargs.setdefault("invalid_action", "end" if grading == "original" else "continue")
        if post_mode is None:  # the original's rules grade recorded POSTs, as the original did
            post_mode = "record" if grading == "original" else "execute"
        _choice("protocol", protocol, ("text", "tools"))
        _choice("post_mode", post_mode, ("execute", "record"))
        _choice("grading", grading, ("fixed", "original"))
        self.protocol = protocol
        self.post_mode = post_mode
        self.grading = grading
        split = kwargs.pop("split", None) or (None if tasks is not None else suite.default_split)
        pool = list(tasks) if tasks is not None else suite.tasks()
        chosen = with_grading([t for t in pool if split is None or t.split == split], grading)
        kwargs.setdefault("tool_output_limit", None)  # the original shows whole responses
        super().__init__(protocol_suite(suite, protocol), tasks=chosen, **kwargs)

    def _invoke(self, call: Call) -> tuple[ToolResult, bool]:
        """In record mode a well-formed write is answered "accepted" and only recorded."""
        tool = self._tools[self.task.id].get(call.name)
        if (
            self.post_mode != "record"
            or tool is None
            or call.name not in WRITE_TOOLS
            or call.error is not None
            or not isinstance(call.arguments, dict)
            or not isinstance(call.arguments.get("resource"), dict)
        ):
            return super()._invoke(call)
        value = {
            RECORDED: True,
            "executed": False,
            "resource_type": call.arguments.get("resource_type"),
        }
        self.record.tool_calls.append(
            ToolCall(step=self._steps, name=call.name, arguments=dict(call.arguments), result=value)
        )
        return ToolResult(value), False

    def _format(self, parsed: ParsedAction, result: ToolResult, arguments: Any = None) -> str:
        if isinstance(result.value, dict) and result.value.get(RECORDED) and result.error is None:
            if parsed.meta.get("method") in ("POST", "PUT") or self.text_style == "medagentbench":
                return RECORDED_REPLY
            return json.dumps(result.value)
        return super()._format(parsed, result, arguments)


def protocol_suite(suite: Suite, protocol: str) -> Suite:
    """The suite as one protocol presents it (first observation, system prompt, reply style)."""
    from medsim.environments.medagentbench.prompts import function_prompt, text_template

    if protocol == "text":
        return dataclasses.replace(
            suite, prompt_template=text_template(), system_prompt=None, text_style="medagentbench"
        )
    return dataclasses.replace(
        suite,
        prompt_template="{instruction}{context_block}",
        system_prompt=function_prompt(),
        text_style="medsim",
    )
