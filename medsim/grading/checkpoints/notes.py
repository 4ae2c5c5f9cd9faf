"""Note checkpoints: a DocumentReference / Communication (or the finish tool's note) was written
for the task's patient and its text matches regexes and mentions the right values.

These are rule checks on content; prose quality belongs in rubric criteria.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from medsim.grading.checkpoints.chart import ExpectedValue, NeedsStore, compute_expected
from medsim.grading.checkpoints.fhirdata import CodeMatch, patients_of, resource_text
from medsim.grading.checkpoints.registry import (
    CheckResult,
    GradeContext,
    checkpoint,
    failed,
    passed,
    pending,
)
from medsim.grading.checkpoints.values import Approx, numbers_in, to_unit


class Mention(BaseModel):
    """The note mentions a value: a number within tolerance of ``expected`` (computed from the
    chart or literal), or the expected text (case-insensitive)."""

    model_config = ConfigDict(extra="forbid")

    expected: ExpectedValue
    tolerance: float = Field(default=0.0, ge=0)
    rel_tolerance: float = Field(default=0.0, ge=0)
    unit: str | None = None  # the unit the note is expected to use
    required_if_absent: bool = False  # chart lacks the value: fail (True) or skip (False)


class NoteWrittenParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource_types: list[str] = Field(
        default_factory=lambda: ["DocumentReference", "Communication"]
    )
    code: CodeMatch = Field(default_factory=CodeMatch)
    include_finish_note: bool = False  # the finish tool's ``note`` counts as a note
    regex: list[str] = Field(default_factory=list)  # all must match (case-insensitive)
    must_not: list[str] = Field(default_factory=list)
    mentions: list[Mention] = Field(default_factory=list)
    min_length: int = Field(default=1, ge=0)

    @field_validator("regex", "must_not")
    @classmethod
    def _compiles(cls, v: list[str]) -> list[str]:
        for rx in v:
            re.compile(rx)
        return v


def _mention_problem(text: str, m: Mention, ctx: GradeContext) -> str | None:
    exp = compute_expected(ctx, m.expected)
    if not exp.found:
        return f"{exp.evidence} (required)" if m.required_if_absent else None
    if isinstance(exp.value, int | float) and not isinstance(exp.value, bool):
        want = float(exp.value)
        if m.unit is not None:
            converted = to_unit(want, exp.unit, m.unit)
            want = converted if converted is not None else want
        approx = Approx(value=want, tolerance=m.tolerance, rel_tolerance=m.rel_tolerance)
        if any(approx.check(n)[0] for n in numbers_in(text)):
            return None
        return f"does not mention {approx.describe()} ({exp.evidence})"
    if str(exp.value).casefold() in text.casefold():
        return None
    return f"does not mention {exp.value!r}"


def note_problem(text: str, p: NoteWrittenParams, ctx: GradeContext) -> str | None:
    """None when ``text`` satisfies every content rule, else the first failure."""
    if len(text.strip()) < p.min_length:
        return "empty"
    for rx in p.regex:
        if not re.search(rx, text, re.IGNORECASE):
            return f"no match for /{rx}/"
    for rx in p.must_not:
        if re.search(rx, text, re.IGNORECASE):
            return f"forbidden /{rx}/ present"
    for m in p.mentions:
        problem = _mention_problem(text, m, ctx)
        if problem:
            return problem
    return None


@checkpoint("note_written", params=NoteWrittenParams)
def note_written(ctx: GradeContext, **params: Any) -> CheckResult:
    """A note resource (``resource_types``, optional ``code`` for its type) about the task's
    patient, or the finish note if allowed, matches every ``regex``, none of ``must_not``, and
    mentions every value in ``mentions``."""
    p = NoteWrittenParams.model_validate(params)
    notes: list[tuple[str, str]] = []
    for w in ctx.record.written().values():
        res = w.resource
        if (
            res is not None
            and w.resource_type in p.resource_types
            and ctx.patient_id in patients_of(res)
            and p.code.matches(res)
        ):
            notes.append((f"{w.resource_type}/{w.id} (step {w.first_step})", resource_text(res)))
    if p.include_finish_note and ctx.record.note:
        notes.append(("finish note", ctx.record.note))
    if not notes:
        what = f"no {' / '.join(p.resource_types)} written for Patient/{ctx.patient_id}"
        return failed(what) if ctx.final else pending(what + " yet")
    problems: list[str] = []
    for label, text in notes:
        try:
            problem = note_problem(text, p, ctx)
        except NeedsStore as exc:
            return pending(str(exc))
        if problem is None:
            return passed(f"{label} meets all content rules")
        problems.append(f"{label}: {problem}")
    msg = "; ".join(problems[:3])
    return failed(msg) if ctx.final else pending(msg)
