"""Query-plan contracts of the embedded search engine (issue 19: searches stay fast at scale).

The statements a search runs are captured with sqlite3's ``set_trace_callback`` on the episode's
connection (the real SQL, values inlined) and explained with ``EXPLAIN QUERY PLAN``. The oracle is
SQLite's planner and the index definitions in ``medsim/fhir/tables.py``, not the search code's own
output: each search must

- run one statement per storage layer it reads (the page, its bodies and the total together);
- reach its rows by an index SEARCH on the selective clause (the code for "patient X, code Y"; the
  patient for "patient X"), with the patient pushed into that index descent when one is named;
- never SCAN a table or index (the only SCAN allowed is of ``p``, the LIMITed page subquery).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from medsim.fhir import EmbeddedBackend
from tests.fhir.dataset import LOINC, build

POTASSIUM = "2823-3"  # LOINC Potassium [Moles/volume] in Serum or Plasma


@pytest.fixture(scope="module")
def backend() -> Iterator[EmbeddedBackend]:
    b = EmbeddedBackend()
    b.load(build())
    yield b
    b.close()


class Traced:
    """An episode whose SQL statements are recorded while a search runs."""

    def __init__(self, ep: Any) -> None:
        self.ep = ep
        self.statements: list[str] = []

    def search(
        self, resource_type: str, params: dict[str, str]
    ) -> tuple[dict[str, Any], list[str]]:
        self.statements.clear()
        self.ep._conn.set_trace_callback(self.statements.append)
        try:
            bundle = self.ep.search(resource_type, params)
        finally:
            self.ep._conn.set_trace_callback(None)
        return bundle, list(self.statements)

    def single(
        self, resource_type: str, params: dict[str, str]
    ) -> tuple[dict[str, Any], list[str]]:
        """The bundle and plan of a search that must run one statement (one layer) and scan
        nothing."""
        bundle, stmts = self.search(resource_type, params)
        assert len(stmts) == 1, stmts
        plan = self.plan(stmts[0])
        _no_full_scan(plan)
        return bundle, plan

    def plan(self, statement: str) -> list[str]:
        rows = self.ep._conn.execute("EXPLAIN QUERY PLAN " + statement).fetchall()
        return [str(r[3]) for r in rows]


@pytest.fixture
def traced(backend: EmbeddedBackend) -> Iterator[Traced]:
    ep = backend.episode()
    yield Traced(ep)
    ep.close()


def _no_full_scan(plan: list[str]) -> None:
    scans = [d for d in plan if d.startswith("SCAN") and d != "SCAN p"]
    assert scans == [], plan


def _driving(plan: list[str]) -> str:
    """The first index descent over the driving alias ``x`` (inside the page subquery)."""
    return next(d for d in plan if d.startswith("SEARCH x "))


def test_latest_potassium_is_one_statement_on_the_code_index_with_the_patient(
    traced: Traced,
) -> None:
    bundle, stmts = traced.search(
        "Observation",
        {"patient": "pat-1", "code": f"{LOINC}|{POTASSIUM}", "_sort": "-date", "_count": "1"},
    )
    assert len(bundle["entry"]) == 1
    assert len(stmts) == 1  # one layer (no writes): page + bodies + total in one statement
    plan = traced.plan(stmts[0])
    _no_full_scan(plan)
    drive = _driving(plan)
    assert "ix_tok_lookup" in drive  # the code drives, not the patient's reference rows
    for col in ("param_key=?", "code=?", "patient=?", "system=?"):
        assert col in drive, drive
    # the index (..., code, patient, system, sd, rid) yields the rows in date order: at most the
    # tie-break on rid is sorted apart ("RIGHT PART"), never the whole match set
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_labs_since_a_date_descend_the_date_index_with_the_patient(traced: Traced) -> None:
    bundle, plan = traced.single("Observation", {"patient": "pat-2", "date": "ge2022-01-01"})
    assert bundle["total"] > 0
    drive = _driving(plan)
    assert "ix_date_lookup" in drive and "patient=?" in drive, drive


def test_patient_and_code_drive_by_code_with_patient_pushed_down(traced: Traced) -> None:
    # subject=Patient/X is the same restriction as patient=X (FHIR R4 Observation search params)
    for params in (
        {"patient": "pat-3", "code": POTASSIUM},
        {"subject": "Patient/pat-3", "code": POTASSIUM},
    ):
        bundle, plan = traced.single("Observation", params)
        assert bundle["total"] > 0
        drive = _driving(plan)
        assert "ix_tok_lookup" in drive and "code=?" in drive and "patient=?" in drive, drive
        # no second pass over the patient's reference rows: the push-down replaces that clause
        assert not any("ix_ref" in d for d in plan), plan


def test_patient_alone_walks_the_patients_reference_rows(traced: Traced) -> None:
    bundle, plan = traced.single("Observation", {"patient": "pat-4"})
    assert bundle["total"] == 40  # tests/fhir/dataset.py: 40 observations per patient
    drive = _driving(plan)
    assert "ix_ref_lookup" in drive and "target_id=?" in drive, drive


def test_many_rows_without_a_patient_still_search_an_index(traced: Traced) -> None:
    for params in ({"code": POTASSIUM}, {}, {"code": POTASSIUM, "value-quantity": "gt4"}):
        _, stmts = traced.search("Observation", params)
        assert len(stmts) == 1
        plan = traced.plan(stmts[0])
        _no_full_scan(plan)
        drive = _driving(plan)
        if params:
            assert "ix_tok_lookup" in drive and "code=?" in drive, drive
        else:
            assert "type=?" in drive, drive
    # the value-quantity clause is checked per candidate row through its rid index
    _, stmts = traced.search("Observation", {"code": POTASSIUM, "value-quantity": "gt4"})
    assert any(d.startswith("SEARCH y USING") and "rid=?" in d for d in traced.plan(stmts[0]))


def test_one_statement_per_layer_after_a_write(traced: Traced) -> None:
    traced.ep.create(
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": LOINC, "code": POTASSIUM}]},
            "subject": {"reference": "Patient/pat-1"},
            "effectiveDateTime": "2025-01-01T08:00:00Z",
            "valueQuantity": {"value": 4.1, "unit": "mmol/L"},
        }
    )
    params = {"patient": "pat-1", "code": POTASSIUM, "_sort": "-date", "_count": "1"}
    traced.search("Observation", params)  # warms the per-type list of overwritten base rows
    bundle, stmts = traced.search("Observation", params)
    assert bundle["entry"][0]["resource"]["effectiveDateTime"] == "2025-01-01T08:00:00Z"
    assert len(stmts) == 2  # base layer + the episode's own layer
    assert any("FROM base." in s for s in stmts) and any("FROM main." in s for s in stmts)
    for s in stmts:
        _no_full_scan(traced.plan(s))


def _dedups(plan: list[str]) -> bool:
    """True when the plan groups or de-duplicates rows with a temporary B-tree."""
    return any("GROUP BY" in d or "count(DISTINCT)" in d for d in plan)


def test_primary_date_rides_on_the_driving_row(traced: Traced) -> None:
    # token and reference index rows carry their resource's primary date (tables.py: sd/sh), so
    # "this patient's potassium since a date" needs no visit to the date index at all
    _, stmts = traced.search(
        "Observation", {"patient": "pat-1", "code": f"{LOINC}|{POTASSIUM}", "date": "ge2021-01-01"}
    )
    plan = traced.plan(stmts[0])
    _no_full_scan(plan)
    assert "ix_tok_lookup" in _driving(plan)
    assert not any("ix_date" in d for d in plan), plan


def test_a_drive_with_one_row_per_resource_is_not_deduplicated(traced: Traced) -> None:
    # one code (with or without its system) and one typed reference match at most one index row
    # per resource (a system-less code: its first coding only), so neither the page nor the total
    # needs a GROUP BY / COUNT(DISTINCT); a date range can match several rows of one resource
    # (effectiveDateTime and a period) and must be de-duplicated
    for resource_type, params in (
        ("Observation", {"code": f"{LOINC}|{POTASSIUM}"}),
        ("Observation", {"code": POTASSIUM}),
        ("Patient", {"general-practitioner": "Practitioner/prac-1"}),
        ("Observation", {"patient": "pat-4"}),  # Observation.subject is 0..1: one row each
    ):
        _, stmts = traced.search(resource_type, params)
        plan = traced.plan(stmts[0])
        _no_full_scan(plan)
        assert not _dedups(plan), (params, plan)
    _, stmts = traced.search("Observation", {"date": "ge2021-01-01"})
    assert _dedups(traced.plan(stmts[0]))


def test_a_union_parameter_searches_its_members_rows_once_per_resource(traced: Traced) -> None:
    # combo-code has no index rows of its own [changed in 0.3]: it descends the code index for
    # each member (code, component-code), and a resource matching both counts once
    _, stmts = traced.search("Observation", {"combo-code": POTASSIUM, "patient": "pat-1"})
    assert len(stmts) == 1
    plan = traced.plan(stmts[0])
    _no_full_scan(plan)
    drive = _driving(plan)
    assert "ix_tok_lookup" in drive and "param_key=?" in drive and "patient=?" in drive, drive
    assert _dedups(plan), plan


def test_id_with_a_modifier_reads_the_resource_row(traced: Traced) -> None:
    # _id has no index rows [changed in 0.3]: :not / :missing check the resource's own row by rid
    _, stmts = traced.search("Observation", {"patient": "pat-1", "_id:not": "x1,x2"})
    plan = traced.plan(stmts[0])
    _no_full_scan(plan)
    assert "ix_ref_lookup" in _driving(plan), plan
    assert any("SEARCH" in d and "resources" in d and "rowid=?" in d for d in plan), plan


def test_an_equality_drives_before_a_range(traced: Traced) -> None:
    # a code equality descends the index to its matches; an open date range would read every
    # observation after the date and check the code on each
    # (each slower clause is named first: the choice must not follow the parameters' order)
    _, stmts = traced.search("Observation", {"date": "ge2020-01-01", "code": POTASSIUM})
    assert "ix_tok_lookup" in _driving(traced.plan(stmts[0]))
    # a system-only alternative (every LOINC-coded observation) cannot use the code column
    _, stmts = traced.search(
        "Observation", {"code": f"{POTASSIUM},{LOINC}|", "date": "ge2024-06-01"}
    )
    assert "ix_date_lookup" in _driving(traced.plan(stmts[0]))
    # an identifier names one patient; a name prefix can match many
    _, stmts = traced.search("Patient", {"name": "Smith", "identifier": "urn:mrn|MRN1000"})
    assert "ix_tok_lookup" in _driving(traced.plan(stmts[0]))
    # a family-name prefix narrows more than an open birth-date range
    _, stmts = traced.search("Patient", {"birthdate": "ge1930-01-01", "family": "Smith"})
    assert "ix_str_lookup" in _driving(traced.plan(stmts[0]))
    # a reference to one resource drives before a token with a handful of values (gender has
    # four in R4's administrative-gender value set)
    _, stmts = traced.search(
        "Patient", {"gender": "male", "general-practitioner": "Practitioner/prac-1"}
    )
    assert "ix_ref_lookup" in _driving(traced.plan(stmts[0]))


def test_patient_read_by_id_is_pushed_into_the_index(traced: Traced) -> None:
    # Patient?_id=X restricts the search to patient X's compartment, like patient=X elsewhere
    _, stmts = traced.search("Patient", {"_id": "pat-1", "gender": "male"})
    drive = _driving(traced.plan(stmts[0]))
    assert "ix_tok_lookup" in drive and "patient=?" in drive, drive


def _sorts_everything(plan: list[str]) -> bool:
    return "USE TEMP B-TREE FOR ORDER BY" in plan


def test_order_comes_from_the_index(traced: Traced) -> None:
    # without _sort the rows come in the driving index's own order: nothing is sorted
    for resource_type, params in (
        ("Observation", {"code": POTASSIUM}),
        ("Patient", {"_id": "pat-1,pat-2"}),
        ("Patient", {"_id": "pat-1"}),
    ):
        _, stmts = traced.search(resource_type, params)
        plan = traced.plan(stmts[0])
        assert not any("ORDER BY" in d for d in plan), (params, plan)
    # a patient's latest result: the reference rows carry the date (sd), in index order
    _, stmts = traced.search("Observation", {"patient": "pat-4", "_sort": "-date", "_count": "1"})
    plan = traced.plan(stmts[0])
    assert "ix_ref_lookup" in _driving(plan) and not _sorts_everything(plan), plan
