"""Data-retrieval checkpoints: the agent looked at the data a task is about.

"Looked at" means a read or search actually returned matching resources for the task's patient
(evidence: step and resource ids), not that the agent issued a query or said it had checked: a
search with a wrong code that matched nothing does not count (PhysicianBench's #1 failure mode).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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
from medsim.grading.record import EpisodeRecord, ToolCall


@dataclass(frozen=True)
class Retrieved:
    """One resource the agent saw in a tool result."""

    step: int
    tool: str
    resource: Json


def retrieved(record: EpisodeRecord, patient_id: str | None = None) -> Iterator[Retrieved]:
    """Resources the agent saw in successful, non-writing tool calls (in step order); optionally
    only those about ``patient_id``. The episode's own writes are never "retrieved data": a
    resource it created never counts, and a chart resource it changed counts only when it was
    read before the episode's first write to it (reading an order, then stopping it)."""
    return _retrieved_from(record.successful_calls(), record, patient_id)


def _retrieved_from(
    calls: Iterable[ToolCall], record: EpisodeRecord, patient_id: str | None
) -> Iterator[Retrieved]:
    """:func:`retrieved` over ``calls`` (some of ``record``'s successful calls)."""
    written = record.written()
    for call in calls:
        if call.write_seqs:
            continue
        for res in iter_resources(call.result):
            key = (str(res.get("resourceType")), str(res.get("id", "")))
            own = written.get(key)
            if own is not None and (own.created or call.step >= own.first_step):
                continue
            if patient_id is not None and patient_id not in patients_of(res):
                continue
            yield Retrieved(call.step, call.name, res)


@dataclass
class RetrievedLog:
    """:func:`retrieved` for one patient kept up to date during an episode: ``items`` covers the
    first ``n_calls`` tool calls; ``epoch`` changes whenever it was rebuilt instead of extended."""

    calls: list[Any]
    n_calls: int
    n_writes: int
    items: list[Retrieved]
    epoch: int


def retrieved_in(ctx: GradeContext) -> RetrievedLog:
    """:func:`retrieved` for the task's patient. While the episode runs the log is kept in
    ``ctx.cache`` and extended with the new tool calls only, so live status does not re-read every
    result every step; a new write (which can exclude earlier results, see :func:`retrieved`)
    rebuilds it. Final grading always reads the whole record."""
    record = ctx.record
    calls, writes = record.tool_calls, len(record.writes)
    if ctx.final:
        return RetrievedLog(calls, len(calls), writes, list(retrieved(record, ctx.patient_id)), 0)
    key = ("retrieved", ctx.patient_id)
    log: RetrievedLog | None = ctx.cache.get(key)
    if log is None or log.calls is not calls or log.n_writes != writes or log.n_calls > len(calls):
        epoch = log.epoch + 1 if log is not None else 0
        log = RetrievedLog(
            calls, len(calls), writes, list(retrieved(record, ctx.patient_id)), epoch
        )
        ctx.cache[key] = log
    elif log.n_calls < len(calls):
        new = record.successful_calls(log.n_calls)
        log.items.extend(_retrieved_from(new, record, ctx.patient_id))
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


@checkpoint("data_retrieved", params=DataRetrievedParams, monotone=True, depends=CALLS_AND_WRITES)
def data_retrieved(ctx: GradeContext, min_results: int = 1, **match: object) -> CheckResult:
    """A search or read returned at least ``min_results`` distinct resources of ``resource_type``
    (matching ``code`` / ``category``) for the task's patient."""
    log = retrieved_in(ctx)
    state = ctx.state()  # live: carry on from the previous evaluation (empty when final)
    if state.get("epoch") != log.epoch:
        # ``match`` was validated with the grader's params (DataRetrievedParams is a
        # RetrievalMatch): rebuild it without validating again at every episode start
        built = RetrievalMatch.model_construct(None, **match)
        state.update(m=built, what=built.describe(), seen={}, queried=[])
        state.update(epoch=log.epoch, n_items=0, n_calls=0)
    m: RetrievalMatch = state["m"]
    what: str = state["what"]
    seen: dict[str, int] = state["seen"]
    for item in log.items[state["n_items"] :]:
        if m.matches(item):
            seen.setdefault(f"{item.resource['resourceType']}/{item.resource.get('id')}", item.step)
    queried: list[int] = state["queried"]
    calls = ctx.record.tool_calls
    queried.extend(
        c.step for c in calls[state["n_calls"] :] if _mentions(c.arguments, m.resource_type)
    )
    state.update(n_items=len(log.items), n_calls=len(calls))
    if len(seen) >= min_results:
        first = min(seen.values())
        ids = ", ".join(sorted(seen)[:5]) + (" ..." if len(seen) > 5 else "")
        return passed(f"{what}: {len(seen)} returned, first at step {first} ({ids})")
    hint = f"; queries at steps {queried} returned no match" if queried else "; never queried"
    return failed(f"{what}: {len(seen)} of {min_results} needed returned{hint}")


def _mentions(arguments: object, resource_type: str) -> bool:
    return resource_type.lower() in str(arguments).lower()
