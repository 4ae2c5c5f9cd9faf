"""The SQLite schema of the embedded engine, declared with SQLModel (the source of truth).

One ``resources`` table holds the JSON of every resource; six index tables hold what search
needs, one row per indexed value, keyed by ``param_key``: the (resource type, search parameter)
pair as a small integer (:mod:`medsim.fhir.index_keys`) [changed in 0.3]. Every index row carries ``patient`` (the resource's patient
compartment) so that the queries agents make most — "this patient's observations with this code
since then" — are answered from one composite index. The base cohort and each episode's layer use
this same schema (the layer in the episode connection's ``main`` database, the base attached as
``base``), so one SQL builder serves both.

The engine runs the compiled form of these models, ``data/schema.json`` read by
:mod:`medsim.fhir.schema`, so that making an env does not import SQLAlchemy and SQLModel (~0.2 s
of a ~0.65 s cold start) [changed in 0.3]; this module is imported only to regenerate that file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Index
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import Field, SQLModel

SCHEMA_VERSION = 12  # bump when tables, indexes or extraction change: invalidates cached bases


class ResourceRow(SQLModel, table=True):
    __tablename__ = "resources"
    __table_args__ = (
        Index("ux_resources_type_id", "type", "id", unique=True),
        Index("ix_resources_type_patient", "type", "patient"),
    )
    rid: int | None = Field(default=None, primary_key=True)
    type: str
    id: str
    version: int = 1
    last_updated: str = ""
    patient: str = ""
    deleted: int = 0
    #: [lo, hi) of ``meta.lastUpdated``, what ``_lastUpdated`` searches compare (no index rows;
    #: NULL without a valid value, and in a deleted row) [changed in 0.3]
    updated_lo: float | None = None
    updated_hi: float | None = None
    body: str = ""  # the resource JSON: zstd bytes in a base, text in a layer (fhir.bodies)


class TokenRow(SQLModel, table=True):
    __tablename__ = "tok"
    __table_args__ = (
        Index(
            "ix_tok_lookup",
            "param_key",
            "code",
            "patient",
            "system",
            "sd",
            "rid",
            "first",
            "sh",
        ),
        Index("ix_tok_rid", "rid", "param_key", "code", "system"),
    )
    pk: int | None = Field(default=None, primary_key=True)
    rid: int
    param_key: int  # (resource type, parameter) as a small integer (fhir.index_keys)
    patient: str = ""
    system: str | None = None
    code: str | None = None
    text: str | None = None  # normalised display/text, for :text
    sd: float | None = None  # the resource's primary date (see search_parameters.json)
    sh: float | None = None
    first: int = (
        1  # 1 on the first row of each (param, code) in a resource: code-only searches count once
    )


class StringRow(SQLModel, table=True):
    __tablename__ = "str"
    __table_args__ = (
        Index("ix_str_lookup", "param_key", "value"),
        Index("ix_str_rid", "rid", "param_key"),
    )
    pk: int | None = Field(default=None, primary_key=True)
    rid: int
    param_key: int  # (resource type, parameter) as a small integer (fhir.index_keys)
    patient: str = ""
    value: str  # normalised
    exact: str


class DateRow(SQLModel, table=True):
    __tablename__ = "date"
    __table_args__ = (
        Index("ix_date_lookup", "param_key", "patient", "lo", "hi", "rid"),
        Index("ix_date_rid", "rid", "param_key", "lo", "hi"),
    )
    pk: int | None = Field(default=None, primary_key=True)
    rid: int
    param_key: int  # (resource type, parameter) as a small integer (fhir.index_keys)
    patient: str = ""
    lo: float
    hi: float


class RefRow(SQLModel, table=True):
    __tablename__ = "ref"
    __table_args__ = (
        Index("ix_ref_lookup", "param_key", "target_id", "target_type", "sd", "rid", "sh"),
        Index("ix_ref_rid", "rid", "param_key"),
    )
    pk: int | None = Field(default=None, primary_key=True)
    rid: int
    param_key: int  # (resource type, parameter) as a small integer (fhir.index_keys)
    patient: str = ""
    target_type: str
    target_id: str
    sd: float | None = None
    sh: float | None = None


class QuantityRow(SQLModel, table=True):
    __tablename__ = "qty"
    __table_args__ = (
        Index("ix_qty_lookup", "param_key", "patient", "value"),
        Index("ix_qty_rid", "rid", "param_key"),
    )
    pk: int | None = Field(default=None, primary_key=True)
    rid: int
    param_key: int  # (resource type, parameter) as a small integer (fhir.index_keys)
    patient: str = ""
    value: float
    system: str | None = None
    code: str | None = None


class NumberRow(SQLModel, table=True):
    __tablename__ = "num"
    __table_args__ = (
        Index("ix_num_lookup", "param_key", "value"),
        Index("ix_num_rid", "rid", "param_key"),
    )
    pk: int | None = Field(default=None, primary_key=True)
    rid: int
    param_key: int  # (resource type, parameter) as a small integer (fhir.index_keys)
    patient: str = ""
    value: float


class MetaRow(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


MODELS: list[type[SQLModel]] = [
    ResourceRow,
    TokenRow,
    StringRow,
    DateRow,
    RefRow,
    QuantityRow,
    NumberRow,
    MetaRow,
]
#: The index tables (one row per indexed value), in the order writes fill them.
INDEX_TABLES: tuple[str, ...] = tuple(
    m.__tablename__  # type: ignore[misc]
    for m in (TokenRow, StringRow, DateRow, RefRow, QuantityRow, NumberRow)
)
#: table -> the columns raw-SQL inserts fill, in declaration order (the surrogate ``pk`` of the
#: index tables is left to SQLite). The hot path (``storage``) writes with these, so the
#: schema is written once, here.
COLUMNS: dict[str, str] = {
    m.__tablename__: ", ".join(name for name in m.model_fields if name != "pk")  # type: ignore[misc]
    for m in (ResourceRow, TokenRow, StringRow, DateRow, RefRow, QuantityRow, NumberRow)
}


def compiled() -> dict[str, Any]:
    """The schema as data (what :mod:`medsim.fhir.schema` reads from ``data/schema.json``): the
    CREATE TABLE / INDEX statements compiled from the models, in order (each table, then its
    indexes), the index tables and the insert columns. Regenerate the file after changing a
    model: ``python -m medsim.fhir.tables`` (tests/fhir/test_schema_file.py compares the two)."""
    dialect = sqlite_dialect.dialect()
    statements: list[dict[str, Any]] = []
    for model in MODELS:
        table = model.__table__  # type: ignore[attr-defined]
        stmt = str(CreateTable(table, if_not_exists=True).compile(dialect=dialect)).strip()
        statements.append({"kind": "table", "name": table.name, "sql": stmt})
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            istmt = str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect)).strip()
            statements.append({"kind": "index", "name": index.name, "sql": istmt})
    return {
        "_comment": "Generated from medsim/fhir/tables.py by `python -m medsim.fhir.tables`.",
        "schema_version": SCHEMA_VERSION,
        "index_tables": list(INDEX_TABLES),
        "columns": COLUMNS,
        "statements": statements,
    }


SCHEMA_FILE = Path(__file__).with_name("data") / "schema.json"


def main() -> None:
    """Write ``data/schema.json`` from the models."""
    SCHEMA_FILE.write_text(json.dumps(compiled(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")


if __name__ == "__main__":
    main()
