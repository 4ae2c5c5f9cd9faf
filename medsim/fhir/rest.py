"""The REST face: a parsed request (:mod:`medsim.fhir.urls`) + body + headers -> a FHIR answer.

One place runs every interaction on a :class:`~medsim.fhir.interface.FhirClient`: used by
episodes' ``request``, ``medsim serve-fhir`` and the ``fhir_request`` tool. Conditional writes
(``If-None-Exist``, ``PUT/DELETE/PATCH Type?query``), version checks (``If-Match`` -> 412 on a stale
version), JSON Patch, ``_summary``/``_elements`` on reads, ``$everything``, ``$validate`` and
compartment search are built here on the client's basic operations; history and vread come from
the client. Never raises: errors come back as an HTTP status and an OperationOutcome. JSON only:
``_format=xml`` or an XML-only ``Accept`` answers 406.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from medsim.fhir import operations
from medsim.fhir.interface import FhirClient, FhirError, operation_outcome
from medsim.fhir.query import check_format
from medsim.fhir.shaping import check_summary, parse_elements, shape
from medsim.fhir.urls import FhirRequest, parse_request, split_url

Json = dict[str, Any]
Pairs = list[tuple[str, str]]
PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json", "application/json")
__all__ = ["check_format_of", "dispatch", "split_url"]


def dispatch(
    client: FhirClient,
    method: str,
    url: str,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, Json]:
    """Run one REST request on ``client``; (status, JSON), never raises."""
    h = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    try:
        req = parse_request(method, url)
        check_format_of(req, h)
        return _route(client, req, body, h)
    except FhirError as err:
        return err.status, err.outcome
    except RecursionError:
        return 400, operation_outcome("The request is nested too deeply to process", "too-costly")
    except Exception as exc:  # a bug must not crash the caller's episode; report it as a 500
        return 500, operation_outcome(f"internal error: {type(exc).__name__}: {exc}", "exception")


def check_format_of(req: FhirRequest, headers: Mapping[str, str]) -> None:
    """406 unless the request asks for JSON (``_format``, ``Accept``; headers lower-cased)."""
    for name, value in req.query:
        if name == "_format":
            check_format(value)
    accept = headers.get("accept", "")
    if (
        accept
        and "xml" in accept
        and not any(a in accept for a in ("json", "*/*", "application/*"))
    ):
        raise FhirError(
            406,
            f'Accept "{accept}" is not supported: this server speaks JSON only',
            "not-supported",
        )


def _json(body: Any) -> Any:
    if isinstance(body, bytes | str):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise FhirError(400, f"Failed to parse request body as JSON: {exc}") from None
    return body


def _object(body: Any) -> Json:
    value = _json(body)
    if not isinstance(value, dict):
        raise FhirError(400, "The request body must be a JSON object")
    return value


def _query(req: FhirRequest) -> Pairs:
    return list(req.query)


def _route(client: FhirClient, req: FhirRequest, body: Any, h: dict[str, str]) -> tuple[int, Json]:
    kind, rtype, rid = req.interaction, req.resource_type or "", req.id or ""
    query = _query(req)
    if kind == "capabilities":
        return 200, client.capabilities()
    if kind == "transaction":
        return 200, client.transaction(_object(body))
    if kind == "search-type":
        if req.method == "POST" and body:
            form = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            if not isinstance(form, str):
                raise FhirError(400, "POST _search takes a form-encoded body")
            query = parse_qsl(form.strip(), keep_blank_values=True) + query
        return 200, client.search(rtype, query)
    if kind == "search-compartment":
        return 200, operations.compartment_search(client, rid, req.compartment or "", query)
    if kind == "read":
        resource = client.read(rtype, rid)
        tag = h.get("if-none-match", "").strip().removeprefix("W/").strip('"')
        if tag and tag == str((resource.get("meta") or {}).get("versionId")):
            return 304, {}  # the client's copy is current
        return 200, _shaped(resource, query)
    if kind == "vread":
        return 200, _call(client, "vread", rtype, rid, req.version)
    if kind.startswith("history"):
        return 200, _call(client, "history", rtype or None, rid or None, query)
    if kind == "create":
        # conditional create: the If-None-Exist header, or (as fhirpy's get_or_create sends it)
        # search parameters on the POST URL itself
        criteria = h.get("if-none-exist") or ("&".join(f"{k}={v}" for k, v in query) or None)
        return _create(client, rtype, _object(body), criteria)
    if kind == "update":
        return _update(client, rtype, rid, _object(body), h.get("if-match"))
    if kind == "delete":
        _check_version(client, rtype, rid, h.get("if-match"))
        client.delete(rtype, rid)
        return 200, _deleted(f"{rtype}/{rid}")
    if kind == "patch":
        return 200, _patch(client, rtype, rid, body, h)
    if kind.startswith("conditional-"):
        return _conditional(client, req, body, h)
    if kind.startswith("operation"):
        return _operation(client, req, body)
    if kind == "page":  # another server's paging link; this engine pages with _offset
        raise FhirError(404, "Unknown or expired search page (_getpages)", "not-found")
    raise FhirError(400, f"Unsupported request: {req.method} {kind}", "not-supported")


def _call(client: FhirClient, name: str, *args: Any) -> Json:
    fn = getattr(client, name, None)
    if fn is None:
        raise FhirError(400, f"this backend does not support {name}", "not-supported")
    return dict(fn(*args))


def _shaped(resource: Json, query: Pairs) -> Json:
    summary: str | None = None
    elements: list[str] | None = None
    for name, value in query:
        if name == "_summary":
            summary = check_summary(value)
        elif name == "_elements":
            elements = parse_elements(value)
        elif name not in ("_format", "_pretty"):
            raise FhirError(400, f'Parameter "{name}" is not allowed on a read', "not-supported")
    return shape(resource, summary, elements)


def _create(
    client: FhirClient, rtype: str, resource: Json, if_none_exist: str | None
) -> tuple[int, Json]:
    if resource.get("resourceType") != rtype:
        raise FhirError(
            400,
            f"Resource type in the body ({resource.get('resourceType')!r}) does not match the URL ({rtype!r})",
        )
    if if_none_exist:
        query = [
            (k, v)
            for k, v in parse_qsl(if_none_exist.split("?", 1)[-1], keep_blank_values=True)
            if k not in ("_format", "_pretty")
        ]
        found = operations.at_most_one(client, rtype, query, "If-None-Exist")
        if found is not None:
            return 200, client.read(rtype, found)
    return 201, client.create(resource)


def _update(
    client: FhirClient, rtype: str, rid: str, resource: Json, if_match: str | None
) -> tuple[int, Json]:
    existed = _check_version(client, rtype, rid, if_match)
    stored = client.update(rtype, rid, resource)
    return (200 if existed else 201), stored


def _check_version(client: FhirClient, rtype: str, rid: str, if_match: str | None) -> bool:
    """True if the resource exists now; 412 if ``If-Match`` names another version."""
    try:
        current = client.read(rtype, rid)
    except FhirError as err:
        if err.status not in (404, 410):
            raise
        if if_match:
            raise FhirError(
                412, f"If-Match given but {rtype}/{rid} does not exist", "conflict"
            ) from None
        return False
    if if_match:
        wanted = if_match.strip().removeprefix("W/").strip('"')
        have = str((current.get("meta") or {}).get("versionId", ""))
        if wanted != have:
            raise FhirError(
                412,
                f"Trying to update {rtype}/{rid}/_history/{wanted} but this is not the current "
                f"version (current is {have})",
                "conflict",
            )
    return True


def _patch(client: FhirClient, rtype: str, rid: str, body: Any, h: dict[str, str]) -> Json:
    """JSON Patch (RFC 6902, an array) or JSON Merge Patch (RFC 7386, an object, as fhirpy's
    ``save(fields=...)`` sends it); the result is validated and stored like an update."""
    import jsonpatch

    ctype = h.get("content-type", "application/json-patch+json").split(";")[0].strip()
    if ctype not in PATCH_TYPES:
        raise FhirError(
            415,
            f'PATCH takes {" or ".join(PATCH_TYPES)}, not "{ctype}" (FHIRPath Patch is not supported)',
            "not-supported",
        )
    ops = _json(body)
    _check_version(client, rtype, rid, h.get("if-match"))
    current = client.read(rtype, rid)
    if isinstance(ops, dict) and ctype != "application/json-patch+json":
        patched = merge_patch(current, ops)
    elif isinstance(ops, list):
        try:
            patched = jsonpatch.apply_patch(current, ops)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            raise FhirError(400, f"Failed to apply JSON Patch to {rtype}/{rid}: {exc}") from None
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise FhirError(400, f"Invalid JSON Patch: {exc}") from None
    else:
        raise FhirError(400, "A JSON Patch body must be a JSON array of operations")
    if not isinstance(patched, dict) or (patched.get("resourceType"), patched.get("id")) != (
        rtype,
        rid,
    ):
        raise FhirError(400, "A patch may not change the resourceType or id")
    return client.update(rtype, rid, patched)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: objects merge recursively, ``null`` removes, the rest replaces."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _conditional(
    client: FhirClient, req: FhirRequest, body: Any, h: dict[str, str]
) -> tuple[int, Json]:
    rtype, query = req.resource_type or "", _query(req)
    if req.interaction == "conditional-delete":
        operations.match_ids(client, rtype, query, 0)  # 400 without search criteria
        matches = [r["id"] for r in operations.all_matches(client, rtype, query)]
        for rid in matches:
            client.delete(rtype, rid)
        return 200, _deleted(f"{len(matches)} {rtype} resource(s)")
    found = operations.at_most_one(client, rtype, query, f"Conditional {req.method}")
    ids = [found] if found is not None else []
    if req.interaction == "conditional-patch":
        if not ids:
            raise FhirError(404, f"Conditional PATCH matched no {rtype} resource", "not-found")
        return 200, _patch(client, rtype, ids[0], body, h)
    resource = _object(body)
    if ids:
        if resource.get("id", ids[0]) != ids[0]:
            raise FhirError(
                400,
                f"Conditional update matched {rtype}/{ids[0]} but the body's id is {resource['id']!r}",
            )
        return 200, client.update(rtype, ids[0], {**resource, "id": ids[0]})
    if "id" in resource:
        return 201, client.update(rtype, str(resource["id"]), resource)
    return _create(client, rtype, resource, None)


def _operation(client: FhirClient, req: FhirRequest, body: Any) -> tuple[int, Json]:
    op, rtype = req.operation, req.resource_type
    if op == "$validate" and req.method == "POST":
        return 200, operations.validate_operation(rtype, _json(body))
    if op == "$everything" and req.interaction == "operation-instance" and rtype == "Patient":
        if req.method not in ("GET", "HEAD", "POST"):
            raise FhirError(405, f"{req.method} is not allowed on $everything", "not-supported")
        base = str(getattr(client, "base_url", ""))
        return 200, operations.everything(client, base, req.id or "", _query(req))
    raise FhirError(
        400,
        f"Operation {op} is not supported on {req.interaction.removeprefix('operation-')} level"
        + (f" of {rtype}" if rtype else ""),
        "not-supported",
    )


def _deleted(what: str) -> Json:
    return operation_outcome(f"Successfully deleted {what}", "informational", "information")
