"""Facts from the chart: store queries and the declarative ``expected`` spec.

Expected answers are computed FROM THE STORE when the task says so ("the latest potassium before
now", "the patient's age") instead of being hard-coded, so a task stays right when the cohort is
regenerated. Chart facts always exclude what the episode itself wrote: an agent cannot make its
answer right by first writing the Observation it then reports.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from medsim.fhir.interface import FhirError
from medsim.grading.checkpoints.fhirdata import (
    CodeMatch,
    Json,
    concept_texts,
    patients_of,
    resource_time,
)
from medsim.grading.checkpoints.registry import GradeContext
from medsim.grading.checkpoints.values import resolve_time, to_unit, validate_time_spec

MAX_CHART_RESOURCES = 20000


class NeedsStore(Exception):
    """The grader needs the FHIR store and the context has none (reported as pending)."""


def chart(ctx: GradeContext, resource_type: str, code: CodeMatch | None = None) -> list[Json]:
    """The task patient's resources of a type (optionally matching ``code``), as the chart held
    them before the episode: anything the episode wrote is left out."""
    if ctx.store is None:
        raise NeedsStore(f"reading {resource_type} from the chart needs the FHIR store")
    params: dict[str, str] = {"_count": "1000"}
    if resource_type == "Patient":
        params["_id"] = ctx.patient_id
    else:
        params["patient"] = ctx.patient_id
    if code is not None and code.codes and code.display_regex is None:
        params["code"] = ",".join(
            c if "|" in c or code.system is None else f"{code.system}|{c}" for c in code.codes
        )
    key = ("chart", resource_type, tuple(sorted(params.items())))
    if key not in ctx.cache:
        ctx.cache[key] = _fetch(ctx, resource_type, params)
    written = ctx.record.written_ids()
    out = []
    for res in ctx.cache[key]:
        if (resource_type, str(res.get("id", ""))) in written:
            continue
        if ctx.patient_id not in patients_of(res):
            continue
        if code is not None and not code.matches(res):
            continue
        out.append(res)
    return out


def _fetch(ctx: GradeContext, resource_type: str, params: dict[str, str]) -> list[Json]:
    """All pages of a chart search. A type that rejects ``code`` (e.g. Immunization uses
    ``vaccine-code``) is searched without it and filtered locally; other store errors make the
    check pending (re-grade later with ``medsim grade``) rather than fail the agent."""
    try:
        return _search_all(ctx, resource_type, params)
    except FhirError as exc:
        if "code" in params:
            return _fetch(ctx, resource_type, {k: v for k, v in params.items() if k != "code"})
        raise NeedsStore(f"FHIR store error reading {resource_type}: {exc}") from None


def _search_all(ctx: GradeContext, resource_type: str, params: dict[str, str]) -> list[Json]:
    assert ctx.store is not None
    bundle = ctx.store.search(resource_type, params)
    found: list[Json] = []
    seen_pages = 0
    while True:
        for entry in bundle.get("entry") or []:
            res = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(res, dict) and res.get("resourceType") == resource_type:
                found.append(res)
        nxt = next(
            (
                link.get("url")
                for link in bundle.get("link") or []
                if link.get("relation") == "next"
            ),
            None,
        )
        seen_pages += 1
        if not nxt or len(found) >= MAX_CHART_RESOURCES or seen_pages > 200:
            return found
        status, bundle = ctx.store.request("GET", str(nxt))
        if status >= 400:
            raise NeedsStore(
                f"chart paging failed: HTTP {status} for {resource_type}?{urlencode(params)}"
            )


# ---- the declarative expected-value spec ----------------------------------------------------------


class ObservationQuery(BaseModel):
    """Aggregate over the patient's resources of a code in a time window (default: up to now)."""

    model_config = ConfigDict(extra="forbid")

    resource_type: str = "Observation"
    code: CodeMatch
    since: str | None = None  # e.g. "@now-PT24H"
    until: str = "@now"
    agg: Literal["latest", "earliest", "mean", "min", "max", "count", "sum"] = "latest"
    field: Literal["value", "time"] = "value"
    unit: str | None = None  # convert values to this unit
    analyte: str | None = None

    @field_validator("since", "until")
    @classmethod
    def _time(cls, v: str | None) -> str | None:
        return validate_time_spec(v) if v is not None else v


