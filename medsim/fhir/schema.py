"""The SQLite schema the engine runs: ``data/schema.json``, compiled from the SQLModel models of
:mod:`medsim.fhir.tables` (regenerate with ``python -m medsim.fhir.tables``; a test compares
the two). Reading it costs a fraction of a millisecond, where importing SQLAlchemy and SQLModel
to compile the models cost ~0.2 s of every process that made an env [changed in 0.3]."""

from __future__ import annotations

import json
import sqlite3
from functools import cache
from importlib import resources
from typing import Any


def _load() -> dict[str, Any]:
    text = resources.files("medsim.fhir").joinpath("data/schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


_SCHEMA = _load()

#: Bump (in tables.py) when tables, indexes or extraction change: invalidates cached bases.
SCHEMA_VERSION: int = _SCHEMA["schema_version"]
#: The index tables (one row per indexed value), in the order writes fill them.
INDEX_TABLES: tuple[str, ...] = tuple(_SCHEMA["index_tables"])
#: table -> the columns raw-SQL inserts fill, in declaration order (the surrogate ``pk`` of the
#: index tables is left to SQLite).
COLUMNS: dict[str, str] = dict(_SCHEMA["columns"])


@cache
def ddl(schema: str | None = None, indexes: bool = True) -> tuple[str, ...]:
    """CREATE TABLE / INDEX statements (optionally in an attached schema), each table followed
    by its indexes. Worked out once per (schema, indexes): every episode's layer runs them."""
    out: list[str] = []
    for stmt in _SCHEMA["statements"]:
        if stmt["kind"] == "index" and not indexes:
            continue
        sql, name = str(stmt["sql"]), str(stmt["name"])
        if schema:
            what = "TABLE" if stmt["kind"] == "table" else "INDEX"
            sql = sql.replace(
                f"{what} IF NOT EXISTS {name} ", f"{what} IF NOT EXISTS {schema}.{name} ", 1
            )
        out.append(sql)
    return tuple(out)


def create_all(conn: sqlite3.Connection, schema: str | None = None, indexes: bool = True) -> None:
    """Create the tables (and their indexes) in ``conn``'s ``schema`` if they do not exist."""
    for stmt in ddl(schema, indexes):
        conn.execute(stmt)
