"""Order checkpoints, read from the episode's writes (final state of each written resource), never
from transcript text: a resource was created with the right content, nothing of a kind was
created, no order was placed twice.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from medsim.grading.checkpoints.chart import NeedsStore, chart
from medsim.grading.checkpoints.depends import WRITES
from medsim.grading.checkpoints.dosage import DosageMatch, instructions
from medsim.grading.checkpoints.fhirdata import (
    CodeMatch,
    Json,
    code_summary,
    codings,
    concepts,
    get_path,
    member,
    parse_datetime,
    patients_of,
    resource_text,
    resource_time,
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
from medsim.grading.checkpoints.values import resolve_time, validate_time_spec
from medsim.grading.record import WrittenResource

ACTIVE = ["active", "draft", "on-hold"]


class Window(BaseModel):
    """A time window; bounds are "@now", "@today+P1DT8H" ... or ISO dateTimes (inclusive).
    ``@today`` is midnight of the task's "now" in now's own UTC offset, so a task whose "now"
    carries the patient's local offset grades "tomorrow at 08:00" in local time. With
    ``required: false`` a missing time is accepted (only a time that is given must fit)."""

    model_config = ConfigDict(extra="forbid")

    after: str | None = None
    before: str | None = None
    required: bool = True

    @field_validator("after", "before")
    @classmethod
    def _time(cls, v: str | None) -> str | None:
        return validate_time_spec(v) if v is not None else v

    def contains(self, value: Any, now: datetime) -> bool:
        if value is None and not self.required:
            return True
        dt = parse_datetime(value)
        if dt is None:
            return False
        date_only = isinstance(value, str) and len(value.strip()) <= 10
        for bound, sign in ((self.after, 1), (self.before, -1)):
            if bound is None:
                continue
            b = resolve_time(bound, now)
            left, right = (dt.date(), b.date()) if date_only else (dt, b)
            if (sign == 1 and left < right) or (sign == -1 and left > right):
                return False
        return True


class ResourceSpec(BaseModel):
    """What a written resource must look like. Unset constraints are not checked; the subject is
    always the task's patient."""

    model_config = ConfigDict(extra="forbid")

    resource_type: str
    code: CodeMatch = Field(default_factory=CodeMatch)
    status: list[str] = Field(default_factory=list)
    intent: list[str] = Field(default_factory=list)
    priority: list[str] = Field(default_factory=list)
    dosage: DosageMatch = Field(default_factory=DosageMatch)
    # authoredOn is checked only when the order has one: an instruction rarely asks for it, and a
    # correct order without it must not score like no order (issue 21).
    authored: Window | None = Field(default_factory=lambda: Window(after="@now", required=False))
    occurrence: Window | None = None
    effective: Window | None = None  # the clinical time (effective[x], issued, recordedDate ...)
    encounter_required: bool = False
    text_regex: list[Regex] = Field(default_factory=list)  # on notes/comments/attachments
    fields: dict[str, Any] = Field(default_factory=dict)  # dotted path -> value or [values]
    include_updates: bool = True  # also count resources the episode updated, not only created

    def problem(self, w: WrittenResource, ctx: GradeContext) -> str | None:
        """None when ``w`` meets the spec, else the first reason it does not."""
        res = w.resource
        if res is None:
            return "deleted"
        if not w.created and not self.include_updates:
            return "updated, not created"
        if ctx.patient_id not in patients_of(res):
            return (
                f"subject {sorted(patients_of(res)) or 'missing'} is not Patient/{ctx.patient_id}"
            )
        if not self.code.matches(res):
            return f"code {code_summary(res)} not {self.code.describe()}"
        for name, allowed in (
            ("status", self.status),
            ("intent", self.intent),
            ("priority", self.priority),
        ):
            if allowed and res.get(name) not in allowed:
                return f"{name} {res.get(name)!r} not in {allowed}"
        if (
            self.authored is not None
            and res.get("resourceType") in ("MedicationRequest", "ServiceRequest")
            and not self.authored.contains(res.get("authoredOn"), ctx.now)
        ):
            bounds = self.authored.model_dump(exclude_none=True, exclude={"required"})
            return f"authoredOn {res.get('authoredOn')!r} outside {bounds}"
        if self.occurrence is not None:
            occ = res.get("occurrenceDateTime") or member(res, "occurrencePeriod").get("start")
            if not self.occurrence.contains(occ, ctx.now):
                bounds = self.occurrence.model_dump(exclude_none=True, exclude={"required"})
                return f"occurrence {occ!r} outside {bounds}"
        if self.effective is not None:
            when = resource_time(res)
            if not self.effective.contains(when.isoformat() if when else None, ctx.now):
                bounds = self.effective.model_dump(exclude_none=True, exclude={"required"})
                return f"time {when} outside {bounds}"
        if self.encounter_required and not res.get("encounter"):
            return "no encounter"
        if not self.dosage.empty:
            reasons = [self.dosage.check(i) for i in instructions(res)] or ["no dosageInstruction"]
            if all(r is not None for r in reasons):
                return str(reasons[0])
            amount = self.dosage.order_problem(res)
            if amount is not None:
                return amount
        text = resource_text(res)
        for rx in self.text_regex:
            if not re.search(rx, text, re.IGNORECASE):
                return f"text does not match /{rx}/"
        for path, want in self.fields.items():
            got = get_path(res, path)
            wanted = want if isinstance(want, list) else [want]
            if not any(g in wanted for g in got):
                return f"{path} = {got!r}, expected one of {wanted!r}"
        return None

    def candidates(self, ctx: GradeContext) -> list[WrittenResource]:
        return [w for w in ctx.record.written().values() if w.resource_type == self.resource_type]


