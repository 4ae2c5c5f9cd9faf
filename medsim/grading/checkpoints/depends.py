"""What a checkpoint's live verdict depends on, and what an episode did since the last look.

Live (per-step) checkpoint status is what dense rewards and ``info["checkpoints"]`` are made of.
Re-running every grader after every step costs as much as the step itself, yet most steps cannot
change most verdicts: a search does not change "the answer equals 4.2", an answer does not change
"the agent retrieved the potassium". So each grader declares :class:`Depends` (the tool calls, the
resource types written, the final answer/note its verdict reads) and live evaluation re-runs a
checkpoint only when an :class:`Events` of a step touches it, reusing its previous result
otherwise. A grader that declares nothing depends on everything (re-run every step). Final grading
never uses this: it always runs every grader.

Graders read the episode through the record (tool calls, writes, answer, note) and the FHIR store;
the store only changes through the episode's writes, which the record holds, so these three kinds
of event are all a built-in grader can see change.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from medsim.grading.record import EpisodeRecord

ANY: Literal["*"] = "*"


@dataclass(frozen=True)
class Events:
    """What happened since the last live evaluation: names of the tools called, resource types
    written, and whether the final answer or note changed."""

    calls: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    answer: bool = False


NOTHING = Events()


@dataclass(frozen=True)
class Depends:
    """The events that can change a grader's live verdict.

    ``calls``: a regex fullmatched against tool names (``".*"``: any tool call; None: none);
    ``writes``: resource types whose writes matter (``ANY``: a write of any type);
    ``answer``: the final answer or note. ``Depends()`` (nothing) suits graders that are pending
    until the episode ends whatever happens."""

    calls: str | None = None
    writes: frozenset[str] | Literal["*"] = frozenset()
    answer: bool = False
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.calls is not None:
            object.__setattr__(self, "_pattern", re.compile(self.calls))

    def touched_by(self, events: Events) -> bool:
        """True when ``events`` may have changed the verdict."""
        if self.answer and events.answer:
            return True
        if events.writes and (self.writes == ANY or not events.writes.isdisjoint(self.writes)):
            return True
        pattern = self._pattern
        return pattern is not None and any(pattern.fullmatch(name) for name in events.calls)


#: Tool calls of any kind and writes of any type (most graders that read the chart or calls).
CALLS_AND_WRITES = Depends(calls=".*", writes=ANY)
#: Writes of any type (graders of orders, notes and safety over the final EHR state).
WRITES = Depends(writes=ANY)
#: The final answer or note, checked against the chart (which excludes the episode's writes).
ANSWER_AND_WRITES = Depends(writes=ANY, answer=True)


class EventCursor:
    """Where the last live evaluation stood in an episode record; :meth:`advance` returns what
    happened since (or None when the record was replaced or rewound: evaluate everything)."""

    def __init__(self, record: EpisodeRecord) -> None:
        self._mark(record)

    def _mark(self, record: EpisodeRecord) -> None:
        self._record_id = id(record)
        self._calls = len(record.tool_calls)
        self._writes = len(record.writes)
        self._snap_answer(record)

    def _snap_answer(self, record: EpisodeRecord) -> None:
        answer = record.answer
        plain = answer is None or isinstance(answer, str | int | float | bool)
        self._answer: Any = answer if plain else copy.deepcopy(answer)
        self._note = record.note

    def advance(self, record: EpisodeRecord) -> Events | None:
        """The events since the last call (or construction), then move the mark to now."""
        if (
            id(record) != self._record_id
            or len(record.tool_calls) < self._calls
            or len(record.writes) < self._writes
        ):
            self._mark(record)
            return None
        calls_now, writes_now = len(record.tool_calls), len(record.writes)
        answer = record.note != self._note or record.answer != self._answer
        if calls_now == self._calls and writes_now == self._writes and not answer:
            return NOTHING
        if calls_now == self._calls + 1 and writes_now == self._writes and not answer:
            self._calls = calls_now
            return _one_call(record.tool_calls[-1].name)  # the commonest step: one read
        calls = frozenset(c.name for c in record.tool_calls[self._calls :])
        writes = frozenset(w.resource_type for w in record.writes[self._writes :])
        self._calls, self._writes = calls_now, writes_now
        if answer:
            self._snap_answer(record)
        return Events(calls, writes, answer)


@lru_cache(maxsize=256)
def _one_call(name: str) -> Events:
    """The events of one call of tool ``name`` and nothing else (one shared value per name)."""
    return Events(calls=frozenset((name,)))
