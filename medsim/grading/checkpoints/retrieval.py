"""Data-retrieval checkpoints: the agent looked at the data a task is about.

"Looked at" means a read or search actually returned matching resources for the task's patient
(evidence: step and resource ids), not that the agent issued a query or said it had checked: a
search with a wrong code that matched nothing does not count (PhysicianBench's #1 failure mode).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from medsim.grading.checkpoints.depends import CALLS_AND_WRITES
from medsim.grading.checkpoints.fhirdata import (
    CodeMatch,
    Json,
    dicts,
    iter_resources,
    patients_of,
)
from medsim.grading.checkpoints.registry import (
    CheckResult,
    GradeContext,
    checkpoint,
    failed,
    passed,
)
from medsim.grading.record import EpisodeRecord, ToolCall, WrittenResource


@dataclass(frozen=True)
class Retrieved:
    """One resource the agent saw in a tool result."""

    step: int
    tool: str
    resource: Json


def retrieved(
    record: EpisodeRecord,
    patient_id: str | None = None,
    start: int = 0,
    written: dict[tuple[str, str], WrittenResource] | None = None,
) -> list[Retrieved]:
    """Resources the agent saw in successful, non-writing tool calls (in step order, from the
    ``start``-th call on); optionally only those about ``patient_id``. The episode's own writes
    are never "retrieved data": a resource it created never counts, and a chart resource it
    changed counts only when it was read before the episode's first write to it (reading an
    order, then stopping it). ``written`` is the record's ``written()`` when the caller has it.
    (A list, not a generator: live status extends its log with it every step.)"""
    if written is None:
        written = record.written()
    out: list[Retrieved] = []
    for call in record.successful_calls(start):
        out += _retrieved_by(call, written, patient_id)
    return out


def _retrieved_by(
    call: ToolCall, written: dict[tuple[str, str], WrittenResource], patient_id: str | None
) -> list[Retrieved]:
    """What one successful call of the record retrieved (see :func:`retrieved`); ``written`` is
    the record's ``written()``."""
    if call.write_seqs:
        return []
    out = []
    for res in iter_resources(call.result):
        if written:  # (most episodes write nothing, or only at the end)
            own = written.get((str(res.get("resourceType")), str(res.get("id", ""))))
            if own is not None and (own.created or call.step >= own.first_step):
                continue
        if patient_id is not None and patient_id not in patients_of(res):
            continue
        out.append(Retrieved(call.step, call.name, res))
    return out


@dataclass
class RetrievedLog:
    """:func:`retrieved` for one patient kept up to date during an episode: ``items`` covers the
    first ``n_calls`` tool calls; ``epoch`` changes whenever it was rebuilt instead of extended;
    ``written`` is the record's ``written()`` over its first ``n_writes`` writes."""

    calls: list[Any]
    n_calls: int
    n_writes: int
    items: list[Retrieved]
    epoch: int
    written: dict[tuple[str, str], WrittenResource] = field(default_factory=dict)


def retrieved_in(ctx: GradeContext) -> RetrievedLog:
    """:func:`retrieved` for the task's patient. While the episode runs the log is kept in
    ``ctx.cache`` and extended with the new tool calls only, so live status does not re-read every
    result every step; a new write (which can exclude earlier results, see :func:`retrieved`)
    rebuilds it. Final grading always reads the whole record."""
    record = ctx.record
    calls, writes = record.tool_calls, len(record.writes)
    if ctx.final:
        return RetrievedLog(calls, len(calls), writes, retrieved(record, ctx.patient_id), 0)
    key = ("retrieved", ctx.patient_id)
    log: RetrievedLog | None = ctx.cache.get(key)
    if log is None or log.calls is not calls or log.n_writes != writes or log.n_calls > len(calls):
        epoch = log.epoch + 1 if log is not None else 0
        written = record.written()
        items = retrieved(record, ctx.patient_id, written=written)
        log = RetrievedLog(calls, len(calls), writes, items, epoch, written)
        ctx.cache[key] = log
    elif log.n_calls < len(calls):  # (the writes are those it was built with: reuse written())
        log.items += retrieved(record, ctx.patient_id, log.n_calls, log.written)
        log.n_calls = len(calls)
    return log


