"""The stored JSON text of a resource (``storage.dumps``, written by orjson where it can) reads
back as exactly what the standard library's text reads back as: same values, same types, same
key order, NaN and huge integers included. The expected side is always the standard library's
``json.dumps`` / ``json.loads``, never the code under test."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from medsim.data.cohort import iter_resources
from medsim.fhir import storage


def std_text(value: Any) -> str:
    """The standard library's compact text (what bodies were before orjson)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def same_value(a: Any, b: Any) -> bool:
    """Equal values of equal types, dict keys in the same order, NaN equal to NaN."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same_value, a, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)  # beyond 64 bits too
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()  # includes "null", control characters, non-ASCII
    | st.sampled_from(["null", "annulled", "\u2028", "\x00", "é", "𝄞"])
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(), values, max_size=6))
def test_stored_text_reads_back_as_the_standard_librarys(resource: dict[str, Any]) -> None:
    expected = json.loads(std_text(resource))
    got = json.loads(storage.dumps(resource))
    assert same_value(got, expected)


def test_nan_infinity_and_huge_integers_are_kept() -> None:
    resource = {"a": math.nan, "b": [math.inf, -math.inf], "c": 2**70, "d": {"e": None}}
    text = storage.dumps(resource)
    assert text == std_text(resource)  # the standard encoder wrote it (orjson would lose them)
    assert same_value(json.loads(text), resource)


def test_cohort_bodies_are_the_standard_text() -> None:
    """On the shipped cohort (no unusual floats), the text is byte for byte what it was."""
    for n, resource in enumerate(iter_resources()):
        assert storage.dumps(resource) == std_text(resource)
        if n == 3000:
            break
