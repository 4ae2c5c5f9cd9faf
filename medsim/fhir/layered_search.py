"""Search over an episode's two layers: the shared base index and the episode's own writes.

:class:`LayeredSearch` is the search half of :class:`~medsim.fhir.episode.EmbeddedEpisode`
(split from it to keep each module to one concept): a query runs as one SQL statement per layer
(:mod:`medsim.fhir.sqlsearch`), base rows the episode overwrote or deleted are hidden, the layers'
rows are merged in the query's order, and the page becomes a ``searchset`` Bundle with HAPI's
links, ``_include`` / ``_revinclude`` entries and ``_has`` / chained searches resolved here.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from medsim.fhir.bodies import Bodies
from medsim.fhir.interface import SearchParams
from medsim.fhir.query import Query, parse_cached, reduced_warning
from medsim.fhir.search_params import params_for
from medsim.fhir.shaping import shape
from medsim.fhir.sqlsearch import keyed, layer_sql, merge_order
from medsim.fhir.validate import check_type

if TYPE_CHECKING:
    import sqlite3

    from medsim.fhir.embedded import EmbeddedBackend

Json = dict[str, Any]

#: Characters ``urlencode(..., safe="|:,/")`` leaves as they are.
_PLAIN = re.compile(r"[A-Za-z0-9_.\-~|:,/]*")


class LayeredSearch:
    """FHIR search over the base and the episode layer (mixed into ``EmbeddedEpisode``, which
    provides the connection, the body codec, the lock and the layer bookkeeping below)."""

    backend: EmbeddedBackend
    base_url: str
    max_page_size: int
    _conn: sqlite3.Connection
    _codec: Bodies
    _lock: threading.RLock
    #: Resource types with rows in the layer: a search of any other type reads the base alone.
    _layer_types: set[str]
    #: type -> base rids the layer hides, valid while no write, rollback or reset happened
    _shadows: dict[str, list[int]]

    def _locate(self, resource_type: str, id: str) -> Json | str | None:
        raise NotImplementedError  # the episode's read of one resource (layer, then base)

    def search(self, resource_type: str, params: SearchParams | None = None) -> Json:
        check_type(resource_type)
        query = parse_cached(resource_type, params)
        with self._lock:
            return self._search(query)

    def _shadow(self, resource_type: str) -> list[int]:
        """Base rids the episode has overwritten or deleted (hidden from base results)."""
        known = self._shadows.get(resource_type)
        if known is not None:
            return known
        rows = self._conn.execute(
            "SELECT b.rid FROM main.resources m JOIN base.resources b ON b.type = m.type AND b.id = m.id "
            "WHERE m.type = ?",
            (resource_type,),
        ).fetchall()
        self._shadows[resource_type] = [r[0] for r in rows]
        return self._shadows[resource_type]

    def _match(self, query: Query, limit: int | None, offset: int = 0) -> tuple[int, list[Json]]:
        """Total and ``limit`` matching resources (all if None) from ``offset`` on, in result
        order. One statement per layer (see :mod:`medsim.fhir.sqlsearch`):
        a search of the base alone lets SQL page; with the episode's layer too, each layer gives
        its first ``offset + limit`` rows and they are merged here."""
        if query.has:
            query = self._resolve_has(query)
        rows: list[tuple[Any, ...]] = []
        total = 0
        layers = ((0, "base"), (1, "main")) if query.resource_type in self._layer_types else None
        sql_offset = 0 if layers else offset
        sql_limit = -1 if limit is None else limit + offset - sql_offset
        for layer_no, layer in layers or ((0, "base"),):
            shadow = self._shadow(query.resource_type) if layer_no == 0 and layers else []
            sql = None if shadow else query.sql.get(layer)
            if sql is None:
                sql = layer_sql(query, layer, self._chain_ids, shadow)
                if not shadow and query.pure:  # the same SQL every time: build it once
                    query.sql[layer] = sql
            fetched = (
                self._conn.execute(sql.page, sql.page_args(sql_limit, sql_offset)).fetchall()
                if sql_limit
                else []
            )
            if fetched:
                total += fetched[0][-1]  # the layer's total rides on every row
            elif sql_offset or not sql_limit:  # no row to carry it: past the end, or no page
                total += self._conn.execute(sql.count, sql.args).fetchone()[0]
            rows += [(*r[1:-1], layer_no, r[0]) for r in fetched]  # (keys..., body, layer, rid)
        if layers:
            rows = merge_order(rows, query.sort)
            rows = rows[offset:] if limit is None else rows[offset : offset + limit]
        decode = self._codec.decode
        return total, [decode(r[-3]) for r in rows]

    def _resolve_has(self, query: Query) -> Query:
        """``_has`` clauses -> a restriction on ``_id`` (the ids the matching resources reference)."""
        ids = set(query.ids) if query.ids is not None else None
        for sub, ref_param in query.has:
            _, matches = self._match(sub, None)
            found = {
                tid
                for body in matches
                for (tt, tid) in _param_refs(body, ref_param)
                if tt == query.resource_type
            }
            ids = found if ids is None else ids & found
        # replace() gives a fresh SQL memo (Query.sql is init=False): these ids are this
        # episode's answer now, not the parsed query's
        return dataclasses.replace(query, has=[], ids=sorted(ids or ()))

    def _chain_ids(self, sub: Query) -> list[str]:
        _, matches = self._match(sub, None)
        return sorted({str(b["id"]) for b in matches})

    def _search(self, query: Query) -> Json:
        count = query.count if query.count is not None else self.backend.page_size
        reduced = count > self.max_page_size
        count = min(count, self.max_page_size)
        if query.summary_count:
            count = 0
        total, bodies = self._match(query, count, query.offset)
        link_params = (*query.raw, *_sort_param(query.sort))
        if query.summary_count:
            qs = _query_string((*link_params, ("_summary", "count")))
            return {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": total,
                "link": [{"relation": "self", "url": self._url(query.resource_type, qs)}],
            }
        entries = [
            self._entry(shape(body, query.summary, query.elements), "match") for body in bodies
        ]
        if query.include or query.revinclude:
            entries += [self._entry(body, "include") for body in self._includes(query, bodies)]
        # every link is this page's query string plus an _offset (digits: nothing to quote)
        url = self._url(query.resource_type, _query_string((*link_params, ("_count", str(count)))))
        links = [
            {"relation": "self", "url": f"{url}&_offset={query.offset}" if query.offset else url}
        ]
        if query.offset + count < total and count > 0:
            links.append({"relation": "next", "url": f"{url}&_offset={query.offset + count}"})
        if query.offset > 0:
            links.append(
                {"relation": "previous", "url": f"{url}&_offset={max(0, query.offset - count)}"}
            )
        bundle: Json = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": total,
            "link": links,
        }
        if not query.total:  # _total=none
            del bundle["total"]
        if reduced:  # as HAPI does: say so in the Bundle instead of truncating silently
            entries.append(reduced_warning(query.count or 0, self.max_page_size))
        if entries:
            bundle["entry"] = entries
        return bundle

    def _includes(self, query: Query, bodies: list[Json]) -> list[Json]:
        seen = {(b["resourceType"], b["id"]) for b in bodies}
        out: list[Json] = []

        def add(rtype: str, rid: str, back: tuple[str, tuple[str, str]] | None = None) -> None:
            """Include rtype/rid once, if visible (and, for ``back`` = (param, target), only if
            its current version still references the target: the base index may be stale)."""
            found = self._locate(rtype, rid) if (rtype, rid) not in seen else None
            if isinstance(found, dict) and (back is None or back[1] in _param_refs(found, back[0])):
                seen.add((rtype, rid))
                out.append(found)

        for rtype, pname, target in query.include:
            for body in bodies:
                if body["resourceType"] != rtype:
                    continue
                for ref in _param_refs(body, pname):
                    if target is None or ref[0] == target:
                        add(*ref)
        for rtype, pname, _target in query.revinclude:
            cond, keys = keyed("x", rtype, params_for(rtype)[pname])
            for body in bodies:
                for layer in ("main", "base"):
                    rows = self._conn.execute(
                        f"SELECT r.id FROM {layer}.ref x JOIN {layer}.resources r ON r.rid = x.rid "
                        f"WHERE {cond} AND x.target_id = ? AND x.target_type = ?",
                        (*keys, body["id"], body["resourceType"]),
                    ).fetchall()
                    for (rid,) in rows:
                        add(rtype, rid, (pname, (body["resourceType"], body["id"])))
        return out

    def _entry(self, body: Json, mode: str) -> Json:
        return {
            "fullUrl": f"{self.base_url}/{body['resourceType']}/{body['id']}",
            "resource": body,
            "search": {"mode": mode},
        }

    def _url(self, resource_type: str, query_string: str) -> str:
        return f"{self.base_url}/{resource_type}" + (f"?{query_string}" if query_string else "")


def _sort_param(sort: list[tuple[str, bool]]) -> tuple[tuple[str, str], ...]:
    """``_sort`` as a link names it (``-date,code``), or nothing without a sort."""
    return (("_sort", ",".join(("-" if d else "") + k for k, d in sort)),) if sort else ()


@functools.lru_cache(maxsize=4096)
def _query_string(params: tuple[tuple[str, str], ...]) -> str:
    """``urlencode(params, safe="|:,/")``, remembered: a search's links repeat with its query."""
    if all(_PLAIN.fullmatch(k) and _PLAIN.fullmatch(v) for k, v in params):
        return "&".join(f"{k}={v}" for k, v in params)  # what urlencode gives: nothing to quote
    return urlencode(params, safe="|:,/")


def _param_refs(body: Json, pname: str) -> list[tuple[str, str]]:
    from medsim.fhir.search_params import extract

    return [(tt, ti) for (p, tt, ti) in extract(body).refs if p == pname]
