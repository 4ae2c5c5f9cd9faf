"""The ``medsim`` command line. Each sub-command lives in its own module exposing
``register(subparsers)``; this file only lists them."""

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
    "calc_cmd",
    "grade_cmd",
    "eval_cmd",
    "play_cmd",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="medsim", description="Clinical agent environments over a FHIR EHR."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"medsim.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"medsim.cli.{name}":
                continue  # sub-command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
