"""FHIR operations and searches built on the basic interface, so every backend has them:
``Patient/{id}/$everything``, ``$validate``, Patient compartment search, and the search-based
conditional writes (``If-None-Exist``, ``PUT/DELETE/PATCH Type?query``) and JSON Patch.

Each takes a :class:`~medsim.fhir.interface.FhirClient` and uses only its read / search / create /
update / delete, so the embedded engine (under its episode lock) and the HTTP backend (tracked
writes) behave alike.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from medsim.fhir.interface import FhirClient, FhirError, operation_outcome
from medsim.fhir.search_params import patient_compartment_types
from medsim.fhir.validate import validate_resource

Json = dict[str, Any]
Pairs = list[tuple[str, str]]
MAX_MATCHES = 10_000  # $everything / conditional delete never gather more than this


def match_ids(
    client: FhirClient, rtype: str, query: Pairs, limit: int = 2
) -> tuple[int, list[str]]:
    """(total, first ``limit`` ids) of the resources a conditional request's query selects."""
    if not [k for k, _ in query if not k.startswith("_") or k in ("_id", "_tag", "_lastUpdated")]:
        raise FhirError(400, f"a conditional request on {rtype} needs search parameters", "invalid")
    bundle = client.search(rtype, [*query, ("_count", str(limit))])
    ids = [
        e["resource"]["id"]
        for e in bundle.get("entry", [])
        if e.get("search", {}).get("mode", "match") == "match"
    ]
    return int(bundle.get("total", len(ids))), ids


def at_most_one(client: FhirClient, rtype: str, query: Pairs, what: str) -> str | None:
    """The id a conditional request's criteria select (None: no match); 412 for several."""
    total, ids = match_ids(client, rtype, query)
    if total > 1:
        raise FhirError(
            412, f"{what} matched {total} {rtype} resources (at most 1 allowed)", "multiple-matches"
        )
    return ids[0] if ids else None


def all_matches(client: FhirClient, rtype: str, query: Pairs) -> list[Json]:
    """Every match of a search (following pages with ``_offset``), at most :data:`MAX_MATCHES`."""
    out: list[Json] = []
    page = 500
    while len(out) < MAX_MATCHES:
        offset = [("_offset", str(len(out)))] if out else []  # first page: no _offset (HTTP
        bundle = client.search(
            rtype, [*query, ("_count", str(page)), *offset]
        )  # merges own writes)
        found = [
            e["resource"]
            for e in bundle.get("entry", [])
            if e.get("search", {}).get("mode", "match") == "match"
        ]
        out += found
        if len(found) < page:
            break
    return out


def compartment_search(client: FhirClient, patient: str, rtype: str, query: Pairs) -> Json:
    """``Patient/{id}/{type}?...``: the type's search restricted to the patient's compartment."""
    if rtype not in patient_compartment_types():
        raise FhirError(
            400, f"Resource type {rtype} is not in the Patient compartment", "not-supported"
        )
    client.read("Patient", patient)
    return client.search(rtype, [*query, ("patient", patient)])


def everything(client: FhirClient, base_url: str, patient: str, query: Pairs) -> Json:
    """``Patient/{id}/$everything`` (``_since``, ``_type``, ``_count``, ``_offset``): the patient
    and every resource of its compartment, as one paged searchset Bundle."""
    params = dict(query)
    unknown = set(params) - {"_since", "_type", "_count", "_offset", "_format", "_pretty"}
    if unknown:
        raise FhirError(400, f"$everything does not take {sorted(unknown)}", "not-supported")
    types = list(patient_compartment_types())
    if "_type" in params:
        wanted = [t.strip() for t in params["_type"].split(",") if t.strip()]
        types = [t for t in wanted if t in types or t == "Patient"]
    count, offset = _int(params, "_count", 50), _int(params, "_offset", 0)
    extra: Pairs = [("_lastUpdated", "ge" + params["_since"])] if "_since" in params else []
    resources: list[Json] = []
    pat = client.read("Patient", patient)
    if "_type" not in params or "Patient" in types:
        resources.append(pat)
    for rtype in types:
        if rtype != "Patient":
            resources += all_matches(client, rtype, [("patient", patient), *extra])
    page = resources[offset : offset + count]
    own = f"{base_url}/Patient/{patient}/$everything"
    links = [{"relation": "self", "url": _link(own, query)}]
    if offset + count < len(resources):
        nxt = [(k, v) for k, v in query if k not in ("_offset", "_count")]
        links.append(
            {
                "relation": "next",
                "url": _link(own, [*nxt, ("_count", str(count)), ("_offset", str(offset + count))]),
            }
        )
    bundle: Json = {"resourceType": "Bundle", "type": "searchset", "total": len(resources)}
    bundle["link"] = links
    if page:
        bundle["entry"] = [
            {
                "fullUrl": f"{base_url}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in page
        ]
    return bundle


def validate_operation(rtype: str | None, body: Any) -> Json:
    """``$validate``: the resource (or a Parameters ``resource`` part) checked as a write would
    be. Valid -> an informational OperationOutcome; invalid -> 412 as HAPI answers."""
    resource = body
    if isinstance(body, dict) and body.get("resourceType") == "Parameters":
        parts = [p for p in body.get("parameter") or [] if isinstance(p, dict)]
        resource = next((p.get("resource") for p in parts if p.get("name") == "resource"), None)
    if not isinstance(resource, dict):
        raise FhirError(400, "$validate needs a resource (or Parameters with a resource part)")
    try:
        validate_resource(resource, rtype)
    except FhirError as err:
        raise FhirError(412, err.diagnostics, err.outcome["issue"][0]["code"]) from None
    return operation_outcome("No issues detected during validation", "informational", "information")


def _int(params: dict[str, str], name: str, default: int) -> int:
    value = params.get(name)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise FhirError(400, f'{name} must be a non-negative integer, got "{value}"', "invalid")
    return int(value)


def _link(url: str, query: Pairs) -> str:
    qs = urlencode(query, safe="|:,/")
    return url + (f"?{qs}" if qs else "")
