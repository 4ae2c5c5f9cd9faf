"""The original rules and the fixed ones on hand-written episodes (expected verdicts written
here from MedAgentBench's refsol rules, not computed by the grader under test)."""

from __future__ import annotations

import json

import pytest

import medsim
from medsim.core.rollout import ScriptedAgent, run_episode
from medsim.environments.medagentbench import SUITE
from tests.medagentbench.test_pass_payloads import mg_body, referral_body

BASE = "http://localhost:8080/fhir/"


def _task(category: str, branch: str):
    return next(
        t
        for t in SUITE.tasks()
        if t.split == "test"
        and f"mab:{category}" in t.metadata.tags
        and f"branch:{branch}" in t.metadata.tags
    )


def _mg_value(task) -> float:
    recent = [r for r in task.overlay if r["effectiveDateTime"] >= "2023-11-12T10:15:00+00:00"]
    return max(recent, key=lambda r: r["effectiveDateTime"])["valueQuantity"]["value"]


def _mg_order(mrn: str, route, grams: float) -> str:
    body = mg_body(mrn, grams, grams)
    body["dosageInstruction"][0]["route"] = route
    return f"POST {BASE}MedicationRequest\n{json.dumps(body)}"


def _score(task, actions, **kwargs) -> float:
    env = medsim.make("MedAgentBench-v0", **kwargs).unwrapped
    return run_episode(env, ScriptedAgent(actions), task_id=task.id, seed=0).score


@pytest.mark.parametrize(
    ("route", "post_mode", "grading", "expected"),
    [
        ("IV", "record", "original", 1.0),  # the original's own payload form
        ("IV", "record", "fixed", 1.0),  # still accepted by the fixed rules
        ({"text": "IV"}, "record", "original", 0.0),  # issue #8: the R4 form fails the original
        ({"text": "IV"}, "record", "fixed", 1.0),
        ({"text": "IV"}, "execute", "fixed", 1.0),
        (
            {"coding": [{"system": "http://snomed.info/sct", "code": "47625008"}]},
            "execute",
            "fixed",
            1.0,
        ),
        (
            "IV",
            "execute",
            "fixed",
            0.0,
        ),  # a bare-string route is invalid R4: refused, nothing ordered
    ],
)
def test_route_forms(route, post_mode: str, grading: str, expected: float) -> None:
    task = _task("task5", "moderate")
    value = _mg_value(task)
    assert 1.0 <= value < 1.5  # MedAgentBench's moderate tier: 2 g over 2 h
    actions = [_mg_order(task.patient, route, 2), f"FINISH([{value}])"]
    assert _score(task, actions, post_mode=post_mode, grading=grading) == expected


def test_referral_note_as_object_or_list() -> None:
    task = _task("task8", "default")
    sbar = task.checkpoints[0].params["comment"]
    body = {k: v for k, v in referral_body(task.patient).items() if k != "note"}
    as_object = [
        f"POST {BASE}ServiceRequest\n" + json.dumps({**body, "note": {"text": sbar}}),
        "FINISH([])",
    ]
    as_list = [
        f"POST {BASE}ServiceRequest\n" + json.dumps({**body, "note": [{"text": sbar}]}),
        "FINISH([])",
    ]
    assert _score(task, as_object, post_mode="record", grading="original") == 1.0
    assert _score(task, as_list, post_mode="record", grading="original") == 0.0
    assert _score(task, as_list, post_mode="record") == 1.0
    assert _score(task, as_list) == 1.0  # executed: a valid R4 note list
    assert _score(task, as_object) == 0.0  # executed: invalid R4, refused