def _label(w: WrittenResource) -> str:
    return f"{w.resource_type}/{w.id} (step {w.first_step})"


class ResourceCreatedParams(ResourceSpec):
    min_count: int = Field(default=1, ge=1)
    max_count: int | None = Field(default=None, ge=1)


@checkpoint("resource_created", params=ResourceCreatedParams, depends=WRITES)
def resource_created(ctx: GradeContext, **params: Any) -> CheckResult:
    """The episode wrote (final state) between ``min_count`` and ``max_count`` resources meeting
    the spec: type, code, status/intent/priority, dosage (dose, rate, route, frequency), authoredOn
    and occurrence windows, subject = the task's patient, text regexes, extra fields."""
    p = ResourceCreatedParams.model_validate(params)
    cands = p.candidates(ctx)
    good = [w for w in cands if p.problem(w, ctx) is None]
    too_many = p.max_count is not None and len(good) > p.max_count
    if len(good) >= p.min_count and not too_many:
        return passed(f"{len(good)} matching: " + ", ".join(_label(w) for w in good[:5]))
    if too_many:
        return failed(f"{len(good)} matching {p.resource_type} (at most {p.max_count} allowed)")
    if not cands:
        return (
            failed(f"no {p.resource_type} written")
            if ctx.final
            else pending(f"no {p.resource_type} written yet")
        )
    why = "; ".join(f"{_label(w)}: {p.problem(w, ctx)}" for w in cands if w not in good)
    verdict = failed if ctx.final else pending
    return verdict(f"{len(good)} of {p.min_count} needed match; {why}")


class NothingCreatedParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource_type: str | None = None  # None: no writes at all
    code: CodeMatch = Field(default_factory=CodeMatch)
    status: list[str] = Field(default_factory=list)  # only resources in these statuses count


@checkpoint("nothing_created", params=NothingCreatedParams, depends=WRITES)
def nothing_created(ctx: GradeContext, **params: Any) -> CheckResult:
    """The episode left no resource of ``resource_type`` (matching ``code`` / ``status``) in the
    EHR, e.g. no MedicationRequest when the potassium is normal. Pending until the episode ends."""
    p = NothingCreatedParams.model_validate(params)
    bad = [
        w
        for w in ctx.record.written().values()
        if w.resource is not None
        and (p.resource_type is None or w.resource_type == p.resource_type)
        and p.code.matches(w.resource)
        and (not p.status or w.resource.get("status") in p.status)
    ]
    kind = p.resource_type or "resource"
    if bad:
        return failed(f"{kind} written: " + ", ".join(_label(w) for w in bad[:5]))
    if not ctx.final:
        return pending(f"no {kind} written so far")
    return passed(f"no {kind} ({p.code.describe()}) written")


class NoDuplicateParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource_type: str = "MedicationRequest"
    code: CodeMatch = Field(default_factory=CodeMatch)  # set: all matches are "the same order"
    active_status: list[str] = Field(default_factory=lambda: list(ACTIVE))
    against_chart: bool = True  # an active order already in the chart counts too


def _order_key(res: Json, code: CodeMatch) -> str:
    if not code.empty:
        return code.describe()
    for concept in concepts(res):
        for c in codings(concept):
            return f"{c.get('system')}|{c.get('code')}"
    return code_summary(res)


@checkpoint("no_duplicate_orders", params=NoDuplicateParams, depends=WRITES)
def no_duplicate_orders(ctx: GradeContext, **params: Any) -> CheckResult:
    """No order is active twice: the episode did not leave two active orders of the same code, and
    (``against_chart``) did not re-order something already active in the chart. Use as a gate."""
    p = NoDuplicateParams.model_validate(params)
    groups: dict[str, list[str]] = {}
    for w in ctx.record.written().values():
        res = w.resource
        if (
            res is None
            or w.resource_type != p.resource_type
            or res.get("status") not in p.active_status
            or ctx.patient_id not in patients_of(res)
            or not p.code.matches(res)
        ):
            continue
        groups.setdefault(_order_key(res, p.code), []).append(_label(w))
    if groups and p.against_chart:
        try:
            existing = [
                r
                for r in chart(ctx, p.resource_type)
                if r.get("status") in p.active_status and p.code.matches(r)
            ]
        except NeedsStore as exc:
            return pending(str(exc))
        for res in existing:
            key = _order_key(res, p.code)
            if key in groups:
                groups[key].append(f"{p.resource_type}/{res.get('id')} (already in the chart)")
    dupes = {k: v for k, v in groups.items() if len(v) > 1}
    if dupes:
        return failed(
            "duplicate orders: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in dupes.items())
        )
    if not ctx.final:
        return pending(f"no duplicate {p.resource_type} so far")
    return passed(f"no duplicate active {p.resource_type} ({len(groups)} distinct ordered)")
