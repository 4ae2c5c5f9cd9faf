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


#: What each tool call of an episode returned about one patient, by ``id(call)``: (the call, its
#: result, the :class:`Retrieved` items before the episode's writes are left out).
CallMemo = dict[int, tuple[ToolCall, Any, list[Retrieved]]]


def retrieved(
    record: EpisodeRecord,
    patient_id: str | None = None,
    start: int = 0,
    written: dict[tuple[str, str], WrittenResource] | None = None,
    memo: CallMemo | None = None,
) -> list[Retrieved]:
    """Resources the agent saw in successful, non-writing tool calls (in step order, from the
    ``start``-th call on); optionally only those about ``patient_id``. The episode's own writes
    are never "retrieved data": a resource it created never counts, and a chart resource it
    changed counts only when it was read before the episode's first write to it (reading an
    order, then stopping it). ``written`` is the record's ``written()`` when the caller has it;
    ``memo`` keeps what each call returned (see :func:`_about_patient`).
    (A list, not a generator: live status extends its log with it every step.)"""
    if written is None:
        written = record.written()
    out: list[Retrieved] = []
    for call in record.tool_calls[start:]:  # (record.successful_calls, without a generator)
        if call.error is None:
            out += _retrieved_by(call, written, patient_id, memo)
    return out


def _retrieved_by(
    call: ToolCall,
    written: dict[tuple[str, str], WrittenResource],
    patient_id: str | None,
    memo: CallMemo | None = None,
) -> list[Retrieved]:
    """What one successful call of the record retrieved (see :func:`retrieved`); ``written`` is
    the record's ``written()``."""
    if call.write_seqs:
        return []
    items = _about_patient(call, patient_id, memo)
    if not written:  # (most episodes write nothing, or only at the end)
        return items
    out = []
    for item in items:
        res = item.resource
        own = written.get((str(res.get("resourceType")), str(res.get("id", ""))))
        if own is None or not (own.created or call.step >= own.first_step):
            out.append(item)
    return out


def _about_patient(
    call: ToolCall, patient_id: str | None, memo: CallMemo | None
) -> list[Retrieved]:
    """The resources in ``call``'s result (about ``patient_id`` when given), kept in ``memo`` by
    call: a tool call's result never changes once recorded, so live status reads each result
    once, and the final grade of the same episode (given the same cache) reads the whole record
    without walking the results again. An entry counts only for the same call object holding the
    same result object."""
    if memo is not None:
        known = memo.get(id(call))
        if known is not None and known[0] is call and known[1] is call.result:
            return known[2]
    items = [
        Retrieved(call.step, call.name, res)
        for res in iter_resources(call.result)
        if patient_id is None or patient_id in patients_of(res)
    ]
    if memo is not None:
        memo[id(call)] = (call, call.result, items)
    return items


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
    rebuilds it. Final grading always reads the whole record (each result walked once per
    cache: :func:`_about_patient`)."""
    record = ctx.record
    calls, writes = record.tool_calls, len(record.writes)
    memo = call_memo(ctx)
    if ctx.final:
        items = retrieved(record, ctx.patient_id, memo=memo)
        return RetrievedLog(calls, len(calls), writes, items, 0)
    key = ("retrieved", ctx.patient_id)
    log: RetrievedLog | None = ctx.cache.get(key)
    if log is None or log.calls is not calls or log.n_writes != writes or log.n_calls > len(calls):
        epoch = log.epoch + 1 if log is not None else 0
        written = record.written()
        items = retrieved(record, ctx.patient_id, written=written, memo=memo)
        log = RetrievedLog(calls, len(calls), writes, items, epoch, written)
        ctx.cache[key] = log
    elif log.n_calls < len(calls):  # (the writes are those it was built with: reuse written())
        log.items += retrieved(record, ctx.patient_id, log.n_calls, log.written, memo)
        log.n_calls = len(calls)
    return log


def call_memo(ctx: GradeContext) -> CallMemo:
    """The episode's :data:`CallMemo` for the task's patient, in ``ctx.cache`` (shared by live
    status and the final grade; never carried to another episode)."""
    key = ("retrieved-by-call", ctx.patient_id)
    memo: CallMemo | None = ctx.cache.get(key)
    if memo is None:
        memo = ctx.cache[key] = {}
    return memo


class RetrievalMatch(BaseModel):
    """Which retrieved resources count."""

    model_config = ConfigDict(extra="forbid")

    resource_type: str
    code: CodeMatch = Field(default_factory=CodeMatch)
    category: CodeMatch = Field(default_factory=CodeMatch)
    tools: list[str] = Field(default_factory=list)  # only results of these tools (empty: any)

    def matches(self, item: Retrieved) -> bool:
        return matches_retrieved(item, self.resource_type, self.code, self.category, self.tools)

    def describe(self) -> str:
        return describe_retrieval(self.resource_type, self.code, self.category)


def matches_retrieved(
    item: Retrieved, resource_type: str, code: CodeMatch, category: CodeMatch, tools: list[str]
) -> bool:
    """:meth:`RetrievalMatch.matches` from the match's fields (live status calls it with a
    grader's parsed params, without building a model every episode)."""
    res = item.resource
    if res.get("resourceType") != resource_type:
        return False
    if tools and item.tool not in tools:
        return False
    if not code.matches(res):
        return False
    if category.empty:
        return True
    for concept in dicts(res, "category"):  # noqa: SIM110 (no generator, as CodeMatch.matches)
        if category.matches_concept(concept):
            return True
    return False