class CalculatorQuery(BaseModel):
    """A calculator's result for fixed inputs (``medsim.calculators.compute``)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    inputs: dict[str, Any]


class ExpectedValue(BaseModel):
    """Exactly one of: a literal ``value``; an ``observation`` query; a ``patient`` field
    (age = whole years at "now", id, birthDate, gender); a ``calculator`` result."""

    model_config = ConfigDict(extra="forbid")

    value: Any = None
    observation: ObservationQuery | None = None
    patient: Literal["age", "id", "birthDate", "gender"] | None = None
    calculator: CalculatorQuery | None = None
    unit: str | None = None  # unit of a literal value

    @model_validator(mode="after")
    def _exactly_one(self) -> ExpectedValue:
        given = [
            self.value is not None,
            self.observation is not None,
            self.patient is not None,
            self.calculator is not None,
        ]
        if sum(given) != 1:
            raise ValueError("give exactly one of value, observation, patient, calculator")
        return self


@dataclass(frozen=True)
class Expected:
    """A computed expectation: ``found`` is False when the chart has no such data."""

    found: bool
    value: Any
    unit: str | None
    evidence: str


def _obs_value(res: Json) -> tuple[Any, str | None]:
    q = res.get("valueQuantity")
    if isinstance(q, dict) and isinstance(q.get("value"), int | float):
        return float(q["value"]), q.get("unit") or q.get("code")
    for key in ("valueInteger", "valueDecimal", "valueString", "valueBoolean", "valueDateTime"):
        if key in res:
            return res[key], None
    cc = res.get("valueCodeableConcept")
    if cc is not None:
        texts = concept_texts(cc)
        return (texts[0] if texts else None), None
    return None, None


def compute_expected(ctx: GradeContext, spec: ExpectedValue) -> Expected:
    """Evaluate a spec against the chart (raises :class:`NeedsStore` without a store)."""
    if spec.value is not None:
        return Expected(True, spec.value, spec.unit, f"expected {spec.value!r}")
    if spec.calculator is not None:
        from medsim.calculators import compute

        result = compute(spec.calculator.id, spec.calculator.inputs)
        return Expected(
            True,
            result.value,
            result.unit,
            f"{result.calculator} = {result.value} {result.unit or ''}".strip(),
        )
    if spec.patient is not None:
        return _patient_field(ctx, spec.patient)
    assert spec.observation is not None
    return _observation(ctx, spec.observation)


def _patient_field(ctx: GradeContext, name: str) -> Expected:
    if name == "id":
        return Expected(True, ctx.patient_id, None, f"patient id {ctx.patient_id}")
    pts = chart(ctx, "Patient")
    if not pts:
        return Expected(False, None, None, f"Patient/{ctx.patient_id} not in the chart")
    pt = pts[0]
    if name == "age":
        born = pt.get("birthDate")
        if not isinstance(born, str) or len(born) < 10:
            return Expected(False, None, None, "no full birthDate in the chart")
        y, m, d = (int(x) for x in born[:10].split("-"))
        now = ctx.now
        age = now.year - y - ((now.month, now.day) < (m, d))
        return Expected(True, age, "years", f"age {age} (born {born}, now {now.date()})")
    value = pt.get(name)
    return Expected(value is not None, value, None, f"Patient.{name} = {value!r}")


@dataclass(frozen=True)
class ObservationRow:
    """One chart resource a query selects: its clinical time, value (converted to the query's
    unit when it has one), unit, the time as written in the chart, and its reference."""

    time: datetime
    value: Any
    unit: str | None
    written_time: str
    ref: str


def observation_rows(ctx: GradeContext, q: ObservationQuery) -> list[ObservationRow]:
    """The rows ``q`` selects in its window, oldest first (ties by id)."""
    lo = resolve_time(q.since, ctx.now) if q.since else None
    hi = resolve_time(q.until, ctx.now)
    rows: list[ObservationRow] = []
    for res in chart(ctx, q.resource_type, q.code):
        t = resource_time(res)
        if t is None or t > hi or (lo is not None and t < lo):
            continue
        value, unit = _obs_value(res)
        if isinstance(value, float) and q.unit is not None:
            converted = to_unit(value, unit, q.unit, q.analyte)
            if converted is None:
                continue
            value, unit = converted, q.unit
        written = next(
            (str(res[k]) for k in ("effectiveDateTime", "issued") if isinstance(res.get(k), str)),
            t.isoformat(),
        )
        rows.append(ObservationRow(t, value, unit, written, f"{q.resource_type}/{res.get('id')}"))
    rows.sort(key=lambda r: (r.time, r.ref))
    return rows


def _observation(ctx: GradeContext, q: ObservationQuery) -> Expected:
    rows = [
        (r.time, r.value if q.field == "value" else r.time.isoformat(), r.ref)
        for r in observation_rows(ctx, q)
    ]
    window = f"{q.since or 'any time'} .. {q.until}"
    label = f"{q.code.describe()} in {window}"
    if q.agg == "count":
        return Expected(True, len(rows), None, f"{len(rows)} x {label}")
    if not rows:
        return Expected(False, None, q.unit, f"no {label}")
    rows.sort(key=lambda r: (r[0], r[2]))
    if q.agg in ("latest", "earliest"):
        t, value, rid = rows[-1] if q.agg == "latest" else rows[0]
        return Expected(True, value, q.unit, f"{q.agg} {label}: {value} ({rid}, {t.isoformat()})")
    nums = [v for _, v, _ in rows if isinstance(v, int | float) and not isinstance(v, bool)]
    if not nums:
        return Expected(False, None, q.unit, f"no numeric {label}")
    if q.agg == "mean":
        value = statistics.fmean(nums)
    elif q.agg == "sum":
        value = float(sum(nums))
    else:
        value = float(min(nums) if q.agg == "min" else max(nums))
    return Expected(True, value, q.unit, f"{q.agg} of {len(nums)} x {label} = {value:g}")
