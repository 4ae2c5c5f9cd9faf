"""The oracle replays reference solutions (score 1.0); the random agent never breaks the env."""

from __future__ import annotations

import json

from medsim.agents.oracle import OracleAgent
from medsim.agents.random_agent import RandomAgent
from medsim.core.env import ClinicalEnv
from medsim.core.rollout import run_episode


def test_oracle_scores_one_and_controls_lower(env: ClinicalEnv) -> None:
    for task in env.tasks:
        assert run_episode(env, OracleAgent(task), task_id=task.id).score == 1.0
        for control in task.negative_controls:
            res = run_episode(
                env, OracleAgent.negative_control(task, control.name), task_id=task.id
            )
            assert res.score <= control.max_score and res.score < 1.0


def test_oracle_act_sequence(env: ClinicalEnv) -> None:
    task = env.tasks[0]
    agent = OracleAgent(task)
    actions = [agent.act("", {}) for _ in range(len(task.reference_solution) + 1)]
    assert actions[:-1] == task.reference_solution
    assert actions[-1] == {"name": "finish", "arguments": {"answer": None}}  # script exhausted


def test_random_agent_runs_whole_episodes(env: ClinicalEnv) -> None:
    agent = RandomAgent(env.action_space, seed=0)
    for seed in range(6):
        res = run_episode(env, agent, seed=seed)
        assert res.terminated or res.truncated
        assert env.fhir.writes == []  # sampled actions are read-only
        json.dumps(res.last_info)
