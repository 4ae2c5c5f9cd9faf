"""Note checkpoints: a DocumentReference / Communication (or the finish tool's note) was written
for the task's patient and its text matches regexes and mentions the right values.

These are rule checks on content; prose quality belongs in rubric criteria.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from medsim.grading.checkpoints.chart import (
    ExpectedValue,
    NeedsStore,
    ObservationRow,
    compute_expected,
    observation_rows,
)
from medsim.grading.checkpoints.depends import ANSWER_AND_WRITES
from medsim.grading.checkpoints.fhirdata import CodeMatch, patients_of, resource_text
from medsim.grading.checkpoints.note_text import (
    CURRENT,
    SUPERSEDED,
    Quantity,
    date_forms,
    has_date,
    quantities,
)
from medsim.grading.checkpoints.patterns import Regex
from medsim.grading.checkpoints.registry import (
    CheckResult,
    GradeContext,
    checkpoint,
    failed,
    passed,
    pending,
)
from medsim.grading.checkpoints.values import Approx, to_unit


class Mention(BaseModel):
    """The note mentions a value: a number within tolerance of ``expected`` (computed from the
    chart or literal), or the expected text (case-insensitive).

    ``with_unit``: the number is written with a unit convertible to ``unit`` (or the chart's).
    ``with_date``: the sentence stating it also gives the date of that result (an ``observation``
    query with ``agg: latest`` / ``earliest``), in the patient's local date (the task's "now"
    offset) or as the chart writes it. ``current_only``: the value is not marked as superseded
    ("previously 8.4 %"), and no earlier result of the same query is called the latest / current
    one. See docs/grading.md ("Notes")."""

    model_config = ConfigDict(extra="forbid")

    expected: ExpectedValue
    tolerance: float = Field(default=0.0, ge=0)
    rel_tolerance: float = Field(default=0.0, ge=0)
    unit: str | None = None  # the unit the note is expected to use
    required_if_absent: bool = False  # chart lacks the value: fail (True) or skip (False)
    with_unit: bool = False
    with_date: bool = False
    current_only: bool = False

    @model_validator(mode="after")
    def _dated_query(self) -> Mention:
        obs = self.expected.observation
        dated = obs is not None and obs.field == "value" and obs.agg in ("latest", "earliest")
        if self.with_date and not dated:
            raise ValueError("with_date needs an observation query with agg latest or earliest")
        if self.current_only and not (dated and obs is not None and obs.agg == "latest"):
            raise ValueError("current_only needs an observation query with agg latest")
        return self


class NoteWrittenParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource_types: list[str] = Field(
        default_factory=lambda: ["DocumentReference", "Communication"]
    )
    code: CodeMatch = Field(default_factory=CodeMatch)
    include_finish_note: bool = False  # the finish tool's ``note`` counts as a note
    regex: list[Regex] = Field(default_factory=list)  # all must match (case-insensitive)
    must_not: list[Regex] = Field(default_factory=list)
    mentions: list[Mention] = Field(default_factory=list)
    min_length: int = Field(default=1, ge=0)


def _mention_problem(text: str, m: Mention, ctx: GradeContext) -> str | None:
    exp = compute_expected(ctx, m.expected)
    if not exp.found:
        return f"{exp.evidence} (required)" if m.required_if_absent else None
    if not (isinstance(exp.value, int | float) and not isinstance(exp.value, bool)):
        if str(exp.value).casefold() in text.casefold():
            return None
        return f"does not mention {exp.value!r}"
    unit = m.unit or exp.unit
    want = float(exp.value)
    if m.unit is not None:
        converted = to_unit(want, exp.unit, m.unit)
        want = converted if converted is not None else want
    approx = Approx(value=want, tolerance=m.tolerance, rel_tolerance=m.rel_tolerance)
    query = m.expected.observation
    rows = observation_rows(ctx, query) if query is not None else []
    target = (
        rows[0] if query is not None and query.agg == "earliest" else rows[-1] if rows else None
    )
    dates = date_forms(target.time, target.written_time, ctx.now) if target else []
    stated = [q for q in quantities(text) if _same(approx, q, unit, m.with_unit)]
    if not stated:
        shown = f"{approx.describe()}{f' {unit}' if m.with_unit and unit else ''}"
        return f"does not mention {shown} ({exp.evidence})"
    if m.current_only:
        stated = [q for q in stated if not SUPERSEDED.search(q.before)]
        if not stated:
            return f"states {approx.describe()} only as a previous value ({exp.evidence})"
    if m.with_date and not any(has_date(q.sentence, dates) for q in stated):
        return f"does not give {approx.describe()} with its date {dates[0]} ({exp.evidence})"
    if m.current_only:
        return _superseded_as_current(text, rows[:-1], approx, unit, m.with_unit)
    return None


def _same(approx: Approx, q: Quantity, unit: str | None, with_unit: bool) -> bool:
    """A quantity in the note is the expected value (in a convertible unit when one is needed)."""
    if with_unit:
        if q.unit is None or unit is None:
            return False
        got = to_unit(q.value, q.unit, unit)
        return got is not None and approx.check(got)[0]
    return approx.check(q.value)[0]


def _superseded_as_current(
    text: str, earlier: list[ObservationRow], latest: Approx, unit: str | None, with_unit: bool
) -> str | None:
    """An earlier result stated in a sentence that calls it the latest / current one."""
    for row in earlier:
        if not isinstance(row.value, int | float) or latest.check(float(row.value))[0]:
            continue  # same number as the latest: nothing to confuse
        old = Approx(value=float(row.value), tolerance=1e-9)
        for q in quantities(text):
            if (
                _same(old, q, unit, with_unit)
                and CURRENT.search(q.sentence)
                and not SUPERSEDED.search(q.before)
            ):
                return f"reports the superseded {row.value:g} ({row.ref}) as current"
    return None


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


@checkpoint("note_written", params=NoteWrittenParams, depends=ANSWER_AND_WRITES)
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
