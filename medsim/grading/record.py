"""The episode record: everything a grader may look at, saved as JSON so episodes can be re-graded.

An :class:`EpisodeRecord` holds the task (as JSON), the transcript, every tool call with the JSON
result the agent saw, every EHR write the episode made (``interface.Write`` as a dict plus the
``step`` it happened in), the final answer and note. Graders read the tool results and the writes,
never the agent's prose claims. ``save``/``load`` round-trip exactly (``load(save(r)) == r``).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from medsim.fhir.interface import Write

RECORD_FORMAT = 1


class ToolCall(BaseModel):
    """One tool call of the episode: what was asked and the JSON the agent got back."""

    model_config = ConfigDict(extra="forbid")

    step: int
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    result: Any = None  # JSON the agent saw, before truncation
    error: str | None = None
    write_seqs: list[int] = Field(default_factory=list)  # Write.seq of the writes this call made


class RecordedWrite(BaseModel):
    """One EHR write of the episode as the record keeps it: an ``interface.Write`` plus the step
    it happened in. Typed, so a saved record whose writes are malformed (a ``resource`` given as a
    string, an unknown method) fails when it is loaded, naming the field."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["create", "update", "delete"]
    resource_type: str = Field(min_length=1)
    id: str = Field(min_length=1)
    resource: dict[str, Any] | None = None  # the stored resource (None for delete)
    seq: int = 0  # order within the episode
    step: int = 0

    @classmethod
    def of(cls, write: Write, step: int) -> RecordedWrite:
        """The record entry for ``write`` made at ``step``."""
        return cls(**asdict(write), step=step)

    def to_write(self) -> Write:
        """Back to the FHIR layer's ``Write`` (without the step)."""
        return Write(self.method, self.resource_type, self.id, self.resource, self.seq)


class WrittenResource(BaseModel):
    """The final state of one resource the episode wrote (folded over all its writes)."""

    model_config = ConfigDict(extra="forbid")

    resource_type: str
    id: str
    resource: dict[str, Any] | None  # None when the episode deleted it last
    created: bool  # the episode's first write of this id was a create
    first_step: int
    last_step: int
    methods: list[str]


class EpisodeRecord(BaseModel):
    """What one episode did; the input of every grader and of ``medsim grade``."""

    model_config = ConfigDict(extra="forbid")

    format: int = RECORD_FORMAT
    task_id: str
    suite: str = ""
    task: dict[str, Any] = Field(default_factory=dict)  # Task.model_dump(mode="json")
    messages: list[dict[str, Any]] = Field(default_factory=list)
    tool_calls: list[ToolCall] = Field(default_factory=list)
    writes: list[RecordedWrite] = Field(default_factory=list)
    answer: Any | None = None
    note: str | None = None
    steps: int = 0
    terminated: bool = False
    truncated: bool = False
    usage: dict[str, Any] = Field(default_factory=dict)
    seed: int | None = None
    grade: dict[str, Any] | None = None  # the Grade given when the episode ended (optional)

    # ---- persistence -------------------------------------------------------------------------

    def to_json(self) -> str:
        """Canonical JSON text of the record."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=1)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the record as JSON atomically (a crash never leaves a half-written file)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".record-", suffix=".json", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self.to_json())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> EpisodeRecord:
        """Read a record saved by :meth:`save`; errors name the file and the bad field."""
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{p}: not a readable JSON episode record: {exc}") from None
        except RecursionError:
            raise ValueError(f"{p}: the JSON is nested too deeply to read") from None
        return cls.from_dict(data, source=str(p))

    @classmethod
    def from_dict(cls, data: Any, source: str = "record") -> EpisodeRecord:
        """Validate a JSON object as a record, with an error that names the source and field."""
        if not isinstance(data, dict):
            raise ValueError(f"{source}: an episode record must be a JSON object")
        fmt = data.get("format", RECORD_FORMAT)
        if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > RECORD_FORMAT:
            raise ValueError(f"{source}: record format {data['format']} is newer than this medsim")
        try:
            return cls.model_validate(data)
        except RecursionError:
            raise ValueError(f"{source}: the record is nested too deeply to read") from None
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(record)'}: {e['msg']}"
                for e in exc.errors()
            )
            raise ValueError(f"{source}: invalid episode record: {problems}") from None

    # ---- views graders use -------------------------------------------------------------------

    @staticmethod
    def write_entry(write: Write, step: int) -> RecordedWrite:
        """The entry stored in ``writes`` for an ``interface.Write`` made at ``step``."""
        return RecordedWrite.of(write, step)

    def written(self) -> dict[tuple[str, str], WrittenResource]:
        """Final state of every resource the episode wrote, keyed by (type, id), in write order."""
        out: dict[tuple[str, str], WrittenResource] = {}
        for w in self.ordered_writes():
            key = (w.resource_type, w.id)
            method, step = w.method, w.step
            resource = w.resource if method != "delete" else None
            prev = out.get(key)
            if prev is None:
                out[key] = WrittenResource(
                    resource_type=key[0],
                    id=key[1],
                    resource=resource,
                    created=method == "create",
                    first_step=step,
                    last_step=step,
                    methods=[method],
                )
            else:
                prev.resource = resource
                prev.last_step = step
                prev.methods.append(method)
        return out

    def written_ids(self) -> set[tuple[str, str]]:
        """(type, id) of everything the episode wrote: excluded from "facts in the chart"."""
        return {(w.resource_type, w.id) for w in self.writes}

    def ordered_writes(self) -> list[RecordedWrite]:
        """The writes in the order the EHR made them (``seq``, then step)."""
        return sorted(self.writes, key=lambda w: (w.seq, w.step))

    def successful_calls(self, start: int = 0) -> Iterator[ToolCall]:
        """Tool calls that did not error, in order (from the ``start``-th call on)."""
        return (c for c in self.tool_calls[start:] if c.error is None)

    @property
    def finished(self) -> bool:
        """The episode is over (the finish tool, the suite's end condition, or a budget)."""
        return self.terminated or self.truncated
