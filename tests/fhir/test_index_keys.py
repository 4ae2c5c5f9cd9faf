"""The integer keys of index rows (medsim/fhir/index_keys.py, index format 12).

The oracle is the parameter definitions file read here directly (data/search_parameters.json) and
the rows SQLite holds, not the numbering code: every parameter that stores rows has its own key,
the union and column parameters (``combo-*``, ``_id``) store none, and a resource of a type that
is not R4 gets no index rows.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from importlib import resources

from medsim.fhir import EmbeddedBackend, index_keys
from medsim.fhir.schema import INDEX_TABLES
from medsim.fhir.search_params import params_for


def _raw() -> dict[str, dict[str, dict[str, object]]]:
    text = resources.files("medsim.fhir").joinpath("data/search_parameters.json").read_text()
    return dict(json.loads(text))


def test_every_stored_parameter_has_its_own_key() -> None:
    raw = _raw()
    seen: dict[int, tuple[str, str]] = {}
    for rtype in raw:
        if rtype.startswith("_"):
            continue
        for name, spec in {**raw["_common"], **raw[rtype]}.items():
            k = index_keys.key(rtype, name)
            if "union" in spec or "column" in spec:  # (``patient`` of Observation: ``subject``)
                assert k is None, (rtype, name)
                continue
            assert isinstance(k, int) and k > 0, (rtype, name)
            assert k not in seen, (rtype, name, seen.get(k))
            seen[k] = (rtype, name)
    # R4 types without their own parameters still have keys for the common ones
    assert index_keys.key("Device", "_tag") is not None
    assert index_keys.key("Device", "_tag") != index_keys.key("Observation", "_tag")


def test_a_union_reads_its_members_keys() -> None:
    combo = params_for("Observation")["combo-code"]
    assert index_keys.keys("Observation", combo) == (
        index_keys.key("Observation", "code"),
        index_keys.key("Observation", "component-code"),
    )
    code = params_for("Observation")["code"]
    assert index_keys.keys("Observation", code) == (index_keys.key("Observation", "code"),)


def _index_rows(backend: EmbeddedBackend) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(backend.path)) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in INDEX_TABLES}


def test_stored_rows_skip_unions_columns_and_unknown_types() -> None:
    obs = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]},
        "subject": {"reference": "Patient/p1"},
        "valueQuantity": {"value": 4.0, "unit": "mmol/L"},
    }
    backend = EmbeddedBackend(validate=False)
    try:
        backend.load([obs, {"resourceType": "NotAnR4Type", "id": "x1", "status": "final"}])
        rows = _index_rows(backend)
        # tokens: status, code (no _id, no combo-code); quantities: value-quantity only;
        # references: subject (patient is subject's Patient rows); dates: none (_lastUpdated is
        # the resources row's, the load stamps meta)
        assert rows == {"tok": 2, "str": 0, "date": 0, "ref": 1, "qty": 1, "num": 0}
        with contextlib.closing(sqlite3.connect(backend.path)) as conn:
            assert conn.execute("SELECT COUNT(*) FROM resources").fetchone()[0] == 2
        ep = backend.episode()
        for params in (
            {"combo-code": "2823-3"},
            {"combo-value-quantity": "4"},
            {"_id": "o1"},
            {"patient": "p1"},
            {"_lastUpdated": "2025-01-01"},  # embedded.LOAD_INSTANT's day
        ):
            assert ep.search("Observation", params)["total"] == 1, params
        assert ep.search("Observation", {"_id:not": "o1"})["total"] == 0
        assert ep.search("Observation", {"_lastUpdated": "2025-01-02"})["total"] == 0
    finally:
        backend.close()
