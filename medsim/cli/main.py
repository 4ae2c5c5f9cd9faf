"""The ``medsim`` command line. Each sub-command lives in its own module exposing
``register(subparsers)``; this file only lists them.

Command modules import nothing heavy at module level or in ``register`` (their work imports
what it needs), so ``medsim --help`` starts fast (bench/cli_bench.py measures it)."""

from __future__ import annotations

import argparse
import importlib
import sys

# module name under medsim.cli -> registers one or more sub-commands
COMMAND_MODULES = [
    "demo",
    "fhir_cmd",
    "data_cmd",
    "tasks_cmd",
    "hapi_cmd",
    "grade_cmd",
    "eval_cmd",
    "play_cmd",
    "mcp_cmd",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="medsim", description="Clinical agent environments over a FHIR EHR."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"medsim.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
