"""Action parsing: every format maps to the same tool calls; nothing ever raises."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medsim.core.actions import Call, action_text, parse_action, split_fhir_url, strip_fences

SEARCH = Call(
    "fhir_search", {"resource_type": "Observation", "params": {"patient": "p1", "code": "2823-3"}}
)


def calls(action: object) -> list[tuple[str, object]]:
    parsed = parse_action(action)
    assert parsed.kind == "calls", parsed.error
    return [(c.name, c.arguments) for c in parsed.calls]


def test_json_dict_string_and_openai_entry_agree() -> None:
    args = {"resource_type": "Observation", "params": {"patient": "p1", "code": "2823-3"}}
    expected = [("fhir_search", args)]
    assert calls({"name": "fhir_search", "arguments": args}) == expected
    assert calls({"name": "fhir_search", "arguments": json.dumps(args)}) == expected
    assert calls(json.dumps({"name": "fhir_search", "arguments": args})) == expected
    entry = {
        "id": "call_9",
        "type": "function",
        "function": {"name": "fhir_search", "arguments": json.dumps(args)},
    }
    assert calls(entry) == expected
    assert parse_action(entry).calls[0].call_id == "call_9"
    assert (
        calls("```json\n" + json.dumps({"name": "fhir_search", "arguments": args}) + "\n```")
        == expected
    )
    assert (
        calls("GET http://localhost:8080/fhir/Observation?patient=p1&code=2823-3&_format=json")
        == expected
    )
    assert calls("GET Observation?patient=p1&code=2823-3") == expected


def test_assistant_message_with_several_calls_in_order() -> None:
    msg = {
        "role": "assistant",
        "content": "checking",
        "tool_calls": [
            {
                "id": "a",
                "type": "function",
                "function": {
                    "name": "fhir_read",
                    "arguments": '{"resource_type":"Patient","id":"p1"}',
                },
            },
            {
                "id": "b",
                "type": "function",
                "function": {"name": "finish", "arguments": '{"answer": 1}'},
            },
        ],
    }
    parsed = parse_action(msg)
    assert [c.name for c in parsed.calls] == ["fhir_read", "finish"] and parsed.text == "checking"
    assert [c.name for c in parse_action(msg["tool_calls"]).calls] == ["fhir_read", "finish"]
    # an assistant message without tool calls is its content
    assert parse_action({"role": "assistant", "content": "FINISH([1])"}).calls[0].name == "finish"


def test_medagentbench_protocol() -> None:
    assert calls("GET http://localhost:8080/fhir/Patient/S123") == [
        ("fhir_read", {"resource_type": "Patient", "id": "S123"})
    ]
    body = {"resourceType": "Observation", "status": "final"}
    post = "POST http://localhost:8080/fhir/Observation\n" + json.dumps(body, indent=2)
    assert calls(post) == [("fhir_create", {"resource_type": "Observation", "resource": body})]
    assert calls("```\n" + post + "\n```") == calls(post)
    assert calls("PUT Observation/o1\n" + json.dumps(body)) == [
        ("fhir_update", {"resource_type": "Observation", "id": "o1", "resource": body})
    ]
    assert calls('FINISH([3.1, "2023-11-13T10:15:00+00:00"])') == [
        ("finish", {"answer": [3.1, "2023-11-13T10:15:00+00:00"]})
    ]
    assert calls("```tool_code\nFINISH([])\n```") == [("finish", {"answer": []})]


def test_repeated_query_parameters_become_lists() -> None:
    assert split_fhir_url("Observation?date=ge2024-01-01&date=le2024-02-01&_format=json") == (
        "Observation",
        None,
        {"date": ["ge2024-01-01", "le2024-02-01"]},
    )


def test_invalid_actions_are_explained() -> None:
    cases = {
        "": "empty action",
        '{"name": "fhir_search", "arguments": ': "malformed JSON",
        "GET": "could not read",
        "GET http://localhost:8080/fhir/": "resource type",
        "POST Observation": "JSON body",
        "POST Observation\n{not json": "not valid JSON",
        "POST Observation\n[1, 2]": "JSON object",
        "FINISH(not json)": "JSON list",
        '{"arguments": {}}': '"name"',
    }
    for action, reason in cases.items():
        parsed = parse_action(action)
        assert parsed.kind == "invalid", action
        assert reason in (parsed.error or ""), (action, parsed.error)
    assert parse_action(42).kind == "invalid"
    assert parse_action(None).kind == "invalid"
    bad_args = parse_action({"name": "finish", "arguments": "{oops"})
    assert bad_args.kind == "calls" and "not valid JSON" in (bad_args.calls[0].error or "")


def test_plain_text() -> None:
    parsed = parse_action("The potassium is 3.2 mmol/L.")
    assert parsed.kind == "text" and parsed.text == "The potassium is 3.2 mmol/L."
    assert parse_action("[draft] thinking...").kind == "text"


def test_strip_fences() -> None:
    assert strip_fences("```json\n{}\n```") == "{}"
    assert strip_fences("  plain  ") == "plain"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        json_values,
        json_values.map(json.dumps),
        st.sampled_from(["GET ", "POST ", "FINISH(", "PUT ", "```", "{", "["]).flatmap(
            lambda prefix: st.text(max_size=100).map(lambda t: prefix + t)
        ),
    )
)
def test_parse_never_raises(action: object) -> None:
    parsed = parse_action(action)
    assert parsed.kind in ("calls", "text", "invalid")
    if parsed.kind == "invalid":
        assert parsed.error


@pytest.mark.parametrize(
    "url", ["", "/", "http://localhost:8080/fhir/", "1bad/x", "Observation/1/_history"]
)
def test_split_fhir_url_explains_what_is_not_a_read_or_search(url: str) -> None:
    """Not a ``Type[/id][?query]`` (no type, a bad type, a history URL): a reason, never a tuple."""
    reason = split_fhir_url(url)
    assert isinstance(reason, str) and "cannot find a FHIR resource type" in reason


def test_search_params_keep_a_non_json_format_and_values_that_say_json() -> None:
    """Only ``_format`` meaning JSON (and ``_pretty``) is dropped: ``_format=xml`` stays (so the
    server can answer 406), and a parameter whose *value* is ``json`` is an ordinary parameter."""
    assert calls("GET Observation?_format=xml&code=json&_pretty=true") == [
        (
            "fhir_search",
            {"resource_type": "Observation", "params": {"_format": "xml", "code": "json"}},
        )
    ]


@pytest.mark.parametrize(
    ("action", "arguments"),
    [
        # HEAD is not a search: it goes to the server as it is
        ("HEAD Observation?patient=p1", {"method": "HEAD", "url": "Observation?patient=p1"}),
        # a read with result parameters is not a plain read
        ("GET Observation/1?_elements=id", {"method": "GET", "url": "Observation/1?_elements=id"}),
        # PATCH is not an update (FHIR http.html#patch): the JSON Patch body goes as it is
        (
            'PATCH Observation/1\n[{"op": "remove", "path": "/status"}]',
            {
                "method": "PATCH",
                "url": "Observation/1",
                "body": [{"op": "remove", "path": "/status"}],
            },
        ),
        # a DELETE has no body: none is sent
        ("DELETE Observation/1", {"method": "DELETE", "url": "Observation/1"}),
    ],
)
def test_other_requests_go_to_the_server_unchanged(action: str, arguments: dict[str, Any]) -> None:
    assert calls(action) == [("fhir_request", arguments)]


def test_a_request_without_a_url_is_explained() -> None:
    parsed = parse_action('POST \n{"resourceType": "Observation"}')
    assert parsed.kind == "invalid" and "needs a URL" in (parsed.error or "")


def test_action_text_for_the_transcript() -> None:
    assert action_text({"note": "é"}) == '{"note": "é"}'  # readable, not \\u00e9
    assert action_text({(1, 2): 3}) == "{(1, 2): 3}"  # not JSON: its repr
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    assert action_text(deep) == "<a list nested too deeply to show>"


def test_calls_are_immutable() -> None:
    """A parsed call is a value: the env and the transcript share it, nobody may change it."""
    call = parse_action("GET Observation/1").calls[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        call.name = "fhir_delete"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_action("GET Observation/1").kind = "invalid"  # type: ignore[misc]
