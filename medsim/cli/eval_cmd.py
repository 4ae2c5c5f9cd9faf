"""``medsim eval`` (run or resume an evaluation), ``medsim report`` (report.json + HTML page) and
``medsim compare`` (paired comparison of two runs). The work is in :mod:`medsim.eval`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add ``eval``, ``report`` and ``compare`` to the ``medsim`` parser."""
    p = subparsers.add_parser(
        "eval",
        help="run an agent on an environment's tasks (resumable, results in a database)",
        description="Run AGENT on the tasks of ENV; every finished episode is committed to the "
        "results database before it is counted, so a killed run resumes where it stopped.",
    )
    p.add_argument("--env", required=True, help="environment id, e.g. Demo-v0")
    p.add_argument(
        "--agent",
        required=True,
        help="reference | random | openai:MODEL[@BASE_URL] | langchain:MODEL[@BASE_URL] | "
        "hf:PATH | text:CLIENT_SPEC",
    )
    p.add_argument("--out", required=True, type=Path, help="output folder (results.db, report)")
    p.add_argument("--split", choices=["train", "dev", "test"], help="only tasks of this split")
    p.add_argument("--trials", type=int, default=1, help="trials per task (default 1)")
    p.add_argument("--concurrency", type=int, default=4, help="episodes in flight (default 4)")
    p.add_argument("--limit", type=int, help="only the first N tasks")
    p.add_argument("--tasks", help="comma-separated task ids")
    p.add_argument("--seed", type=int, default=0, help="base seed (trial t uses seed+t)")
    p.add_argument("--max-steps", type=int, help="step budget (default: each task's)")
    p.add_argument(
        "--db",
        help="results database URL (default sqlite:///OUT/results.db), "
        "e.g. postgresql://user@host/db for a shared run",
    )
    p.add_argument("--run-name", help="run name in the database (default: OUT's folder name)")
    p.add_argument("--temperature", type=float)
    p.add_argument("--reasoning-effort", help="passed through to the API (e.g. low|medium|high)")
    p.add_argument("--parallel-tool-calls", choices=["true", "false"])
    p.add_argument(
        "--agent-opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other model option (VALUE read as JSON when it parses)",
    )
    p.add_argument("--api-key-env", help="environment variable holding the API key")
    p.add_argument("--timeout", type=float, help="seconds per API try (default 60)")
    p.add_argument("--max-tries", type=int, default=6, help="API tries before an infra error")
    p.add_argument(
        "--no-retry-infra",
        action="store_true",
        help="do not retry units whose earlier attempts hit infrastructure errors",
    )
    p.add_argument("--no-report", action="store_true", help="skip writing report.json/html")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=cmd_eval)

    r = subparsers.add_parser("report", help="write report.json and report.html for runs")
    r.add_argument("runs", nargs="+", help="run folders or database URLs (first = main run)")
    r.add_argument("--out", type=Path, help="folder for the report (default: the first run's)")
    r.add_argument("--run", help="the first run's name, when its database holds several")
    r.set_defaults(func=cmd_report)

    c = subparsers.add_parser("compare", help="paired comparison of two runs, per task")
    c.add_argument("run_a")
    c.add_argument("run_b")
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(func=cmd_compare)

    x = subparsers.add_parser("export", help="export a run's episodes as training data")
    x.add_argument("run", help="run folder or database URL")
    x.add_argument(
        "--out", required=True, type=Path, help="a .jsonl file, or a folder for --format hf"
    )
    x.add_argument("--format", choices=["jsonl", "hf"], default="jsonl")
    x.add_argument("--min-score", type=float, help="only episodes scoring at least this")
    x.add_argument("--only-success", action="store_true", help="only successful episodes")
    x.set_defaults(func=cmd_export)


def _opt_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def agent_options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for item in args.agent_opt:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"medsim eval: --agent-opt wants KEY=VALUE, got {item!r}")
        opts[key] = _opt_value(value)
    if args.temperature is not None:
        opts["temperature"] = args.temperature
    if args.reasoning_effort:
        opts["reasoning_effort"] = args.reasoning_effort
    if args.parallel_tool_calls:
        opts["parallel_tool_calls"] = args.parallel_tool_calls == "true"
    return opts


