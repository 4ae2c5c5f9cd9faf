"""The compact view changes only what the agent reads: every registered suite makes with
``observation="compact"``, and reference solutions and negative controls score exactly as in
the raw view (graders read the raw results in the record, not the rendered text).

``bench/observation_bench.py`` replays more tasks (all with ``--per-suite 0``)."""

from __future__ import annotations

from typing import Any

import pytest

import medsim
from medsim.core.rollout import ScriptedAgent, run_episode

PER_SUITE = 4


def resource_ids(value: Any) -> set[str]:
    """Ids of every resource inside a tool result (entries, workbench pages, single ones)."""
    if isinstance(value, list):
        return set().union(*map(resource_ids, value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found = {str(value["id"])} if "resourceType" in value and "id" in value else set()
    return found.union(*map(resource_ids, value.values()))


def read_ids_shown(env: Any, task: Any) -> list[str]:
    """Replays the reference solution; the ids of resources a read returned that the
    observation does not show (cut results excepted: they say how to get the rest)."""
    env.reset(seed=0, options={"task_id": task.id})
    record = env.unwrapped.record
    missing: list[str] = []
    for action in task.reference_solution:
        before = len(record.tool_calls)
        obs, _, terminated, truncated, _ = env.step(action)
        for call in record.tool_calls[before:]:
            if "too-costly" not in obs and "note:" not in obs:
                ids = resource_ids(call.result) - {"OperationOutcome"}
                missing += [f"{call.name}: {i}" for i in sorted(ids) if i not in obs]
        if terminated or truncated:
            break
    return missing


def replay(env_id: str, view: str, **kwargs: Any) -> tuple[dict[tuple[str, str], float], list[Any]]:
    env = medsim.make(env_id, observation=view, **kwargs)
    tasks = env.unwrapped.tasks
    step = max(1, len(tasks) // PER_SUITE)
    scores: dict[tuple[str, str], float] = {}
    results: list[Any] = []
    try:
        for task in tasks[::step][:PER_SUITE]:
            runs = [("reference", task.reference_solution)]
            runs += [(c.name, c.actions) for c in task.negative_controls]
            for name, actions in runs:
                res = run_episode(env, ScriptedAgent(actions), task_id=task.id, seed=0)
                scores[(task.id, name)] = res.score
                results.append([c.result for c in res.record.tool_calls])
            if view == "compact":  # every id a result holds is shown (to read, update, cite)
                assert read_ids_shown(env, task) == [], task.id
    finally:
        env.close()
    return scores, results


CASES = [(env_id, {}) for env_id in medsim.list_envs()] + [
    ("MedAgentBench-v0", {"grading": "original"}),  # its rules read the transcript's text
    ("MedAgentBench-v0", {"protocol": "tools"}),
]


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=[f"{e}{k or ''}" for e, k in CASES])
def test_same_scores_in_both_views(env_id: str, kwargs: dict[str, Any]) -> None:
    raw, raw_results = replay(env_id, "fhir", **kwargs)
    compact, compact_results = replay(env_id, "compact", **kwargs)
    refs = {k: v for k, v in compact.items() if k[1] == "reference"}
    assert refs and all(v == 1.0 for v in refs.values()), refs
    assert any(k[1] != "reference" for k in compact)  # negative controls were run
    assert compact == raw
    assert compact_results == raw_results  # graders see the same tool results


def test_views_differ_only_in_the_text() -> None:
    texts = {}
    for view in ("fhir", "compact"):
        env = medsim.make("Demo-v0", observation=view)
        env.reset(seed=0)
        obs, *_ = env.step(
            {
                "name": "fhir_search",
                "arguments": {"resource_type": "Observation", "params": {"patient": "pat-0007"}},
            }
        )
        texts[view] = obs
        env.close()
    assert texts["fhir"].startswith('{"resourceType": "Bundle"')
    assert texts["compact"].startswith("Observation: ")
    # the default page (20) fits in compact text; raw JSON is cut at 10,000 characters
    assert texts["compact"].count("| obs-0007-") == 20 and len(texts["compact"]) < 4000
    assert 0 < texts["fhir"].count('"fullUrl"') < 20


def test_unknown_view_is_refused() -> None:
    with pytest.raises(ValueError, match="observation must be one of"):
        medsim.make("Demo-v0", observation="yaml")
