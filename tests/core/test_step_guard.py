"""``step`` never raises, and input the engine cannot handle is the agent's error (named), not a
crash reported as ``tool_error``: deep nesting, unpaired surrogates, FHIR paging values beyond
what the store can hold."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medsim.core.env import ClinicalEnv
from medsim.core.suite import Suite

#: error types that mean "medsim failed", never an answer to something the agent sent
CRASHES = {"tool_error", "internal_error"}


def nested(depth: int, leaf: Any = 1, as_dict: bool = False) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value} if as_dict else [value]
    return value


@pytest.fixture(scope="module")
def guard_env(suite: Suite) -> Iterator[ClinicalEnv]:
    env = ClinicalEnv(suite, max_steps=10_000)
    yield env
    env.close()


def _step(env: ClinicalEnv, action: Any, tmp: Path | None = None) -> dict[str, Any]:
    obs, reward, _, _, info = env.step(action)
    assert isinstance(obs, str) and obs and 0.0 <= reward <= 1.0
    json.dumps(info).encode("utf-8")  # info and transcript stay storable
    if tmp is not None:
        env.record.save(tmp / "record.json")
    return info


def search(params: dict[str, Any]) -> dict[str, Any]:
    return {"name": "fhir_search", "arguments": {"resource_type": "Observation", "params": params}}


@pytest.mark.parametrize(
    ("action", "kind", "says"),
    [
        ({"name": "finish", "arguments": {"answer": nested(1200)}}, "invalid_action", "nested"),
        (
            {"name": "fhir_search", "arguments": nested(3000, as_dict=True)},
            "invalid_action",
            "nested",
        ),
        (nested(995), "invalid_action", "nested"),
        (search({"code": "\ud800"}), "invalid_action", "U+D800"),
        ("GET http://localhost:8080/fhir/Observation?code=\udfff", "invalid_action", "U+DFFF"),
        (search({"_count": "²"}), "fhir_error", "²"),
        (search({"_offset": "9" * 30}), "fhir_error", "HTTP 400"),
    ],
)
def test_hostile_action_is_named_not_raised(
    guard_env: ClinicalEnv, tmp_path: Path, action: Any, kind: str, says: str
) -> None:
    guard_env.reset(options={"task_id": "t-query"})
    info = _step(guard_env, action, tmp_path)
    assert info["error"]["type"] == kind and says in info["error"]["message"]
    assert guard_env.record.steps == 1  # the step counts


def test_a_medsim_bug_is_an_observation(guard_env: ClinicalEnv, monkeypatch: Any) -> None:
    guard_env.reset(options={"task_id": "t-query"})

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("injected")

    monkeypatch.setattr(guard_env, "_run_calls", boom)
    info = _step(guard_env, search({}))
    assert info["error"]["type"] == "internal_error" and "injected" in info["error"]["message"]


hostile_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(["\ud800", "a\udcffb", "²", "٣", "9" * 25, "-1", "\x00", "ge9999-12-31"]),
)
hostile: st.SearchStrategy[Any] = st.deferred(
    lambda: (
        hostile_leaves
        | st.lists(hostile, max_size=3)
        | st.dictionaries(st.text(max_size=6), hostile, max_size=3)
    )
)
param_names = st.sampled_from(
    ["_count", "_offset", "date", "code", "patient", "_sort", "value-quantity"]
)
actions = st.one_of(
    st.dictionaries(param_names, hostile_leaves.map(str), max_size=3).map(search),
    st.builds(lambda v: {"name": "finish", "arguments": {"answer": v}}, hostile),
    st.builds(
        lambda d, v: {"name": "finish", "arguments": {"answer": nested(d, v)}},
        st.integers(90, 2500),
        hostile_leaves,
    ),
    st.builds(lambda q: f"GET http://localhost:8080/fhir/Observation?{q}", st.text(max_size=30)),
    hostile,
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(action=actions)
def test_step_never_raises_nor_reports_a_crash(guard_env: ClinicalEnv, action: Any) -> None:
    guard_env.reset(options={"task_id": "t-query"})
    info = _step(guard_env, action)
    assert info["error"] is None or info["error"]["type"] not in CRASHES, info["error"]
