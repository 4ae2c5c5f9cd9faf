"""Suite validation (``medsim tasks validate``): a task is only shipped when

1. it matches the schema (the loader already checked that),
2. every tool it lists is registered and every checkpoint grader exists and accepts its params,
3. its reference solution, played through the real env by the oracle, scores 1.0,
4. each negative control scores at most its ``max_score`` and below 1.0, and fails every
   checkpoint it names in ``must_fail`` (a calculation task needs at least one such
   wrong-method control),
5. times in its instruction state their zone (:func:`time_zone_problems`), and
6. its chart is plausible (:mod:`medsim.core.plausibility`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from medsim.core.rollout import Agent, ScriptedAgent, run_episode
from medsim.core.suite import Suite
from medsim.tasks.plausibility import task_chart_problems
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
    problems += time_zone_problems(task)
    if task.workflow == "calculation" and not any(c.must_fail for c in task.negative_controls):
        problems.append(
            "negative_controls: a calculation task needs a wrong-method control whose answer "
            "checkpoint must fail (must_fail)"
        )
    return problems + checkpoint_problems(task)


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?")
_CLOCK = re.compile(
    r"\b([01]?\d|2[0-3]):[0-5]\d\b|\b(1[0-2]|0?[1-9])\s*(am|pm|a\.m\.|p\.m\.)", re.IGNORECASE
)
_OFFSET = re.compile(r"\b(?:UTC|GMT)(?:\s*([+\-\u2212])\s*(\d{1,2})(?::?(\d{2}))?)?")


def time_zone_problems(task: Task) -> list[str]:
    """Times in the instruction state their zone (issue 21). An ISO dateTime needs an offset;
    a clock time ("tomorrow at 08:00") needs a UTC offset written beside it ("UTC-05:00", "UTC")
    equal to the offset of the task's "now", because graders resolve ``@today+P1DT8H`` in now's
    offset. Checked when a checkpoint resolves ``@today`` (the only time expression that depends
    on a zone; narrative times in a patient note are left alone)."""
    if "@today" not in json.dumps([c.params for c in task.checkpoints]):
        return []
    problems = [
        f"instruction: {m.group(0)!r} has no UTC offset"
        for m in _ISO.finditer(task.instruction)
        if m.group(1) is None
    ]
    rest = _ISO.sub("", task.instruction)
    if not _CLOCK.search(rest):
        return problems
    offsets = list(_OFFSET.finditer(rest))
    if not offsets:
        return [*problems, "instruction: a clock time without a time zone (e.g. 'UTC-05:00')"]
    now_offset = task.now.utcoffset()
    assert now_offset is not None
    for m in offsets:
        sign, hours, minutes = m.group(1), m.group(2), m.group(3)
        minutes_east = 0
        if sign is not None:
            minutes_east = int(hours) * 60 + int(minutes or 0)
            minutes_east *= 1 if sign == "+" else -1
        if minutes_east * 60 != int(now_offset.total_seconds()):
            problems.append(
                f"instruction: time zone {m.group(0)!r} is not the offset of now "
                f"({task.now.isoformat()})"
            )
    return problems


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
    make_agent = agent_factory or (lambda actions, name: ScriptedAgent(actions, name))
    env = suite.env_type()(suite, tasks=runnable, **(env_kwargs or {}))
    try:
        by_id = {r.task_id: r for r in reports}
        episode = env._backend.episode()
        try:
            for task in runnable:
                by_id[task.id].problems.extend(task_chart_problems(episode, task))
        finally:
            episode.close()
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
                statuses = (res.record.grade or {}).get("checkpoints") or {}
                for cid in control.must_fail:
                    if (statuses.get(cid) or {}).get("status") == "passed":
                        report.problems.append(
                            f"negative control {control.name!r} passes checkpoint {cid!r} "
                            "(must_fail)"
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
