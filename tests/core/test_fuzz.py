"""Fuzzing step(): no action ever raises, and the EHR changes only through a valid write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from medsim.core.env import ClinicalEnv
from medsim.core.suite import Suite
from medsim.tools import get_tool

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
tool_names = st.sampled_from(
    ["fhir_search", "fhir_read", "fhir_create", "fhir_update", "finish", "nope", ""]
)
resource_types = st.sampled_from(
    ["Observation", "Patient", "MedicationRequest", "observation", "Bad Type"]
)
tool_calls = st.builds(
    lambda name, rtype, extra: {"name": name, "arguments": {"resource_type": rtype, **extra}},
    tool_names,
    resource_types,
    st.dictionaries(
        st.sampled_from(["params", "id", "resource", "answer", "x"]), json_values, max_size=3
    ),
)
text_actions = st.one_of(
    st.text(max_size=120),
    st.sampled_from(["GET ", "POST ", "PUT ", "FINISH(", "```json\n"]).flatmap(
        lambda p: st.text(max_size=80).map(lambda t: p + t)
    ),
    st.builds(
        lambda rt, q: f"GET http://localhost:8080/fhir/{rt}?{q}",
        resource_types,
        st.text(max_size=40),
    ),
    st.builds(lambda rt, body: f"POST {rt}\n{json.dumps(body)}", resource_types, json_values),
)
actions = st.one_of(
    text_actions,
    tool_calls,
    tool_calls.map(json.dumps),
    json_values,
    st.lists(tool_calls, max_size=3),
)


VALID_WRITE = [
    'POST MedicationRequest\n{"resourceType": "MedicationRequest", "status": "active", '
    '"intent": "order", "subject": {"reference": "Patient/pat-t1"}, '
    '"medicationCodeableConcept": {"text": "potassium chloride"}}'
]


@pytest.fixture(scope="module")
def fuzz_env(suite: Suite) -> Iterator[ClinicalEnv]:
    env = ClinicalEnv(suite, max_steps=1000)
    yield env
    env.close()


def run_batch(env: ClinicalEnv, batch: list[Any], task: str) -> bool:
    """Reset to ``task``, step through ``batch`` checking every step's contract; True when the
    EHR changed (which must have come from a successful write tool call)."""
    env.reset(options={"task_id": task})
    wrote = False
    for action in batch:
        writes_before = len(env.fhir.writes)
        calls_before = len(env.record.tool_calls)
        obs, reward, term, trunc, info = env.step(action)
        assert isinstance(obs, str) and obs
        assert isinstance(reward, float) and 0.0 <= reward <= 1.0
        json.dumps(info)
        new_calls = env.record.tool_calls[calls_before:]
        if len(env.fhir.writes) > writes_before:
            assert any(c.error is None and get_tool(c.name).writes for c in new_calls)
            wrote = True
        if term or trunc:
            break
    return wrote


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(batch=VALID_WRITE, task="t-order")  # a valid write: the one way the EHR may change
@given(
    batch=st.lists(actions, min_size=1, max_size=4), task=st.sampled_from(["t-query", "t-order"])
)
def test_step_never_raises_and_writes_only_when_asked(
    fuzz_env: ClinicalEnv, batch: list[Any], task: str
) -> None:
    run_batch(fuzz_env, batch, task)


def test_a_valid_write_changes_the_ehr(fuzz_env: ClinicalEnv) -> None:
    """The fuzz test's write check is live: the valid write above does change the EHR (this test
    runs it itself, so it holds alone and in any order)."""
    assert run_batch(fuzz_env, VALID_WRITE, "t-order")
    assert not run_batch(fuzz_env, ["GET Observation?patient=pat-t1"], "t-order")
