"""Row-level storage shared by the base loader and episode layers: insert a resource with its
index rows, remove a resource's index rows. Pure SQL over a given schema name; how bodies are
stored (compressed in a base, text in a layer) is :mod:`medsim.fhir.bodies`."""

from __future__ import annotations

import sqlite3
from typing import Any

from medsim.fhir import index_keys
from medsim.fhir.bodies import Bodies
from medsim.fhir.schema import COLUMNS, INDEX_TABLES
from medsim.fhir.search_params import IndexRows, extract, normalize_string, updated_range
from medsim.jsontext import dumps

Json = dict[str, Any]

__all__ = ["RowBuffer", "clear", "delete_rows", "drop_superseded", "dumps", "insert"]


class RowBuffer:
    """Collects resource and index rows and writes them with one ``executemany`` per table.

    Rids are assigned here (max rid + 1 ...), so a whole batch needs no round trip per resource.
    With ``compress`` (a base), bodies are stored with the schema's :class:`Bodies` codec; a new
    base trains it on the bodies of its first flush.
    """

    def __init__(self, conn: sqlite3.Connection, schema: str, *, compress: bool = False) -> None:
        self.conn = conn
        self.schema = schema
        self.compress = compress
        self.bodies = Bodies.stored(conn, schema) if compress else None
        self.rows: dict[str, list[tuple[Any, ...]]] = {
            t: [] for t in COLUMNS
        }  # tuples in COLUMNS order
        self.next_rid = (
            int(conn.execute(f"SELECT COALESCE(MAX(rid), 0) FROM {schema}.resources").fetchone()[0])
            + 1
        )

    def add(
        self,
        resource: Json,
        *,
        version: int,
        last_updated: str,
        deleted: bool = False,
        body: str | None = None,
        extracted: IndexRows | None = None,
    ) -> int:
        """Queue ``resource`` and its index rows; ``body`` is its :func:`dumps` text and
        ``extracted`` its ``extract(resource, stored=True)`` when the caller has them already."""
        rtype = resource["resourceType"]
        rid = self.next_rid
        self.next_rid += 1
        if deleted:
            rows = None
        else:
            rows = extract(resource, stored=True) if extracted is None else extracted
        p = rows.patient if rows else ""
        lo, hi = (None, None) if deleted else updated_range(resource)
        self.rows["resources"].append(
            (
                rid,
                rtype,
                resource["id"],
                version,
                last_updated,
                p,
                int(deleted),
                lo,
                hi,
                "" if deleted else (dumps(resource) if body is None else body),
            )
        )
        key = index_keys.for_type(rtype)
        if rows is not None and key:
            sd, sh = rows.sort_date, rows.sort_hi
            seen: set[tuple[str, str | None]] = set()  # (param, code) pairs with a row
            add_token = self.rows["tok"].append
            for n, sy, c, t in rows.tokens:
                if (n, c) in seen:
                    first = 0
                else:
                    seen.add((n, c))
                    first = 1
                text = normalize_string(t) if t else None
                add_token((rid, key[n], p, sy, c, text, sd, sh, first))
            # (each only if there are rows: a comprehension costs a call even when empty)
            if rows.strings:
                self.rows["str"] += [(rid, key[n], p, v, e) for n, v, e in rows.strings]
            if rows.dates:
                self.rows["date"] += [(rid, key[n], p, lo, hi) for n, lo, hi in rows.dates]
            if rows.refs:
                self.rows["ref"] += [(rid, key[n], p, tt, ti, sd, sh) for n, tt, ti in rows.refs]
            if rows.quantities:
                self.rows["qty"] += [(rid, key[n], p, v, sy, c) for n, v, sy, c in rows.quantities]
            if rows.numbers:
                self.rows["num"] += [(rid, key[n], p, v) for n, v in rows.numbers]
        return rid

    def flush(self) -> None:
        resources = self.rows["resources"]
        if self.compress and resources:
            if self.bodies is None:
                self.bodies = Bodies.train([r[-1] for r in resources])
                self.bodies.store(self.conn, self.schema)
            encode = self.bodies.encode
            self.rows["resources"] = [(*r[:-1], encode(r[-1])) for r in resources]
        for table, rows in self.rows.items():
            if rows:
                cols = COLUMNS[table]
                marks = ",".join("?" * (cols.count(",") + 1))
                self.conn.executemany(
                    f"INSERT INTO {self.schema}.{table} ({cols}) VALUES ({marks})", rows
                )
                rows.clear()


def insert(
    conn: sqlite3.Connection,
    schema: str,
    resource: Json,
    *,
    version: int,
    last_updated: str,
    deleted: bool = False,
    body: str | None = None,
) -> int:
    """Store one resource (already carrying id and meta) and its index rows; returns its rid
    (``body``: its :func:`dumps` text, when the caller made it already)."""
    buf = RowBuffer(conn, schema)
    rid = buf.add(resource, version=version, last_updated=last_updated, deleted=deleted, body=body)
    buf.flush()
    return rid


def delete_rows(conn: sqlite3.Connection, schema: str, rid: int) -> None:
    """Remove a layer resource and its index rows (used when a layer row is replaced)."""
    for table in INDEX_TABLES:
        conn.execute(f"DELETE FROM {schema}.{table} WHERE rid = ?", (rid,))
    conn.execute(f"DELETE FROM {schema}.resources WHERE rid = ?", (rid,))


def drop_superseded(conn: sqlite3.Connection, schema: str) -> None:
    """Delete every resource (with its index rows) that a later row of the same type and id
    replaces: of a resource loaded twice, the later copy wins. One pass per table."""
    conn.execute(
        f"CREATE TEMP TABLE superseded AS SELECT rid FROM {schema}.resources WHERE rid NOT IN "
        f"(SELECT MAX(rid) FROM {schema}.resources GROUP BY type, id)"
    )
    for table in (*INDEX_TABLES, "resources"):
        conn.execute(f"DELETE FROM {schema}.{table} WHERE rid IN (SELECT rid FROM superseded)")
    conn.execute("DROP TABLE temp.superseded")


def clear(conn: sqlite3.Connection, schema: str) -> None:
    for table in (*INDEX_TABLES, "resources"):
        conn.execute(f"DELETE FROM {schema}.{table}")
