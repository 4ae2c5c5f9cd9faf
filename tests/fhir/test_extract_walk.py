"""Index extraction walks a resource once per shared path prefix (a trie of the type's parameter
paths); it must give the rows, in the order, that walking every parameter path on its own gives
(``paths.walk``, the plain per-path walker). The oracle below is that per-path walk."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from medsim.data.cohort import iter_resources
from medsim.fhir.paths import walk
from medsim.fhir.search_params import INDEXERS, IndexRows, extract, params_for


def per_path_rows(resource: dict[str, Any], stored: bool) -> IndexRows:
    """Every path of every parameter walked on its own, in definition order."""
    rows = IndexRows()
    for param in params_for(resource["resourceType"]).values():
        if stored and not param.stored:
            continue
        for path in param.paths:
            values = list(walk(resource, path))
            if values:
                INDEXERS[param.type](rows, param, values)
    return rows


def assert_same_rows(resource: dict[str, Any], stored: bool) -> None:
    got, want = extract(resource, stored=stored), per_path_rows(resource, stored)
    assert got.tokens == list(dict.fromkeys(want.tokens))
    assert got.refs == list(dict.fromkeys(want.refs))
    assert (got.strings, got.dates, got.quantities, got.numbers) == (
        want.strings,
        want.dates,
        want.quantities,
        want.numbers,
    )


codes = st.sampled_from(["2823-3", "8480-6", "laboratory", "final", "x"])
coding = st.fixed_dictionaries(
    {"code": codes}, optional={"system": st.sampled_from(["http://loinc.org", "s"])}
)
concept = st.fixed_dictionaries(
    {}, optional={"coding": st.lists(coding, max_size=3), "text": st.sampled_from(["K", "Na"])}
)
quantity = st.fixed_dictionaries(
    {"value": st.integers(-5, 5) | st.floats(-10, 10)},
    optional={"unit": st.just("mmol/L"), "code": st.just("mmol/L")},
)
instant = st.sampled_from(["2024-01-02", "2023-05-06T07:08:09Z", "2022", "bad-date"])
reference = st.fixed_dictionaries(
    {"reference": st.sampled_from(["Patient/p1", "Patient/p2", "Encounter/e1", "Group/g"])}
)
component = st.fixed_dictionaries(
    {"code": concept},
    optional={"valueQuantity": quantity, "valueCodeableConcept": concept},
)
meta = st.fixed_dictionaries(
    {"lastUpdated": instant},
    optional={
        "tag": st.lists(coding, max_size=2),
        "profile": st.lists(st.sampled_from(["http://p/a", "http://p/b"]), max_size=2),
        "security": st.lists(coding, max_size=2),
    },
)
#: Observation elements, among them several choices of one ``x[x]`` (invalid FHIR, but an
#: unvalidated load may store them: each choice's values must keep their document order) and
#: names that only look like a choice (``effectivex``: lower case after the stem).
elements = {
    "status": codes,
    "category": st.lists(concept, max_size=2),
    "code": concept,
    "subject": reference,
    "encounter": reference,
    "performer": st.lists(reference, max_size=2),
    "effectiveDateTime": instant,
    "effectivePeriod": st.fixed_dictionaries({}, optional={"start": instant, "end": instant}),
    "effectiveInstant": instant,
    "effectivex": instant,
    "valueQuantity": quantity,
    "valueCodeableConcept": concept,
    "valueString": st.sampled_from(["Positive", "élevé"]),
    "component": st.lists(component, max_size=3),
    "meta": meta,
    "identifier": st.lists(
        st.fixed_dictionaries({"value": st.sampled_from(["1", "2"])}, optional={"system": codes}),
        max_size=2,
    ),
}


@st.composite
def observations(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(sorted(elements)), unique=True, max_size=len(elements)))
    resource: dict[str, Any] = {"resourceType": "Observation", "id": "o1"}
    for name in names:  # drawn order: the document order of the elements varies too
        resource[name] = draw(elements[name])
    return resource


@settings(max_examples=300, deadline=None)
@given(observations(), st.booleans())
def test_extraction_gives_the_per_path_rows(resource: dict[str, Any], stored: bool) -> None:
    assert_same_rows(resource, stored)


def test_extraction_of_the_cohort_gives_the_per_path_rows() -> None:
    """Every type of the shipped cohort (Patient names and addresses, Encounter periods, ...)."""
    for n, resource in enumerate(iter_resources()):
        assert_same_rows(resource, stored=n % 2 == 0)
        if n == 6000:
            break
