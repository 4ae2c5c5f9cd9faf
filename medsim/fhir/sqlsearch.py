"""Compile a parsed :class:`~medsim.fhir.query.Query` into SQL over one storage layer.

Shape of the SQL for a layer (``base`` = the cohort, ``main`` = the episode's own writes)::

    SELECT x.rid, <sort keys> FROM <layer>.<index of the driving clause> x
    WHERE x.param_key = ? AND <its values> [AND x.patient = ?]
      AND EXISTS (SELECT 1 FROM <layer>.<index> y WHERE y.rid = x.rid AND ...)   -- each other clause
      AND x.rid NOT IN (<base rows the episode overwrote or deleted>)          -- base only
    ORDER BY <keys> LIMIT <offset + count>

When the search names one patient, ``patient = ?`` goes into the driving clause: every index row
carries its resource's patient compartment, and token and reference rows also carry the resource's
primary date (``sd``), so "this patient's latest potassium" is a single descent of one composite
index. The page, its bodies and the layer's total come back from one statement::

    SELECT p.*, r.body, (SELECT COUNT(*) <the same FROM and WHERE>)
    FROM (<the page query above> LIMIT ? OFFSET ?) p CROSS JOIN <layer>.resources r ON r.rid = p.rid

The page is a subquery so that bodies are read for the page's rows only (never for the rows a
sort or an offset passes over); ``CROSS JOIN`` makes it the outer loop, so rows keep its order.
The COUNT is not correlated: SQLite runs it once per statement. One statement instead of three
(count, page, bodies) is most of the cost of a small search. When both layers take part, their
pages are merged in Python. All values are bound parameters.

``param_key`` is the (resource type, parameter) pair as an integer (:mod:`medsim.fhir.index_keys`),
mapped here when the SQL is built; a union parameter (``combo-code``) matches its members' keys
(``param_key IN (?, ?)``), each resource once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from medsim.fhir import index_keys
from medsim.fhir.dates import SQL_CONDITIONS, sql_args
from medsim.fhir.query import Clause, Query, Value
from medsim.fhir.search_params import SearchParam, params_for, primary_date

TABLE = {
    "token": "tok",
    "uri": "tok",
    "string": "str",
    "date": "date",
    "reference": "ref",
    "quantity": "qty",
    "number": "num",
}
SORT_COLUMN = {"tok": "code", "str": "value", "date": "lo", "qty": "value", "num": "value"}
#: A column parameter's values (:attr:`SearchParam.column`) as the index rows they replace: a
#: token (``_id``) with no system and no text, one per resource; a date (``_lastUpdated``) from
#: the row's ``<col>_lo`` / ``<col>_hi``, only where it has one.
COLUMN_ROWS = {
    "token": "(SELECT rid, NULL AS system, {col} AS code, NULL AS text, 1 AS first "
    "FROM {layer}.resources)",
    "date": "(SELECT rid, {col}_lo AS lo, {col}_hi AS hi FROM {layer}.resources "
    "WHERE {col}_lo IS NOT NULL)",
}
ChainResolver = Callable[[Query], list[str]]


def _patient_named(c: Clause) -> str | None:
    """The patient id when ``c`` is exactly ``patient=<id>`` or ``subject=Patient/<id>``."""
    if c.chain is None and c.modifier == "" and len(c.values) == 1:
        v = c.values[0]
        if c.param.name in ("patient", "subject") and v.ref_type == "Patient":
            return v.code
    return None


def patient_of(q: Query) -> str | None:
    """The single patient a search is restricted to, if any (for index push-down)."""
    for c in q.clauses:
        named = _patient_named(c)
        if named is not None:
            return named
    if q.resource_type == "Patient" and q.ids is not None and len(q.ids) == 1:
        return q.ids[0]
    return None


def _alternatives(c: Clause, chain: ChainResolver, a: str) -> tuple[str, list[Any]]:
    parts: list[str] = []
    args: list[Any] = []
    for v in c.values:
        sql, more = _one(c.param.type, c.modifier, v, c, chain, a)
        parts.append(sql)
        args += more
    return "(" + " OR ".join(parts) + ")", args


def _one(
    t: str, modifier: str, v: Value, c: Clause, chain: ChainResolver, a: str
) -> tuple[str, list[Any]]:
    if t in ("token", "uri"):
        if modifier == "text":
            return f"{a}.text LIKE ? ESCAPE '\\'", [_like_escape(v.text or "") + "%"]
        if v.system is None:  # code in any system: count each resource once
            return f"({a}.code = ? AND {a}.first = 1)", [v.code]
        if v.system == "":
            return f"({a}.system IS NULL AND {a}.code = ?)", [v.code]
        if v.code is None:
            return f"{a}.system = ?", [v.system]
        return f"({a}.code = ? AND {a}.system = ?)", [v.code, v.system]
    if t == "string":
        if modifier == "exact":
            return f"{a}.exact = ?", [v.code]
        if modifier == "contains":
            return f"{a}.value LIKE ? ESCAPE '\\'", ["%" + _like_escape(v.text or "") + "%"]
        return f"({a}.value >= ? AND {a}.value < ?)", [v.text, (v.text or "") + "\U0010ffff"]
    if t == "date":
        cond = SQL_CONDITIONS[v.prefix].replace("lo", f"{a}.lo").replace("hi", f"{a}.hi")
        return cond, list(sql_args(v.prefix, (v.low, v.high)))
    if t == "reference":
        if c.chain is not None:
            ids = chain(c.chain)
            marks = ",".join("?" * len(ids)) or "NULL"
            return f"({a}.target_type = ? AND {a}.target_id IN ({marks}))", [v.ref_type, *ids]
        if v.ref_type:
            return f"({a}.target_id = ? AND {a}.target_type = ?)", [v.code, v.ref_type]
        return f"{a}.target_id = ?", [v.code]
    sql, args = _number(v, a)
    if t == "quantity":
        if v.system:
            sql, args = f"({sql} AND {a}.system = ?)", [*args, v.system]
        if v.unit:
            sql, args = f"({sql} AND {a}.code = ?)", [*args, v.unit]
    return sql, args


def _number(v: Value, a: str) -> tuple[str, list[Any]]:
    if v.prefix == "eq":
        return f"({a}.value >= ? AND {a}.value < ?)", [v.low, v.high]
    if v.prefix == "ne":
        return f"NOT ({a}.value >= ? AND {a}.value < ?)", [v.low, v.high]
    if v.prefix == "ap":
        lo, hi = sorted((v.number * 0.9, v.number * 1.1))
        return f"({a}.value >= ? AND {a}.value <= ?)", [lo, hi]
    op = {"gt": ">", "lt": "<", "ge": ">=", "le": "<="}[v.prefix]
    return f"{a}.value {op} ?", [v.number]


def keyed(a: str, rtype: str, param: SearchParam) -> tuple[str, list[Any]]:
    """The condition that a row of alias ``a`` holds values of ``param`` (of type ``rtype``):
    its key, or its union members' keys (those of a reference union restricted to its targets:
    ``patient`` is the ``subject`` rows that point to a Patient)."""
    found = index_keys.keys(rtype, param)
    args: list[Any] = list(found)
    if len(found) == 1:
        sql = f"{a}.param_key = ?"
    else:
        sql = f"{a}.param_key IN ({','.join('?' * len(found))})"
    if param.union and param.type == "reference" and param.target:
        sql += f" AND {a}.target_type IN ({','.join('?' * len(param.target))})"
        args += param.target
    return sql, args


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _condition(c: Clause, layer: str, chain: ChainResolver, rtype: str) -> tuple[str, list[Any]]:
    if c.param.column:
        # a value held by the resource row itself (``_id``, ``_lastUpdated``), read as the index
        # row it would be (SQLite flattens this into a rowid lookup)
        table = COLUMN_ROWS[c.param.type].format(col=c.param.column, layer=layer)
        cond, keys = "1", list[Any]()
    else:
        table = f"{layer}.{TABLE[c.param.type]}"
        cond, keys = keyed("y", rtype, c.param)
    if c.modifier == "missing":
        exists = f"EXISTS (SELECT 1 FROM {table} y WHERE y.rid = x.rid AND {cond})"
        return ("NOT " + exists if c.values[0].missing else exists), keys
    alts, args = _alternatives(c, chain, "y")
    exists = f"EXISTS (SELECT 1 FROM {table} y WHERE y.rid = x.rid AND {cond} AND {alts})"
    return ("NOT " + exists if c.modifier == "not" else exists), [*keys, *args]


def _driving_rank(c: Clause) -> int:
    t = c.param.type
    # a token column (``_id`` with a modifier; alone it is ``Query.ids``) has no index rows; a
    # date column (``_lastUpdated``) drives from the resources table (:func:`layer_sql`)
    if (
        c.modifier in ("not", "missing", "text", "contains")
        or c.chain is not None
        or (c.param.column and t != "date")
    ):
        return 9
    if t == "reference" and c.param.name not in ("patient", "subject"):
        return 0
    if t in ("token", "uri") and all(v.code for v in c.values):
        return 1
    if t == "string":
        return 2
    if t in ("date", "quantity", "number"):
        return 3
    return 9


def _on_columns(sql: str, prefix: str) -> str:
    """A date condition on ``x.lo`` / ``x.hi`` read from the columns ``<prefix>_lo`` /
    ``<prefix>_hi`` instead."""
    return sql.replace("x.lo", f"{prefix}_lo").replace("x.hi", f"{prefix}_hi")


def _unique_rows(c: Clause) -> bool:
    """True when the driving clause matches at most one index row per resource (a union of one
    parameter, ``practitioner`` = ``participant`` restricted to Practitioner, has its rows)."""
    if len(c.values) != 1 or len(c.param.union) > 1:
        return False
    v = c.values[0]
    if c.param.type in ("token", "uri"):
        return v.code is not None and v.system != ""
    return c.param.type == "reference" and bool(v.ref_type)


@dataclass
class LayerSql:
    count: str  # the layer's total alone (for ``_summary=count`` and a page past the end)
    page: str  # rid, sort keys, body, total: the rows of one page (see the module docstring)
    args: list[Any]  # WHERE arguments (shared by both statements)
    key_args: list[Any]  # sort-key arguments (page statement only, before the WHERE arguments)

    def page_args(self, limit: int, offset: int) -> list[Any]:
        """Arguments of :attr:`page` (``limit`` -1 = no limit), in the order its text binds them:
        the COUNT's WHERE, then the page query's sort keys, WHERE, LIMIT and OFFSET."""
        return [*self.args, *self.key_args, *self.args, limit, offset]


def layer_sql(q: Query, layer: str, chain: ChainResolver, shadow: list[int]) -> LayerSql:
    patient = patient_of(q)
    clauses = list(q.clauses)
    if patient is not None:
        # the push-down makes the clauses naming that patient redundant; every other clause on
        # patient/subject (another id, a chain, a modifier) still applies: repetitions are ANDed
        clauses = [c for c in clauses if _patient_named(c) != patient]
    ranked = sorted(clauses, key=_driving_rank)
    args: list[Any] = []
    rid_order = False  # the driving rows come in rid order only with ``ORDER BY x.rid``
    if ranked and _driving_rank(ranked[0]) < 9:
        drive = ranked[0]
        clauses.remove(drive)
        alts, alt_args = _alternatives(drive, chain, "x")
        if drive.param.column:
            # a date the resource's own row holds (``_lastUpdated``): the type's rows, in the
            # rid order that grouping the date index's rows by rid gave [changed in 0.3]
            table, distinct, has_sd, rid_order = "resources", False, False, True
            where = ["x.type = ?", _on_columns(alts, f"x.{drive.param.column}")]
            args += [q.resource_type, *alt_args]
        else:
            table = TABLE[drive.param.type]
            cond, keys = keyed("x", q.resource_type, drive.param)
            where = [cond, alts]
            args += [*keys, *alt_args]
            distinct = not _unique_rows(drive)
            has_sd = table in ("tok", "ref")
    elif (
        patient is not None
        and "patient" in params_for(q.resource_type)
        and q.resource_type != "Patient"
    ):
        # only the patient: walk the patient's reference rows, which carry the primary date
        table, distinct, has_sd = "ref", False, True
        cond, keys = keyed("x", q.resource_type, params_for(q.resource_type)["patient"])
        where = [cond, "x.target_id = ?", "x.target_type = 'Patient'"]
        args += [*keys, patient]
    else:
        table, distinct, has_sd = "resources", False, False
        where = ["x.type = ?"]
        args.append(q.resource_type)
        if layer == "main":
            where.append("x.deleted = 0")
    if patient is not None:
        where.append("x.patient = ?")
        args.append(patient)
    if q.ids is not None:
        marks = ",".join("?" * len(q.ids)) or "NULL"
        if table == "resources":
            where.append(f"x.id IN ({marks})")
        else:
            where.append(
                f"x.rid IN (SELECT rid FROM {layer}.resources WHERE type = ? AND id IN ({marks}))"
            )
            args.append(q.resource_type)
        args += q.ids
    primary = primary_date(q.resource_type)
    for c in clauses:
        if has_sd and c.param.name == primary and c.modifier == "":
            # the primary date rides on the driving row itself (columns sd/sh): no join needed
            sql, more = _alternatives(c, chain, "x")
            sql = sql.replace("x.lo", "x.sd").replace("x.hi", "x.sh")
        else:
            sql, more = _condition(c, layer, chain, q.resource_type)
        where.append(sql)
        args += more
    if shadow:
        where.append(f"x.rid NOT IN ({','.join('?' * len(shadow))})")
        args += shadow
    body = f"FROM {layer}.{table} x WHERE " + " AND ".join(where)
    count = f"SELECT COUNT({'DISTINCT x.rid' if distinct else '*'}) {body}"
    keys, key_args = _sort_keys(q, layer, has_sd)
    cols = ", ".join(["x.rid", *keys])
    order = [
        f"k{i} {'DESC NULLS LAST' if desc else 'ASC NULLS LAST'}"
        for i, (_, desc) in enumerate(q.sort)
    ]
    # Without _sort the order is the driving index's own (deterministic, so paging is stable).
    order_by = f" ORDER BY {', '.join([*order, 'x.rid'])}" if order else ""
    if not order and rid_order:
        order_by = " ORDER BY x.rid"
    elif not order and table == "resources" and patient is None and q.ids is None:
        # every resource of a type: two indexes serve it equally well and SQLite's pick (which
        # follows the indexes' creation order) would decide the order; name the one cached bases use
        order_by = " ORDER BY x.patient, x.rid"
    inner = (
        f"SELECT {cols} {body}{' GROUP BY x.rid' if distinct else ''}{order_by} LIMIT ? OFFSET ?"
    )
    page = (
        f"SELECT p.*, r.body, ({count}) FROM ({inner}) p "
        f"CROSS JOIN {layer}.resources r ON r.rid = p.rid"
    )
    return LayerSql(count, page, args, key_args)


def _sort_keys(q: Query, layer: str, has_sd: bool) -> tuple[list[str], list[Any]]:
    keys: list[str] = []
    args: list[Any] = []
    primary = primary_date(q.resource_type)
    for i, (name, desc) in enumerate(q.sort):
        if name == "_id":
            keys.append(f"(SELECT id FROM {layer}.resources y WHERE y.rid = x.rid) AS k{i}")
        elif name == "_lastUpdated":
            keys.append(
                f"(SELECT last_updated FROM {layer}.resources y WHERE y.rid = x.rid) AS k{i}"
            )
        elif name == primary and has_sd:
            keys.append(f"x.sd AS k{i}")
        else:
            param = params_for(q.resource_type)[name]
            table = TABLE[param.type]
            agg = "MAX" if desc else "MIN"
            cond, stored = keyed("y", q.resource_type, param)
            keys.append(
                f"(SELECT {agg}(y.{SORT_COLUMN[table]}) FROM {layer}.{table} y "
                f"WHERE y.rid = x.rid AND {cond}) AS k{i}"
            )
            args += stored
    return keys, args


def merge_order(rows: list[tuple[Any, ...]], sort: list[tuple[str, bool]]) -> list[tuple[Any, ...]]:
    """Order rows ``(k0, k1, ..., [anything,] layer, rid)`` from both layers the way SQL ordered each one:
    by each sort key (missing values last), then base before episode, then insertion order.
    Without sort keys each layer keeps the order SQL gave it (base first)."""
    if not sort:
        return sorted(rows, key=lambda r: r[-2])  # stable: SQL order within a layer
    out = sorted(rows, key=lambda r: (r[-2], r[-1]))
    for i in reversed(range(len(sort))):
        desc = sort[i][1]
        present = [r for r in out if r[i] is not None]
        missing = [r for r in out if r[i] is None]
        out = sorted(present, key=lambda r: r[i], reverse=desc) + missing
    return out
