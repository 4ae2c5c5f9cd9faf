"""Text-protocol lines the FHIR R4 REST API has no meaning for, and ``invalid_action="end"``.

R4 http.html: update, patch and delete address one resource (``Type/id``) or search criteria
(``Type?...``); a bare ``Type`` is not a target. ``POST [base]`` takes only a transaction or batch
Bundle (http.html#transaction). Each such line must come back as an invalid action and change
nothing in the EHR. The expected outcomes are written from the specification, not from the parser.
"""

from __future__ import annotations

import json

import pytest

import medsim
from medsim.core.actions import parse_action

OBS = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
BASE = "http://localhost:8080/fhir"


@pytest.mark.parametrize(
    "line",
    [
        f"PUT {BASE}/Observation\n{json.dumps(OBS)}",
        f"PATCH {BASE}/Observation\n[]",
        f"DELETE {BASE}/Observation",
        f"PUT Observation\n{json.dumps(OBS)}",
        "DELETE Observation",
    ],
)
def test_write_on_a_bare_type_is_refused(line: str) -> None:
    parsed = parse_action(line)
    assert parsed.kind == "invalid" and parsed.calls == ()
    assert "needs an id" in (parsed.error or "")


@pytest.mark.parametrize("base", [BASE, BASE + "/"])
def test_post_of_a_resource_to_the_base_is_refused(base: str) -> None:
    parsed = parse_action(f"POST {base}\n{json.dumps(OBS)}")
    assert parsed.kind == "invalid" and parsed.calls == ()
    assert "Bundle" in (parsed.error or "")


def test_a_delete_with_an_id_is_a_request_not_a_refusal() -> None:
    """The positive twin of the refusals: the same verb with an id is a real request."""
    parsed = parse_action("DELETE Observation/abc")
    assert parsed.kind == "calls" and parsed.calls[0].name == "fhir_request"
    assert parsed.calls[0].arguments == {"method": "DELETE", "url": "Observation/abc"}


@pytest.mark.parametrize(
    "line",
    [
        f"PUT {BASE}/Observation\n{json.dumps(OBS)}",
        f"POST {BASE}\n{json.dumps(OBS)}",
        "DELETE Observation",
    ],
)
def test_refused_lines_change_nothing_in_the_ehr(line: str) -> None:
    env = medsim.make("MedAgentBench-v0")
    env.reset(seed=0)
    episode = env.unwrapped._episode
    before = len(episode.writes)
    obs, reward, terminated, truncated, info = env.step(line)
    assert obs.startswith("Invalid action")
    assert info["error"]["type"] == "invalid_action"
    assert len(episode.writes) == before and not terminated
    env.close()


def test_invalid_action_end_ends_the_episode_at_an_unreadable_action() -> None:
    env = medsim.make("MedAgentBench-v0", invalid_action="end")
    env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step("I think the answer is 42")
    assert terminated and not truncated and reward == 0.0
    assert "episode ends" in obs
    assert info["transcript"][-1]["content"] == obs
    env.close()


def test_invalid_action_end_keeps_going_after_a_tool_error() -> None:
    """A search the server rejects is the agent's normal work, not an unreadable action."""
    env = medsim.make("MedAgentBench-v0", invalid_action="end")
    env.reset(seed=0)
    obs, _, terminated, _, info = env.step(f"GET {BASE}/Observation?nonsense_param=1")
    assert info["error"] is not None and info["error"]["type"] != "invalid_action"
    assert not terminated
    env.close()


def test_original_grading_ends_at_an_invalid_action_and_fixed_does_not() -> None:
    for grading, ends in (("original", True), ("fixed", False)):
        env = medsim.make("MedAgentBench-v0", grading=grading)
        env.reset(seed=0)
        _, _, terminated, _, _ = env.step("hello")
        assert terminated is ends, grading
        env.close()


def test_invalid_action_option_is_checked() -> None:
    with pytest.raises(ValueError, match="invalid_action"):
        medsim.make("Demo-v0", invalid_action="stop")
