"""``medsim.make_vec`` keeps each sub-env's ``info["checkpoints"]`` whole (issue 19).

Sub-envs run different tasks with different checkpoint ids, so the vector info holds one
checkpoint dict per sub-env (an object array, beside the usual ``_checkpoints`` mask) instead of
Gymnasium's field-by-field merge; every other key is merged by Gymnasium as before. A single env
keeps its plain-JSON ``info["checkpoints"]``.
"""

from __future__ import annotations

import json
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import medsim
from medsim.grading.record import EpisodeRecord
from medsim.grading.score import checkpoint_status

TASKS = ("demo-k-latest", "demo-k-replace", "demo-note-a1c")


def potassium_search(patient: str) -> str:
    params = {"patient": patient, "code": "http://loinc.org|2823-3", "_sort": "-date"}
    call = {"name": "fhir_search", "arguments": {"resource_type": "Observation", "params": params}}
    return json.dumps(call)


def single_run(task_id: str, actions: list[str]) -> list[dict[str, Any]]:
    """``info["checkpoints"]`` of a single env at reset and after each action."""
    env = medsim.make("Demo-v0", max_steps=20)
    try:
        _, info = env.reset(options={"task_id": task_id})
        seen = [info["checkpoints"]]
        for action in actions:
            seen.append(env.step(action)[4]["checkpoints"])
        return seen
    finally:
        env.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_vector_info_holds_each_sub_envs_checkpoints_whole(mode: str) -> None:
    single = medsim.make("Demo-v0")
    single.reset(options={"task_id": "demo-k-latest"})
    action = potassium_search(single.unwrapped.task.patient)  # type: ignore[attr-defined]
    single.close()
    expected = single_run("demo-k-latest", [action])
    envs = medsim.make_vec("Demo-v0", num_envs=3, vectorization_mode=mode, max_steps=20)
    try:
        _, infos = envs.reset(options={"task_id": "demo-k-latest"})
        assert infos["checkpoints"].dtype == object and infos["checkpoints"].shape == (3,)
        assert infos["_checkpoints"].tolist() == [True] * 3
        assert list(infos["checkpoints"]) == [expected[0]] * 3
        *_, infos = envs.step((action,) * 3)
        assert list(infos["checkpoints"]) == [expected[1]] * 3
        assert infos["checkpoints"][0]["retrieved"]["status"] == "passed"
        # the other keys are still merged by Gymnasium: numbers become arrays
        tokens = infos["usage"]["action_tokens"]
        assert (
            isinstance(tokens, np.ndarray) and tokens.tolist() == [tokens[0]] * 3 and tokens[0] > 0
        )
    finally:
        envs.close()


def test_sub_envs_on_different_tasks_keep_their_own_checkpoint_ids() -> None:
    envs = medsim.make_vec("Demo-v0", num_envs=3, vectorization_mode="sync", max_steps=20)
    try:
        envs.reset(seed=0)
        for sub, task_id in zip(envs.envs, TASKS, strict=True):  # type: ignore[attr-defined]
            sub.reset(options={"task_id": task_id})
        patient = envs.envs[0].unwrapped.task.patient  # type: ignore[attr-defined]
        action = potassium_search(patient)
        *_, infos = envs.step((action,) * 3)
        for i, task_id in enumerate(TASKS):
            assert infos["checkpoints"][i] == single_run(task_id, [action])[1], task_id
        ids = [sorted(c) for c in infos["checkpoints"]]
        assert ids[0] != ids[1] != ids[2]  # different tasks, different checkpoints
        assert "retrieved" not in infos  # nothing was merged field by field
    finally:
        envs.close()


def test_plain_gymnasium_make_vec_still_merges_field_by_field() -> None:
    """Only ``medsim.make_vec`` changes the batching; Gymnasium's own keeps its shape."""
    envs = gym.make_vec("medsim/Demo-v0", num_envs=2, vectorization_mode="sync")
    try:
        _, infos = envs.reset(options={"task_id": "demo-k-latest"})
        assert isinstance(infos["checkpoints"], dict)
        assert infos["checkpoints"]["retrieved"]["status"].tolist() == ["failed", "failed"]
    finally:
        envs.close()


def test_single_env_checkpoints_stay_plain_json() -> None:
    env = medsim.make("Demo-v0")
    try:
        _, info = env.reset(options={"task_id": "demo-k-latest"})
        assert type(info["checkpoints"]) is dict
        assert json.loads(json.dumps(info)) == info
        assert info["checkpoints"]["retrieved"]["status"] == "failed"
    finally:
        env.close()


def test_status_at_reset_is_fresh_for_every_episode_of_a_task() -> None:
    """The reset status is reused across episodes of one task; it must still be what a full
    evaluation of the new, empty episode gives, whatever the previous episode passed."""
    env = medsim.make("Demo-v0", max_steps=20)
    inner = env.unwrapped
    try:
        _, info = env.reset(options={"task_id": "demo-k-latest"})
        action = potassium_search(inner.task.patient)  # type: ignore[attr-defined]
        first = info["checkpoints"]
        info = env.step(action)[4]
        assert info["checkpoints"]["retrieved"]["status"] == "passed"
        for _ in range(3):
            _, info = env.reset(options={"task_id": "demo-k-latest"})
            full = checkpoint_status(
                inner.task,  # type: ignore[attr-defined]
                inner.record,  # type: ignore[attr-defined]
                inner.fhir,  # type: ignore[attr-defined]
                final=False,
            )
            assert info["checkpoints"] == first == {k: dict(v) for k, v in full.items()}
            assert info["checkpoints"]["retrieved"]["status"] == "failed"
            # later steps are graded incrementally from it, never from the previous episode
            for other in ("{oops", action.replace("2823-3", "2951-2")):  # sodium, not potassium
                info = env.step(other)[4]
                assert info["checkpoints"]["retrieved"]["status"] == "failed", other
            info = env.step(action)[4]
            assert info["checkpoints"]["retrieved"]["status"] == "passed"
    finally:
        env.close()


def test_recorded_tool_calls_round_trip() -> None:
    """Tool calls are recorded without re-validation; the record must still load as saved."""
    env = medsim.make("Demo-v0", max_steps=20)
    try:
        env.reset(options={"task_id": "demo-k-latest"})
        env.step(potassium_search(env.unwrapped.task.patient))  # type: ignore[attr-defined]
        env.step('{"name": "fhir_read", "arguments": {"resource_type": "Patient", "id": 7}}')
        record = env.unwrapped.record  # type: ignore[attr-defined]
        again = EpisodeRecord.model_validate_json(record.model_dump_json())
        assert again == record
        assert [c.step for c in again.tool_calls] == [1, 2]
        assert again.tool_calls[1].error is not None
    finally:
        env.close()
