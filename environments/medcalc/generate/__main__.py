"""Command line of the MedCalc task generator (see the package docstring)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from . import DEFAULT_SEED, EHR_FILE, V0_FILE, dumps, stored_content, write

TASKS_DIR = Path(__file__).resolve().parent.parent / "tasks"


def build(env: str, seed: int, per_calculator: int | None, split: str) -> list[dict[str, Any]]:
    """The tasks of one env (``v0`` or ``ehr``)."""
    if env == "v0":
        from .v0 import build as build_v0

        tasks = build_v0(seed=seed, per_calculator=per_calculator or 10)
    else:
        from .ehr import build as build_ehr

        tasks = build_ehr(seed=seed, per_calculator=per_calculator or 4)
    if split != "test":
        for task in tasks:
            task["split"] = split
    return tasks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m medsim.environments.medcalc.generate",
        description="Generate the MedCalc-v0 / MedCalc-EHR-v0 task files from seeded cases.",
    )
    parser.add_argument("--env", choices=["v0", "ehr", "all"], default="all")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--per-calculator", type=int, help="cases per calculator (default 10 for v0, 4 for ehr)"
    )
    parser.add_argument("--split", choices=["train", "dev", "test"], default="test")
    parser.add_argument("--out", type=Path, default=TASKS_DIR, help="output folder")
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate and compare with the files in --out; exit 1 if they differ",
    )
    args = parser.parse_args(argv)
    envs = ["v0", "ehr"] if args.env == "all" else [args.env]
    status = 0
    for env in envs:
        start = time.perf_counter()
        tasks = build(env, args.seed, args.per_calculator, args.split)
        path = args.out / (V0_FILE if env == "v0" else EHR_FILE)
        took = time.perf_counter() - start
        if args.check:
            same = path.exists() and stored_content(path) == dumps(tasks)
            print(
                f"{path}: {'identical' if same else 'DIFFERS'} ({len(tasks)} tasks, {took:.1f} s)"
            )
            status |= 0 if same else 1
        else:
            size = write(path, tasks)
            print(f"wrote {path} ({len(tasks)} tasks, {size:,} bytes, {took:.1f} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
