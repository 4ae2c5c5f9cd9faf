"""Compile a parsed :class:`~medsim.fhir.query.Query` into SQL over one storage layer.

Shape of the SQL for a layer (``base`` = the cohort, ``main`` = the episode's own writes)::

    SELECT <layer>, r.rid, r.id, <sort keys> FROM <layer>.resources r
    WHERE r.type = ? AND r.rid IN (<driving clause>)       -- the most selective indexed clause
      AND EXISTS (SELECT 1 FROM <layer>.<index> x WHERE x.rid = r.rid AND ...)   -- each other clause
      AND NOT EXISTS (<same type/id written in the episode>)                    -- base only

When the search names one patient, ``patient = ?`` is pushed into the driving clause: every index
row carries its resource's patient compartment, so "this patient's potassium since T" is one range
scan of a composite index. All values are bound parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from medsim.fhir.dates import SQL_CONDITIONS, sql_args
from medsim.fhir.query import Clause, Query, Value

TABLE = {"token": "tok", "uri": "tok", "string": "str", "date": "date", "reference": "ref",
         "quantity": "qty", "number": "num"}
SORT_COLUMN = {"tok": "code", "str": "value", "date": "lo", "qty": "value", "num": "value"}
ChainResolver = Callable[[Query], list[str]]


def patient_of(q: Query) -> str | None:
    """The single patient a search is restricted to, if any (for index push-down)."""
    for c in q.clauses:
        if c.chain is None and c.modifier == "" and len(c.values) == 1:
            v = c.values[0]
            if c.param.name == "patient" or (c.param.name == "subject" and v.ref_type == "Patient"):
                return v.code
    if q.resource_type == "Patient" and q.ids is not None and len(q.ids) == 1:
        return q.ids[0]
    return None


def _alternatives(c: Clause, chain: ChainResolver) -> tuple[str, list[Any]]:
    t = c.param.type
    parts: list[str] = []
    args: list[Any] = []
    for v in c.values:
        sql, a = _one(t, c.modifier, v, c, chain)
        parts.append(sql)
        args += a
    return "(" + " OR ".join(parts) + ")", args


def _one(t: str, modifier: str, v: Value, c: Clause, chain: ChainResolver) -> tuple[str, list[Any]]:
    if t in ("token", "uri"):
        if modifier == "text":
            return "x.text LIKE ? ESCAPE '\\'", [_like_escape(v.text or "") + "%"]
        if v.system is None:
            return "x.code = ?", [v.code]
        if v.system == "":
            return "(x.system IS NULL AND x.code = ?)", [v.code]
        if v.code is None:
            return "x.system = ?", [v.system]
        return "(x.system = ? AND x.code = ?)", [v.system, v.code]
    if t == "string":
        if modifier == "exact":
            return "x.exact = ?", [v.code]
        if modifier == "contains":
            return "x.value LIKE ? ESCAPE '\\'", ["%" + _like_escape(v.text or "") + "%"]
        return "(x.value >= ? AND x.value < ?)", [v.text, (v.text or "") + "\U0010ffff"]
    if t == "date":
        return SQL_CONDITIONS[v.prefix], list(sql_args(v.prefix, (v.low, v.high)))
    if t == "reference":
        if c.chain is not None:
            ids = chain(c.chain)
            marks = ",".join("?" * len(ids)) or "NULL"
            return f"(x.target_type = ? AND x.target_id IN ({marks}))", [v.ref_type, *ids]
        if v.ref_type:
            return "(x.target_id = ? AND x.target_type = ?)", [v.code, v.ref_type]
        return "x.target_id = ?", [v.code]
    # quantity / number
    sql, args = _number(v)
    if t == "quantity":
        if v.system:
            sql, args = f"({sql} AND x.system = ?)", [*args, v.system]
        if v.unit:
            sql, args = f"({sql} AND x.code = ?)", [*args, v.unit]
    return sql, args


def _number(v: Value) -> tuple[str, list[Any]]:
    n = v.number
    if v.prefix == "eq":
        return "(x.value >= ? AND x.value < ?)", [v.low, v.high]
    if v.prefix == "ne":
        return "NOT (x.value >= ? AND x.value < ?)", [v.low, v.high]
    if v.prefix == "ap":
        lo, hi = sorted((n * 0.9, n * 1.1))
        return "(x.value >= ? AND x.value <= ?)", [lo, hi]
    op = {"gt": ">", "lt": "<", "ge": ">=", "le": "<="}[v.prefix]
    return f"x.value {op} ?", [n]


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _is_positive(c: Clause) -> bool:
    return c.modifier not in ("not", "missing")


def _condition(c: Clause, layer: str, chain: ChainResolver) -> tuple[str, list[Any]]:
    table = f"{layer}.{TABLE[c.param.type]}"
    if c.modifier == "missing":
        exists = f"EXISTS (SELECT 1 FROM {table} x WHERE x.rid = r.rid AND x.param = ?)"
        return ("NOT " + exists if c.values[0].missing else exists), [c.param.name]
    alts, args = _alternatives(c, chain)
    exists = f"EXISTS (SELECT 1 FROM {table} x WHERE x.rid = r.rid AND x.param = ? AND {alts})"
    return ("NOT " + exists if c.modifier == "not" else exists), [c.param.name, *args]


def _driving_rank(c: Clause) -> int:
    t = c.param.type
    if c.chain is not None:
        return 5
    if t == "reference" and c.param.name not in ("patient", "subject"):
        return 0
    if t in ("token", "uri") and c.modifier == "" and all(v.code for v in c.values):
        return 1
    if t == "string" and c.modifier in ("", "exact"):
        return 2
    if t in ("date", "quantity", "number"):
        return 3
    return 4


def layer_select(q: Query, layer: str, layer_no: int, chain: ChainResolver) -> tuple[str, list[Any]]:
    """SELECT of (layer, rid, id, sort keys...) for the matches of ``q`` in one layer."""
    patient = patient_of(q)
    where = ["r.type = ?"]
    args: list[Any] = [q.resource_type]
    clauses = list(q.clauses)
    candidates = sorted((c for c in clauses if _is_positive(c) and c.param.name not in ("patient",)),
                        key=_driving_rank)
    if patient is not None:
        where.append("r.patient = ?")
        args.append(patient)
        clauses = [c for c in clauses if not (c.param.name == "patient" and c.modifier == "")]
    if candidates and _driving_rank(candidates[0]) < 4:
        drive = candidates[0]
        clauses.remove(drive)
        alts, alt_args = _alternatives(drive, chain)
        push = " AND x.patient = ?" if patient is not None else ""
        where.append(
            f"r.rid IN (SELECT x.rid FROM {layer}.{TABLE[drive.param.type]} x "
            f"WHERE x.type = ? AND x.param = ? AND {alts}{push})"
        )
        args += [q.resource_type, drive.param.name, *alt_args, *([patient] if patient is not None else [])]
    if q.ids is not None:
        where.append(f"r.id IN ({','.join('?' * len(q.ids)) or 'NULL'})")
        args += q.ids
    for c in clauses:
        sql, a = _condition(c, layer, chain)
        where.append(sql)
        args += a
    if layer == "main":
        where.append("r.deleted = 0")
    else:
        where.append("NOT EXISTS (SELECT 1 FROM main.resources e WHERE e.type = r.type AND e.id = r.id)")
    keys, key_args = sort_keys(q, layer)
    cols = ", ".join([f"{layer_no} AS layer", "r.rid AS rid", "r.id AS id", *keys])
    # key args come first: the sort-key subqueries sit in the SELECT list, before WHERE.
    return f"SELECT {cols} FROM {layer}.resources r WHERE " + " AND ".join(where), key_args + args


def sort_keys(q: Query, layer: str) -> tuple[list[str], list[Any]]:
    from medsim.fhir.search_params import params_for

    keys: list[str] = []
    args: list[Any] = []
    for i, (name, desc) in enumerate(q.sort):
        if name == "_id":
            keys.append(f"r.id AS k{i}")
            continue
        if name == "_lastUpdated":
            keys.append(f"r.last_updated AS k{i}")
            continue
        table = TABLE[params_for(q.resource_type)[name].type]
        agg = "MAX" if desc else "MIN"
        keys.append(
            f"(SELECT {agg}(x.{SORT_COLUMN[table]}) FROM {layer}.{table} x "
            f"WHERE x.rid = r.rid AND x.param = ?) AS k{i}"
        )
        args.append(name)
    return keys, args


def search_sql(q: Query, chain: ChainResolver) -> tuple[str, list[Any]]:
    """Both layers, unioned and ordered (sort keys with missing values last, then insertion order)."""
    base_sql, base_args = layer_select(q, "base", 0, chain)
    main_sql, main_args = layer_select(q, "main", 1, chain)
    order = []
    for i, (_, desc) in enumerate(q.sort):
        order += [f"(k{i} IS NULL)", f"k{i} DESC" if desc else f"k{i}"]
    order += ["layer", "rid"]
    sql = f"SELECT layer, rid, id FROM ({base_sql} UNION ALL {main_sql}) ORDER BY {', '.join(order)}"
    return sql, base_args + main_args
