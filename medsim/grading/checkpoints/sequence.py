"""Sequence checkpoints: action A happened (first) before action B, e.g. "looked at the potassium
before ordering potassium" or "ordered the drug before the follow-up lab".

Actions are located by (step, position of the tool call in the record), so two calls in one step
(parallel tool calls) are still ordered.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from medsim.grading.checkpoints.depends import CALLS_AND_WRITES
from medsim.grading.checkpoints.fhirdata import CodeMatch
from medsim.grading.checkpoints.registry import (
    CheckResult,
    GradeContext,
    checkpoint,
    failed,
    passed,
    pending,
)
from medsim.grading.checkpoints.retrieval import (
    RetrievalMatch,
    Retrieved,
    retrieved,
    retrieved_in,
)
from medsim.grading.record import EpisodeRecord

Position = tuple[int, int]


class WrittenMatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource_type: str
    code: CodeMatch = Field(default_factory=CodeMatch)


class ActionMatch(BaseModel):
    """Exactly one of: ``tool`` (regex on the tool name, optional ``args_regex`` on its JSON
    arguments), ``retrieved`` (a search/read returned such data), ``written`` (the episode wrote
    such a resource), ``calculator`` (a calculate call with this calculator id)."""

    model_config = ConfigDict(extra="forbid")

    tool: str | None = None
    args_regex: str | None = None
    retrieved: RetrievalMatch | None = None
    written: WrittenMatch | None = None
    calculator: str | None = None

    @model_validator(mode="after")
    def _one(self) -> ActionMatch:
        kinds = [self.tool, self.retrieved, self.written, self.calculator]
        if sum(k is not None for k in kinds) != 1:
            raise ValueError("give exactly one of tool, retrieved, written, calculator")
        if self.args_regex is not None and self.tool is None:
            raise ValueError("args_regex needs tool")
        return self

    def describe(self) -> str:
        if self.tool is not None:
            return f"tool /{self.tool}/"
        if self.retrieved is not None:
            return f"retrieved {self.retrieved.describe()}"
        if self.written is not None:
            return f"wrote {self.written.resource_type} {self.written.code.describe()}"
        return f"calculator {self.calculator}"


def first_position(
    record: EpisodeRecord,
    m: ActionMatch,
    patient_id: str,
    seen: list[Retrieved] | None = None,
) -> Position | None:
    """Where the first action matching ``m`` happened, or None (``seen``: the record's
    :func:`retrieved` items for ``patient_id`` when the caller has them already)."""
    index = {id(c): i for i, c in enumerate(record.tool_calls)}
    if m.tool is not None:
        for i, call in enumerate(record.tool_calls):
            if (
                call.error is None
                and re.fullmatch(m.tool, call.name)
                and (
                    m.args_regex is None
                    or re.search(m.args_regex, str(call.arguments), re.IGNORECASE)
                )
            ):
                return call.step, i
        return None
    if m.calculator is not None:
        from medsim.calculators import get
        from medsim.grading.checkpoints.calculators import call_parts

        target = get(m.calculator).id
        for i, call in enumerate(record.tool_calls):
            name, _ = call_parts(call)
            if call.error is None and name is not None and _safe_id(name) == target:
                return call.step, i
        return None
    if m.retrieved is not None:
        for item in retrieved(record, patient_id) if seen is None else seen:
            if m.retrieved.matches(item):
                call = next(
                    c for c in record.tool_calls if c.step == item.step and c.name == item.tool
                )
                return item.step, index[id(call)]
        return None
    assert m.written is not None
    for w in record.ordered_writes():
        res = w.resource
        if (
            w.resource_type == m.written.resource_type
            and isinstance(res, dict)
            and m.written.code.matches(res)
        ):
            seq = w.seq
            pos = next(
                (i for i, c in enumerate(record.tool_calls) if seq in c.write_seqs),
                len(record.tool_calls),
            )
            return w.step, pos
    return None


def _safe_id(name: str) -> str | None:
    from medsim.calculators import CalculatorError, get

    try:
        return get(name).id
    except CalculatorError:
        return None


class ActionOrderParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first: ActionMatch
    then: ActionMatch
    require_both: bool = True  # False: passes when ``then`` never happened


@checkpoint("action_order", params=ActionOrderParams, monotone=True, depends=CALLS_AND_WRITES)
def action_order(ctx: GradeContext, **params: Any) -> CheckResult:
    """The first occurrence of ``first`` comes before the first occurrence of ``then``."""
    p = ActionOrderParams.model_validate(params)
    seen = retrieved_in(ctx).items if p.first.retrieved or p.then.retrieved else None
    a = first_position(ctx.record, p.first, ctx.patient_id, seen)
    b = first_position(ctx.record, p.then, ctx.patient_id, seen)
    label = f"{p.first.describe()} before {p.then.describe()}"
    if b is None:
        if not p.require_both and ctx.final:
            return passed(f"{label}: second action never happened")
        what = f"{label}: {'second action' if a is not None else 'neither action'} not seen"
        return failed(what) if ctx.final else pending(what + " yet")
    if a is None or a >= b:
        where = "never" if a is None else f"at step {a[0]}"
        return failed(f"{label}: second at step {b[0]}, first {where}")
    return passed(f"{label}: steps {a[0]} < {b[0]}")
