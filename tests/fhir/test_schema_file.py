"""The schema the engine runs (``medsim/fhir/data/schema.json``, read by ``medsim.fhir.schema``)
is what the SQLModel models of ``medsim.fhir.tables`` compile to, and creates the tables and
indexes those models declare. After changing a model: ``python -m medsim.fhir.tables``."""

from __future__ import annotations

import json
import sqlite3

from medsim.fhir import schema, tables


def test_the_schema_file_is_what_the_models_compile_to() -> None:
    on_disk = json.loads(tables.SCHEMA_FILE.read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(tables.compiled())), (
        "medsim/fhir/data/schema.json is stale: run `python -m medsim.fhir.tables`"
    )
    assert schema.SCHEMA_VERSION == tables.SCHEMA_VERSION
    assert schema.COLUMNS == tables.COLUMNS
    assert schema.INDEX_TABLES == tables.INDEX_TABLES


def _objects(conn: sqlite3.Connection, db: str) -> set[tuple[str, str, str]]:
    rows = conn.execute(
        f"SELECT type, name, tbl_name FROM {db}.sqlite_master WHERE sql IS NOT NULL"
    )
    return {tuple(r) for r in rows}  # type: ignore[misc]


def test_create_all_makes_every_models_table_and_index_in_any_schema() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("ATTACH ':memory:' AS base")
    schema.create_all(conn, "base", indexes=True)
    schema.create_all(conn, "main", indexes=False)
    schema.create_all(conn, "base", indexes=True)  # IF NOT EXISTS: a second run changes nothing
    want_tables = {m.__tablename__ for m in tables.MODELS}  # type: ignore[misc]
    want_indexes = {
        (str(i.name), m.__tablename__)  # type: ignore[misc]
        for m in tables.MODELS
        for i in m.__table__.indexes  # type: ignore[attr-defined]
    }
    base = _objects(conn, "base")
    assert {n for t, n, _ in base if t == "table"} == want_tables
    assert {(n, tbl) for t, n, tbl in base if t == "index"} == want_indexes
    main = _objects(conn, "main")
    assert {n for t, n, _ in main if t == "table"} == want_tables
    assert not [n for t, n, _ in main if t == "index"]
    for table, columns in schema.COLUMNS.items():
        names = [r[1] for r in conn.execute(f"PRAGMA base.table_info({table})")]
        assert [c for c in names if c != "pk"] == columns.split(", ")