def describe_retrieval(resource_type: str, code: CodeMatch, category: CodeMatch) -> str:
    """:meth:`RetrievalMatch.describe` from the match's fields: "Observation code 2823-3"."""
    parts = [resource_type]
    if not code.empty:
        parts.append(f"code {code.describe()}")
    if not category.empty:
        parts.append(f"category {category.describe()}")
    return " ".join(parts)


class DataRetrievedParams(RetrievalMatch):
    min_results: int = Field(default=1, ge=1)  # distinct matching resources seen


@dataclass
class _Progress:
    """How far one ``data_retrieved`` checkpoint has read an episode (live status): the log items
    and tool calls read, the matching resources seen (id -> first step) and the steps of the
    calls that asked for its resource type, with their text ``str(queried)`` kept up to date as
    they are added (the evidence of a live re-run printed the whole growing list every step).
    ``match`` holds :class:`RetrievalMatch`'s fields as the grader got them."""

    epoch: int
    match: dict[str, Any]
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
def data_retrieved(ctx: GradeContext, min_results: int = 1, **match: Any) -> CheckResult:
    """A search or read returned at least ``min_results`` distinct resources of ``resource_type``
    (matching ``code`` / ``category``) for the task's patient."""
    log = retrieved_in(ctx)
    state = ctx.state()  # live: carry on from the previous evaluation (empty when final)
    p: _Progress | None = state.get("progress")
    if p is None or p.epoch != log.epoch:
        # ``match`` holds RetrievalMatch's fields, validated with the grader's params
        # (DataRetrievedParams is a RetrievalMatch): used as they are, no model built
        what = describe_retrieval(match["resource_type"], match["code"], match["category"])
        p = state["progress"] = _Progress(log.epoch, match, what)
    seen = p.seen
    items = log.items
    if p.n_items < len(items):  # (most steps retrieve nothing for the patient)
        fields = p.match
        for item in items[p.n_items :]:
            if matches_retrieved(item, **fields):
                res = item.resource
                seen.setdefault(f"{res['resourceType']}/{res.get('id')}", item.step)
        p.n_items = len(items)
    calls = ctx.record.tool_calls
    if p.n_calls < len(calls):
        rtype = str(p.match["resource_type"])
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
