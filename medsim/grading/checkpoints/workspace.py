"""Workspace checkpoints: a deliverable file the agent wrote with ``write_file`` holds the facts.

The file is read from the episode record (``write_file`` calls replayed by
:func:`medsim.tools.workspace.workspace_files`), so saved episodes re-grade offline. Content rules
are the note rules (``regex``, ``must_not``, ``mentions``: numbers within tolerance of a chart or
literal value) plus ``quantities``: a value *with its unit* ("2.5 mg", "eGFR 24 mL/min/1.73 m2").
Prose quality belongs in rubric criteria.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from medsim.grading.checkpoints.chart import ExpectedValue, NeedsStore, compute_expected
from medsim.grading.checkpoints.depends import ANY, Depends
from medsim.grading.checkpoints.notes import Mention, NoteWrittenParams, note_problem
from medsim.grading.checkpoints.patterns import Regex
from medsim.grading.checkpoints.registry import (
    CheckResult,
    GradeContext,
    checkpoint,
    failed,
    passed,
    pending,
)
from medsim.grading.checkpoints.values import Approx
from medsim.tools.workspace import WRITE_FILE, WorkspaceError, normalise_path, workspace_files

_NUMBER = r"(\d+(?:,\d{3})*(?:\.\d+)?)"


class Quantity(BaseModel):
    """A number within tolerance of ``expected``, written with a unit matching ``unit_regex``."""

    model_config = ConfigDict(extra="forbid")

    expected: ExpectedValue
    unit_regex: Regex
    tolerance: float = Field(default=0.0, ge=0)
    rel_tolerance: float = Field(default=0.0, ge=0)


class WorkspaceFileParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str  # the deliverable's path, e.g. output/econsult_reply.md
    regex: list[Regex] = Field(default_factory=list)
    must_not: list[Regex] = Field(default_factory=list)
    mentions: list[Mention] = Field(default_factory=list)
    quantities: list[Quantity] = Field(default_factory=list)
    min_length: int = Field(default=1, ge=0)

    @field_validator("path")
    @classmethod
    def _valid_path(cls, v: str) -> str:
        try:
            return normalise_path(v)
        except WorkspaceError as exc:
            raise ValueError(exc.message) from None

    def rules(self) -> NoteWrittenParams:
        """The note content rules this file must meet (shared with ``note_written``)."""
        return NoteWrittenParams(
            regex=self.regex,
            must_not=self.must_not,
            mentions=self.mentions,
            min_length=self.min_length,
        )


def quantity_problem(text: str, q: Quantity, ctx: GradeContext) -> str | None:
    """None when ``text`` writes the expected value followed by a matching unit."""
    exp = compute_expected(ctx, q.expected)
    if not exp.found or not isinstance(exp.value, int | float) or isinstance(exp.value, bool):
        return f"no numeric expected value ({exp.evidence})"
    approx = Approx(value=float(exp.value), tolerance=q.tolerance, rel_tolerance=q.rel_tolerance)
    for match in re.finditer(_NUMBER + r"\s*(?:" + q.unit_regex + r")", text, re.IGNORECASE):
        if approx.check(float(match.group(1).replace(",", "")))[0]:
            return None
    return f"does not state {approx.describe()} with unit /{q.unit_regex}/"


@checkpoint(
    "workspace_file",
    params=WorkspaceFileParams,
    depends=Depends(calls=re.escape(WRITE_FILE), writes=ANY),
)
def workspace_file(ctx: GradeContext, **params: Any) -> CheckResult:
    """The workspace file ``path`` exists and its text matches every ``regex``, none of
    ``must_not``, mentions every value in ``mentions`` and states every ``quantities`` entry
    (value with unit)."""
    p = WorkspaceFileParams.model_validate(params)
    files = workspace_files(ctx.record)
    text = files.get(p.path)
    if text is None:
        what = f"no file {p.path} in the workspace (files: {sorted(files) or 'none'})"
        return failed(what) if ctx.final else pending(what + " yet")
    try:
        problem = note_problem(text, p.rules(), ctx)
        for q in p.quantities:
            problem = problem or quantity_problem(text, q, ctx)
    except NeedsStore as exc:
        return pending(str(exc))
    if problem is None:
        return passed(f"{p.path} ({len(text)} characters) meets all content rules")
    msg = f"{p.path}: {problem}"
    return failed(msg) if ctx.final else pending(msg)
