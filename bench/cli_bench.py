"""Start-up benchmark of the ``medsim`` command and of ``import medsim`` (not a test).

    python bench/cli_bench.py [--runs 7]

Each command runs ``--runs`` times in a fresh process; the median wall time is printed beside a
bare ``python -c pass`` measured in the same run (the floor on this machine), with the modules
each one imported from grading, calculators, LLM clients, the env core and Gymnasium/numpy.
Target (issue 19): ``medsim --help`` and ``medsim tasks list demo`` <= 0.3 s (a template suite's
listing reads its rendered tasks from the task cache, filled once before timing); ``import medsim``
imports no grading, calculator or LLM module. For a per-module breakdown use
``python -X importtime -c "import medsim"``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

#: module prefixes a start-up must not pay for unless the command needs them
HEAVY = (
    "medsim.grading.checkpoints",
    "medsim.grading.rubric_judge",
    "medsim.calculators",
    "medsim.llm",
    "medsim.core.env",
    "medsim.fhir.embedded",
    "gymnasium",
    "numpy",
    "openai",
)

PROBE = (
    "import json, runpy, sys\n"
    "sys.argv = {argv!r}\n"
    "try:\n"
    "    runpy.run_module({module!r}, run_name='__main__')\n"
    "except SystemExit:\n"
    "    pass\n"
    "finally:\n"
    "    heavy = sorted({{m.split('.')[0] if not m.startswith('medsim') else '.'.join(m.split('.')[:3])"
    " for m in sys.modules if m.startswith({heavy!r})}})\n"
    "    sys.stderr.write('\\nHEAVY' + json.dumps(heavy))\n"
)

#: the ``medsim`` command of this interpreter's environment (a venv's), else the one on PATH
MEDSIM = shutil.which("medsim", path=str(Path(sys.executable).parent)) or "medsim"

CASES = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "import medsim": [sys.executable, "-c", "import medsim"],
    "import medsim.tasks.schema": [sys.executable, "-c", "import medsim.tasks.schema"],
    "medsim --help": [MEDSIM, "--help"],
    "medsim tasks list demo": [MEDSIM, "tasks", "list", "demo"],
    # rendered from 44 templates on the first call, then read from the task cache
    "medsim tasks list PhysicianBench-v0": [MEDSIM, "tasks", "list", "PhysicianBench-v0"],
}


def wall(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def heavy_modules(name: str, cmd: list[str]) -> list[str]:
    if cmd[0] == MEDSIM:
        code = PROBE.format(argv=["medsim", *cmd[1:]], module="medsim.cli.main", heavy=HEAVY)
    else:
        code = (
            cmd[2]
            + "\nimport sys, json\n"
            + (
                f"sys.stderr.write('\\nHEAVY' + json.dumps(sorted({{m for m in sys.modules "
                f"if m.startswith({HEAVY!r})}})))"
            )
        )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    ).stderr
    marker = out.rfind("HEAVY")
    return list(json.loads(out[marker + 5 :])) if marker >= 0 else ["?"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    floor = wall(CASES["python -c pass (floor)"], args.runs)
    wall(CASES["medsim tasks list PhysicianBench-v0"], 1)  # fills the task cache if empty
    print(f"{'command':38} {'median s':>9} {'- floor':>8}  heavy modules imported")
    for name, cmd in CASES.items():
        t = floor if "floor" in name else wall(cmd, args.runs)
        heavy = [] if "floor" in name else heavy_modules(name, cmd)
        shown = ", ".join(sorted({h if h.startswith("medsim") else h.split(".")[0] for h in heavy}))
        print(f"{name:38} {t:9.3f} {t - floor:8.3f}  {shown or '-'}")


if __name__ == "__main__":
    main()
