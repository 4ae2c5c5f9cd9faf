"""Issue 15, item 5: every search tool says what it covers. A search that may span patients
says it covers every patient (``fhir_search`` without a ``patient`` parameter, as a real EHR);
a search of one patient's chart requires ``patient`` and says it reads that patient's chart.
Checked on the tools every registered suite offers (a sample of tasks per suite)."""

from __future__ import annotations

from typing import Any

import pytest

import medsim

CASES = [(env_id, {}) for env_id in medsim.list_envs()] + [
    ("MedAgentBench-v0", {"protocol": "tools"}),
]


def search_tools(env_id: str, **kwargs: Any) -> dict[str, dict[str, Any]]:
    env = medsim.make(env_id, **kwargs)
    tasks = env.unwrapped.tasks
    found: dict[str, dict[str, Any]] = {}
    try:
        for task in tasks[:: max(1, len(tasks) // 8)]:
            _, info = env.reset(options={"task_id": task.id})
            for schema in info["tools"]:
                fn = schema.get("function", schema)
                if "search" in fn["name"] or fn["name"].startswith("find"):
                    found[fn["name"]] = fn
    finally:
        env.close()
    return found


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=[f"{e}{k or ''}" for e, k in CASES])
def test_every_search_tool_says_what_it_covers(env_id: str, kwargs: dict[str, Any]) -> None:
    for name, fn in search_tools(env_id, **kwargs).items():
        text = " ".join(fn["description"].split()).lower()
        required = fn["parameters"].get("required") or []
        if name.startswith("terminology"):  # codes, not patient data
            assert "patient" not in fn["parameters"].get("properties", {}), name
        elif "patient" in required:
            assert "patient's" in text or "a patient" in text or "the patient" in text, name
        elif "find patients" in text:  # a search for the patients themselves
            assert "patient" not in required, name
        else:
            assert "every patient" in text, (name, text)


def test_fhir_search_says_a_search_without_patient_covers_every_patient() -> None:
    env = medsim.make("Demo-v0")
    _, info = env.reset(seed=0)
    env.close()
    (fn,) = [s["function"] for s in info["tools"] if s["function"]["name"] == "fhir_search"]
    text = " ".join(fn["description"].split())
    assert "covers every patient in the record" in text
    assert 'give a "patient" parameter' in text
