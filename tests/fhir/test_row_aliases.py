"""Parameters answered from other rows [changed in 0.3, index format 12].

``patient`` of Observation (and 11 other types) is the ``subject`` rows that point to a Patient,
Encounter ``practitioner`` the ``participant`` rows that point to a Practitioner (FHIR R4:
``Observation.subject.where(resolve() is Patient)``, ``Encounter.participant.individual.where(
resolve() is Practitioner)``); ``_lastUpdated`` is read from the ``resources`` row's own columns.
None of them stores index rows of its own any more. The oracle is brute force over the resources
this file loads and writes (their references and ``meta.lastUpdated`` as written here, compared
with :func:`medsim.fhir.dates.matches`, the reference comparison), on the base and on an
episode's own writes, with and without other clauses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medsim.fhir import EmbeddedBackend
from medsim.fhir.dates import matches, parse_range
from tests.fhir.helpers import all_ids

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
LOINC = "http://loinc.org"
CODES = ("2823-3", "2951-2")  # LOINC potassium, sodium [Moles/volume] in Serum or Plasma
#: meta.lastUpdated values at several precisions and offsets (each one second, or a fraction)
INSTANTS = (
    "2023-12-31T23:59:59.999-05:00",
    "2024-03-01T10:00:00Z",
    "2024-03-01T10:00:00.5+02:00",
    "2024-03-02T00:00:00+00:00",
    "2025-01-01T00:00:00.000+00:00",
)
SUBJECTS = ("Patient/p1", "Patient/p2", "Group/g1", None)
#: the clock of the episode's writes (its own lastUpdated values)
WRITE_INSTANTS = ("2024-03-01T09:00:00Z", "2026-06-30T12:00:00.25Z")


def _observation(i: int) -> dict[str, Any]:
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"o{i}",
        "meta": {"lastUpdated": INSTANTS[i % len(INSTANTS)]},
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": CODES[i % 2]}]},
        "effectiveDateTime": f"2024-01-{1 + i % 28:02d}",
    }
    subject = SUBJECTS[(i // 2) % len(SUBJECTS)]
    if subject:
        obs["subject"] = {"reference": subject}
    return obs


def _encounter(i: int) -> dict[str, Any]:
    who = ["Practitioner/pr1", "RelatedPerson/rp1", "Practitioner/pr2"][: 1 + i % 3]
    return {
        "resourceType": "Encounter",
        "id": f"e{i}",
        "meta": {"lastUpdated": INSTANTS[(i + 2) % len(INSTANTS)]},
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": "Patient/p1" if i % 2 else "Patient/p2"},
        "participant": [{"individual": {"reference": ref}} for ref in who],
        # later encounters happened earlier: date order is not load order
        "period": {"start": f"2024-02-{20 - i:02d}T08:00:00Z"},
    }


def _data() -> list[dict[str, Any]]:
    return [
        {"resourceType": "Patient", "id": "p1", "gender": "female"},
        {"resourceType": "Patient", "id": "p2", "gender": "male"},
        {"resourceType": "Group", "id": "g1", "type": "person", "actual": True},
        {"resourceType": "Practitioner", "id": "pr1"},
        {"resourceType": "Practitioner", "id": "pr2"},
        {"resourceType": "RelatedPerson", "id": "rp1", "patient": {"reference": "Patient/p1"}},
        *[_observation(i) for i in range(24)],
        *[_encounter(i) for i in range(9)],
    ]


@pytest.fixture(scope="module")
def store() -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    """An episode over the loaded base plus its own writes (a Patient- and a Group-subject
    Observation, an Encounter), and every resource it holds, in load then write order."""
    backend = EmbeddedBackend()
    data = _data()
    backend.load(data)
    ep = backend.episode()
    clock = iter(WRITE_INSTANTS * 2)
    ep.clock = lambda: next(clock)
    written = [
        {**_observation(1), "id": None, "subject": {"reference": "Patient/p2"}},
        {**_observation(2), "id": None, "subject": {"reference": "Group/g1"}},
        {**_encounter(1), "id": None},
    ]
    for resource in written:
        del resource["id"]
        resource.pop("meta")
        stored = ep.create(resource)
        data.append(stored)
    yield ep, data
    ep.close()
    backend.close()


def _of(data: list[dict[str, Any]], rtype: str) -> list[dict[str, Any]]:
    return [r for r in data if r["resourceType"] == rtype]


def _refs(resource: dict[str, Any]) -> list[str]:
    """Every reference of the subject and the participants (the elements these tests use)."""
    out = [resource.get("subject", {}).get("reference")]
    out += [p["individual"]["reference"] for p in resource.get("participant", [])]
    return [r for r in out if r]


@pytest.mark.parametrize("value", ["p1", "Patient/p2", "g1", "Group/g1", "nobody"])
def test_patient_is_the_subject_when_it_is_a_patient(store: Any, value: str) -> None:
    ep, data = store
    target = value if "/" in value else f"Patient/{value}"
    expected = {
        o["id"]
        for o in _of(data, "Observation")
        if target.startswith("Patient/") and target in _refs(o)
    }
    assert set(all_ids(ep, "Observation", {"patient": value})) == expected
    # subject names any type
    subject = value if "/" in value else f"Patient/{value}"
    assert set(all_ids(ep, "Observation", {"subject": subject})) == {
        o["id"] for o in _of(data, "Observation") if subject in _refs(o)
    }


def test_patient_missing_chain_has_and_revinclude(store: Any) -> None:
    ep, data = store
    obs = _of(data, "Observation")
    to_patient = {o["id"] for o in obs if any(r.startswith("Patient/") for r in _refs(o))}
    everyone = {o["id"] for o in obs}
    assert set(all_ids(ep, "Observation", {"patient:missing": "false"})) == to_patient
    assert set(all_ids(ep, "Observation", {"patient:missing": "true"})) == everyone - to_patient
    female = {o["id"] for o in obs if "Patient/p1" in _refs(o)}  # p1 is the female patient
    assert set(all_ids(ep, "Observation", {"patient.gender": "female"})) == female
    # with a code, the patient is pushed into the code's index rows (the compartment column)
    for code in CODES:
        got = set(all_ids(ep, "Observation", {"patient": "p2", "code": code}))
        assert got == {
            o["id"]
            for o in obs
            if "Patient/p2" in _refs(o) and o["code"]["coding"][0]["code"] == code
        }
    has = set(all_ids(ep, "Patient", {"_has:Observation:patient:code": CODES[0]}))
    assert has == {
        r.split("/")[1]
        for o in obs
        if o["code"]["coding"][0]["code"] == CODES[0]
        for r in _refs(o)
        if r.startswith("Patient/")
    }
    bundle = ep.search("Patient", {"_id": "p2", "_revinclude": "Observation:patient"})
    included = {e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "include"}
    assert included == {o["id"] for o in obs if "Patient/p2" in _refs(o)}
    bundle = ep.search("Group", {"_id": "g1", "_revinclude": "Observation:patient"})
    assert [e["resource"]["id"] for e in bundle["entry"]] == ["g1"]  # a Group is no patient


@pytest.mark.parametrize("value", ["pr1", "Practitioner/pr2", "rp1", "RelatedPerson/rp1"])
def test_encounter_practitioner_is_a_practitioner_participant(store: Any, value: str) -> None:
    ep, data = store
    target = value if "/" in value else f"Practitioner/{value}"
    encounters = _of(data, "Encounter")
    expected = {
        e["id"] for e in encounters if target.startswith("Practitioner/") and target in _refs(e)
    }
    assert set(all_ids(ep, "Encounter", {"practitioner": value})) == expected
    if "/" in value:
        assert set(all_ids(ep, "Encounter", {"participant": value})) == {
            e["id"] for e in encounters if value in _refs(e)
        }
    if value.startswith("Practitioner/"):
        # without _sort, in the order its member answers (the reference index: by date)
        assert all_ids(ep, "Encounter", {"practitioner": value}, count=2) == all_ids(
            ep, "Encounter", {"participant": value}, count=2
        )
    with_practitioner = {
        e["id"] for e in encounters if any(r.startswith("Practitioner/") for r in _refs(e))
    }
    got = set(all_ids(ep, "Encounter", {"practitioner:missing": "false"}))
    assert got == with_practitioner


DATES = st.sampled_from(
    ["2023", "2024-03", "2024-03-01", "2024-03-01T10:00:00Z", "2024-03-01T08:00:00.5Z", "2026"]
)


@given(
    prefix=st.sampled_from(["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"]),
    value=DATES,
    rtype=st.sampled_from(["Observation", "Encounter"]),
    patient=st.sampled_from([None, "p1", "p2"]),
)
@SETTINGS
def test_last_updated_matches_brute_force(
    store: Any, prefix: str, value: str, rtype: str, patient: str | None
) -> None:
    ep, data = store
    search = parse_range(value)
    params = {"_lastUpdated": f"{prefix}{value}"}
    if patient:
        params["patient"] = patient
    expected = {
        r["id"]
        for r in _of(data, rtype)
        if matches(prefix, parse_range(r["meta"]["lastUpdated"]), search)
        and (patient is None or f"Patient/{patient}" in _refs(r))
    }
    assert set(all_ids(ep, rtype, params)) == expected


def test_last_updated_alone_answers_in_load_order(store: Any) -> None:
    # without _sort the order is the driving index's own: for _lastUpdated it was (and is) the
    # order resources were stored in, base first, then the episode's writes
    ep, data = store
    expected = [o["id"] for o in _of(data, "Observation")]
    assert all_ids(ep, "Observation", {"_lastUpdated": "ge2000"}, count=7) == expected
    day = parse_range("2024-03-01")
    later = [
        o["id"]
        for o in _of(data, "Observation")
        if matches("gt", parse_range(o["meta"]["lastUpdated"]), day)
    ]
    assert 0 < len(later) < len(expected)
    assert all_ids(ep, "Observation", {"_lastUpdated": "gt2024-03-01"}, count=5) == later


def test_last_updated_missing_is_a_value_that_is_not_a_date() -> None:
    # only an unvalidated load can store a lastUpdated that is not a date: it has no value
    backend = EmbeddedBackend(validate=False)
    try:
        good, bad = _observation(0), _observation(1)
        bad["meta"] = {"lastUpdated": "yesterday"}
        backend.load([good, bad])
        ep = backend.episode()
        assert all_ids(ep, "Observation", {"_lastUpdated:missing": "true"}) == ["o1"]
        assert all_ids(ep, "Observation", {"_lastUpdated:missing": "false"}) == ["o0"]
        assert all_ids(ep, "Observation", {"_lastUpdated": "ge2000"}) == ["o0"]
    finally:
        backend.close()


@pytest.mark.parametrize("sort", [None, "date", "-date"])
def test_last_updated_with_the_primary_date(store: Any, sort: str | None) -> None:
    # _lastUpdated (first, so it drives) and the type's primary date, sorted by it or not
    ep, data = store
    params = {"_lastUpdated": "ge2024-03-01", "date": "ge2024-01-05"}
    if sort:
        params["_sort"] = sort
    since, day = parse_range("2024-03-01"), parse_range("2024-01-05")
    matching = [
        o
        for o in _of(data, "Observation")
        if matches("ge", parse_range(o["meta"]["lastUpdated"]), since)
        and matches("ge", parse_range(o["effectiveDateTime"]), day)
    ]
    got = all_ids(ep, "Observation", params, count=4)
    assert set(got) == {o["id"] for o in matching}
    if sort:
        dates = {o["id"]: o["effectiveDateTime"] for o in matching}
        assert [dates[i] for i in got] == sorted(dates.values(), reverse=sort.startswith("-"))
