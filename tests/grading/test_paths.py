"""One dotted-path walker: graders read resources with the search engine's walker, so a path
means the same in a checkpoint as in a search parameter (choice elements included)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from medsim.fhir.paths import walk
from medsim.fhir.urls import REFERENCE_RE
from medsim.grading.checkpoints.fhirdata import get_path, parse_reference
from medsim.grading.checkpoints.retrieval import _mentions

KEYS = ["subject", "patient", "code", "value", "valueString", "reference", "a"]
TYPES = ["Observation", "Patient", "obs ervation", "Obs'x", "Ölçüm", "Ob\\s"]
REFS = st.builds(
    lambda base, rtype, rid, tail: f"{base}{rtype}/{rid}{tail}",
    st.sampled_from(["", "http://x/fhir/", " ", "/"]),
    st.sampled_from(["Patient", "Observation", "patient", "X1"]),
    st.sampled_from(["pat-0007", "a.b", "", "x/y", "ü"]),
    st.sampled_from(["", "/_history/2", "/", " "]),
)

MED = {
    "resourceType": "MedicationRequest",
    "dosageInstruction": [
        {"doseAndRate": [{"doseQuantity": {"value": 40, "unit": "mEq"}}]},
        {"doseAndRate": [{"doseRange": {"low": {"value": 1}}}]},
    ],
    "note": None,
}


def test_lists_are_flattened_and_nulls_dropped() -> None:
    assert get_path(MED, "dosageInstruction.doseAndRate.doseQuantity.value") == [40]
    assert get_path(MED, "note") == [] and get_path(MED, "missing.path") == []


def test_choice_elements_match_like_search_parameters() -> None:
    got = get_path(MED, "dosageInstruction.doseAndRate.dose[x]")
    assert got == [{"value": 40, "unit": "mEq"}, {"low": {"value": 1}}]
    obs = {"resourceType": "Observation", "valueQuantity": {"value": 3.1}, "valueString": "x"}
    assert get_path(obs, "value[x]") == [{"value": 3.1}, "x"]


# ---- the shortcuts of live grading, against the plain rules they stand for -----------------------

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=4))
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(node=JSON, path=st.sampled_from(KEYS + ["subject.reference", "value[x]", "a.b"]))
def test_get_path_is_the_walkers_values_without_nulls(node: Any, path: str) -> None:
    # one-element paths to a non-list value are read directly: same values as the full walk
    assert get_path(node, path) == [v for v in walk(node, path) if v is not None]


@settings(max_examples=300, deadline=None)
@given(ref=st.one_of(st.text(max_size=12), REFS))
def test_remembered_reference_parsing_is_the_pattern(ref: str) -> None:
    m = REFERENCE_RE.search(ref.strip())
    expected = (m.group(1), m.group(2)) if m else None
    assert parse_reference(ref) == expected
    assert parse_reference(ref) == expected  # the remembered answer is the same
    assert parse_reference({"reference": ref}) == expected


@settings(max_examples=300, deadline=None)
@given(
    arguments=st.one_of(
        st.dictionaries(st.sampled_from(["resource_type", "params", "id"]), JSON, max_size=3),
        st.fixed_dictionaries({"resource_type": st.sampled_from(TYPES)}, optional={"q": JSON}),
        JSON,
    ),
    resource_type=st.sampled_from(TYPES),
)
def test_mentions_is_the_type_in_the_arguments_text(arguments: Any, resource_type: str) -> None:
    # the shortcut (the ``resource_type`` argument is the type) says what the text search says
    assert _mentions(arguments, resource_type) == (resource_type.lower() in str(arguments).lower())
