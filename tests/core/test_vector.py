"""Vector envs (sync and async): text observations batch, sub-envs never see each other's writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest

from medsim.core.env import ClinicalEnv
from medsim.core.suite import Suite

TEST_ID = "medsim-test/Fixture-v0"
KCL = {
    "resourceType": "MedicationRequest",
    "status": "active",
    "intent": "order",
    "medicationCodeableConcept": {
        "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "8591"}]
    },
    "subject": {"reference": "Patient/pat-t1"},
}
WRITE = {
    "name": "fhir_create",
    "arguments": {"resource_type": "MedicationRequest", "resource": KCL},
}
READ = {
    "name": "fhir_search",
    "arguments": {"resource_type": "MedicationRequest", "params": {"patient": "pat-t1"}},
}


FIXTURES = Path(__file__).parent / "fixtures"


def make_fixture_env(**kwargs: Any) -> ClinicalEnv:
    suite = Suite(
        name="fixture", tasks_dir=FIXTURES / "tasks", data=lambda: FIXTURES / "ehr.ndjson"
    )
    return ClinicalEnv(suite, **kwargs)


@pytest.fixture(scope="module", autouse=True)
def registered() -> None:
    if TEST_ID not in gym.registry:
        gym.register(TEST_ID, entry_point=make_fixture_env)


def total(obs: str) -> int:
    return int(json.loads(obs)["total"])


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_sub_envs_are_isolated(mode: str) -> None:
    vector_kwargs = {"shared_memory": False} if mode == "async" else {}
    envs = gym.make_vec(TEST_ID, num_envs=2, vectorization_mode=mode, vector_kwargs=vector_kwargs)
    try:
        obs, info = envs.reset(seed=0, options={"task_id": "t-order"})
        assert (
            isinstance(obs, tuple) and obs[0] == obs[1] and list(info["task_id"]) == ["t-order"] * 2
        )
        obs, rewards, term, trunc, info = envs.step((json.dumps(WRITE), json.dumps(READ)))
        assert info["error"][0] is None and total(obs[1]) == 0
        obs, rewards, term, trunc, info = envs.step((json.dumps(READ), json.dumps(READ)))
        assert (total(obs[0]), total(obs[1])) == (1, 0)
    finally:
        envs.close()


def test_async_action_space_samples() -> None:
    envs = gym.make_vec(
        TEST_ID, num_envs=2, vectorization_mode="async", vector_kwargs={"shared_memory": False}
    )
    try:
        envs.reset(seed=1)
        envs.action_space.seed(3)
        obs, *_ = envs.step(envs.action_space.sample())
        assert all(isinstance(o, str) for o in obs)
    finally:
        envs.close()
