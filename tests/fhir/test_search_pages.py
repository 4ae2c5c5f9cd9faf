"""Pages and totals of a search agree with a brute-force filter of the data.

The engine answers a search with one SQL statement per layer (page rows, bodies and the total
together, see medsim.fhir.sqlsearch), lets SQL apply ``_offset`` when only the base takes part, and
merges the base with the episode's own writes in Python otherwise. These tests check every page of
such searches — past the end too, with and without writes — against the data set itself, and that a
search without ``_sort`` does not depend on which of two equally good indexes SQLite picks.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medsim.fhir import EmbeddedBackend
from medsim.fhir.dates import parse_range, period_range
from tests.fhir.conftest import _backend

pytestmark = pytest.mark.filterwarnings("ignore")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
PATIENT = "pat-2"
POTASSIUM = "2823-3"


@pytest.fixture(scope="module")
def engine(dataset: list[dict[str, Any]]) -> Iterator[EmbeddedBackend]:
    """The embedded engine alone: these tests are about its SQL (the HTTP backend's client-side
    merging of an episode's writes is another mechanism, with its own tests)."""
    yield from _backend("embedded", dataset)


def _lo(obs: dict[str, Any]) -> float:
    """The low end of an Observation's effective time (what ``_sort=date`` orders by)."""
    if "effectiveDateTime" in obs:
        return parse_range(obs["effectiveDateTime"])[0]
    p = obs["effectivePeriod"]
    return period_range(p.get("start"), p.get("end"))[0]


def _new_obs(code: str, when: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "subject": {"reference": f"Patient/{PATIENT}"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": 4.1, "unit": "mmol/L"},
    }


def _write(ep: Any, base: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Create, update and delete some of the patient's Observations; return what is then visible."""
    visible = {o["id"]: o for o in base}
    first, second = base[0], base[1]
    created = [
        ep.create(_new_obs(POTASSIUM, "2024-05-05T10:00:00Z")),
        ep.create(_new_obs(POTASSIUM, first.get("effectiveDateTime", "2021-03-03"))),  # a tie
        ep.create(_new_obs("2951-2", "2018-01-01")),
    ]
    changed = {k: v for k, v in first.items() if k not in ("effectiveDateTime", "effectivePeriod")}
    changed["effectiveDateTime"] = "2025-12-31"
    updated = ep.update("Observation", first["id"], changed)
    ep.delete("Observation", second["id"])
    del visible[second["id"]]
    visible[first["id"]] = updated
    return list(visible.values()) + created


def _code(obs: dict[str, Any]) -> str:
    return str(obs["code"]["coding"][0]["code"])


@given(
    count=st.integers(min_value=1, max_value=12),
    offset=st.integers(min_value=0, max_value=50),
    desc=st.booleans(),
    written=st.booleans(),
    code=st.sampled_from([None, POTASSIUM]),
)
@SETTINGS
def test_every_page_matches_brute_force(
    engine: EmbeddedBackend,
    dataset: list[dict[str, Any]],
    count: int,
    offset: int,
    desc: bool,
    written: bool,
    code: str | None,
) -> None:
    ep = engine.episode()
    mine = [
        r
        for r in dataset
        if r["resourceType"] == "Observation" and r["subject"]["reference"] == f"Patient/{PATIENT}"
    ]
    visible = _write(ep, mine) if written else mine
    expected = [o for o in visible if code is None or _code(o) == code]
    params = {
        "patient": PATIENT,
        "_sort": "-date" if desc else "date",
        "_count": str(count),
        "_offset": str(offset),
        **({"code": code} if code else {}),
    }
    bundle = ep.search("Observation", params)
    ep.close()
    keys = sorted((_lo(o) for o in expected), reverse=desc)
    assert bundle["total"] == len(expected)
    assert [_lo(e["resource"]) for e in bundle.get("entry", [])] == keys[offset : offset + count]
    assert {e["resource"]["id"] for e in bundle.get("entry", [])} <= {o["id"] for o in expected}
    relations = {link["relation"] for link in bundle["link"]}
    assert ("next" in relations) == (offset + count < len(expected))
    assert ("previous" in relations) == (offset > 0)


def test_summary_count_and_empty_searches(engine: EmbeddedBackend) -> None:
    ep = engine.episode()
    bundle = ep.search("Observation", {"patient": PATIENT, "_summary": "count"})
    assert bundle["total"] == 40 and "entry" not in bundle
    bundle = ep.search("Observation", {"patient": "nobody", "_count": "5"})
    assert bundle["total"] == 0 and "entry" not in bundle
    bundle = ep.search("Observation", {"patient": "nobody", "_offset": "3"})
    assert bundle["total"] == 0 and "entry" not in bundle
    bundle = ep.search("Observation", {"patient": PATIENT, "_offset": "39"})
    assert bundle["total"] == 40 and len(bundle["entry"]) == 1
    bundle = ep.search("Observation", {"patient": PATIENT, "_offset": "45"})  # past the end
    assert bundle["total"] == 40 and "entry" not in bundle
    ep.close()


@pytest.mark.parametrize("first", ["ux_resources_type_id", "ix_resources_type_patient"])
def test_whole_type_order_does_not_follow_the_index_sqlite_picks(
    dataset: list[dict[str, Any]], first: str
) -> None:
    """Both indexes on ``resources`` serve "every Observation"; which one SQLite uses follows
    their creation order (which came from a set, so it changed with the hash seed). The order of
    an unsorted search must not: patient compartment, then load order (the data set's order)."""
    backend = EmbeddedBackend()
    backend.load(dataset)
    with sqlite3.connect(backend.path) as conn:
        ddl = dict(
            conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN (?, ?)",
                ("ux_resources_type_id", "ix_resources_type_patient"),
            ).fetchall()
        )
        assert len(ddl) == 2
        for name in ddl:
            conn.execute(f"DROP INDEX {name}")
        for name in sorted(ddl, key=lambda n: n != first):
            conn.execute(ddl[name])
        conn.execute("ANALYZE")
    ep = backend.episode()
    expected = [r["id"] for r in dataset if r["resourceType"] == "Observation"]
    got = [e["resource"]["id"] for e in ep.search("Observation", {"_count": "1000"})["entry"]]
    assert got == expected
    page = ep.search("Observation", {"_count": "7", "_offset": "45"})
    assert [e["resource"]["id"] for e in page["entry"]] == expected[45:52]
    ep.close()
    backend.close()


def test_has_search_answers_for_each_episode_and_each_moment(engine: EmbeddedBackend) -> None:
    """``_has`` is resolved per search (to the ids the matching resources reference); the parsed
    query is shared between episodes, so what one episode resolved must never be reused by
    another, nor by the same episode after a write (it was, through the query's SQL memo)."""
    params = {"_has:Observation:patient:code": "9999-9"}  # a code no loaded Observation has
    writer, other = engine.episode(), engine.episode()
    assert writer.search("Patient", params)["total"] == 0
    writer.create(
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "9999-9"}]},
            "subject": {"reference": "Patient/pat-3"},
        }
    )
    found = writer.search("Patient", params)
    assert found["total"] == 1 and found["entry"][0]["resource"]["id"] == "pat-3"
    assert other.search("Patient", params)["total"] == 0
    assert "entry" not in engine.episode().search("Patient", params)
    writer.reset()
    assert writer.search("Patient", params)["total"] == 0
    writer.close()
    other.close()


@pytest.mark.parametrize("sort", [None, "status", "status,code"])
def test_paging_one_by_one_returns_every_match_once(
    engine: EmbeddedBackend, dataset: list[dict[str, Any]], sort: str | None
) -> None:
    """R4 paging (3.1.1.5.7): the pages of a search together return each match exactly once. With
    an episode's writes both layers take part; unsorted, or sorted on keys with many ties (4
    statuses, 4 codes), the merged order must agree with each layer's own SQL order, or a page
    would repeat a row another page skipped."""
    ep = engine.episode()
    mine = [
        r
        for r in dataset
        if r["resourceType"] == "Observation" and r["subject"]["reference"] == f"Patient/{PATIENT}"
    ]
    expected = sorted(o["id"] for o in _write(ep, mine))
    seen: list[str] = []
    for offset in range(len(expected) + 1):
        params = {"patient": PATIENT, "_count": "1", "_offset": str(offset)}
        bundle = ep.search("Observation", {**params, **({"_sort": sort} if sort else {})})
        assert bundle["total"] == len(expected)
        seen += [e["resource"]["id"] for e in bundle.get("entry", [])]
    ep.close()
    assert sorted(seen) == expected
