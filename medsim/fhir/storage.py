"""Row-level storage shared by the base loader and episode layers: insert a resource with its
index rows, remove a resource's index rows, fetch bodies. Pure SQL over a given schema name."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from medsim.fhir.search_params import extract, normalize_string

Json = dict[str, Any]


def dumps(resource: Json) -> str:
    return json.dumps(resource, separators=(",", ":"), ensure_ascii=False)


def insert(conn: sqlite3.Connection, schema: str, resource: Json, *, version: int,
           last_updated: str, deleted: bool = False) -> int:
    """Store ``resource`` (already carrying id and meta) and its index rows; returns its rid."""
    rtype, rid_text = resource["resourceType"], resource["id"]
    rows = extract(resource) if not deleted else None
    patient = rows.patient if rows else ""
    cur = conn.execute(
        f"INSERT INTO {schema}.resources (type, id, version, last_updated, patient, deleted, body) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (rtype, rid_text, version, last_updated, patient, int(deleted), "" if deleted else dumps(resource)),
    )
    rid = cur.lastrowid
    assert rid is not None
    if rows is not None:
        insert_index_rows(conn, schema, rid, rtype, rows)
    return rid


def insert_index_rows(conn: sqlite3.Connection, schema: str, rid: int, rtype: str, rows: Any) -> None:
    p = rows.patient
    if rows.tokens:
        conn.executemany(
            f"INSERT INTO {schema}.tok (rid, type, param, patient, system, code, text) VALUES (?,?,?,?,?,?,?)",
            [(rid, rtype, n, p, s, c, normalize_string(t) if t else None) for n, s, c, t in rows.tokens],
        )
    if rows.strings:
        conn.executemany(
            f"INSERT INTO {schema}.str (rid, type, param, patient, value, exact) VALUES (?,?,?,?,?,?)",
            [(rid, rtype, n, p, v, e) for n, v, e in rows.strings],
        )
    if rows.dates:
        conn.executemany(
            f"INSERT INTO {schema}.date (rid, type, param, patient, lo, hi) VALUES (?,?,?,?,?,?)",
            [(rid, rtype, n, p, lo, hi) for n, lo, hi in rows.dates],
        )
    if rows.refs:
        conn.executemany(
            f"INSERT INTO {schema}.ref (rid, type, param, patient, target_type, target_id) VALUES (?,?,?,?,?,?)",
            [(rid, rtype, n, p, tt, ti) for n, tt, ti in rows.refs],
        )
    if rows.quantities:
        conn.executemany(
            f"INSERT INTO {schema}.qty (rid, type, param, patient, value, system, code) VALUES (?,?,?,?,?,?,?)",
            [(rid, rtype, n, p, v, s, c) for n, v, s, c in rows.quantities],
        )
    if rows.numbers:
        conn.executemany(
            f"INSERT INTO {schema}.num (rid, type, param, patient, value) VALUES (?,?,?,?,?)",
            [(rid, rtype, n, p, v) for n, v in rows.numbers],
        )


def delete_rows(conn: sqlite3.Connection, schema: str, rid: int) -> None:
    """Remove a layer resource and its index rows (used when a layer row is replaced)."""
    for table in ("tok", "str", "date", "ref", "qty", "num"):
        conn.execute(f"DELETE FROM {schema}.{table} WHERE rid = ?", (rid,))
    conn.execute(f"DELETE FROM {schema}.resources WHERE rid = ?", (rid,))


def clear(conn: sqlite3.Connection, schema: str) -> None:
    for table in ("tok", "str", "date", "ref", "qty", "num", "resources"):
        conn.execute(f"DELETE FROM {schema}.{table}")
