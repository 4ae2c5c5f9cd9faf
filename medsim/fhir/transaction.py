"""Transaction and batch Bundles for the embedded engine.

A ``transaction`` is all or nothing: ids are assigned to every POST first, ``urn:uuid``
references are rewritten to them, entries run in FHIR's order (DELETE, POST, PUT, GET), references
are checked once everything is in place, and any failure rolls the whole Bundle back and answers
with the failing entry's OperationOutcome. A ``batch`` runs each entry on its own and reports each
entry's status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from medsim.fhir.interface import FhirError
from medsim.fhir.loader import rewrite_references
from medsim.fhir.operations import at_most_one
from medsim.fhir.rest import dispatch
from medsim.fhir.urls import FhirRequest, parse_request

if TYPE_CHECKING:
    from medsim.fhir.episode import EmbeddedEpisode

Json = dict[str, Any]
ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "GET": 3}
MAX_ENTRIES = 5000


def run_bundle(ep: EmbeddedEpisode, bundle: Json) -> Json:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FhirError(400, "Expected a Bundle resource")
    kind = bundle.get("type")
    entries = bundle.get("entry") or []
    if kind not in ("transaction", "batch"):
        raise FhirError(
            400, f"Bundle.type must be transaction or batch to be processed, got {kind!r}"
        )
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise FhirError(
            413 if isinstance(entries, list) else 400,
            f"Bundle.entry must be a list of at most {MAX_ENTRIES} entries",
        )
    for i, e in enumerate(entries):
        req = e.get("request") if isinstance(e, dict) else None
        if (
            not isinstance(req, dict)
            or req.get("method") not in ORDER
            or not isinstance(req.get("url"), str)
        ):
            raise FhirError(
                400, f"Bundle.entry[{i}].request must have a method (GET/POST/PUT/DELETE) and a url"
            )
    if kind == "batch":
        return {
            "resourceType": "Bundle",
            "type": "batch-response",
            "entry": [_batch_entry(ep, e) for e in entries],
        }
    return _transaction(ep, entries)


def _transaction(ep: EmbeddedEpisode, entries: list[Json]) -> Json:
    # 1. ids for POSTs, 2. urn:uuid -> Type/id everywhere
    mapping: dict[str, str] = {}
    assigned: dict[int, str] = {}
    for i, e in enumerate(entries):
        if e["request"]["method"] == "POST" and isinstance(e.get("resource"), dict):
            rtype = e["resource"].get("resourceType")
            if not isinstance(rtype, str):
                raise FhirError(400, f"Bundle.entry[{i}].resource has no resourceType")
            assigned[i] = ep.new_id(rtype)
            if isinstance(e.get("fullUrl"), str):
                mapping[e["fullUrl"]] = f"{rtype}/{assigned[i]}"
    resolved = [rewrite_references(e, mapping) if mapping else e for e in entries]
    responses: list[Json | None] = [None] * len(entries)
    with ep._savepoint():
        written: list[Json] = []
        for i in sorted(
            range(len(resolved)), key=lambda k: ORDER[resolved[k]["request"]["method"]]
        ):
            try:
                responses[i], stored = _run_entry(ep, resolved[i], assigned.get(i))
            except FhirError as err:
                raise FhirError(
                    err.status,
                    f"Bundle.entry[{i}]: {err.diagnostics}",
                    err.outcome["issue"][0]["code"],
                ) from None
            if stored is not None:
                written.append(stored)
        ep._check_refs(written)
    return {"resourceType": "Bundle", "type": "transaction-response", "entry": responses}


def _batch_entry(ep: EmbeddedEpisode, entry: Json) -> Json:
    try:
        with ep._savepoint():
            response, stored = _run_entry(ep, entry, None)
            if stored is not None:
                ep._check_refs([stored])
        return response
    except FhirError as err:
        return {"response": {"status": str(err.status), "outcome": err.outcome}}


#: What a Bundle entry may ask: reads and searches, create, and update / delete by id. Conditional
#: update / delete and patch are refused, on every backend alike (an isolating HTTP backend could
#: not know beforehand which resources the server would match, so reset could not undo them).
_READS = ("read", "search-type", "vread", "history-instance", "history-type")
ENTRY_INTERACTIONS = frozenset((*_READS, "create", "update", "delete"))


def entry_request(request: Json) -> FhirRequest:
    """The parsed ``request`` of a Bundle entry, or a 400 for an interaction not allowed there."""
    req = parse_request(request["method"], request["url"])
    if req.interaction not in ENTRY_INTERACTIONS:
        raise FhirError(400, f"Unsupported entry request: {request['method']} {request['url']}")
    return req


def _run_entry(ep: EmbeddedEpisode, entry: Json, assigned: str | None) -> tuple[Json, Json | None]:
    request = entry["request"]
    req = entry_request(request)
    rtype, rid, kind = req.resource_type or "", req.id or "", req.interaction
    resource = entry.get("resource")
    if kind in _READS:
        status, body = dispatch(ep, "GET", request["url"])
        if status >= 400:
            raise FhirError.from_outcome(status, body)
        return {"resource": body, "response": {"status": "200 OK"}}, None
    if kind == "create":
        if not isinstance(resource, dict) or resource.get("resourceType") != rtype:
            raise FhirError(400, f"POST {rtype} needs a {rtype} resource")
        if_none_exist = request.get("ifNoneExist")
        if isinstance(if_none_exist, str) and if_none_exist:
            query = parse_qsl(if_none_exist.split("?", 1)[-1], keep_blank_values=True)
            existing = at_most_one(ep, rtype, query, "ifNoneExist")
            if existing is not None:
                return _written(ep.read(rtype, existing), "200 OK"), None
        stored = ep._create(resource, assigned)
        return _written(stored, "201 Created"), stored
    if kind == "update":
        if not isinstance(resource, dict):
            raise FhirError(400, "PUT needs a resource")
        prior = ep._version(rtype, rid)
        _check_if_match(request.get("ifMatch"), prior, f"{rtype}/{rid}")
        stored = ep._update(rtype, rid, resource)
        return _written(stored, "201 Created" if prior is None else "200 OK"), stored
    _check_if_match(request.get("ifMatch"), ep._version(rtype, rid), f"{rtype}/{rid}")
    ep._delete(rtype, rid)  # kind == "delete": entry_request allows nothing else
    return {"response": {"status": "204 No Content"}}, None


def _check_if_match(if_match: Any, current: int | None, what: str) -> None:
    if not isinstance(if_match, str) or not if_match:
        return
    wanted = if_match.strip().removeprefix("W/").strip('"')
    if current is None or wanted != str(current):
        raise FhirError(412, f"ifMatch {if_match} but {what} is at version {current}", "conflict")


def _written(stored: Json, status: str) -> Json:
    meta = stored["meta"]
    return {
        "resource": stored,
        "response": {
            "status": status,
            "location": f"{stored['resourceType']}/{stored['id']}/_history/{meta['versionId']}",
            "etag": f'W/"{meta["versionId"]}"',
            "lastModified": meta["lastUpdated"],
        },
    }