def cmd_eval(args: argparse.Namespace) -> int:
    from medsim.eval.db import ConfigMismatch
    from medsim.eval.report import load_run, write_report
    from medsim.eval.runner import EvalSpec, run_eval
    from medsim.llm.base import RetryPolicy

    client_options: dict[str, Any] = {"retry": RetryPolicy(max_tries=args.max_tries)}
    if args.api_key_env:
        client_options["api_key_env"] = args.api_key_env
    if args.timeout:
        client_options["timeout"] = args.timeout
    spec = EvalSpec(
        env_id=args.env,
        agent=args.agent,
        out=args.out,
        trials=args.trials,
        concurrency=args.concurrency,
        split=args.split,
        tasks=[t.strip() for t in args.tasks.split(",") if t.strip()] if args.tasks else None,
        limit=args.limit,
        seed=args.seed,
        max_steps=args.max_steps,
        db=args.db,
        run_name=args.run_name,
        agent_options=agent_options(args),
        client_options=client_options,
        retry_infra=not args.no_retry_infra,
        progress=not args.quiet,
    )
    try:
        outcome = run_eval(spec)
    except (ConfigMismatch, ValueError) as exc:
        print(f"medsim eval: {exc}", file=sys.stderr)
        return 2
    run = load_run(args.db or args.out, outcome.run, with_records=False)
    from medsim.eval.metrics import summarize

    m = summarize(run.rows, run.infra)
    print(
        f"run {outcome.run}: {outcome.ran} episode(s) run, {outcome.skipped} already done "
        f"({outcome.db_url})"
    )
    ci = m["success_rate_ci95"]
    ci_text = f" (95% CI {100 * ci[0]:.1f}-{100 * ci[1]:.1f}%)" if ci else ""
    rate = m["success_rate"]
    print(
        f"success rate {'-' if rate is None else f'{100 * rate:.1f}%'}{ci_text}, mean score "
        f"{(m['mean_score'] or 0):.3f}, {m['episodes']} graded episode(s) over {m['tasks']} "
        f"task(s), cost ${m['cost']['cost_usd']:.4f}"
    )
    for k, v in m["pass_hat_k"].items():
        print(
            f"  pass@{k} {100 * m['pass_at_k'][k]['value']:.1f}%  pass^{k} {100 * v['value']:.1f}%"
        )
    if m["infra_errors"]:
        print(
            f"{len(m['infra_errors'])} unit(s) with infrastructure errors (not scored; rerun to retry):"
        )
        for e in m["infra_errors"][:10]:
            print(f"  {e['task_id']} trial {e['trial']}: {e['error']}")
    if not args.no_report:
        json_path, html_path = write_report([args.db or args.out], args.out, outcome.run)
        print(f"report: {html_path} and {json_path}")
    return 1 if m["infra_errors"] else 0  # incomplete: a rerun retries those units


def cmd_report(args: argparse.Namespace) -> int:
    from medsim.eval.report import write_report

    try:
        json_path, html_path = write_report(list(args.runs), args.out, args.run)
    except ValueError as exc:
        print(f"medsim report: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {json_path} and {html_path}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from medsim.eval.compare import compare_runs, format_comparison
    from medsim.eval.report import load_run

    try:
        a, b = load_run(args.run_a, with_records=False), load_run(args.run_b, with_records=False)
    except ValueError as exc:
        print(f"medsim compare: {exc}", file=sys.stderr)
        return 2
    result = compare_runs(a, b)
    print(json.dumps(result, indent=1) if args.json else format_comparison(result))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from medsim.eval.export import export_jsonl, to_hf_dataset

    filters = {"min_score": args.min_score, "only_success": args.only_success}
    try:
        if args.format == "jsonl":
            n = export_jsonl(args.run, args.out, **filters)
        else:
            dataset = to_hf_dataset(args.run, **filters)
            dataset.save_to_disk(str(args.out))
            n = len(dataset)
    except (ValueError, ImportError) as exc:
        print(f"medsim export: {exc}", file=sys.stderr)
        return 2
    print(f"exported {n} episode(s) to {args.out}")
    return 0
