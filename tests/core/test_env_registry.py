"""Registration: ids in Gymnasium on import, make/make_vec, helpful errors, check_env on every id."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import medsim
from medsim.registry import ENVS, UnknownEnvError, get_suite


def test_every_id_is_registered_in_gymnasium() -> None:
    envs = medsim.list_envs()
    assert "Demo-v0" in envs and all(isinstance(d, str) and d for d in envs.values())
    for env_id in envs:
        assert f"medsim/{env_id}" in gym.registry


def test_unknown_id_names_closest() -> None:
    with pytest.raises(UnknownEnvError, match="Did you mean: Demo-v0"):
        medsim.make("Demo-v1")
    with pytest.raises(UnknownEnvError, match="Known ids"):
        medsim.make_vec("Nothing-like-it", num_envs=2)


def test_registry_points_at_suites_by_name() -> None:
    for entry in ENVS:
        assert ":" in entry.entry_point and entry.entry_point.startswith("medsim.environments.")
    assert get_suite("demo").name == "demo" and get_suite("Demo-v0").name == "demo"
    with pytest.raises(UnknownEnvError, match="unknown suite"):
        get_suite("nope")


def test_import_is_light() -> None:
    code = (
        "import sys, medsim; heavy = [m for m in ('medsim.core.env', 'medsim.fhir', 'medsim.grading', "
        "'medsim.environments.demo', 'pydantic') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("env_id", sorted(medsim.list_envs()))
def test_check_env_on_every_registered_id(env_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    env = gym.make(f"medsim/{env_id}")
    try:
        check_env(env.unwrapped)  # including the render checks ("human" prints the transcript)
    finally:
        env.close()
    assert "[user]" in capsys.readouterr().out


def test_make_and_make_vec_demo() -> None:
    env = medsim.make("Demo-v0", max_steps=3)
    obs, info = env.reset(seed=0)
    assert isinstance(obs, str) and info["task_id"] in env.unwrapped.task_ids  # type: ignore[attr-defined]
    env.close()
    for mode in ("sync", "async"):
        envs = medsim.make_vec("Demo-v0", num_envs=2, vectorization_mode=mode)
        obs, info = envs.reset(seed=0)
        assert len(obs) == 2 and all(isinstance(o, str) for o in obs)
        envs.close()
