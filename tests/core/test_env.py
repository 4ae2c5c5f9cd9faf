"""ClinicalEnv on the fixture suite: the Gymnasium contract of DESIGN §2."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from gymnasium.utils.env_checker import check_env

from medsim.core.env import ClinicalEnv
from medsim.core.rollout import ScriptedAgent, run_episode
from medsim.core.suite import Suite

INFO_KEYS = {
    "task_id",
    "messages",
    "tools",
    "checkpoints",
    "reward_breakdown",
    "error",
    "usage",
    "transcript",
}
SEARCH_ARGS = {
    "resource_type": "Observation",
    "params": {"patient": "pat-t1", "code": "http://loinc.org|2823-3"},
}
KCL = {
    "resourceType": "MedicationRequest",
    "status": "active",
    "intent": "order",
    "medicationCodeableConcept": {
        "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "8591"}]
    },
    "subject": {"reference": "Patient/pat-t1"},
}


def roundtrip(info: dict[str, Any]) -> None:
    assert set(info) == INFO_KEYS
    assert json.loads(json.dumps(info)) == info


def test_check_env(env: ClinicalEnv) -> None:
    check_env(env, skip_render_check=True)


def test_reset_picks_task_from_seed_and_options(env: ClinicalEnv) -> None:
    ids = env.task_ids
    for seed in range(4):
        obs, info = env.reset(seed=seed)
        assert info["task_id"] == ids[seed % len(ids)]
        assert obs == env.suite.prompt(env.task)
        roundtrip(info)
    _, info = env.reset(seed=0, options={"task_id": "t-query"})
    assert info["task_id"] == "t-query"
    assert info["messages"][0] == {"role": "system", "content": "You are a test agent."}
    assert [t["function"]["name"] for t in info["tools"]] == ["fhir_search", "fhir_read", "finish"]
    with pytest.raises(ValueError, match="closest: t-query"):
        env.reset(options={"task_id": "t-qery"})


def test_three_formats_reach_same_tool_with_same_result(env: ClinicalEnv) -> None:
    actions = [
        {"name": "fhir_search", "arguments": SEARCH_ARGS},
        {
            "type": "function",
            "function": {"name": "fhir_search", "arguments": json.dumps(SEARCH_ARGS)},
        },
        json.dumps({"name": "fhir_search", "arguments": SEARCH_ARGS}),
        "GET http://localhost:8080/fhir/Observation?patient=pat-t1&code=http://loinc.org|2823-3",
        "GET Observation?patient=pat-t1&code=http%3A%2F%2Floinc.org%7C2823-3&_format=json",
    ]
    observations = []
    for action in actions:
        env.reset(options={"task_id": "t-query"})
        obs, _, _, _, info = env.step(action)
        assert info["error"] is None
        call = env.record.tool_calls[0]
        assert (call.name, call.arguments) == ("fhir_search", SEARCH_ARGS)
        observations.append(obs)
    assert len(set(observations)) == 1 and '"total": 3' in observations[0]


def test_invalid_and_plain_text_actions_count_and_explain(env: ClinicalEnv) -> None:
    env.reset(options={"task_id": "t-query"})
    for step, (action, kind) in enumerate(
        [
            ("hello there", "plain_text"),
            ("{broken", "invalid_action"),
            ({"name": "nope", "arguments": {}}, "unknown_tool"),
            (
                {"name": "fhir_create", "arguments": {"resource_type": "Patient", "resource": {}}},
                "tool_not_allowed",
            ),
            ({"name": "fhir_search", "arguments": {"resource_type": 5}}, "invalid_arguments"),
            (
                {"name": "fhir_read", "arguments": {"resource_type": "Patient", "id": "ghost"}},
                "fhir_error",
            ),
        ],
        start=1,
    ):
        obs, reward, term, trunc, info = env.step(action)
        assert info["error"]["type"] == kind, (action, info["error"])
        assert obs and env.record.steps == step
        roundtrip(info)
        if step < 6:
            assert not term and not trunc
    assert trunc and not term  # max_steps 6 reached


def test_finish_terminates_and_grades(env: ClinicalEnv) -> None:
    env.reset(options={"task_id": "t-query"})
    env.step({"name": "fhir_search", "arguments": SEARCH_ARGS})
    obs, reward, term, trunc, info = env.step('FINISH([3.2, "2024-03-14T06:00:00+00:00"])')
    assert term and not trunc and reward == 1.0
    assert env.record.answer == [3.2, "2024-03-14T06:00:00+00:00"]
    assert {v["status"] for v in info["checkpoints"].values()} == {"passed"}
    assert info["reward_breakdown"]["score"] == 1.0
    assert env.record.grade is not None and env.record.grade["score"] == 1.0
    obs, reward, term2, trunc2, info = env.step("anything")  # after the end: explained, no crash
    assert info["error"]["type"] == "episode_over" and reward == 0.0 and term2


def test_calls_after_finish_in_one_message_do_not_run(env: ClinicalEnv) -> None:
    env.reset(options={"task_id": "t-order"})
    msg = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "1",
                "type": "function",
                "function": {"name": "finish", "arguments": '{"answer": "x"}'},
            },
            {
                "id": "2",
                "type": "function",
                "function": {
                    "name": "fhir_create",
                    "arguments": json.dumps(
                        {"resource_type": "MedicationRequest", "resource": KCL}
                    ),
                },
            },
        ],
    }
    obs, _, term, _, info = env.step(msg)
    assert term and env.fhir.writes == [] and "Not run" in obs
    assert [m["role"] for m in info["messages"][-3:]] == ["assistant", "tool", "tool"]


def test_writes_are_recorded_with_step(env: ClinicalEnv) -> None:
    env.reset(options={"task_id": "t-order"})
    env.step({"name": "fhir_search", "arguments": SEARCH_ARGS})
    env.step("POST http://localhost:8080/fhir/MedicationRequest\n" + json.dumps(KCL))
    rec = env.record
    assert (
        len(rec.writes) == 1 and rec.writes[0]["step"] == 2 and rec.writes[0]["method"] == "create"
    )
    assert rec.tool_calls[1].write_seqs == [rec.writes[0]["seq"]]
    env.reset(options={"task_id": "t-order"})
    assert env.fhir.writes == [] and env.record.writes == []  # reset drops the layer


def test_dense_rewards_sum_to_sparse_score(make_env: Callable[..., ClinicalEnv]) -> None:
    for task in make_env().tasks:
        for actions in [task.reference_solution] + [c.actions for c in task.negative_controls]:
            totals = []
            for mode in ("sparse", "dense"):
                res = run_episode(make_env(reward=mode), ScriptedAgent(actions), task_id=task.id)
                totals.append((res.total_reward, res.score))
            (sparse_total, sparse_score), (dense_total, dense_score) = totals
            assert sparse_total == pytest.approx(sparse_score) == pytest.approx(dense_score)
            assert dense_total == pytest.approx(dense_score)


def test_determinism_same_seed_same_transcript(make_env: Callable[..., ClinicalEnv]) -> None:
    runs = []
    for _ in range(2):
        env = make_env()
        out = []
        for seed in range(3):
            task = env.tasks[seed % len(env.tasks)]
            res = run_episode(env, ScriptedAgent(task.reference_solution), seed=seed)
            out.append((res.record.model_dump(mode="json"), res.rewards))
        runs.append(out)
    assert runs[0] == runs[1]


def test_tool_output_truncated_with_note(make_env: Callable[..., ClinicalEnv]) -> None:
    env = make_env(tool_output_limit=500)
    env.reset(options={"task_id": "t-query"})
    obs, *_, info = env.step(
        {
            "name": "fhir_search",
            "arguments": {
                "resource_type": "Observation",
                "params": {"patient": "pat-t2", "_count": "50"},
            },
        }
    )
    assert (
        obs.startswith('{"resourceType": "Bundle"') and "[output truncated: showing 500 of" in obs
    )
    assert len(obs) < 800
    assert env.record.tool_calls[0].result["total"] == 61  # the record keeps the full result
    assert info["messages"][-1]["content"] == obs


def test_step_and_token_budgets_truncate(make_env: Callable[..., ClinicalEnv]) -> None:
    env = make_env(max_steps=2)
    env.reset(options={"task_id": "t-query"})
    assert env.step("GET Patient/pat-t1")[2:4] == (False, False)
    obs, reward, term, trunc, info = env.step("GET Patient/pat-t1")
    assert (term, trunc) == (False, True) and env.record.truncated and env.record.grade is not None
    env = make_env(max_tokens=10)
    env.reset(options={"task_id": "t-query"})
    assert env.step("GET Patient/pat-t1")[3] is False  # ~5 tokens
    obs, reward, term, trunc, info = env.step("GET Observation?patient=pat-t1&code=2823-3")
    assert (
        trunc
        and info["error"]["type"] == "token_budget"
        and env.record.tool_calls[-1].name == "fhir_read"
    )


def test_plain_text_as_answer_policy(make_env: Callable[..., ClinicalEnv]) -> None:
    env = make_env(plain_text="answer")
    env.reset(options={"task_id": "t-query"})
    obs, reward, term, trunc, info = env.step("Potassium 3.2 mmol/L")
    assert term and env.record.answer == "Potassium 3.2 mmol/L"


def test_render_modes(
    make_env: Callable[..., ClinicalEnv], capsys: pytest.CaptureFixture[str]
) -> None:
    env = make_env(render_mode="ansi")
    env.reset(options={"task_id": "t-query"})
    env.step({"name": "fhir_read", "arguments": {"resource_type": "Patient", "id": "pat-t1"}})
    text = env.render()
    assert isinstance(text, str) and "[assistant] -> fhir_read(" in text and "[tool] {" in text
    human = make_env(render_mode="human")
    human.reset(options={"task_id": "t-query"})
    assert human.render() is None and "[user] What is the most recent" in capsys.readouterr().out


def test_bad_constructor_arguments(suite: Suite) -> None:
    with pytest.raises(ValueError, match="reward"):
        ClinicalEnv(suite, reward="shaped")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no tasks"):
        ClinicalEnv(suite, split="train")
    with pytest.raises(ValueError, match="max_steps"):
        ClinicalEnv(suite, max_steps=0)


def test_medagentbench_text_style(make_env: Callable[..., ClinicalEnv]) -> None:
    env = make_env(text_style="medagentbench")
    env.reset(options={"task_id": "t-order"})
    obs, *_ = env.step("GET Patient?_id=pat-t1")
    assert obs.startswith("Here is the response from the GET request:\n{") and "call FINISH" in obs
    obs, *_ = env.step("POST MedicationRequest\n" + json.dumps(KCL))
    assert obs.startswith("POST request accepted and executed successfully.")
    assert len(env.fhir.writes) == 1  # executed, unlike MedAgentBench's recorded-only POSTs
    obs, *_ = env.step("GET Patient?bogus=1")
    assert obs.startswith("Invalid GET request. Error: HTTP 400")
    obs, *_ = env.step("GET Patient/pat-t1")  # fhir_read is not among this task's tools
    assert obs.startswith("Invalid GET request. Error: tool 'fhir_read' is not available")
    # JSON tool calls keep the plain JSON observation
    obs, *_ = env.step({"name": "fhir_search", "arguments": {"resource_type": "Patient"}})
    assert obs.startswith('{"resourceType": "Bundle"')
