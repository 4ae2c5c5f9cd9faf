"""The MedAgentBench text protocol, at the behaviour level: what one line of agent text becomes.

Only :func:`medsim.core.actions.parse_action` (and the env's ``step``) are used, never the URL
helpers, so these tests hold whatever grammar module parses the URL. Rules (MedAgentBench's
protocol and FHIR R4 RESTful API, http.html#create / #update):

- ``POST [base]/Type`` + JSON body creates; the server assigns the id, so ``POST Type/id`` is
  refused (a create with a client id is an update, and the protocol has ``PUT`` for that);
- ``PUT [base]/Type/id`` + body updates that id; ``PUT Type`` (no id) is refused;
- ``GET [base]/Type/id`` reads, ``GET [base]/Type?query`` searches with the query's parameters.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medsim.core.actions import parse_action

BODY = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
BASES = ["", "http://localhost:8080/fhir/", "https://ehr.example.org/r4/"]
types = st.sampled_from(["Observation", "MedicationRequest", "ServiceRequest", "Patient"])
# FHIR ids ([A-Za-z0-9\-.]{1,64}); those that look like a type name are tested below
ids = st.from_regex(r"[a-z0-9][A-Za-z0-9\-.]{0,19}", fullmatch=True)


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("fence", [False, True])
def test_post_with_an_id_is_refused(base: str, fence: bool) -> None:
    text = f"POST {base}Observation/obs-1\n{json.dumps(BODY)}"
    parsed = parse_action(f"```\n{text}\n```" if fence else text)
    assert parsed.kind == "invalid" and parsed.calls == ()
    assert "without an id" in (parsed.error or "")


@settings(max_examples=100, deadline=None)
@given(rtype=types, rid=ids, base=st.sampled_from(BASES))
def test_post_type_id_is_never_a_call(rtype: str, rid: str, base: str) -> None:
    parsed = parse_action(f"POST {base}{rtype}/{rid}\n{json.dumps({'resourceType': rtype})}")
    assert parsed.kind == "invalid" and parsed.calls == ()


@settings(max_examples=100, deadline=None)
@given(rtype=types, base=st.sampled_from(BASES))
def test_post_to_the_type_creates(rtype: str, base: str) -> None:
    body = {"resourceType": rtype, "status": "active"}
    parsed = parse_action(f"POST {base}{rtype}\n{json.dumps(body, indent=2)}")
    assert parsed.kind == "calls"
    assert [(c.name, c.arguments) for c in parsed.calls] == [
        ("fhir_create", {"resource_type": rtype, "resource": body})
    ]


@settings(max_examples=100, deadline=None)
@given(rtype=types, rid=ids, base=st.sampled_from(BASES))
def test_put_updates_the_named_id_and_get_reads_it(rtype: str, rid: str, base: str) -> None:
    body = {"resourceType": rtype, "id": rid}
    put = parse_action(f"PUT {base}{rtype}/{rid}\n{json.dumps(body)}")
    assert [(c.name, c.arguments) for c in put.calls] == [
        ("fhir_update", {"resource_type": rtype, "id": rid, "resource": body})
    ]
    get = parse_action(f"GET {base}{rtype}/{rid}")
    assert [(c.name, c.arguments) for c in get.calls] == [
        ("fhir_read", {"resource_type": rtype, "id": rid})
    ]


@pytest.mark.parametrize("rid", ["Abc", "Obs"])
def test_an_id_that_looks_like_a_type_is_still_an_id(rid: str) -> None:
    assert parse_action(f"POST Observation/{rid}\n{json.dumps(BODY)}").kind == "invalid"
    put = parse_action(f"PUT Observation/{rid}\n{json.dumps(BODY)}")
    assert [c.arguments.get("id") for c in put.calls] == [rid]


def test_put_without_an_id_is_refused() -> None:
    parsed = parse_action(f"PUT Observation\n{json.dumps(BODY)}")
    assert parsed.kind == "invalid" and parsed.calls == ()
    assert "id" in (parsed.error or "")


@pytest.mark.parametrize(
    "line",
    [
        "POST observation\n{}",  # a type starts with a capital letter
        "GET http://localhost:8080/fhir/",  # no type
        "GET Observation/obs 1",  # a space is not part of a URL
        "POST Observation\n",  # no body
        "PUT Observation/o1\n[]",  # not a resource
    ],
)
def test_other_malformed_requests_are_not_calls(line: str) -> None:
    # (DELETE, PATCH, HEAD, _history ... are FHIR interactions of the one URL grammar since
    # issue 11: they are `fhir_request` calls now, tested in test_url_grammar.py)
    parsed = parse_action(line)
    assert parsed.calls == () and parsed.kind in ("invalid", "text")


values = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1).filter(
    lambda s: s.strip() == s
)


@settings(max_examples=100, deadline=None)
@given(patient=values, code=values)
def test_get_search_passes_the_decoded_query(patient: str, code: str) -> None:
    url = f"Observation?patient={quote(patient, safe='')}&code={quote(code, safe='')}"
    parsed = parse_action(f"GET http://localhost:8080/fhir/{url}")
    assert [(c.name, c.arguments) for c in parsed.calls] == [
        (
            "fhir_search",
            {"resource_type": "Observation", "params": {"patient": patient, "code": code}},
        )
    ]


def test_post_with_an_id_changes_nothing_in_the_env(env: Any) -> None:
    env.reset(options={"task_id": "t-order"})
    body = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/pat-t1"},
        "medicationCodeableConcept": {"text": "potassium chloride"},
    }
    obs, reward, *_ = env.step(f"POST MedicationRequest/mr-1\n{json.dumps(body)}")
    assert env.fhir.writes == [] and "without an id" in obs
    env.step(f"POST MedicationRequest\n{json.dumps(body)}")  # the same body, posted correctly
    assert len(env.fhir.writes) == 1
