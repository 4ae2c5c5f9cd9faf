"""Version history of an embedded episode: every version its writes made, for ``vread`` and
``_history``.

The base (the cohort) holds one version of each resource; an episode's layer keeps, besides the
current version in ``resources``, one row per version it wrote in ``history`` (a plain table of the
episode's in-memory database, emptied by ``reset``). Instance, type and system history merge the
two, newest first, as HAPI returns them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from medsim.fhir.dates import parse_range
from medsim.fhir.interface import FhirError

Json = dict[str, Any]
#: Reads a stored base body (``Bodies.decode`` of the episode: base bodies are compressed).
Decode = Callable[[str | bytes], Json]
DDL = (
    "CREATE TABLE IF NOT EXISTS main.history (seq INTEGER PRIMARY KEY, type TEXT, id TEXT, "
    "version INTEGER, last_updated TEXT, method TEXT, body TEXT)"
)


def create(conn: sqlite3.Connection) -> None:
    conn.execute(DDL)


def clear(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM main.history")


def record(conn: sqlite3.Connection, resource: Json, version: int, method: str) -> None:
    """Remember one written version (``method`` = POST, PUT or DELETE; DELETE has no body)."""
    conn.execute(
        "INSERT INTO main.history (type, id, version, last_updated, method, body) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            resource["resourceType"],
            resource["id"],
            version,
            str((resource.get("meta") or {}).get("lastUpdated", "")),
            method,
            None if method == "DELETE" else json.dumps(resource, ensure_ascii=False),
        ),
    )


def version(conn: sqlite3.Connection, rtype: str, rid: str, vid: str, decode: Decode) -> Json:
    """One version of a resource: 404 if it never existed, 410 if that version is a deletion."""
    if not vid.isdigit():
        raise FhirError(404, f"Version {vid} of {rtype}/{rid} is not known", "not-found")
    row = conn.execute(
        "SELECT method, body FROM main.history WHERE type = ? AND id = ? AND version = ? "
        "ORDER BY seq DESC LIMIT 1",
        (rtype, rid, int(vid)),
    ).fetchone()
    if row is not None:
        if row[0] == "DELETE":
            raise FhirError(410, f"Version {vid} of {rtype}/{rid} is a deletion", "deleted")
        return decode(row[1])
    row = conn.execute(
        "SELECT body FROM base.resources WHERE type = ? AND id = ? AND version = ?",
        (rtype, rid, int(vid)),
    ).fetchone()
    if row is None:
        raise FhirError(404, f"Version {vid} of {rtype}/{rid} is not known", "not-found")
    return decode(row[0])


def entries(
    conn: sqlite3.Connection,
    rtype: str | None,
    rid: str | None,
    since: str | None,
    limit: int,
    decode: Decode,
) -> tuple[int, list[tuple[str, str, int, str, str, Json | None]]]:
    """(total, newest-first rows ``(type, id, version, lastUpdated, method, body)``), at most
    ``limit`` of them."""
    args = [v for v in (rtype, rid) if v]
    cond = " AND ".join(["1 = 1"] + ["type = ?"] * bool(rtype) + ["id = ?"] * bool(rid))
    since_ts = _since(since)
    layer = [
        (t, i, int(v), lu, m, decode(b) if b else None)
        for t, i, v, lu, m, b in conn.execute(
            f"SELECT type, id, version, last_updated, method, body FROM main.history "
            f"WHERE {cond} ORDER BY seq DESC",
            args,
        )
    ]
    base_sql = f"FROM base.resources b WHERE {cond}"
    base_total = int(conn.execute(f"SELECT COUNT(*) {base_sql}", args).fetchone()[0])
    base = [
        (t, i, int(v), lu, "POST", decode(b))
        for t, i, v, lu, b in conn.execute(
            f"SELECT type, id, version, last_updated, body {base_sql} "
            "ORDER BY last_updated DESC, rid DESC LIMIT ?",
            [*args, limit],
        )
    ]
    rows = sorted(layer, key=lambda r: _ts(r[3]), reverse=True) + base  # base is older
    if since_ts is not None:
        rows = [r for r in rows if _ts(r[3]) >= since_ts]
        total = len(rows)
    else:
        total = len(layer) + base_total
    return total, rows[:limit]


def bundle(
    conn: sqlite3.Connection,
    base_url: str,
    rtype: str | None,
    rid: str | None,
    since: str | None,
    offset: int,
    count: int,
    decode: Decode,
) -> Json:
    """A ``history`` Bundle, newest first, one page (``_offset``/``_count``) with paging links."""
    total, rows = entries(conn, rtype, rid, since, offset + count, decode)
    out = []
    for t, i, version, updated, method, body in rows[offset:]:
        entry: Json = {"fullUrl": f"{base_url}/{t}/{i}"}
        if body is not None:
            entry["resource"] = body
        entry["request"] = {"method": method, "url": t if method == "POST" else f"{t}/{i}"}
        status = {"DELETE": "204 No Content", "POST": "201 Created"}.get(method, "200 OK")
        entry["response"] = {"status": status, "etag": f'W/"{version}"', "lastModified": updated}
        out.append(entry)
    own = "/".join([p for p in (rtype, rid) if p] + ["_history"])
    keep = [("_since", since)] if since else []

    def link(relation: str, at: int) -> Json:
        query = urlencode([*keep, ("_count", str(count)), ("_offset", str(at))], safe=":")
        return {"relation": relation, "url": f"{base_url}/{own}?{query}"}

    links = [link("self", offset)]
    if offset + count < total:
        links.append(link("next", offset + count))
    if offset > 0:
        links.append(link("previous", max(0, offset - count)))
    result: Json = {"resourceType": "Bundle", "type": "history", "total": total, "link": links}
    if out:
        result["entry"] = out
    return result


def _since(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_range(value)[0]
    except ValueError:
        raise FhirError(400, f'Invalid _since value "{value}"', "invalid") from None


def _ts(instant: str) -> float:
    try:
        return parse_range(instant)[0]
    except ValueError:
        return 0.0
