"""Incremental live checkpoints (issue 19) give exactly what re-running every grader gives.

Two envs of the same suite step through the same random action sequence: one re-evaluates only
the checkpoints whose declared dependencies a step touched (the default), the other re-runs every
grader every step (``scorer.incremental = False``). Rewards (dense), ``info["checkpoints"]``,
the reward breakdown and the final grade must agree at every step. The actions are drawn from the
task's reference solution and negative controls (so checkpoints really pass and fail, writes and
answers happen), random valid tool calls from the action space (reads and writes) and bad input.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import medsim
from medsim.core.env import ClinicalEnv
from medsim.grading.checkpoints.depends import ANY, Depends, EventCursor, Events
from medsim.grading.record import EpisodeRecord, ToolCall

SUITES = ("Demo-v0", "MedCalc-EHR-v0", "MedAgentBench-v0", "PhysicianBench-v0", "Dialogue-v0")
ODD = ("{oops", "just some text", '{"name": "no_such_tool", "arguments": {}}')


@pytest.fixture(scope="module", params=SUITES)
def pair(request: pytest.FixtureRequest) -> Iterator[tuple[ClinicalEnv, ClinicalEnv]]:
    envs = []
    for incremental in (True, False):
        env = medsim.make(request.param, reward="dense", max_steps=40, sample_writes=True)
        env.unwrapped.scorer.incremental = incremental  # type: ignore[attr-defined]
        envs.append(env)
    yield envs[0].unwrapped, envs[1].unwrapped  # type: ignore[return-value]
    for env in envs:
        env.close()


def _pool(env: ClinicalEnv, task_id: str) -> list[Any]:
    task = next(t for t in env.tasks if t.id == task_id)
    pool: list[Any] = list(task.reference_solution)
    for control in task.negative_controls:
        pool.extend(control.actions)
    return pool + list(ODD)


def _comparable(env: ClinicalEnv, info: dict[str, Any]) -> tuple[Any, ...]:
    # the live status itself too: on the last step info shows the final grade instead
    return env.scorer._status, info["checkpoints"], info["reward_breakdown"], info["error"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_incremental_and_full_evaluation_agree(
    pair: tuple[ClinicalEnv, ClinicalEnv], data: st.DataObject
) -> None:
    inc, full = pair
    task_id = data.draw(st.sampled_from(sorted(inc.task_ids)), label="task")
    pool = _pool(inc, task_id)
    picks = data.draw(
        st.lists(
            st.one_of(
                st.integers(0, len(pool) - 1),
                st.integers(0, 10**6).map(lambda seed: ("sample", seed)),
            ),
            min_size=1,
            max_size=14,
        ),
        label="actions",
    )
    obs_a, info_a = inc.reset(options={"task_id": task_id})
    obs_b, info_b = full.reset(options={"task_id": task_id})
    assert _comparable(inc, info_a) == _comparable(full, info_b)
    for pick in picks:
        if isinstance(pick, tuple):
            inc.action_space.seed(pick[1])
            action: Any = inc.action_space.sample()
        else:
            action = pool[pick]
        a = inc.step(action)
        b = full.step(action)
        assert a[1] == b[1], f"reward differs after {action!r}"
        assert a[2:4] == b[2:4]
        assert _comparable(inc, a[4]) == _comparable(full, b[4]), f"differs after {action!r}"
        if a[2] or a[3]:
            break
    assert inc.record.grade == full.record.grade


def test_reference_solution_pays_the_same_dense_rewards(
    pair: tuple[ClinicalEnv, ClinicalEnv],
) -> None:
    """Every task's reference run: the same rewards step by step, and they sum to 1.0."""
    inc, full = pair
    for task in inc.tasks[:20]:
        inc.reset(options={"task_id": task.id})
        full.reset(options={"task_id": task.id})
        totals = [0.0, 0.0]
        for action in task.reference_solution:
            a, b = inc.step(action), full.step(action)
            assert a[1] == b[1], task.id
            assert _comparable(inc, a[4]) == _comparable(full, b[4]), task.id
            totals[0] += a[1]
            totals[1] += b[1]
            if a[2] or a[3]:
                break
        assert totals[0] == pytest.approx(1.0), task.id
        assert totals[1] == pytest.approx(1.0), task.id


# ---- the dependency declarations and the event cursor on their own ----------------------------


def test_depends_touched_by() -> None:
    search = Events(calls=frozenset({"fhir_search"}))
    order = Events(writes=frozenset({"MedicationRequest"}))
    answer = Events(answer=True)
    assert Depends(calls=".*").touched_by(search)
    assert not Depends(calls="calc_.*").touched_by(search)
    assert Depends(calls="calc_.*").touched_by(Events(calls=frozenset({"calc_bmi"})))
    assert not Depends(answer=True).touched_by(search)
    assert Depends(answer=True).touched_by(answer)
    assert Depends(writes=ANY).touched_by(order)
    assert Depends(writes=frozenset({"MedicationRequest"})).touched_by(order)
    assert not Depends(writes=frozenset({"Observation"})).touched_by(order)
    assert not Depends().touched_by(Events(frozenset({"x"}), frozenset({"Y"}), True))


def test_event_cursor_reports_what_happened_since() -> None:
    record = EpisodeRecord(task_id="t")
    cursor = EventCursor(record)
    assert cursor.advance(record) == Events()
    record.tool_calls.append(ToolCall(step=1, name="fhir_search"))
    assert cursor.advance(record) == Events(calls=frozenset({"fhir_search"}))
    assert cursor.advance(record) == Events()
    record.answer = {"value": [1, 2]}
    assert cursor.advance(record) == Events(answer=True)
    record.answer["value"].append(3)  # changed in place: still seen
    assert cursor.advance(record) == Events(answer=True)
    record.note = "a note"
    assert cursor.advance(record) == Events(answer=True)
    record.tool_calls.clear()  # rewound: evaluate everything
    assert cursor.advance(record) is None
    assert cursor.advance(EpisodeRecord(task_id="other")) is None
