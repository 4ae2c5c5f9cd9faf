"""FHIR REST URL grammar -> client calls: one place that turns ``GET Observation?code=...``,
``POST Patient`` + body, ``PUT Type/id``, ``DELETE Type/id``, ``GET metadata`` and a root ``POST``
of a Bundle into :class:`~medsim.fhir.interface.FhirClient` calls. Used by episodes' ``request``,
the MedAgentBench text protocol and ``medsim serve-fhir``. Never raises: errors come back as an
HTTP status and an OperationOutcome."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from medsim.fhir.interface import FhirClient, FhirError, operation_outcome

Json = dict[str, Any]
_TYPE = re.compile(r"^[A-Z][A-Za-z]+$")


def split_url(url: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Path segments after the FHIR base (any host and base path) and the query pairs."""
    parts = urlsplit(url.strip())
    segments = [unquote(s) for s in parts.path.split("/") if s]
    for i, seg in enumerate(segments):
        if _TYPE.match(seg) or seg == "metadata" or seg.startswith("$"):
            segments = segments[i:]
            break
    else:
        segments = []
    return segments, parse_qsl(parts.query, keep_blank_values=True)


def dispatch(client: FhirClient, method: str, url: str, body: Any = None) -> tuple[int, Json]:
    try:
        return _dispatch(client, method.upper().strip(), url, _parse_body(body))
    except FhirError as err:
        return err.status, err.outcome
    except Exception as exc:  # a bug must not crash the caller's episode; report it as a 500
        return 500, operation_outcome(f"internal error: {type(exc).__name__}: {exc}", "exception")


def _parse_body(body: Any) -> Any:
    if isinstance(body, bytes | str):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise FhirError(400, f"Failed to parse request body as JSON: {exc}") from None
    return body


def _dispatch(client: FhirClient, method: str, url: str, body: Any) -> tuple[int, Json]:
    segments, query = split_url(url)
    n = len(segments)
    if method == "GET":
        if segments == ["metadata"]:
            return 200, client.capabilities()
        if n == 1:
            return 200, client.search(segments[0], query)
        if n == 2 and segments[1] == "_search":
            return 200, client.search(segments[0], query)
        if n == 2 or (n == 4 and segments[2] == "_history"):
            res = client.read(segments[0], segments[1])
            if n == 4 and res.get("meta", {}).get("versionId") != segments[3]:
                raise FhirError(
                    404,
                    f"Version {segments[3]} of {segments[0]}/{segments[1]} is not available",
                    "not-found",
                )
            return 200, res
    elif method == "POST":
        if n == 0:
            return 200, client.transaction(_require_object(body))
        if n == 2 and segments[1] == "_search":
            return 200, client.search(segments[0], query)
        if n == 1:
            res = _require_object(body)
            if res.get("resourceType") != segments[0]:
                raise FhirError(
                    400,
                    f"Resource type in the body ({res.get('resourceType')!r}) does not match the URL ({segments[0]!r})",
                )
            return 201, client.create(res)
    elif method == "PUT" and n == 2:
        existed = _exists(client, segments[0], segments[1])
        res = client.update(segments[0], segments[1], _require_object(body))
        return (200 if existed else 201), res
    elif method == "DELETE" and n == 2:
        client.delete(segments[0], segments[1])
        return 200, operation_outcome(
            f"Successfully deleted {segments[0]}/{segments[1]}", "informational", "information"
        )
    raise FhirError(400, f"Unsupported request: {method} {url}", "not-supported")


def _require_object(body: Any) -> Json:
    if not isinstance(body, dict):
        raise FhirError(400, "The request body must be a JSON object")
    return body


def _exists(client: FhirClient, rtype: str, rid: str) -> bool:
    try:
        client.read(rtype, rid)
    except FhirError as err:
        if err.status in (404, 410):
            return False
        raise
    return True
