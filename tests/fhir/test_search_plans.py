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

    def search(self, resource_type: str, params: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
        self.statements.clear()
        self.ep._conn.set_trace_callback(self.statements.append)
        try:
            bundle = self.ep.search(resource_type, params)
        finally:
            self.ep._conn.set_trace_callback(None)
        return bundle, list(self.statements)

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
    for col in ("type=?", "param=?", "code=?", "patient=?", "system=?"):
        assert col in drive, drive
    # the index (..., code, patient, system, sd, rid) yields the rows in date order: at most the
    # tie-break on rid is sorted apart ("RIGHT PART"), never the whole match set
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_labs_since_a_date_descend_the_date_index_with_the_patient(traced: Traced) -> None:
    bundle, stmts = traced.search("Observation", {"patient": "pat-2", "date": "ge2022-01-01"})
    assert bundle["total"] > 0
    assert len(stmts) == 1
    plan = traced.plan(stmts[0])
    _no_full_scan(plan)
    drive = _driving(plan)
    assert "ix_date_lookup" in drive and "patient=?" in drive, drive


def test_patient_and_code_drive_by_code_with_patient_pushed_down(traced: Traced) -> None:
    # subject=Patient/X is the same restriction as patient=X (FHIR R4 Observation search params)
    for params in (
        {"patient": "pat-3", "code": POTASSIUM},
        {"subject": "Patient/pat-3", "code": POTASSIUM},
    ):
        bundle, stmts = traced.search("Observation", params)
        assert bundle["total"] > 0
        assert len(stmts) == 1
        plan = traced.plan(stmts[0])
        _no_full_scan(plan)
        drive = _driving(plan)
        assert "ix_tok_lookup" in drive and "code=?" in drive and "patient=?" in drive, drive
        # no second pass over the patient's reference rows: the push-down replaces that clause
        assert not any("ix_ref" in d for d in plan), plan


def test_patient_alone_walks_the_patients_reference_rows(traced: Traced) -> None:
    bundle, stmts = traced.search("Observation", {"patient": "pat-4"})
    assert bundle["total"] == 40  # tests/fhir/dataset.py: 40 observations per patient
    assert len(stmts) == 1
    plan = traced.plan(stmts[0])
    _no_full_scan(plan)
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
