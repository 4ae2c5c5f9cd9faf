"""Lean info: per step only the new transcript messages; tools at reset; the whole transcript
on the last step. Appending every info's messages rebuilds the record's transcript."""

from __future__ import annotations

import json

from medsim.core.env import ClinicalEnv

SEARCH = {
    "name": "fhir_search",
    "arguments": {"resource_type": "Observation", "params": {"patient": "pat-t1"}},
}


def test_info_carries_only_what_is_new(env: ClinicalEnv) -> None:
    _, info = env.reset(options={"task_id": "t-query"})
    assert [m["role"] for m in info["messages"]] == ["system", "user"]
    assert info["tools"] and info["transcript"] is None
    seen = list(info["messages"])
    sizes = []
    for _ in range(3):
        *_, info = env.step(SEARCH)
        assert [m["role"] for m in info["messages"]] == ["assistant", "tool"]
        assert info["tools"] is None and info["transcript"] is None
        seen += info["messages"]
        sizes.append(len(json.dumps(info)))
    assert max(sizes) - min(sizes) < 200  # does not grow with the episode
    *_, term, _, info = env.step("GET Patient/pat-t1")  # a text action: assistant + user reply
    assert [m["role"] for m in info["messages"]] == ["assistant", "user"]
    seen += info["messages"]
    *_, term, _, info = env.step({"name": "finish", "arguments": {"answer": [1]}})
    assert term
    seen += info["messages"]
    assert seen == env.record.messages == info["transcript"]
    *_, info = env.step(SEARCH)  # episode over: nothing new, the transcript again
    assert info["messages"] == [] and info["transcript"] == env.record.messages
    assert info["error"]["type"] == "episode_over"
