"""Suite validation (``medsim tasks validate``): a task is only shipped when

1. it matches the schema (the loader already checked that),
2. every tool it lists is registered and every checkpoint grader exists and accepts its params,
3. its reference solution, played through the real env by the oracle, scores 1.0, and
4. each negative control scores at most its ``max_score`` and below 1.0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from medsim.core.rollout import Agent, ScriptedAgent, run_episode
from medsim.core.suite import Suite
from medsim.tasks.schema import Task
from medsim.tools.registry import has_tool

AgentFactory = Callable[[Sequence[Any], str], Agent]


@dataclass
class TaskReport:
    """Problems found in one task, and the scores its scripted runs got."""

    task_id: str
    problems: list[str] = field(default_factory=list)
    source: str = ""  # the task's file (and position), so problems can be found
    scores: dict[str, float] = field(default_factory=dict)  # "reference" / control name -> score

    @property
    def ok(self) -> bool:
        return not self.problems


def static_problems(task: Task) -> list[str]:
    """Tools and graders a task names that do not exist, and checkpoint params they reject."""
    from medsim.grading.checkpoints.registry import checkpoint_problems

    problems = [f"tools: unknown tool {name!r}" for name in task.tools if not has_tool(name)]
    return problems + checkpoint_problems(task)


def validate_tasks(
    suite: Suite,
    tasks: Sequence[Task] | None = None,
    *,
    run: bool = True,
    agent_factory: AgentFactory | None = None,
    env_kwargs: dict[str, Any] | None = None,
) -> list[TaskReport]:
    """Validate ``tasks`` (default: the suite's) and return one report per task."""
    suite.import_tools()
    chosen = list(tasks) if tasks is not None else suite.tasks(validate=False)
    reports = [TaskReport(t.id, static_problems(t), source=t.source) for t in chosen]
    runnable = [t for t, r in zip(chosen, reports, strict=True) if r.ok]
    if not run or not runnable:
        return reports
    from medsim.core.env import ClinicalEnv

    make_agent = agent_factory or (lambda actions, name: ScriptedAgent(actions, name))
    env = ClinicalEnv(suite, tasks=runnable, **(env_kwargs or {}))
    try:
        by_id = {r.task_id: r for r in reports}
        for task in runnable:
            report = by_id[task.id]
            ref = run_episode(
                env, make_agent(task.reference_solution, "oracle"), task_id=task.id, seed=0
            )
            report.scores["reference"] = ref.score
            if ref.score < 1.0 - 1e-9:
                failing = _failing(ref.record.grade)
                report.problems.append(
                    f"reference solution scores {ref.score:.3f}, not 1.0 ({failing})"
                )
            for control in task.negative_controls:
                res = run_episode(
                    env, make_agent(control.actions, control.name), task_id=task.id, seed=0
                )
                report.scores[control.name] = res.score
                if res.score > control.max_score + 1e-9 or res.score >= 1.0 - 1e-9:
                    report.problems.append(
                        f"negative control {control.name!r} scores {res.score:.3f} "
                        f"(must be <= {control.max_score} and < 1.0)"
                    )
    finally:
        env.close()
    return reports


def _failing(grade: dict[str, Any] | None) -> str:
    if not grade:
        return "not graded"
    bad = [
        f"{cid}: {out.get('evidence', '')}"
        for cid, out in (grade.get("checkpoints") or {}).items()
        if out.get("status") != "passed"
    ]
    return "; ".join(bad) or "rubric"
