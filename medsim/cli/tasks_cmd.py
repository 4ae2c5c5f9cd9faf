"""``medsim tasks list|show|validate|generate SUITE``: inspect and check a suite's task files
(``generate``, for template suites: :mod:`medsim.cli.tasks_generate`).

SUITE is a suite name (``demo``), an env id (``Demo-v0``) or a path to a task file or folder
(validated as an ad-hoc suite on the default cohort).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``tasks`` command to the ``medsim`` parser."""
    parser = subparsers.add_parser("tasks", help="list, show and validate a suite's tasks")
    sub = parser.add_subparsers(dest="tasks_command", required=True)
    p_list = sub.add_parser("list", help="one line per task")
    p_list.add_argument("suite", help="suite name, env id or task folder")
    p_list.add_argument("--split", choices=["train", "dev", "test"])
    p_list.set_defaults(func=cmd_list)
    p_show = sub.add_parser("show", help="print one task as YAML (or JSON)")
    p_show.add_argument("suite")
    p_show.add_argument("task_id")
    p_show.add_argument("--json", action="store_true", help="print JSON instead of YAML")
    p_show.set_defaults(func=cmd_show)
    p_val = sub.add_parser(
        "validate",
        help="schema, tools, graders, and reference/negative-control scores through the real env",
    )
    p_val.add_argument("suite")
    p_val.add_argument("--static", action="store_true", help="skip running the reference solutions")
    p_val.add_argument("--split", choices=["train", "dev", "test"])
    p_val.add_argument(
        "--data", help="EHR data (Bundle/NDJSON file or folder) instead of the cohort"
    )
    p_val.set_defaults(func=cmd_validate)
    from medsim.cli import tasks_generate

    tasks_generate.register(sub)


def _suite(ref: str) -> Any:
    from medsim.core.suite import Suite
    from medsim.registry import UnknownEnvError, get_suite

    path = Path(ref)
    if path.exists():
        _check_has_task_files(path)
        return Suite(name=path.stem, tasks_dir=path)
    try:
        return get_suite(ref)
    except UnknownEnvError as exc:
        raise SystemExit(f"medsim tasks: {exc}") from None


def _check_has_task_files(path: Path) -> None:
    """A folder without task files is an error (not "0 task(s)"); when it holds a registered
    suite's packed tasks, say which suite to name instead."""
    from medsim.registry import suites
    from medsim.tasks.loader import TASK_SUFFIXES, task_files

    if not path.is_dir() or task_files(path):
        return
    here = path.resolve()
    owners = sorted(
        name
        for name, suite in suites().items()
        if getattr(suite, "packed", None) is not None and suite.packed.resolve().parent == here
    )
    hint = (
        f"; it holds the packed tasks of suite {', '.join(owners)}: name the suite"
        if owners
        else ""
    )
    raise SystemExit(
        f"medsim tasks: no task files ({', '.join('*' + s for s in TASK_SUFFIXES)}) in {path}{hint}"
    )


def _load(ref: str, split: str | None = None) -> tuple[Any, list[Any]]:
    from medsim.tasks.loader import TaskLoadError

    suite = _suite(ref)
    try:
        if split == "train" and hasattr(suite, "train_tasks"):  # template suites generate them
            return suite, suite.train_tasks(validate=False)
        tasks = suite.tasks(validate=False)
    except (TaskLoadError, ValueError) as exc:
        raise SystemExit(f"medsim tasks: {exc}") from None
    return suite, [t for t in tasks if split is None or t.split == split]


def cmd_list(args: argparse.Namespace) -> int:
    from medsim.tasks.listing import print_rows
    from medsim.tasks.loader import TaskLoadError

    suite = _suite(args.suite)
    try:
        rows = suite.task_rows(args.split or getattr(suite, "default_split", None))
    except (TaskLoadError, ValueError) as exc:
        raise SystemExit(f"medsim tasks: {exc}") from None
    print_rows(rows)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    _, tasks = _load(args.suite)
    by_id = {t.id: t for t in tasks}
    if args.task_id not in by_id:
        raise SystemExit(f"medsim tasks: no task {args.task_id!r} (have: {', '.join(by_id)})")
    data = by_id[args.task_id].model_dump(mode="json", exclude_defaults=True)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        import yaml

        print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), end="")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from medsim.core.validate import validate_tasks

    suite, tasks = _load(args.suite, args.split)
    agent_factory = None
    if not args.static:
        from medsim.agents.oracle import ScriptedAgent

        agent_factory = ScriptedAgent  # the oracle replays reference_solution; controls likewise
    env_kwargs = {"data": args.data} if args.data else None
    reports = validate_tasks(
        suite, tasks, run=not args.static, agent_factory=agent_factory, env_kwargs=env_kwargs
    )
    failed = 0
    for report in reports:
        scores = ", ".join(f"{k} {v:.2f}" for k, v in report.scores.items())
        status = "ok  " if report.ok else "FAIL"
        print(f"{status} {report.task_id}" + (f"  ({scores})" if scores else ""))
        if report.problems and report.source:
            print(f"     in {report.source}")
        for problem in report.problems:
            print(f"     - {problem}")
        failed += not report.ok
    print(f"{len(reports) - failed}/{len(reports)} task(s) valid")
    return 1 if failed else 0
