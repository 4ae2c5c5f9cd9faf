"""Values at FHIR element paths (``code.coding``, ``effective[x]``, ``component.valueQuantity``):
one path at a time (:func:`walk`), or many paths at once (:class:`Step`, a trie of them, and
:func:`gather`).

Index extraction (``search_params.extract``) reads every parameter path of a resource's type:
compiled into one trie per type, each element of the resource is looked at once, ``meta`` once
for the four ``meta.*`` parameters and ``component`` once for every ``component-*`` [changed in
0.3]. Both ways give each path's values in document order, lists flattened at every step, and a
choice element ``x[x]`` matching ``xDateTime``, ``xPeriod`` ... (tests/fhir/test_extract_walk.py
checks that they agree).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

Steps = tuple[tuple[str, str | None], ...]  # (element, stem of a choice element ``x[x]``)


@lru_cache(maxsize=4096)
def steps(path: str) -> Steps:
    """``effective[x].start`` -> ((``effective[x]``, ``effective``), (``start``, None))."""
    return tuple((p, p[:-3] if p.endswith("[x]") else None) for p in path.split("."))


def walk(node: Any, path: str) -> Iterator[Any]:
    """Every value at a dotted path; lists are flattened; ``x[x]`` matches choice elements."""
    out: list[Any] = []
    _collect(node, steps(path), 0, out)
    return iter(out)


def _collect(node: Any, parts: Steps, i: int, out: list[Any]) -> None:
    """Append to ``out`` every value at ``parts[i:]`` below ``node``, in document order."""
    if isinstance(node, list):
        for item in node:
            _collect(item, parts, i, out)
        return
    if i == len(parts):
        out.append(node)
        return
    if not isinstance(node, dict):
        return
    head, stem = parts[i]
    if stem is not None:
        for key, value in node.items():
            if is_choice(key, stem):
                _collect(value, parts, i + 1, out)
    elif head in node:
        _collect(node[head], parts, i + 1, out)


def is_choice(key: str, stem: str) -> bool:
    """``effectiveDateTime`` is a choice of ``effective[x]``: the stem, then an upper-case type."""
    n = len(stem)
    return key.startswith(stem) and len(key) > n and key[n].isupper()


class Step:
    """One step of many paths, in a trie: paths that share a prefix share its steps (the root
    step stands for the resource itself)."""

    __slots__ = ("slots", "children", "choices", "routes", "inner")

    def __init__(self) -> None:
        #: The paths (their numbers, in the order they were added) that end at this step.
        self.slots: list[int] = []
        self.children: dict[str, Step] = {}  # element name -> next step
        self.choices: dict[str, Step] = {}  # stem of a choice element ``x[x]`` -> next step
        #: element name -> the steps it leads to (its own, the choices it is one of), memoised:
        #: the names of a type's elements are few.
        self.routes: dict[str, tuple[Step, ...]] = {}
        self.inner = False  # whether paths go further than this step

    def then(self, name: str, choice: bool) -> Step:
        """The next step along ``name`` (a choice stem with ``choice``), made if new."""
        self.inner = True
        table = self.choices if choice else self.children
        return table.setdefault(name, Step())

    def add(self, path: str, slot: int) -> None:
        """Add a dotted path (below this step) that ends with path number ``slot``."""
        step = self
        for head, stem in steps(path):
            step = step.then(head if stem is None else stem, stem is not None)
        step.slots.append(slot)

    def route(self, key: str) -> tuple[Step, ...]:
        """The steps an element called ``key`` leads to."""
        found = self.routes.get(key)
        if found is None:
            found = tuple(
                ([self.children[key]] if key in self.children else [])
                + [step for stem, step in self.choices.items() if is_choice(key, stem)]
            )
            if len(self.routes) < 512:  # an unvalidated load may bring any names
                self.routes[key] = found
        return found


def gather(resource: dict[str, Any], root: Step) -> dict[int, list[Any]]:
    """Path number -> its values in ``resource`` (paths without values left out), for every
    path of the trie ``root``."""
    found: dict[int, list[Any]] = {}
    routes = root.routes
    for key, value in resource.items():
        nexts = routes.get(key)
        for step in root.route(key) if nexts is None else nexts:
            if step.inner or isinstance(value, list):
                _gather(value, step, found)
            else:  # most elements: one value at the end of its path(s)
                _keep(value, step.slots, found)
    return found


def _keep(value: Any, slots: list[int], found: dict[int, list[Any]]) -> None:
    """Add ``value`` to the values of the paths ``slots``."""
    for slot in slots:
        values = found.get(slot)
        if values is None:
            found[slot] = [value]
        else:
            values.append(value)


def _gather(value: Any, step: Step, found: dict[int, list[Any]]) -> None:
    """Add ``value`` (an element's value, lists flattened) to the paths ending at ``step``, and
    what is below it to the paths going further, each path's values in document order."""
    if isinstance(value, list):
        for item in value:
            _gather(item, step, found)
        return
    if step.slots:
        _keep(value, step.slots, found)
    if step.inner and isinstance(value, dict):
        routes = step.routes
        for key, below in value.items():
            nexts = routes.get(key)
            for nxt in step.route(key) if nexts is None else nexts:
                _gather(below, nxt, found)
