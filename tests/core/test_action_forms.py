"""Edge cases of the JSON action forms (issue 20's mutation run over medsim/core/actions.py):
each form either becomes the expected calls or is refused with a reason, never silently changed."""

from __future__ import annotations

import json

import pytest

from medsim.core.actions import parse_action


def test_parameters_is_accepted_for_arguments_and_empty_arguments_are_an_empty_dict() -> None:
    for args in (None, "", "   "):
        parsed = parse_action({"name": "fhir_search", "arguments": args})
        assert [(c.name, c.arguments, c.error) for c in parsed.calls] == [("fhir_search", {}, None)]
    parsed = parse_action({"name": "calc", "parameters": {"x": 1}})
    assert [(c.name, c.arguments) for c in parsed.calls] == [("calc", {"x": 1})]
    assert parse_action({"name": "calc"}).calls[0].arguments == {}


def test_arguments_that_are_not_an_object_are_flagged_on_the_call() -> None:
    for args in ([1, 2], 3, '"text"', "[1]"):
        parsed = parse_action({"name": "calc", "arguments": args})
        assert parsed.kind == "calls" and len(parsed.calls) == 1
        assert "must be a JSON object" in (parsed.calls[0].error or ""), args


def test_call_ids_are_kept_only_when_they_are_strings() -> None:
    fn = {"name": "finish", "arguments": "{}"}
    assert parse_action({"id": "c1", "type": "function", "function": fn}).calls[0].call_id == "c1"
    assert parse_action({"id": 7, "type": "function", "function": fn}).calls[0].call_id is None


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        ([], "empty list"),
        ({"tool_calls": "fhir_search"}, "must be a list"),
        ({"role": "assistant", "content": "  "}, "neither tool_calls nor content"),
        ({"role": "assistant", "tool_calls": [], "content": None}, "neither"),
        ([{"name": "a", "arguments": {}}, "b"], "JSON object"),
        ({"name": ""}, '"name"'),
        ("[" * 50_000, "nested too deeply"),
        (3.5, "must be a string or a JSON object"),
    ],
)
def test_unusable_forms_are_explained(action: object, reason: str) -> None:
    parsed = parse_action(action)
    assert parsed.kind == "invalid" and parsed.calls == ()
    assert reason in (parsed.error or ""), parsed.error


def test_a_list_and_an_assistant_message_keep_order_and_content() -> None:
    entries = [{"name": "a", "arguments": {}}, {"name": "b", "arguments": {"k": 1}}]
    assert [c.name for c in parse_action(entries).calls] == ["a", "b"]
    msg = {"role": "assistant", "content": "why", "tool_calls": entries}
    parsed = parse_action(msg)
    assert [c.name for c in parsed.calls] == ["a", "b"] and parsed.text == "why"
    assert parsed.raw == json.dumps(msg, ensure_ascii=False)


def test_format_parameters_are_dropped_and_finish_parses_its_list() -> None:
    parsed = parse_action("GET Observation?_format=json&patient=p1&_pretty=true")
    assert parsed.calls[0].arguments == {
        "resource_type": "Observation",
        "params": {"patient": "p1"},
    }
    assert parse_action("FINISH()").calls[0].arguments == {"answer": []}
    assert parse_action('FINISH([1, "a"])').calls[0].arguments == {"answer": [1, "a"]}
    assert parse_action("FINISH(1, 2)").kind == "invalid"
