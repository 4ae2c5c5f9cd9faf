"""The one-line view of a task that ``medsim tasks list`` prints.

A :class:`TaskRow` holds only what a listing shows (id, split, workflow, specialty, patient,
each checkpoint's gate flag and category, the tags). It is plain data, so the task cache
(:mod:`medsim.tasks.cache`) stores the rows beside the tasks and a listing of a template suite
reads them without parsing 100 full tasks (issue 19: ``medsim tasks list`` starts in <= 0.3 s).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from medsim.tasks.schema import Task


@dataclass(frozen=True)
class TaskRow:
    """What ``medsim tasks list`` shows of one task."""

    id: str
    split: str
    workflow: str
    specialty: str
    patient: str
    #: (gate, category) of every checkpoint, in the task's order.
    checkpoints: tuple[tuple[bool, str | None], ...]
    tags: tuple[str, ...]

    @classmethod
    def of(cls, task: Task) -> TaskRow:
        return cls(
            id=task.id,
            split=task.split,
            workflow=task.workflow,
            specialty=task.specialty,
            patient=task.patient,
            checkpoints=tuple((c.gate, c.category) for c in task.checkpoints),
            tags=tuple(task.metadata.tags),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "split": self.split,
            "workflow": self.workflow,
            "specialty": self.specialty,
            "patient": self.patient,
            "checkpoints": [[gate, category] for gate, category in self.checkpoints],
            "tags": list(self.tags),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskRow:
        """The row :meth:`to_json` wrote (``KeyError``/``TypeError``/``ValueError`` if not)."""
        checkpoints = tuple(
            (bool(g), None if c is None else str(c)) for g, c in data["checkpoints"]
        )
        return cls(
            id=str(data["id"]),
            split=str(data["split"]),
            workflow=str(data["workflow"]),
            specialty=str(data["specialty"]),
            patient=str(data["patient"]),
            checkpoints=checkpoints,
            tags=tuple(str(t) for t in data["tags"]),
        )

    def checks(self) -> str:
        """Checkpoint count, with gates and per-category counts when checkpoints have categories:
        ``"7 (2 diagnostic, 4 treatment, 1 gate)"``."""
        gates = sum(1 for gate, _ in self.checkpoints if gate)
        counts = Counter(category for gate, category in self.checkpoints if category and not gate)
        parts = [f"{n} {k.rsplit('_', 1)[-1]}" for k, n in sorted(counts.items())]
        if gates:
            parts.append(f"{gates} gate{'s' if gates > 1 else ''}")
        return f"{len(self.checkpoints)}" + (f" ({', '.join(parts)})" if parts else "")


def print_rows(rows: list[TaskRow]) -> None:
    """The table ``medsim tasks list`` prints, then the count and the category tags' counts."""
    w_id = max((len(r.id) for r in rows), default=2)
    w_wf = max((len(r.workflow) for r in rows), default=8)
    w_sp = max((len(r.specialty) for r in rows), default=9)
    print(f"{'id':<{w_id}}  split  {'workflow':<{w_wf}}  {'specialty':<{w_sp}}  patient    checks")
    for r in rows:
        print(
            f"{r.id:<{w_id}}  {r.split:<5}  {r.workflow:<{w_wf}}  {r.specialty:<{w_sp}}  "
            f"{r.patient:<9}  {r.checks()}"
        )
    print(f"{len(rows)} task(s)")
    categories = Counter(tag for r in rows for tag in r.tags if tag.startswith("category:"))
    if categories:
        print(", ".join(f"{tag.split(':', 1)[1]} {n}" for tag, n in sorted(categories.items())))
