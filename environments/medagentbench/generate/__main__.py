"""Command line of the MedAgentBench-v0 generator (see the package docstring)."""

from __future__ import annotations

import argparse
import sys
import time

from medsim.environments.medagentbench import TASKS_FILE
from medsim.environments.medagentbench.generate import generate
from medsim.environments.medcalc.generate import dumps, stored_content, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m medsim.environments.medagentbench.generate")
    parser.add_argument("--check", action="store_true", help="compare with the shipped file")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    tasks = generate()
    took = time.perf_counter() - start
    if args.check:
        same = TASKS_FILE.exists() and stored_content(TASKS_FILE) == dumps(tasks)
        print(
            f"{TASKS_FILE}: {'identical' if same else 'DIFFERS'} ({len(tasks)} tasks, {took:.1f} s)"
        )
        return 0 if same else 1
    size = write(TASKS_FILE, tasks)
    print(f"wrote {TASKS_FILE} ({len(tasks)} tasks, {size:,} bytes, {took:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
