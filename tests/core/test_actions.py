"""Action parsing: every format maps to the same tool calls; nothing ever raises."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from medsim.core.actions import Call, parse_action, split_fhir_url, strip_fences

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
