"""Rubric scaffolding: the decay schedule, hints shown to the policy only, grading unchanged."""

from __future__ import annotations

import math
from typing import Any

import pytest

import medsim
from medsim.agents.reference import ReferenceAgent
from medsim.core.rollout import run_episode
from medsim.tasks.schema import Task
from medsim.train.rollouts import rollout
from medsim.train.scaffold import RubricScaffold, ScaffoldSchedule, rubric_hints

SENTINEL = "zebra sentinel"


def test_linear_and_step_schedules() -> None:
    lin = ScaffoldSchedule("linear", total_steps=100)
    assert [lin.fraction(s) for s in (0, 25, 50, 100, 500)] == [1.0, 0.75, 0.5, 0.0, 0.0]
    step = ScaffoldSchedule("step", total_steps=10, start=0.8)
    assert [step.fraction(s) for s in (0, 4, 5, 10)] == [0.8, 0.8, 0.0, 0.0]
    assert ScaffoldSchedule("none", 10).fraction(0) == 0.0


def test_sigmoid_schedule_shape() -> None:
    sig = ScaffoldSchedule("sigmoid", total_steps=1000)
    assert sig.fraction(0) == pytest.approx(1.0)
    assert sig.fraction(500) == pytest.approx(0.5)  # symmetric about mid-training
    assert sig.fraction(1000) == 0.0
    # independent oracle: the logistic 1/(1+e^{10(t-.5)}) rescaled to [0, 1]
    lo, hi = 1 / (1 + math.exp(5)), 1 / (1 + math.exp(-5))
    expected = (1 / (1 + math.exp(10 * (0.2 - 0.5))) - lo) / (hi - lo)
    assert sig.fraction(200) == pytest.approx(expected)
    values = [sig.fraction(s) for s in range(0, 1001, 50)]
    assert all(a > b for a, b in zip(values, values[1:], strict=False))
    # slow start, fast middle
    assert sig.fraction(0) - sig.fraction(100) < sig.fraction(450) - sig.fraction(550)


def test_bad_schedules_are_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        ScaffoldSchedule("cosine")
    with pytest.raises(ValueError, match="total_steps"):
        ScaffoldSchedule("linear", 0)
    with pytest.raises(ValueError, match="step"):
        ScaffoldSchedule("linear", 10).fraction(-1)


def rubric_task() -> Task:
    base = medsim.make("Demo-v0").unwrapped.tasks  # type: ignore[attr-defined]
    data = next(t for t in base if t.id == "demo-k-latest").model_dump(mode="json")
    data["rubric"] = [
        {
            "id": "r-sentinel",
            "criterion": f"Mentions the {SENTINEL}",
            "points": 2,
            "verifier": {
                "kind": "regex",
                "params": {"pattern": SENTINEL, "scope": "conversation"},
            },
        },
        {
            "id": "r-2",
            "criterion": "Gives the value in mmol/L",
            "points": 1,
            "verifier": {"kind": "regex", "params": {"pattern": "3\\.1", "scope": "assistant"}},
        },
        {
            "id": "r-3",
            "criterion": "Gives the date",
            "points": 1,
            "verifier": {
                "kind": "regex",
                "params": {"pattern": "2025-01-15", "scope": "assistant"},
            },
        },
        {
            "id": "r-4",
            "criterion": "Names the lab",
            "points": 1,
            "verifier": {"kind": "regex", "params": {"pattern": "potassium", "scope": "response"}},
        },
        {
            "id": "r-bad",
            "criterion": "Invents a value",
            "points": -1,
            "verifier": {"kind": "regex", "params": {"pattern": "9\\.9", "scope": "assistant"}},
        },
    ]
    data["scoring"] = {"checkpoint_weight": 1.0, "rubric_weight": 1.0, "pass_threshold": 0.5}
    return Task.model_validate(data)


def test_hints_decay_and_skip_penalties() -> None:
    task = rubric_task()
    assert rubric_hints(task, 1.0) == [
        f"Mentions the {SENTINEL}",
        "Gives the value in mmol/L",
        "Gives the date",
        "Names the lab",
    ]
    assert rubric_hints(task, 0.5) == [f"Mentions the {SENTINEL}", "Gives the value in mmol/L"]
    assert rubric_hints(task, 0.0) == []
    env = RubricScaffold(
        medsim.make("Demo-v0", tasks=[task]), ScaffoldSchedule("linear", total_steps=4)
    )
    shown = []
    for step in range(5):
        env.set_step(step)
        obs, info = env.reset(seed=0)
        shown.append(obs.count("\n- "))
        assert info["messages"][-1]["content"] == obs
    assert shown == [4, 3, 2, 1, 0]


def _run(scaffold: ScaffoldSchedule | None) -> tuple[Any, Any]:
    task = rubric_task()
    env: Any = medsim.make("Demo-v0", tasks=[task])
    if scaffold is not None:
        env = RubricScaffold(env, scaffold)
    result = run_episode(env, ReferenceAgent([task]), seed=0)
    return result, env


def test_grading_is_unchanged_and_judges_never_see_hints() -> None:
    plain, _ = _run(None)
    hinted, env = _run(ScaffoldSchedule("linear", total_steps=10))
    assert SENTINEL in hinted.last_info["transcript"][1]["content"]  # the policy saw it
    assert all(SENTINEL not in str(m.get("content")) for m in hinted.record.messages)
    assert plain.record.grade == hinted.record.grade
    # the leak detector works: the conversation-scope criterion is unmet without the hint
    decisions = hinted.record.grade["rubric"]["decisions"]
    assert decisions["r-sentinel"]["met"] is False and decisions["r-2"]["met"] is True
    assert plain.score == hinted.score < 1.0


def test_rollouts_with_scaffold_carry_the_hints() -> None:
    task = rubric_task()
    early, late = (
        rollout(
            "Demo-v0",
            seeds=[0],
            agent_factory=lambda env: ReferenceAgent([task]),
            env_kwargs={"tasks": [task]},
            scaffold=ScaffoldSchedule("linear", total_steps=2),
            train_step=step,
        )[0]
        for step in (0, 2)
    )
    assert SENTINEL in early.messages[1]["content"]
    assert SENTINEL not in late.messages[1]["content"]
    assert early.score == late.score
