"""``fhirdata.iter_resources`` (what retrieval graders read out of tool results) against an
independent oracle: a direct transcription of its rules as a generator, over Hypothesis-drawn
JSON trees with resources, Bundles, OperationOutcomes, JSON text and deep nesting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from medsim.grading.checkpoints.fhirdata import iter_resources


def oracle(obj: Any, depth: int = 0) -> Iterator[Any]:
    """The rules, stated plainly: stop below depth 12; text that looks like JSON inside a list
    (or at the top) is parsed; a dict with a string resourceType other than Bundle and
    OperationOutcome is a resource (not descended into); other dicts and lists are descended."""
    if depth > 12:
        return
    if isinstance(obj, str):
        if obj.strip()[:1] in ("{", "["):
            try:
                parsed = json.loads(obj.strip())
            except ValueError:
                return
            yield from oracle(parsed, depth + 1)
    elif isinstance(obj, list):
        for item in obj:
            yield from oracle(item, depth + 1)
    elif isinstance(obj, dict):
        kind = obj.get("resourceType")
        if isinstance(kind, str) and kind not in ("Bundle", "OperationOutcome"):
            yield obj
            return
        for value in obj.values():
            if isinstance(value, dict) or isinstance(value, list):  # noqa: SIM101
                yield from oracle(value, depth + 1)


KINDS = st.sampled_from(["Observation", "Patient", "Bundle", "OperationOutcome", 7, None])
scalars = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.just('{"resourceType": "X"}'))


def trees() -> st.SearchStrategy[Any]:
    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        node = st.dictionaries(
            st.sampled_from(["entry", "resource", "id", "a"]), children, max_size=3
        )
        typed = st.builds(lambda d, k: {**d, "resourceType": k}, node, KINDS)
        text = children.map(lambda c: json.dumps(c) if not isinstance(c, str) else c)
        return st.one_of(st.lists(children, max_size=3), node, typed, text)

    return st.recursive(scalars, extend, max_leaves=25)


@settings(max_examples=400, deadline=None)
@given(trees())
def test_iter_resources_follows_its_rules(tree: Any) -> None:
    assert [id(r) for r in iter_resources(tree)] == [id(r) for r in oracle(tree)] or (
        list(iter_resources(tree)) == list(oracle(tree))  # parsed text: equal, not identical
    )


def test_depth_limit_and_bundle_entries() -> None:
    res = {"resourceType": "Observation", "id": "o1"}
    bundle = {"resourceType": "Bundle", "entry": [{"resource": res}, {"resource": {"a": 1}}]}
    assert list(iter_resources(bundle)) == [res]
    deep: Any = res
    for _ in range(12):
        deep = [deep]
    assert list(iter_resources(deep)) == [res]  # the resource at depth 12 is found
    assert list(iter_resources([deep])) == []  # depth 13 is not
    assert list(iter_resources(json.dumps([bundle]))) == [res]
