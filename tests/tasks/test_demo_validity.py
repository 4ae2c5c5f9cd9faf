"""Issue 21 regressions on Demo-v0: the wrong notes and orders the review found are rejected, a
correct order without authoredOn is not penalised, and times are graded in the patient's zone.

Each case plays scripted actions through the real env and asserts the checkpoint status."""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from typing import Any

import pytest

from medsim.core.env import ClinicalEnv
from medsim.core.rollout import ScriptedAgent, run_episode
from medsim.registry import get_suite

RX = "http://www.nlm.nih.gov/research/umls/rxnorm"


@pytest.fixture(scope="module")
def env() -> Iterator[ClinicalEnv]:
    e = ClinicalEnv(get_suite("demo"))
    yield e
    e.close()


def play(env: ClinicalEnv, task_id: str, actions: list[Any]) -> tuple[float, dict[str, Any]]:
    res = run_episode(env, ScriptedAgent(actions, "test"), task_id=task_id, seed=0)
    grade = res.record.grade or {}
    return res.score, {k: v["status"] for k, v in (grade.get("checkpoints") or {}).items()}


def reference(env: ClinicalEnv, task_id: str) -> list[Any]:
    task = next(t for t in env.tasks if t.id == task_id)
    return copy.deepcopy(list(task.reference_solution))


# ---- demo-k-replace ----------------------------------------------------------------------------


def _kcl(actions: list[Any]) -> dict[str, Any]:
    return next(
        a["arguments"]["resource"]
        for a in actions
        if isinstance(a, dict) and a["arguments"].get("resource_type") == "MedicationRequest"
    )


def test_tid_for_five_days_fails_order_and_gate(env: ClinicalEnv) -> None:
    actions = reference(env, "demo-k-replace")
    _kcl(actions)["dosageInstruction"][0]["timing"] = {
        "repeat": {
            "frequency": 3,
            "period": 1,
            "periodUnit": "d",
            "boundsDuration": {"value": 5, "unit": "days", "code": "d"},
        }
    }
    score, status = play(env, "demo-k-replace", actions)
    assert status["kcl_order"] == "failed" and status["safe_dose"] == "failed"
    assert score == 0.0


def test_correct_order_without_authored_on_scores_one(env: ClinicalEnv) -> None:
    actions = reference(env, "demo-k-replace")
    for a in actions:
        if isinstance(a, dict) and "resource" in a["arguments"]:
            a["arguments"]["resource"].pop("authoredOn", None)
    score, status = play(env, "demo-k-replace", actions)
    assert status["kcl_order"] == "passed" and status["repeat_k"] == "passed"
    assert score == 1.0


@pytest.mark.parametrize(
    "when,verdict",
    [
        ("2025-01-16T08:00:00-05:00", "passed"),
        ("2025-01-16T13:00:00+00:00", "passed"),  # the same instant written in UTC
        ("2025-01-16T08:00:00+00:00", "failed"),  # 03:00 in Ohio
    ],
)
def test_repeat_potassium_is_graded_in_local_time(
    env: ClinicalEnv, when: str, verdict: str
) -> None:
    actions = reference(env, "demo-k-replace")
    for a in actions:
        if isinstance(a, dict) and a["arguments"].get("resource_type") == "ServiceRequest":
            a["arguments"]["resource"]["occurrenceDateTime"] = when
    _, status = play(env, "demo-k-replace", actions)
    assert status["repeat_k"] == verdict


def test_k_replace_instruction_states_the_time_zone(env: ClinicalEnv) -> None:
    task = next(t for t in env.tasks if t.id == "demo-k-replace")
    assert "UTC-05:00" in task.instruction
    assert task.now.utcoffset() is not None and task.now.utcoffset().total_seconds() == -5 * 3600


def test_wrong_dose_control_makes_one_mistake(env: ClinicalEnv) -> None:
    task = next(t for t in env.tasks if t.id == "demo-k-replace")
    control = task.negative_control("wrong_dose")
    _, status = play(env, "demo-k-replace", list(control.actions))
    assert [k for k, v in status.items() if v != "passed"] == ["kcl_order"]


# ---- demo-note-a1c -----------------------------------------------------------------------------


def _note(env: ClinicalEnv, text: str) -> list[Any]:
    actions = reference(env, "demo-note-a1c")
    for a in actions:
        if isinstance(a, dict) and a["arguments"].get("resource_type") == "DocumentReference":
            data = base64.b64encode(text.encode()).decode()
            a["arguments"]["resource"]["content"] = [
                {"attachment": {"contentType": "text/plain", "data": data}}
            ]
    return actions


@pytest.mark.parametrize(
    "text,verdict",
    [
        ("A1c 8.4 on 2024-09-09", "failed"),  # wrong date, no unit (issue 21)
        ("A1c 7.5 % (2024-09-09), previously 8.4 %", "failed"),  # superseded as current
        ("A1c 8.4 % on 2024-09-09.", "failed"),  # the unit, but the previous A1c's date
        ("A1c 8.4 on 2025-01-09.", "failed"),  # the date, but no unit
        ("A1c 8.4 mmol/mol on 2025-01-09.", "failed"),  # a unit that is not %
        ("Latest A1c 7.5 % (2024-09-09). A1c 8.4 % on 2025-01-09.", "failed"),
        ("Most recent A1c 8.4 % on 2025-01-09.", "passed"),
        ("Hemoglobin A1c 8.4% (01/09/2025), up from 7.5% on 9/9/2024.", "passed"),
        ("A1c: 8.4 % on Jan 9, 2025; previous 7.5 % on 2024-09-09.", "passed"),
    ],
)
def test_note_value_unit_date_and_supersession(env: ClinicalEnv, text: str, verdict: str) -> None:
    _, status = play(env, "demo-note-a1c", _note(env, text))
    assert status["note"] == verdict
