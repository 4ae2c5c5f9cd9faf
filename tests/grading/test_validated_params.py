"""Parsed checkpoint params are kept on the spec with a snapshot of the params they came from,
so a spec whose params are changed later (even deep inside) is parsed again. The snapshot
(``registry._snapshot``) copies JSON by an orjson round trip and anything else by deepcopy: both
must give an equal, independent copy."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from medsim.grading.checkpoints.registry import _snapshot, validated_params
from medsim.tasks.schema import CheckpointSpec

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


def _containers(value: Any) -> list[Any]:
    """Every list and dict inside ``value`` (itself included)."""
    found = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            if isinstance(item, list):
                found.append(item)
            stack.extend(item)
    return found


def _same(a: Any, b: Any) -> bool:
    """Equal as values, NaN equal to NaN, and of the same container types."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@given(st.dictionaries(st.text(max_size=5), json_values, max_size=5))
def test_snapshot_is_an_equal_independent_copy(params: dict[str, Any]) -> None:
    copied = _snapshot(params)
    assert _same(copied, params)
    originals = {id(c) for c in _containers(params)}
    assert not originals & {id(c) for c in _containers(copied)}  # shares no mutable part


def _spec(**params: Any) -> CheckpointSpec:
    return CheckpointSpec(id="k", grader="data_retrieved", params=params)


def test_a_deep_change_of_the_params_is_parsed_again() -> None:
    spec = _spec(resource_type="Observation", code={"codes": ["http://loinc.org|2823-3"]})
    first = validated_params(spec)
    assert validated_params(spec) is first  # unchanged: kept, not parsed again
    spec.params["code"]["codes"].append("http://loinc.org|2951-2")  # a change deep inside
    second = validated_params(spec)
    assert second is not first
    assert second.code.codes == ["http://loinc.org|2823-3", "http://loinc.org|2951-2"]


def test_params_that_are_not_plain_json_are_snapshotted_too() -> None:
    spec = _spec(resource_type="Observation", tools=("fhir_search",))  # a tuple: not JSON
    first = validated_params(spec)
    assert validated_params(spec) is first
    spec.params["tools"] = ("fhir_read",)
    assert validated_params(spec).tools == ["fhir_read"]