class RetrievalMatch(BaseModel):
    """Which retrieved resources count."""

    model_config = ConfigDict(extra="forbid")

    resource_type: str
    code: CodeMatch = Field(default_factory=CodeMatch)
    category: CodeMatch = Field(default_factory=CodeMatch)
    tools: list[str] = Field(default_factory=list)  # only results of these tools (empty: any)

    def matches(self, item: Retrieved) -> bool:
        res = item.resource
        if res.get("resourceType") != self.resource_type:
            return False
        if self.tools and item.tool not in self.tools:
            return False
        if not self.code.matches(res):
            return False
        return self.category.empty or any(
            self.category.matches_concept(c) for c in dicts(res, "category")
        )

    def describe(self) -> str:
        parts = [self.resource_type]
        if not self.code.empty:
            parts.append(f"code {self.code.describe()}")
        if not self.category.empty:
            parts.append(f"category {self.category.describe()}")
        return " ".join(parts)


class DataRetrievedParams(RetrievalMatch):
    min_results: int = Field(default=1, ge=1)  # distinct matching resources seen


@dataclass
class _Progress:
    """How far one ``data_retrieved`` checkpoint has read an episode (live status): the log items
    and tool calls read, the matching resources seen (id -> first step) and the steps of the
    calls that asked for its resource type, with their text ``str(queried)`` kept up to date as
    they are added (the evidence of a live re-run printed the whole growing list every step)."""

    epoch: int
    match: RetrievalMatch
    what: str
    seen: dict[str, int] = field(default_factory=dict)
    queried: list[int] = field(default_factory=list)
    queried_text: str = "[]"
    n_items: int = 0
    n_calls: int = 0

    def query(self, steps: list[int]) -> None:
        """Record the steps of new calls that asked for the resource type."""
        if steps:
            text = ", ".join(map(str, steps))
            self.queried_text = (
                f"{self.queried_text[:-1]}, {text}]" if self.queried else f"[{text}]"
            )
            self.queried.extend(steps)


@checkpoint("data_retrieved", params=DataRetrievedParams, monotone=True, depends=CALLS_AND_WRITES)
def data_retrieved(ctx: GradeContext, min_results: int = 1, **match: object) -> CheckResult:
    """A search or read returned at least ``min_results`` distinct resources of ``resource_type``
    (matching ``code`` / ``category``) for the task's patient."""
    log = retrieved_in(ctx)
    state = ctx.state()  # live: carry on from the previous evaluation (empty when final)
    p: _Progress | None = state.get("progress")
    if p is None or p.epoch != log.epoch:
        # ``match`` was validated with the grader's params (DataRetrievedParams is a
        # RetrievalMatch): rebuild it without validating again at every episode start
        built = RetrievalMatch.model_construct(None, **match)
        p = state["progress"] = _Progress(log.epoch, built, built.describe())
    seen = p.seen
    items = log.items
    if p.n_items < len(items):  # (most steps retrieve nothing for the patient)
        for item in items[p.n_items :]:
            if p.match.matches(item):
                res = item.resource
                seen.setdefault(f"{res['resourceType']}/{res.get('id')}", item.step)
        p.n_items = len(items)
    calls = ctx.record.tool_calls
    if p.n_calls < len(calls):
        rtype = p.match.resource_type
        p.query([c.step for c in calls[p.n_calls :] if _mentions(c.arguments, rtype)])
        p.n_calls = len(calls)
    if len(seen) >= min_results:
        first = min(seen.values())
        ids = ", ".join(sorted(seen)[:5]) + (" ..." if len(seen) > 5 else "")
        return passed(f"{p.what}: {len(seen)} returned, first at step {first} ({ids})")
    hint = (
        f"; queries at steps {p.queried_text} returned no match" if p.queried else "; never queried"
    )
    return failed(f"{p.what}: {len(seen)} of {min_results} needed returned{hint}")


def _mentions(arguments: object, resource_type: str) -> bool:
    """The call's arguments mention ``resource_type`` (any case, anywhere in their text). A call
    whose ``resource_type`` argument is that type (most searches) mentions it without printing
    the arguments: a dict's text holds each of its string values, quoted, as it is when the
    value is letters only."""
    if (
        type(arguments) is dict
        and arguments.get("resource_type") == resource_type
        and resource_type.isalpha()
    ):
        return True
    return resource_type.lower() in str(arguments).lower()
