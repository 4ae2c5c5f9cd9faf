"""``medsim play``: a person acts as the agent in the terminal — for task authors and clinical
reviewers. You see the instruction, type one action (a JSON tool call, a protocol line such as
``GET Observation?patient=...`` or ``FINISH([...])``, or plain text), see the env's reply, and
when the episode ends you get the grade with every checkpoint and its evidence.

Multi-line input: after ``POST url`` / ``PUT url`` type the JSON body and end it with an empty
line; a JSON action may also span lines (it is read until it parses). ``:tools`` lists the
task's tools, ``:help`` repeats this, ``:quit`` (or end of input) stops without grading.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

HELP = (
    "Type one action per turn: a tool call as JSON, e.g. "
    '{"name": "fhir_search", "arguments": {"resource_type": "Observation", "params": {...}}}, '
    "a protocol line (GET url | POST url + JSON body ending with an empty line | "
    "FINISH([answers])), or plain text. Commands: :tools  :help  :quit"
)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("play", help="act as the agent yourself, then see the grade")
    p.add_argument("--env", required=True, help="environment id, e.g. Demo-v0")
    p.add_argument("--task", help="task id (default: chosen by --seed)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_play)


def read_action(read: Callable[[str], str]) -> str | None:
    """One action from the user (None at end of input or ``:quit``); commands return as-is."""
    while True:
        try:
            line = read("action> ")
        except EOFError:
            return None
        text = line.strip()
        if not text:
            continue
        if text == ":quit":
            return None
        head = text.split(None, 1)[0].upper()
        if head in ("POST", "PUT") and "\n" not in text:
            body = []
            while True:
                try:
                    more = read("  ... ")
                except EOFError:
                    break
                if not more.strip():
                    break
                body.append(more)
            return text + ("\n" + "\n".join(body) if body else "")
        if text.startswith(("{", "[")):
            lines = [text]
            while not _parses("\n".join(lines)):
                try:
                    lines.append(read("  ... "))
                except EOFError:
                    break
            return "\n".join(lines)
        return text


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    return True


def print_grade(record: Any) -> None:
    grade = record.grade or {}
    print(
        f"\n=== episode over after {record.steps} step(s): score {grade.get('score', 0):.2f}, "
        f"{'success' if grade.get('success') else 'not a success'}"
        + (" (a safety gate failed)" if grade.get("gated") else "")
    )
    for cid, c in (grade.get("checkpoints") or {}).items():
        gate = " [gate]" if c.get("gate") else ""
        print(f"  {c['status']:>7}  {cid}{gate}: {c.get('evidence', '')}")
    for key, value in (grade.get("breakdown") or {}).items():
        print(f"  breakdown {key}: {value:.3f}")


def cmd_play(args: argparse.Namespace, read: Callable[[str], str] = input) -> int:
    import medsim

    env = medsim.make(args.env)
    try:
        options = {"task_id": args.task} if args.task else None
        try:
            obs, info = env.reset(seed=args.seed, options=options)
        except ValueError as exc:
            print(f"medsim play: {exc}")
            return 2
        task = env.unwrapped.task  # type: ignore[attr-defined]
        tools = info["tools"] or []
        print(f"== {task.id} ({task.workflow}; patient {task.patient}; now {task.now.isoformat()})")
        print(
            f"tools: {', '.join(t['function']['name'] for t in tools)}    (:help for how to act)\n"
        )
        print(obs)
        done = False
        while not done:
            action = read_action(read)
            if action is None:
                print("\nstopped without finishing: not graded")
                return 1
            if action == ":help":
                print(HELP)
                continue
            if action == ":tools":
                for t in tools:
                    print(json.dumps(t["function"], indent=1))
                continue
            obs, _reward, term, trunc, info = env.step(action)
            print(obs)
            if info.get("error"):
                print(f"[error: {info['error']['type']}]")
            done = term or trunc
        print_grade(env.unwrapped.record)  # type: ignore[attr-defined]
        return 0
    finally:
        env.close()
