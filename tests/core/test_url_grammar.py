"""One URL grammar: the text protocol reads a request line exactly as the REST face reads what
``requests`` (MedAgentBench's harness) would send for it. ``requests`` is the independent oracle
for the encoding; ``medsim.fhir.urls.parse_request`` is the REST face's parser."""

from __future__ import annotations

import dataclasses
import json

import pytest
import requests
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from medsim.core.actions import parse_action
from medsim.fhir.interface import FhirError
from medsim.fhir.urls import FhirRequest, parse_request, remove_dot_segments, requote, wire_url

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


@pytest.mark.parametrize(
    ("url", "interaction"),
    [
        ("_history", "history-system"),  # R4 http.html#history: GET [base]/_history
        ("http://h/fhir/_history", "history-system"),
        ("$meta", "operation-system"),  # R4 operations.html: [base]/$op
        ("metadata", "capabilities"),
        ("Observation/_history", "history-type"),
        ("Patient/p1/_history/2", "vread"),
    ],
)
def test_system_and_type_level_interactions(url: str, interaction: str) -> None:
    """R4 http.html: the system-level interactions and the history forms, read with GET."""
    assert parse_request("GET", url).interaction == interaction


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("POST", "_history", 405),  # history is read-only
        ("DELETE", "metadata", 405),
        ("POST", "Patient/p1/_history", 405),
        ("PUT", "Patient/p1/_history/2", 405),
        ("GET", "$meta/x", 400),  # a system operation has no further segments
        ("GET", "_history/x", 400),
        ("GET", "metadata/x", 400),
        ("GET", "Patient/p1/_history/bad id", 400),
        ("POST", "Patient/p1/Observation", 405),  # a compartment search is read-only
        ("DELETE", "Patient/p1/Observation", 405),
        ("GET", "Patient/p1/Observation/x", 400),
    ],
)
def test_wrong_method_or_shape(method: str, url: str, status: int) -> None:
    with pytest.raises(FhirError) as err:
        parse_request(method, url)
    assert err.value.status == status


def _refusal(method: str, url: str) -> FhirError:
    with pytest.raises(FhirError) as err:
        parse_request(method, url)
    return err.value


def test_405_hints_only_where_they_apply() -> None:
    """The 405 for ``POST Type/id`` says how to create; the 405 for a write to a bare type says
    it needs an id or criteria; other 405s give neither piece of advice."""
    post = _refusal("POST", "Patient/p1")
    assert post.status == 405 and "creates a resource" in post.diagnostics
    for method in ("PUT", "DELETE", "PATCH"):
        bare = _refusal(method, "Patient")
        assert bare.status == 405 and "needs an id" in bare.diagnostics, method
    for method, url in (
        ("POST", "metadata"),
        ("POST", "Patient/p1/_history"),
        ("DELETE", "Patient/p1/_history"),
        ("POST", "Observation/_history"),
        ("DELETE", "Patient/p1/Observation"),
    ):
        other = _refusal(method, url)
        assert other.status == 405, (method, url)
        assert "creates a resource" not in other.diagnostics, (method, url)
        assert "needs an id" not in other.diagnostics, (method, url)


def test_a_parsed_request_cannot_be_changed() -> None:
    """Parsed requests are shared (the action's meta, the call): they are frozen and hashable."""
    req = parse_request("GET", "Patient/p1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        req.id = "p2"  # type: ignore[misc]
    assert hash(req) == hash(parse_request("GET", "Patient/p1"))


# RFC 3986 §5.2.4 (its two worked examples) and §5.4 (the normal and abnormal examples against the
# base http://a/b/c/d;p?q, each reference merged with the base path "/b/c/" first).
DOT_SEGMENTS = [
    ("../g", "g"),  # §5.2.4 step A: a leading "../" or "./" is removed
    ("./g", "g"),
    ("/a/b/c/./../../g", "/a/g"),
    ("mid/content=5/../6", "mid/6"),
    ("/b/c/.", "/b/c/"),
    ("/b/c/./", "/b/c/"),
    ("/b/c/..", "/b/"),
    ("/b/c/../", "/b/"),
    ("/b/c/../g", "/b/g"),
    ("/b/c/../..", "/"),
    ("/b/c/../../", "/"),
    ("/b/c/../../g", "/g"),
    ("/b/c/../../../g", "/g"),
    ("/b/c/../../../../g", "/g"),
    ("/./g", "/g"),
    ("/../g", "/g"),
    ("/b/c/g.", "/b/c/g."),
    ("/b/c/.g", "/b/c/.g"),
    ("/b/c/g..", "/b/c/g.."),
    ("/b/c/..g", "/b/c/..g"),
    ("/b/c/./../g", "/b/g"),
    ("/b/c/./g/.", "/b/c/g/"),
    ("/b/c/g/./h", "/b/c/g/h"),
    ("/b/c/g/../h", "/b/c/h"),
]


@pytest.mark.parametrize(("path", "expected"), DOT_SEGMENTS)
def test_remove_dot_segments_follows_rfc3986(path: str, expected: str) -> None:
    assert remove_dot_segments(path) == expected


@pytest.mark.parametrize(("path", "expected"), [p for p in DOT_SEGMENTS if p[0].startswith("/")])
def test_wire_url_removes_dot_segments_as_requests_does(path: str, expected: str) -> None:
    url = f"http://a{path}?x=1"
    assert wire_url(url) == _wire("GET", url) == f"http://a{expected}?x=1"


def test_wire_url_keeps_the_authority_and_query() -> None:
    """RFC 3986 §5.3: a network-path reference (``//host/...``, no scheme) keeps its authority;
    a relative path keeps its query."""
    assert wire_url("//ehr.example/fhir/./Patient/p1") == "//ehr.example/fhir/Patient/p1"
    assert wire_url("Patient/./p1/../p2?_summary=true") == "Patient/p2?_summary=true"
    assert wire_url("Patient/p1/.") == "Patient/p1/"
    assert wire_url(" Observation?code=a b ") == "Observation?code=a%20b"
    # ".." removes the segment before it, the first one too (RFC 3986 §5.2.4 step C)
    up = parse_request("GET", wire_url("Patient/../Observation?code=x"))
    assert (up.interaction, up.resource_type, up.query) == (
        "search-type",
        "Observation",
        (("code", "x"),),
    )
    assert parse_request("GET", wire_url("Patient/p1/../p2")).id == "p2"


@pytest.mark.parametrize(
    "text",
    ["%41", "a%41b", "%7c", "%7C", "%2F", "%zz", "%4", "%", "100%", "x%4g", "%e9", "%41%42", "a%2"],
)
def test_requote_escapes_like_requests(text: str) -> None:
    """Valid escapes kept (unreserved ones decoded), stray ``%`` encoded — ``requests`` decides."""
    assert requote(text) == requests.utils.requote_uri(text)


def test_paging_links_urls_that_are_not_text_and_blank_values() -> None:
    """A HAPI paging link (``base?_getpages=<id>``) is read as a page request; the base with any
    other query is no interaction; a blank parameter value is kept as sent (RFC 3986 §3.4: ``x=``
    is a parameter with an empty value), so the search can refuse it."""
    page = parse_request("GET", "http://h/fhir?_getpages=abc&_getpagesoffset=20")
    assert page.interaction == "page"
    assert parse_request("POST", "http://h/fhir?_getpages=abc").interaction == "transaction"
    assert _refusal("GET", "http://h/fhir?_count=20").status == 400
    assert _refusal("GET", None).status == 400  # type: ignore[arg-type]
    assert parse_request("GET", "Patient?family=&_count=2").query == (
        ("family", ""),
        ("_count", "2"),
    )
