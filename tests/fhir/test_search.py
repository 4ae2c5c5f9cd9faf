"""Search semantics, checked against brute-force filters over the same data on every backend."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medsim.fhir import FhirError
from medsim.fhir.dates import matches, parse_range, period_range
from tests.fhir.dataset import CODES, LOINC
from tests.fhir.helpers import all_ids

pytestmark = pytest.mark.filterwarnings("ignore")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def _obs(dataset: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in dataset if r["resourceType"] == "Observation"]


def _effective(obs: dict[str, Any]) -> tuple[float, float]:
    if "effectiveDateTime" in obs:
        return parse_range(obs["effectiveDateTime"])
    p = obs["effectivePeriod"]
    return period_range(p.get("start"), p.get("end"))


def test_read_and_total(ep: Any, dataset: list[dict[str, Any]]) -> None:
    pat = ep.read("Patient", "pat-1")
    assert pat["id"] == "pat-1" and pat["resourceType"] == "Patient"
    bundle = ep.search("Observation", {"patient": "pat-1", "_count": "5"})
    assert bundle["type"] == "searchset"
    assert bundle["total"] == sum(
        1 for o in _obs(dataset) if o["subject"]["reference"] == "Patient/pat-1"
    )
    assert len(bundle["entry"]) == 5


def test_read_missing_is_404(ep: Any) -> None:
    with pytest.raises(FhirError) as err:
        ep.read("Patient", "does-not-exist")
    assert err.value.status == 404
    assert err.value.outcome["resourceType"] == "OperationOutcome"


@given(
    code=st.sampled_from(sorted(CODES)),
    form=st.sampled_from(["plain", "system", "or"]),
    patient=st.sampled_from(["pat-1", "pat-2", None]),
)
@SETTINGS
def test_token_search_matches_brute_force(
    ep: Any, dataset: list[dict[str, Any]], code: str, form: str, patient: str | None
) -> None:
    other = sorted(CODES)[0]
    value = {"plain": code, "system": f"{LOINC}|{code}", "or": f"{code},{other}"}[form]
    wanted = {code, other} if form == "or" else {code}
    params: dict[str, Any] = {"code": value}
    if patient:
        params["patient"] = patient
    expected = {
        o["id"]
        for o in _obs(dataset)
        if o["code"]["coding"][0]["code"] in wanted
        and (patient is None or o["subject"]["reference"] == f"Patient/{patient}")
    }
    assert set(all_ids(ep, "Observation", params, count=100)) == expected


def test_token_system_forms(ep: Any, dataset: list[dict[str, Any]]) -> None:
    n_all = len(_obs(dataset))
    assert len(all_ids(ep, "Observation", {"code": f"{LOINC}|"}, count=200)) == n_all
    assert all_ids(ep, "Observation", {"code": "|2823-3"}) == []  # every coding has a system
    assert all_ids(ep, "Observation", {"code": "http://snomed.info/sct|2823-3"}) == []


DATES = st.sampled_from(
    ["2021", "2022-06", "2023-03-15", "2023-03-15T10:00:00Z", "2020-01-01T00:00:00+05:00"]
)


@given(prefix=st.sampled_from(["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"]), value=DATES)
@SETTINGS
def test_date_search_matches_brute_force(
    spec_ep: Any, dataset: list[dict[str, Any]], prefix: str, value: str
) -> None:
    search = parse_range(value)
    expected = {o["id"] for o in _obs(dataset) if matches(prefix, _effective(o), search)}
    got = set(all_ids(spec_ep, "Observation", {"date": f"{prefix}{value}"}, count=200))
    assert got == expected


def test_date_and_repetition_is_and(spec_ep: Any, dataset: list[dict[str, Any]]) -> None:
    ep = spec_ep
    lo, hi = parse_range("2021"), parse_range("2022")
    expected = {
        o["id"]
        for o in _obs(dataset)
        if matches("ge", _effective(o), lo) and matches("lt", _effective(o), hi)
    }
    got = set(all_ids(ep, "Observation", [("date", "ge2021"), ("date", "lt2022")], count=200))
    assert got == expected


@given(desc=st.booleans(), patient=st.sampled_from(["pat-1", "pat-3"]))
@SETTINGS
def test_sort_by_date(ep: Any, dataset: list[dict[str, Any]], desc: bool, patient: str) -> None:
    ids = all_ids(
        ep, "Observation", {"patient": patient, "_sort": "-date" if desc else "date"}, count=7
    )
    by_id = {o["id"]: o for o in _obs(dataset)}
    keys = [_effective(by_id[i])[0] for i in ids]
    assert keys == sorted(keys, reverse=desc)


def test_sort_several_keys(ep: Any) -> None:
    bundle = ep.search("Patient", {"_sort": "gender,-birthdate", "_count": "50"})
    rows = [(e["resource"]["gender"], e["resource"]["birthDate"]) for e in bundle["entry"]]
    for (g1, b1), (g2, b2) in zip(rows, rows[1:], strict=False):
        assert g1 < g2 or (g1 == g2 and b1 >= b2)


@given(count=st.integers(min_value=1, max_value=30))
@SETTINGS
def test_paging_visits_each_match_once(ep: Any, count: int) -> None:
    ids = all_ids(ep, "Observation", {"patient": "pat-2"}, count=count)
    assert len(ids) == 40


def test_string_search(ep: Any) -> None:
    assert set(all_ids(ep, "Patient", {"family": "smith"})) == {
        "pat-1",
        "pat-6",
    }  # prefix, case-insensitive
    assert all_ids(ep, "Patient", {"family:exact": "Smith"}) == ["pat-1"]
    assert all_ids(ep, "Patient", {"family:exact": "smith"}) == []
    assert all_ids(ep, "Patient", {"family:contains": "THSO"}) == ["pat-6"]
    assert all_ids(ep, "Patient", {"family": "garcia"}) == ["pat-3"]  # accents folded
    assert all_ids(ep, "Patient", {"name": "jos"}) == ["pat-3"]  # given names too


def test_identifier_birthdate_gender(ep: Any, dataset: list[dict[str, Any]]) -> None:
    assert all_ids(ep, "Patient", {"identifier": "urn:mrn|MRN1002"}) == ["pat-3"]
    p1 = next(r for r in dataset if r["id"] == "pat-1")
    assert "pat-1" in all_ids(ep, "Patient", {"birthdate": p1["birthDate"]})
    genders = {
        r["id"] for r in dataset if r["resourceType"] == "Patient" and r["gender"] == "female"
    }
    assert set(all_ids(ep, "Patient", {"gender": "female"})) == genders


def test_quantity_search(ep: Any, dataset: list[dict[str, Any]]) -> None:
    expected = {
        o["id"]
        for o in _obs(dataset)
        if o["code"]["coding"][0]["code"] == "2823-3" and o["valueQuantity"]["value"] < 3.5
    }
    got = set(all_ids(ep, "Observation", {"code": "2823-3", "value-quantity": "lt3.5"}, count=200))
    assert got == expected


def test_id_and_reference_forms(ep: Any) -> None:
    assert all_ids(ep, "Patient", {"_id": "pat-2,pat-3"}) == ["pat-2", "pat-3"] or set(
        all_ids(ep, "Patient", {"_id": "pat-2,pat-3"})
    ) == {"pat-2", "pat-3"}
    a = set(all_ids(ep, "Observation", {"subject": "Patient/pat-4"}))
    b = set(all_ids(ep, "Observation", {"patient": "pat-4"}))
    c = set(all_ids(ep, "Observation", {"subject:Patient": "pat-4"}))
    assert a == b == c and len(a) == 40


def test_summary_count(ep: Any) -> None:
    bundle = ep.search("Observation", {"patient": "pat-1", "_summary": "count"})
    assert bundle["total"] == 40 and not bundle.get("entry")


def test_include_and_revinclude(ep: Any) -> None:
    bundle = ep.search("Patient", {"_id": "pat-1", "_include": "Patient:general-practitioner"})
    modes = {(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]}
    assert modes == {("Patient", "match"), ("Practitioner", "include")}
    bundle = ep.search("Patient", {"_id": "pat-1", "_revinclude": "Condition:patient"})
    assert {e["resource"]["id"] for e in bundle["entry"]} == {"pat-1", "cond-1"}
    assert bundle["total"] == 1


def test_chained_search(ep: Any) -> None:
    assert set(all_ids(ep, "Condition", {"subject:Patient.family": "smith"})) == {
        "cond-1",
        "cond-6",
    }


@pytest.mark.parametrize(
    "params",
    [
        {"nonsense": "1"},
        {"date": "gt2023-13-45"},
        {"date": "yesterday"},
        {"_count": "-1"},
        {"code:bogus": "x"},
        {"_sort": "nonsense"},
        {"value-quantity": "abc"},
    ],
)
def test_bad_parameters_give_400(ep: Any, params: dict[str, str]) -> None:
    with pytest.raises(FhirError) as err:
        ep.search("Observation", params)
    assert err.value.status == 400
    assert err.value.outcome["issue"][0]["severity"] == "error"