def test_the_word_post_does_not_fail_a_query_in_fixed_mode() -> None:
    task = _task("task2", "default")
    words = "I will not POST anything; the age follows."
    env = medsim.make("MedAgentBench-v0").unwrapped
    env.reset(options={"task_id": task.id})
    patient = env.fhir.read("Patient", task.patient)
    y, m, d = (int(x) for x in patient["birthDate"].split("-"))
    age = 2023 - y - (1 if (m, d) > (11, 13) else 0)
    actions = [words, f"FINISH([{age}])"]
    assert _score(task, actions) == 1.0
    assert _score(task, actions, grading="original") == 0.0
    assert _score(task, [f"FINISH([{age + 1}])"]) == 0.0


def test_record_mode_changes_nothing_and_says_so() -> None:
    task = _task("task3", "default")
    env = medsim.make("MedAgentBench-v0", post_mode="record").unwrapped
    env.reset(options={"task_id": task.id})
    before = env.fhir.search("Observation", {"patient": task.patient, "_summary": "count"})["total"]
    obs, *_ = env.step(task.reference_solution[0])
    assert obs.startswith("POST request accepted") and "not executed" in obs
    after = env.fhir.search("Observation", {"patient": task.patient, "_summary": "count"})["total"]
    assert before == after and env.fhir.writes == []


def test_unfinished_episode_fails() -> None:
    """The right POST, then no FINISH until the 8-step budget runs out: MedAgentBench grades
    only finished episodes."""
    task = _task("task3", "default")
    env = medsim.make("MedAgentBench-v0").unwrapped
    env.reset(options={"task_id": task.id})
    _, reward, term, trunc, _ = env.step(task.reference_solution[0])
    steps = 1
    while not (term or trunc):
        _, reward, term, trunc, _ = env.step("let me think")
        steps += 1
    assert (steps, trunc, reward) == (8, True, 0.0)


def test_two_orders_in_either_order_only_in_fixed_mode() -> None:
    task = _task("task9", "low")
    ref = task.reference_solution
    swapped = [ref[0], ref[2], ref[1], ref[3]]
    assert _score(task, swapped) == 1.0
    assert _score(task, swapped, post_mode="record", grading="original") == 0.0


@pytest.mark.parametrize("post_mode", ["execute", "record"])
def test_saved_episode_regrades_to_the_same_score(tmp_path, post_mode: str) -> None:
    """``medsim grade`` rebuilds the chart and imports the suite's grader; a saved reference
    episode keeps its 1.0 and a saved wrong-tier episode its 0."""
    import argparse

    from medsim.cli.grade_cmd import regrade
    from medsim.grading.record import EpisodeRecord

    task = _task("task5", "severe")
    env = medsim.make("MedAgentBench-v0", post_mode=post_mode).unwrapped
    args = argparse.Namespace(no_store=False, fhir="embedded", data=None)
    for actions, want in (
        (task.reference_solution, 1.0),
        (task.negative_control("wrong_tier").actions, 0.0),
    ):
        res = run_episode(env, ScriptedAgent(actions), task_id=task.id, seed=0)
        path = res.record.save(tmp_path / f"{want}.json")
        out = regrade(path, EpisodeRecord.load(path), args)
        assert (out["saved_score"], out["score"]) == (want, want)


def test_a_post_the_ehr_refused_is_not_an_order_in_fixed_mode() -> None:
    """Fixed rules read the orders from the EHR: a POST the server refused (400, an invalid
    resource) created nothing, so a query task answered right still passes; the original rules
    read the transcript and fail it (refsol: any POST fails a task that needs no order)."""
    task = _task("task2", "default")
    env = medsim.make("MedAgentBench-v0").unwrapped
    env.reset(options={"task_id": task.id})
    patient = env.fhir.read("Patient", task.patient)
    y, m, d = (int(x) for x in patient["birthDate"].split("-"))
    age = 2023 - y - (1 if (m, d) > (11, 13) else 0)
    refused = f"POST {BASE}Observation\n" + json.dumps(
        {"resourceType": "Observation", "status": "banana"}
    )
    actions = [refused, f"FINISH([{age}])"]
    assert _score(task, actions, post_mode="execute") == 1.0
    assert _score(task, actions, post_mode="execute", grading="original") == 0.0
