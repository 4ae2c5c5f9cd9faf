"""The difficulty rule of scenario templates: easy / medium / hard computed from what the
reference solution has to do, never declared by hand.

A template's difficulty is a property of the scenario, measured on its curated instances
(the minimum over them, so a template is only as hard as its easiest curated instance) and
given to every instance of the template (test, train, regenerated):

* ``tool_calls``: steps of the reference solution;
* ``sources``: chart sources the scenario spreads its findings over (overlay Encounters plus
  overlay notes, DocumentReference) - the encounters and notes the reference has to read;
* ``conflicts``: ``hardness.conflicts`` (outdated or contradictory data to reconcile);
* ``traps``: ``hardness.traps`` (what a careless agent falls into);
* ``branches``: derived values used in a condition (the test of a ``{% if %}`` or of an
  ``x if c else y`` in the task body or in another derived expression) - the clinical branches
  the answer depends on.

Points: tool calls 20-29 -> 1, 30-39 -> 2, >= 40 -> 3; sources >= 4 -> 1, >= 7 -> 2;
conflicts and traps 1 each (at most 2 each); branches >= 1 -> 1, >= 3 -> 2.
**hard** = >= 40 tool calls AND >= 1 conflict AND >= 1 trap (issue 14's bar);
**medium** = otherwise at least ``MEDIUM_POINTS`` points; **easy** = the rest.
environments/physicianbench/AUTHORING.md documents the same rule for authors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import nodes

from medsim.tasks.schema import Task

HARD_TOOL_CALLS = 40
MEDIUM_POINTS = 6
LEVELS = ("easy", "medium", "hard")


@dataclass(frozen=True)
class Metrics:
    """What the difficulty rule counts for one task (or, as minima, one template)."""

    tool_calls: int
    sources: int
    conflicts: int
    traps: int
    branches: int

    def points(self) -> int:
        """The point score of the rule (module docstring)."""
        calls = (
            3
            if self.tool_calls >= 40
            else 2
            if self.tool_calls >= 30
            else int(self.tool_calls >= 20)
        )
        sources = 2 if self.sources >= 7 else int(self.sources >= 4)
        branches = 2 if self.branches >= 3 else int(self.branches >= 1)
        return calls + sources + min(self.conflicts, 2) + min(self.traps, 2) + branches

    def label(self) -> str:
        """easy / medium / hard by the rule."""
        if self.tool_calls >= HARD_TOOL_CALLS and self.conflicts >= 1 and self.traps >= 1:
            return "hard"
        return "medium" if self.points() >= MEDIUM_POINTS else "easy"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "points": self.points(), "label": self.label()}


_ENV = jinja2.Environment(autoescape=False)


def _condition_names(source: str) -> set[str]:
    """Names read in the test of any ``{% if %}`` / ``x if c else y`` of a Jinja source."""
    tree = _ENV.parse(source)
    names: set[str] = set()
    for node in tree.find_all((nodes.If, nodes.CondExpr)):
        test: nodes.Node | None = getattr(node, "test", None)  # If and CondExpr both have one
        if test is not None:  # find_all skips the node itself: a bare ``{% if x %}`` is a Name
            found = [test, *test.find_all(nodes.Name)]
            names.update(n.name for n in found if isinstance(n, nodes.Name))
    return names


@lru_cache(maxsize=256)
def count_branches(task_body: str, derived: tuple[tuple[str, str], ...]) -> int:
    """Derived values that decide a branch: named in a condition of the task body or of a
    derived expression (module docstring)."""
    used = _condition_names(task_body)
    for _, expr in derived:
        used |= _condition_names("{{ " + expr + " }}")
    return len(used & {name for name, _ in derived})


def chart_sources(task: Task) -> int:
    """Overlay Encounters and notes (DocumentReference): the chart the reference must read."""
    kinds = ("Encounter", "DocumentReference")
    return sum(1 for r in task.overlay if r.get("resourceType") in kinds)


def task_metrics(task: Task, conflicts: int, traps: int, branches: int) -> Metrics:
    """The rule's counts for one rendered task."""
    return Metrics(
        tool_calls=len(task.reference_solution),
        sources=chart_sources(task),
        conflicts=conflicts,
        traps=traps,
        branches=branches,
    )


def template_metrics(per_task: Iterable[Metrics]) -> Metrics:
    """A template's counts: the minimum over its curated instances."""
    items = list(per_task)
    if not items:
        raise ValueError("a template needs at least one curated instance to be rated")
    return Metrics(
        tool_calls=min(m.tool_calls for m in items),
        sources=min(m.sources for m in items),
        conflicts=min(m.conflicts for m in items),
        traps=min(m.traps for m in items),
        branches=min(m.branches for m in items),
    )


__all__ = [
    "HARD_TOOL_CALLS",
    "LEVELS",
    "MEDIUM_POINTS",
    "Metrics",
    "chart_sources",
    "count_branches",
    "task_metrics",
    "template_metrics",
]
