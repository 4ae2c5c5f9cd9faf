"""Merging an episode's own matches into a server's page (the HTTP backend's isolated search).

On a shared server an episode's own resources are fetched by a second query (``_tag`` = the
episode) and merged with the server's matches the way the embedded engine merges its two layers:
each side's first ``offset + count`` matches in ``_sort`` order (ties broken by ``_id`` on the
server, see :func:`with_id`), sliced, with both sides' includes and totals and paging links that
carry an ``_offset`` the backend serves again. See :mod:`medsim.fhir.http`.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def with_id(sort: str) -> str:
    """``sort`` with ``_id`` as the last key (a total order), unless it already has one."""
    keys = [k.strip().lstrip("-") for k in sort.split(",")]
    return sort if "_id" in keys else f"{sort},_id"


def _matches(bundle: Json) -> list[Json]:
    return [
        e
        for e in bundle.get("entry") or []
        if (e.get("search") or {}).get("mode", "match") == "match"
    ]


def merge_own(
    bundle: Json,
    own: Json,
    pairs: list[tuple[str, str]],
    offset: int,
    count: int,
    link: str,
) -> Json:
    """One page of the server's matches (``bundle``, the first ``offset + count``) and the
    episode's own (``own``) merged in ``_sort`` order (server's first when unsorted): entries
    ``offset`` to ``offset + count``, the includes of both, the total of both, and paging links
    from ``link`` (a URL to which ``&_offset=N`` is appended)."""
    merged = _matches(bundle) + _matches(own)
    sort = next((v for k, v in reversed(pairs) if k == "_sort"), None)
    if sort and merged:
        merged = _sorted_entries(merged, sort)
    page = merged[offset : offset + count]
    seen: set[tuple[str, str]] = set()
    includes = []
    for e in [*(bundle.get("entry") or []), *(own.get("entry") or [])]:
        res = e.get("resource") or {}
        key = (str(res.get("resourceType")), str(res.get("id")))
        if (e.get("search") or {}).get("mode") == "include" and key not in seen:
            seen.add(key)
            includes.append(e)
    total = int(bundle.get("total") or 0) + int(own.get("total") or len(_matches(own)))
    out = {**bundle, "total": total}
    out.pop("entry", None)
    if page or includes:
        out["entry"] = page + includes
    links = [{"relation": "self", "url": f"{link}&_offset={offset}"}]
    if offset + count < total:
        links.append({"relation": "next", "url": f"{link}&_offset={offset + count}"})
    if offset > 0:
        links.append({"relation": "previous", "url": f"{link}&_offset={max(0, offset - count)}"})
    out["link"] = links
    return out


def _sorted_entries(entries: list[Json], sort: str) -> list[Json]:
    """``entries`` in ``_sort`` order, missing values last (each resource's index values are
    extracted once, for every key)."""
    from medsim.fhir.search_params import IndexRows, extract

    def value(resource: Json, rows: IndexRows, name: str, desc: bool) -> Any:
        if name == "_id":
            return resource.get("id")
        vals: list[Any] = [lo for (n, lo, _h) in rows.dates if n == name]
        vals = vals or [v for (n, v, _e) in rows.strings if n == name]
        vals = vals or [c for (n, _s, c, _t) in rows.tokens if n == name and c is not None]
        vals = vals or [v for (n, v, *_r) in rows.quantities if n == name]
        return (max(vals) if desc else min(vals)) if vals else None

    extracted = [(e, extract(e["resource"])) for e in entries]
    for key in reversed([k.strip() for k in sort.split(",") if k.strip()]):
        desc, name = key.startswith("-"), key.lstrip("-")
        keyed = [(value(e["resource"], rows, name, desc), e, rows) for e, rows in extracted]
        present = sorted((k for k in keyed if k[0] is not None), key=lambda k: k[0], reverse=desc)
        extracted = [(e, rows) for _, e, rows in present]
        extracted += [(e, rows) for v, e, rows in keyed if v is None]
    return [e for e, _ in extracted]
