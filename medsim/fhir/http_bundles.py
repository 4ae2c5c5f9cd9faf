"""What the HTTP backend does around a transaction or batch Bundle it sends to a server.

Before: every entry is checked as the embedded engine would check it (a batch entry that fails is
answered locally in its place, a transaction fails whole); after: the response's entries, which
follow the request's order (FHIR R4 http.html#transaction), say what was written. Pure functions;
:meth:`medsim.fhir.http.HttpEpisode.transaction` sends, tags and records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from medsim.fhir.interface import FhirError
from medsim.fhir.urls import parse_request

Json = dict[str, Any]
Method = Literal["create", "update", "delete"]


def checked_entries(bundle: Json, check: Callable[[Json], None]) -> tuple[Json, dict[int, Json]]:
    """``bundle`` without the entries ``check`` refuses, and those entries' local answers by
    position. In a transaction a refused entry fails the whole Bundle (its error, prefixed with
    the entry's place); in a batch it is answered with its status and OperationOutcome."""
    rejected: dict[int, Json] = {}
    entries = bundle.get("entry") or [] if isinstance(bundle, dict) else []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        try:
            check(entry)
        except FhirError as err:
            if bundle.get("type") != "batch":
                raise FhirError(err.status, f"Bundle.entry[{i}]: {err.diagnostics}") from None
            rejected[i] = {"response": {"status": str(err.status), "outcome": err.outcome}}
    if rejected:
        bundle = {**bundle, "entry": [e for i, e in enumerate(entries) if i not in rejected]}
    return bundle, rejected


def with_rejected(result: Json, rejected: dict[int, Json]) -> Json:
    """The server's answer with the locally refused entries put back in their places."""
    if not rejected:
        return result
    answered = iter(result.get("entry") or [])
    total = len(result.get("entry") or []) + len(rejected)
    entries = [rejected[i] if i in rejected else next(answered) for i in range(total)]
    return {**result, "entry": entries}


def target(request: Any) -> tuple[str, str] | None:
    """(type, id) of a ``PUT``/``DELETE Type/id`` entry request (read by the REST grammar,
    :func:`medsim.fhir.urls.parse_request`), else None."""
    if not isinstance(request, dict):
        return None
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or not isinstance(url, str):
        return None
    try:
        req = parse_request(method, url)
    except FhirError:
        return None
    if req.interaction in ("update", "delete") and req.resource_type and req.id:
        return req.resource_type, req.id
    return None


def written(sent: Json, result: Json) -> list[tuple[Method, str, str, Json | None]]:
    """What a Bundle wrote, deletes first (FHIR's processing order): each ``DELETE Type/id``
    answered 2xx, then each entry answered with a ``location`` (``Type/id``, with or without
    ``_history``; 201 = create). A DELETE is told from an update by its request (most servers
    answer it without a location, HAPI with one)."""
    deletes: list[tuple[Method, str, str, Json | None]] = []
    others: list[tuple[Method, str, str, Json | None]] = []
    for asked, answer in zip(sent.get("entry") or [], result.get("entry") or [], strict=False):
        request = (asked.get("request") or {}) if isinstance(asked, dict) else {}
        response = (answer.get("response") or {}) if isinstance(answer, dict) else {}
        status = str(response.get("status", ""))
        if request.get("method") == "DELETE":
            hit = target(request)
            if hit is not None and status.startswith("2"):
                deletes.append(("delete", hit[0], hit[1], None))
            continue
        loc = str(response.get("location", "")).split("/")
        if len(loc) >= 2:
            method: Method = "create" if status.startswith("201") else "update"
            others.append((method, loc[0], loc[1], answer.get("resource")))
    return deletes + others
