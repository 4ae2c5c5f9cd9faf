"""What a step shows is exactly the standard library's JSON of the result.

The env renders tool results and the transcript's call arguments with a prebuilt encoder
(``medsim.observation.view.json_text``, no circular-reference check) and checks the output
limits before looking for a cut (issue 19). These tests compare against ``json.dumps`` itself
and against the store's own answer, never against the code that produces the text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import medsim
from medsim.fhir.interface import FhirError
from medsim.observation import ObservationView
from medsim.observation.view import json_text
from medsim.tools import ToolContext, get_tool
from medsim.tools.base import ToolResult


def stdlib(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


@pytest.fixture(scope="module")
def env() -> Any:
    made = medsim.make("Demo-v0", max_steps=10**6, tool_output_limit=None)
    made.reset(seed=0)
    yield made
    made.close()


SEARCHES = st.fixed_dictionaries(
    {
        "resource_type": st.sampled_from(
            ["Observation", "Condition", "MedicationRequest", "Patient"]
        )
    },
    optional={
        "params": st.fixed_dictionaries(
            {},
            optional={
                "patient": st.sampled_from(["pat-0001", "pat-0007", "pat-0003"]),
                "_count": st.sampled_from(["0", "1", "3", "50"]),
                "_sort": st.sampled_from(["-date", "date", "_id"]),
                "code": st.sampled_from(["http://loinc.org|2823-3", "2160-0", "8480-6"]),
                "_summary": st.sampled_from(["count", "true"]),
            },
        )
    },
)


@settings(max_examples=60, deadline=None)
@given(args=SEARCHES)
def test_search_observation_is_the_stdlib_json_of_the_stores_answer(env: Any, args: Any) -> None:
    obs, *_ = env.step(json.dumps({"name": "fhir_search", "arguments": args}))
    u = env.unwrapped
    try:
        answer = u.fhir.search(args["resource_type"], dict(args.get("params") or {}))
    except FhirError as exc:  # a search the engine refuses: the reason, then the outcome
        assert obs == f"Error: {exc}\n{stdlib(exc.outcome)}"
        answer = exc.outcome
    else:
        assert obs == stdlib(answer)
    call_msg, reply = u.record.messages[-2:]
    assert reply == {"role": "tool", "tool_call_id": reply["tool_call_id"], "content": obs}
    assert call_msg["tool_calls"][0]["function"]["arguments"] == stdlib(args)
    assert u.record.tool_calls[-1].result == answer


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(),  # any Unicode: ensure_ascii=False keeps it as is
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(value=JSON)
def test_json_text_is_json_dumps(value: Any) -> None:
    assert json_text(value) == stdlib(value)


def test_json_text_falls_back_to_str_and_shares_subtrees() -> None:
    when = datetime(2024, 3, 14, 6, tzinfo=UTC)
    shared = {"a": [1, 2.5, "é"]}
    value = {"when": when, "x": shared, "y": shared, "set": {3}}
    assert json_text(value) == stdlib(value)
    assert '"when": "2024-03-14 06:00:00+00:00"' in json_text(value)


def test_a_value_that_contains_itself_still_fails_loudly() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises((ValueError, RecursionError)):
        json_text(loop)


BUNDLE = {
    "resourceType": "Bundle",
    "type": "searchset",
    "total": 30,
    "entry": [{"resource": {"resourceType": "Observation", "id": f"o{i}"}} for i in range(30)],
}


def test_show_whole_when_it_fits_and_cut_when_it_does_not() -> None:
    whole = stdlib(BUNDLE)
    assert ObservationView(char_limit=len(whole)).show(ToolResult(BUNDLE)) == whole
    cut = ObservationView(char_limit=len(whole) - 1).show(ToolResult(BUNDLE))
    assert len(cut) <= len(whole) - 1
    assert '"id": "o0"' in cut and '"id": "o29"' not in cut


def test_an_error_prefix_counts_towards_the_limit() -> None:
    outcome = {"resourceType": "OperationOutcome", "issue": [{"diagnostics": "x" * 400}]}
    result = ToolResult(outcome, "HTTP 400: bad", "fhir_error")
    whole = "Error: HTTP 400: bad\n" + stdlib(outcome)
    assert ObservationView(char_limit=len(whole)).show(result) == whole
    shorter = ObservationView(char_limit=len(whole) - 1).show(result)
    assert shorter.startswith("Error: HTTP 400: bad\n") and len(shorter) <= len(whole) - 1
    assert "characters cut to fit the output limit" in shorter


class _Failing:
    """A FHIR view whose search raises what the engine raised on input it could not handle."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def search(self, resource_type: str, params: dict[str, Any]) -> dict[str, Any]:
        raise self.exc


@pytest.mark.parametrize(
    "exc", [ValueError("v"), OverflowError("o"), UnicodeError("u"), RecursionError("r")]
)
def test_engine_input_errors_are_a_400_naming_the_error(exc: Exception) -> None:
    tool = get_tool("fhir_search")
    with pytest.raises(FhirError) as caught:
        tool.fn("Observation", {}, fhir=_Failing(exc))
    assert caught.value.status == 400
    assert caught.value.diagnostics == (
        f"the EHR could not process this request ({type(exc).__name__}: {exc})"
    )
    assert caught.value.__suppress_context__
    result = tool.invoke({"resource_type": "Observation"}, ToolContext(fhir=_Failing(exc)))  # type: ignore[arg-type]
    assert result.kind == "fhir_error" and result.error is not None
    assert result.error.startswith("HTTP 400: the EHR could not process this request")


def test_other_engine_errors_are_not_turned_into_a_400() -> None:
    tool = get_tool("fhir_search")
    with pytest.raises(KeyError):
        tool.fn("Observation", {}, fhir=_Failing(KeyError("k")))
    result = tool.invoke(
        {"resource_type": "Observation"}, ToolContext(fhir=_Failing(KeyError("k")))
    )  # type: ignore[arg-type]
    assert result.kind == "tool_error"
