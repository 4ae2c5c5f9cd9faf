"""The SQLite schema of the embedded engine, declared with SQLModel.

One ``resources`` table holds the JSON of every resource; six index tables hold what search
needs, one row per indexed value, keyed by ``param_key``: the (resource type, search parameter)
pair as a small integer (:mod:`medsim.fhir.index_keys`) [changed in 0.3]. Every index row carries ``patient`` (the resource's patient
compartment) so that the queries agents make most — "this patient's observations with this code
since then" — are answered from one composite index. The base cohort and each episode's layer use
this same schema (the layer in the episode connection's ``main`` database, the base attached as
``base``), so one SQL builder serves both.
"""

from __future__ import annotations

import sqlite3
from functools import cache

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


@cache
def ddl(schema: str | None = None, indexes: bool = True) -> tuple[str, ...]:
    """CREATE TABLE / INDEX statements (optionally in an attached schema), from the models.
    Compiled once per (schema, indexes): every episode's layer runs them."""
    dialect = sqlite_dialect.dialect()
    out: list[str] = []
    for model in MODELS:
        table = model.__table__  # type: ignore[attr-defined]
        stmt = str(CreateTable(table, if_not_exists=True).compile(dialect=dialect)).strip()
        out.append(_qualify(stmt, table.name, schema))
        if indexes:
            for index in table.indexes:
                istmt = str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect)).strip()
                out.append(_qualify_index(istmt, index.name, schema))
    return tuple(out)


def _qualify(stmt: str, name: str, schema: str | None) -> str:
    if not schema:
        return stmt
    return stmt.replace(f"TABLE IF NOT EXISTS {name} ", f"TABLE IF NOT EXISTS {schema}.{name} ", 1)


def _qualify_index(stmt: str, name: str | None, schema: str | None) -> str:
    if not schema or not name:
        return stmt
    return stmt.replace(f"INDEX IF NOT EXISTS {name} ", f"INDEX IF NOT EXISTS {schema}.{name} ", 1)


def create_all(conn: sqlite3.Connection, schema: str | None = None, indexes: bool = True) -> None:
    for stmt in ddl(schema, indexes):
        conn.execute(stmt)
