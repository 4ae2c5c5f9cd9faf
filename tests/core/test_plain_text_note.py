"""The first observation of every suite says what plain text will do, and does what it says."""

from __future__ import annotations

import pytest

import medsim


@pytest.mark.parametrize("env_id", sorted(medsim.list_envs()))
def test_first_observation_says_what_plain_text_does(env_id: str) -> None:
    env = medsim.make(env_id)
    try:
        obs, _ = env.reset(seed=0)
        reply, _, terminated, _, info = env.step("I think the answer is 42.")
    finally:
        env.close()
    if "final answer" in obs.splitlines()[-1]:
        assert terminated and info["error"] is None
    elif "said to the patient" in obs.splitlines()[-1]:  # dialogue suites: the patient answers
        assert not terminated and info["error"] is None
        assert reply and not reply.startswith("Invalid action")
    else:
        assert "Plain text is not an action here" in obs.splitlines()[-1]
        assert not terminated and info["error"]["type"] == "plain_text"


def test_answer_policy_without_finish_says_error(suite: object) -> None:
    from medsim.core.observe import plain_text_note

    assert "final answer" in plain_text_note("answer", finish_available=True)
    assert "not an action" in plain_text_note("answer", finish_available=False)
    assert "patient" in plain_text_note("patient", finish_available=True)
