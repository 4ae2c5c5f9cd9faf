"""``medsim demo``: the oracle and one negative control on every Demo-v0 task (or another env's,
``--env PhysicianBench-v0 --task pb-af-apixaban-01``), on the embedded EHR and synthetic cohort
(no server, no API key), with a readable summary and a scores table."""

from __future__ import annotations

import argparse
import json
from typing import Any

ENV_ID = "Demo-v0"


def register(subparsers: Any) -> None:
    """Add the ``demo`` command to the ``medsim`` parser."""
    parser = subparsers.add_parser(
        "demo", help="run the reference agent on Demo-v0 (no key needed)"
    )
    parser.add_argument("--env", default=ENV_ID, help=f"environment id (default {ENV_ID})")
    parser.add_argument("--task", help="only this task id")
    parser.add_argument("--full", action="store_true", help="print whole transcripts")
    parser.set_defaults(func=cmd_demo)


def _short(value: Any, limit: int = 90) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def summarize_result(result: Any, error: str | None) -> str:
    """One line for a tool result: a Bundle's size, a resource's reference, or the error."""
    if error:
        return f"error: {_short(error, 80)}"
    if isinstance(result, dict):
        kind = result.get("resourceType")
        if kind == "Bundle":
            return f"Bundle: {len(result.get('entry') or [])} shown of {result.get('total', '?')}"
        if kind == "OperationOutcome":
            issue = (result.get("issue") or [{}])[0]
            return f"OperationOutcome: {_short(issue.get('diagnostics', ''), 70)}"
        if kind:
            return f"{kind}/{result.get('id')}"
        if result.get("status") == "finished":
            return "finished"
        if isinstance(result.get("entries"), list):  # a paginated workbench search
            return f"{len(result['entries'])} of {result.get('total', '?')} entries"
    return _short(result, 70)


def print_episode(label: str, result: Any, full: bool) -> None:
    """The steps of one episode, one line per tool call (or the whole transcript)."""
    record = result.record
    print(f"  {label}: score {result.score:.2f} in {record.steps} step(s)")
    if full:
        from medsim.core.transcript import render

        print("    " + render(record.messages).replace("\n", "\n    "))
        return
    for call in record.tool_calls:
        args = _short(call.arguments, 70)
        print(
            f"    {call.step}. {call.name}({args}) -> {summarize_result(call.result, call.error)}"
        )
    if record.answer is not None:
        print(f"    answer: {_short(record.answer)}")


def cmd_demo(args: argparse.Namespace) -> int:
    import medsim
    from medsim.agents.oracle import OracleAgent
    from medsim.core.rollout import run_episode

    env_id = getattr(args, "env", ENV_ID)
    env = medsim.make(env_id)
    core = env.unwrapped
    tasks = [t for t in core.tasks if args.task in (None, t.id)]  # type: ignore[attr-defined]
    if not tasks:
        raise SystemExit(f"medsim demo: no task {args.task!r} in {env_id}")
    rows: list[tuple[str, str, float, str, float]] = []
    for task in tasks:
        print(
            f"\n== {task.id} ({task.workflow}, patient {task.patient}, now {task.now.isoformat()})"
        )
        print(f"   {task.instruction.strip()}")
        oracle = run_episode(env, OracleAgent(task), task_id=task.id, seed=0)
        print_episode("reference", oracle, args.full)
        control_name, control_score = "-", float("nan")
        if task.negative_controls:
            control = task.negative_controls[0]
            res = run_episode(
                env, OracleAgent.negative_control(task, control.name), task_id=task.id, seed=0
            )
            print_episode(f"negative control '{control.name}' ({control.why})", res, args.full)
            control_name, control_score = control.name, res.score
        rows.append((task.id, task.workflow, oracle.score, control_name, control_score))
    env.close()
    width = max(len(r[0]) for r in rows)
    print(f"\n{'task':<{width}}  {'workflow':<18}  reference  negative control")
    for tid, workflow, ref, cname, cscore in rows:
        print(f"{tid:<{width}}  {workflow:<18}  {ref:9.2f}  {cscore:.2f} ({cname})")
    ok = all(r[2] >= 1.0 - 1e-9 and not r[4] >= 1.0 for r in rows)
    print(
        "\nall reference solutions score 1.0 and every control scores lower"
        if ok
        else "\nPROBLEM: see scores above"
    )
    return 0 if ok else 1
