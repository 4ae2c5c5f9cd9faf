"""JSON text of resources (``medsim.fhir.jsontext``: orjson where it gives the standard library's
values). The stored text (``storage.dumps``) reads back as exactly what json's text reads back
as, and ``jsontext.loads`` gives exactly json's values and errors: same values, same types, same
key order, NaN and huge integers included. The expected side is always the standard library's
``json.dumps`` / ``json.loads``, never the code under test."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medsim import jsontext
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


@settings(max_examples=400, deadline=None)
@given(values)
def test_loads_gives_the_standard_librarys_values(value: Any) -> None:
    text = std_text(value)
    assert same_value(jsontext.loads(text), json.loads(text))
    raw = utf8(text)
    if raw is not None:  # (stored bodies: text with a lone surrogate is never encoded)
        assert same_value(jsontext.loads_utf8(raw), json.loads(text))


def utf8(text: str) -> bytes | None:
    """``text`` as UTF-8 bytes (as a stored body is), or None when it holds a lone surrogate."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.from_regex(
            r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,25})?([eE][+-]?[0-9]{1,3})?", fullmatch=True
        ),
        min_size=1,
        max_size=5,
    )
)
def test_loads_reads_number_literals_as_json_does(numbers: list[str]) -> None:
    """Integers beyond 64 bits stay exact; decimals round to the same double (or both overflow)."""
    text = "[" + ",".join(numbers) + "]"
    assert same_value(jsontext.loads(text), json.loads(text))
    assert same_value(jsontext.loads_utf8(text.encode()), json.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        "[NaN, Infinity, -Infinity]",
        "[18446744073709551616, 123456789012345678901234567890]",
        "[-9223372036854775809]",  # 19 digits, below -2**63: orjson would read a float
        "[9223372036854775807, -9223372036854775808, 18446744073709551615]",  # exact in both
        '{"id": "12345678901234567890123"}',  # a long digit run in a string: json reads it too
        '["\\ud800"]',
        "[1e400]",
        '{"a": 1, "a": 2}',
        '\ufeff{"a": 1}',
    ],
)
@pytest.mark.parametrize("bytes_in", [False, True], ids=["loads", "loads_utf8"])
def test_loads_of_what_orjson_refuses_or_changes(text: str, bytes_in: bool) -> None:
    def read() -> Any:
        return jsontext.loads_utf8(text.encode()) if bytes_in else jsontext.loads(text)

    try:
        want: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        with pytest.raises(json.JSONDecodeError) as got:
            read()
        assert str(got.value) == str(exc)
        return
    assert same_value(read(), want)


@pytest.mark.parametrize("text", ["", "{", '{"a": }', "[1,]", "nul"])
def test_loads_of_bad_text_raises_what_json_raises(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as exc:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        jsontext.loads(text)
    assert str(got.value) == str(exc.value)
    with pytest.raises(json.JSONDecodeError) as got:
        jsontext.loads_utf8(text.encode())
    assert str(got.value) == str(exc.value)
