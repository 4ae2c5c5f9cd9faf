"""medsim rewards for completion-scoring trainers, and the TRL GRPO example (one short step)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from medsim.train.rewards import CompletionReward, completion_text

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "trl_grpo.py"


def test_completion_reward_grades_each_completion_on_its_task() -> None:
    reward = CompletionReward("Demo-v0")
    right = 'FINISH([3.1, "2025-01-15T06:00:00+00:00"])'
    wrong = 'FINISH([4.4, "2025-01-15T06:00:00+00:00"])'
    scores = reward(
        prompts=[None] * 3,
        completions=[right, [{"role": "assistant", "content": wrong}], "hello"],
        task_id=["demo-k-latest"] * 3,
    )
    # the right answer without the chart search: value and time pass, "retrieved" does not
    assert 0.5 < scores[0] < 1.0
    assert scores[1] < scores[0]
    assert scores[2] == 0.0
    with pytest.raises(TypeError):
        completion_text(3)


def test_trl_grpo_example_runs_a_step() -> None:
    pytest.importorskip("trl", reason="the train extra")
    spec = importlib.util.spec_from_file_location("trl_grpo", EXAMPLE)
    assert spec and spec.loader
    module: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    history = module.main(["--steps", "1", "--generations", "2", "--max-completion-length", "8"])
    steps = [h for h in history if "reward" in h]
    assert len(steps) == 1 and steps[0]["step"] == 1
    assert "rewards/medsim:Demo-v0/mean" in steps[0]
    assert 0.0 <= steps[0]["reward"] <= 1.0
