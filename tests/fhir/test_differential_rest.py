"""Differential test of the REST interactions beyond search: the embedded engine's REST face and a
real HAPI server (raw HTTP, HAPI's own implementation) answer the same script alike —
conditional create / update / delete, If-Match, history and vread, ``_summary``, ``_elements``,
``$everything``. Runs when MEDSIM_HAPI_URL is set (scripts/test, CI). Known differences:
docs/fhir.md."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from medsim.fhir import EmbeddedBackend

HAPI = os.environ.get("MEDSIM_HAPI_URL")
pytestmark = pytest.mark.hapi
Call = Callable[..., tuple[int, dict[str, Any]]]


@pytest.fixture(scope="module")
def sides(dataset: list[dict[str, Any]]) -> dict[str, Call]:
    from tests.fhir.conftest import _load_hapi

    if HAPI is None:
        pytest.fail("MEDSIM_HAPI_URL is not set: run with scripts/test or deselect -m 'not hapi'")
    base = HAPI.rstrip("/")
    _load_hapi(base, dataset)
    embedded = EmbeddedBackend()
    embedded.load(dataset)
    ep = embedded.episode()
    http = httpx.Client(timeout=60)

    def hapi(
        method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        h = {"Accept": "application/fhir+json", "Cache-Control": "no-cache", **(headers or {})}
        if body is not None:
            h.setdefault("Content-Type", "application/fhir+json")
        r = http.request(method, f"{base}/{url}", json=body, headers=h)
        return r.status_code, (r.json() if r.content else {})

    def ours(
        method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        return ep.request(method, url, body, headers)

    return {"embedded": ours, "hapi": hapi}


def _obs(tag: str, status: str = "final") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": status,
        "identifier": [{"system": "urn:medsim:diff", "value": tag}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]},
        "subject": {"reference": "Patient/pat-1"},
        "valueQuantity": {"value": 4.2, "unit": "mmol/L"},
    }


def _script(call: Call) -> dict[str, Any]:
    """The same requests on one side; returns what should be equal between sides."""
    tag = uuid.uuid4().hex[:12]
    out: dict[str, Any] = {}
    cond = {"If-None-Exist": f"identifier=urn:medsim:diff%7C{tag}"}
    s1, first = call("POST", "Observation", _obs(tag), cond)
    s2, second = call("POST", "Observation", _obs(tag), cond)
    out["conditional create"] = (s1, s2, first.get("id") == second.get("id"))
    rid = first["id"]
    s, v2 = call(
        "PUT", f"Observation/{rid}", {**_obs(tag, "amended"), "id": rid}, {"If-Match": 'W/"1"'}
    )
    stale, _ = call(
        "PUT", f"Observation/{rid}", {**_obs(tag, "cancelled"), "id": rid}, {"If-Match": 'W/"1"'}
    )
    # the spec says 412 for a stale If-Match; HAPI 8.8 answers 409 (docs/fhir.md)
    out["if-match"] = (s, v2.get("meta", {}).get("versionId"), stale in (409, 412))
    s, hist = call("GET", f"Observation/{rid}/_history")
    out["history"] = (s, [e["resource"]["meta"]["versionId"] for e in hist.get("entry", [])])
    s, v1 = call("GET", f"Observation/{rid}/_history/1")
    out["vread"] = (s, v1.get("status"))
    s, upd = call("PUT", f"Observation?identifier=urn:medsim:diff%7C{tag}", _obs(tag, "corrected"))
    out["conditional update"] = (s, upd.get("id") == rid, upd.get("status"))
    s, _ = call("DELETE", f"Observation?identifier=urn:medsim:diff%7C{tag}")
    gone, _ = call("GET", f"Observation/{rid}")
    out["conditional delete"] = (s < 300, gone)
    s, bundle = call("GET", "Patient?_id=pat-1&_summary=true")
    pat = bundle["entry"][0]["resource"]
    out["_summary=true"] = sorted(k for k in pat if k != "meta")
    s, bundle = call("GET", "Patient?_id=pat-1&_elements=gender,birthDate")
    pat = bundle["entry"][0]["resource"]
    out["_elements"] = sorted(k for k in pat if k != "meta")
    # sodium: the script's own potassium writes (and earlier runs' on a shared HAPI) stay out
    s, bundle = call("GET", "Observation?patient=pat-1&code=2951-2&_summary=count")
    out["_summary=count"] = (s, bundle.get("total"), "entry" in bundle)
    s, everything = call("GET", "Patient/pat-1/$everything?_count=1000")
    out["$everything"] = sorted(
        (e["resource"]["resourceType"], e["resource"]["id"])
        for e in everything.get("entry", [])
        if e["resource"]["resourceType"] in ("Patient", "Observation", "Condition")
        and "urn:medsim:diff" not in str(e["resource"].get("identifier"))
    )
    return out


def test_rest_script_matches_hapi(sides: dict[str, Call]) -> None:
    ours = _script(sides["embedded"])
    try:
        theirs = _script(sides["hapi"])
    finally:  # leave the shared server as it was, whatever happened
        sides["hapi"]("DELETE", "Observation?identifier=urn:medsim:diff%7C")
    diffs = {k: (ours[k], theirs[k]) for k in ours if ours[k] != theirs[k]}
    assert diffs == {}
