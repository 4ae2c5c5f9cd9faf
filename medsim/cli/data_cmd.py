"""``medsim data``: inspect and generate the synthetic cohort.

medsim data stats [--data PATH] [--json]
medsim data show PATIENT [--data PATH]
medsim data generate --patients 100 --seed 42 --out cohort.ndjson.gz [--validate]
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _data_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        default=None,
        metavar="PATH",
        help="NDJSON(.gz), Bundle JSON or a directory of them (default: the shipped cohort)",
    )


def _stats(args: argparse.Namespace) -> int:
    from medsim.data.cohort import CohortDataError, format_stats, iter_resources, stats

    try:
        summary = stats(iter_resources(args.data))
    except CohortDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2) if args.json else format_stats(summary))
    return 0


def _show(args: argparse.Namespace) -> int:
    from medsim.data.cohort import CohortDataError, chart_summary, iter_resources

    try:
        print(chart_summary(iter_resources(args.data), args.patient), end="")
    except (CohortDataError, KeyError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    return 0


def _generate(args: argparse.Namespace) -> int:
    """Parse the generator's own arguments now (importing the generator only when it runs keeps
    ``medsim --help`` fast) and run it."""
    from medsim.data.cohort.generate import build_arg_parser, run

    parser = build_arg_parser(argparse.ArgumentParser(prog="medsim data generate"))
    return run(parser.parse_args(args.generate_args))


def register(subparsers: Any) -> None:
    """Add ``medsim data`` and its sub-commands to the top-level parser."""
    data = subparsers.add_parser("data", help="inspect or generate the synthetic FHIR cohort")
    sub = data.add_subparsers(dest="data_command", required=True)
    p_stats = sub.add_parser("stats", help="resource counts, per-patient sizes and date span")
    _data_arg(p_stats)
    p_stats.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p_stats.set_defaults(func=_stats)
    p_show = sub.add_parser("show", help="a readable chart summary of one patient")
    p_show.add_argument("patient", help="patient id, e.g. pat-0001")
    _data_arg(p_show)
    p_show.set_defaults(func=_show)
    p_gen = sub.add_parser(
        "generate",
        help="generate a seeded synthetic cohort (see medsim data generate --help)",
        add_help=False,
        prefix_chars="\0",  # every argument, --help included, goes to the generator's parser
    )
    p_gen.add_argument("generate_args", nargs=argparse.REMAINDER)
    p_gen.set_defaults(func=_generate)
