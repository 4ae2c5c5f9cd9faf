"""One URL grammar: the text protocol reads a request line exactly as the REST face reads what
``requests`` (MedAgentBench's harness) would send for it. ``requests`` is the independent oracle
for the encoding; ``medsim.fhir.urls.parse_request`` is the REST face's parser."""

from __future__ import annotations

import json

import pytest
import requests
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from medsim.core.actions import parse_action
from medsim.fhir.interface import FhirError
from medsim.fhir.urls import FhirRequest, parse_request, requote

BASE = "http://localhost:8080/fhir/"
TYPES = ["Patient", "Observation", "MedicationRequest", "Condition"]
ids = st.text("abcXYZ0189-.", min_size=1, max_size=8)
# query text an agent may type: spaces, pipes, unicode, percent signs, plus signs, quotes ...
query_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="&#\n\r"),
    max_size=12,
)
segments = st.one_of(
    st.tuples(st.sampled_from(TYPES)).map(list),
    st.tuples(st.sampled_from(TYPES), ids).map(list),
    st.tuples(st.sampled_from(TYPES), st.sampled_from(["_search", "_history", "$validate"])).map(
        list
    ),
    st.tuples(st.sampled_from(TYPES), ids, st.sampled_from(["_history", "$everything"])).map(list),
    st.tuples(st.sampled_from(TYPES), ids, st.just("_history"), ids).map(list),
    st.tuples(st.just("Patient"), ids, st.sampled_from(TYPES)).map(list),
    st.sampled_from([["metadata"], ["_history"], []]),
    st.tuples(st.text("abcdefXYZ$_", min_size=1, max_size=6)).map(list),
)


def _wire(method: str, url: str) -> str:
    """What the server receives when ``requests`` sends ``url`` (the independent oracle)."""
    return str(requests.Request(method, url).prepare().url)


def _rest(method: str, url: str) -> FhirRequest | int:
    try:
        return parse_request(method, _wire(method, url))
    except FhirError as err:
        return err.status


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]),
    segments,
    st.lists(st.tuples(query_text.filter(lambda k: "=" not in k and k), query_text), max_size=3),
)
def test_text_protocol_parses_like_rest(method: str, path: list[str], query: list) -> None:
    raw = BASE + "/".join(path) + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")
    assume(raw == raw.strip() and " " not in raw.split("?")[0])
    try:
        rest = _rest(method, raw)
    except (requests.exceptions.RequestException, ValueError, UnicodeError):
        assume(False)
        return
    resource = {"resourceType": "X"}
    if not isinstance(rest, int) and rest.interaction == "transaction":
        resource = {"resourceType": "Bundle", "type": "transaction"}  # the base takes a Bundle
    body = "" if method in ("GET", "HEAD", "DELETE") else "\n" + json.dumps(resource)
    parsed = parse_action(f"{method} {raw}{body}")
    if isinstance(rest, int):
        assert parsed.kind == "invalid", (raw, parsed)
    else:
        assert parsed.kind == "calls", (raw, parsed.error)
        assert parsed.meta["request"] == rest


@given(st.text(max_size=30))
def test_requote_matches_requests(text: str) -> None:
    assert requote(text) == requests.utils.requote_uri(text)


def _call(action: str) -> tuple[str, dict]:
    parsed = parse_action(action)
    assert parsed.kind == "calls", parsed.error
    return parsed.calls[0].name, parsed.calls[0].arguments


def test_unencoded_spaces_are_read_as_requests_sends_them() -> None:
    name, args = _call(f"GET {BASE}Patient?name=Peter Smith&birthdate=1990-01-01")
    assert name == "fhir_search"
    assert args["params"] == {"name": "Peter Smith", "birthdate": "1990-01-01"}
    # a "+" stays literal on the wire and servers decode it as a space (as HAPI does)
    assert _call(f"GET {BASE}Patient?name=Peter+Smith")[1]["params"] == {"name": "Peter Smith"}


@pytest.mark.parametrize(
    ("action", "method", "url"),
    [
        (f"GET {BASE}metadata", "GET", f"{BASE}metadata"),
        ("GET Patient/p1/_history/2", "GET", "Patient/p1/_history/2"),
        ("GET Observation/_history", "GET", "Observation/_history"),
        ("GET Patient/p1/$everything", "GET", "Patient/p1/$everything"),
        ("GET Patient/p1/Observation?code=2823-3", "GET", "Patient/p1/Observation?code=2823-3"),
        ("DELETE Observation/o1", "DELETE", "Observation/o1"),
        ("DELETE Observation?identifier=x|1", "DELETE", "Observation?identifier=x%7C1"),
        ("GET Patient/p1?_summary=true", "GET", "Patient/p1?_summary=true"),
    ],
)
def test_other_interactions_become_fhir_request(action: str, method: str, url: str) -> None:
    assert _call(action) == ("fhir_request", {"method": method, "url": url})


def test_writes_with_bodies() -> None:
    patch = [{"op": "replace", "path": "/status", "value": "stopped"}]
    assert _call("PATCH MedicationRequest/m1\n" + json.dumps(patch)) == (
        "fhir_request",
        {"method": "PATCH", "url": "MedicationRequest/m1", "body": patch},
    )
    body = {"resourceType": "Observation", "status": "final"}
    assert _call("PUT Observation?identifier=s|1\n" + json.dumps(body))[0] == "fhir_request"
    assert _call("POST Observation/_search\npatient=p1&code=x") == (
        "fhir_request",
        {"method": "POST", "url": "Observation/_search", "body": "patient=p1&code=x"},
    )


def test_bad_request_lines_are_explained() -> None:
    for action, reason in {
        "GET Patient/bad id/_history": "resource type",
        "POST Patient/p1\n{}": "not allowed",
        "PUT Patient/p1\n[1]": "JSON object",
        "PUT Patient\n{}": "needs an id",
        "POST observation\n{}": "Bundle",
        "DELETE ": "could not read",
    }.items():
        parsed = parse_action(action)
        assert parsed.kind == "invalid", action
        assert reason in (parsed.error or ""), (action, parsed.error)


def test_type_level_operation_compartment_search_and_unknown_method() -> None:
    """R4 http.html: ``[type]/$op`` is a type-level operation, ``Patient/[id]/[type]`` a
    compartment search (only when the last segment is a type); an unknown method is a 405."""
    op = parse_request("GET", "Observation/$everything")
    assert (op.interaction, op.resource_type, op.operation) == (
        "operation-type", "Observation", "$everything",
    )  # fmt: skip
    comp = parse_request("GET", "Patient/p1/Observation")
    assert (comp.interaction, comp.id, comp.compartment) == (
        "search-compartment",
        "p1",
        "Observation",
    )
    assert parse_request("GET", "Patient/p1/_history").interaction == "history-instance"
    with pytest.raises(FhirError) as bad:
        parse_request("GET", "Patient/p1/foo")  # not a type: no compartment search
    assert bad.value.status == 400
    with pytest.raises(FhirError) as err:
        parse_request("TRACE", "Observation")
    assert err.value.status == 405
