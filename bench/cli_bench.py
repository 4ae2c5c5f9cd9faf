"""Start-up benchmark of the ``medsim`` command and of ``import medsim`` (not a test).

    python bench/cli_bench.py [--runs 7]

Each command runs ``--runs`` times in a fresh process; the median wall time is printed beside a
bare ``python -c pass`` measured in the same run (the floor on this machine), with the modules
each one imported from grading, calculators, LLM clients, the env core and Gymnasium/numpy.
Target (issue 19): ``medsim --help`` and ``medsim tasks list demo`` <= 0.3 s; ``import medsim``
imports no grading, calculator or LLM module. For a per-module breakdown use
``python -X importtime -c "import medsim"``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

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

CASES = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "import medsim": [sys.executable, "-c", "import medsim"],
    "import medsim.tasks.schema": [sys.executable, "-c", "import medsim.tasks.schema"],
    "medsim --help": ["medsim", "--help"],
    "medsim tasks list demo": ["medsim", "tasks", "list", "demo"],
}


def wall(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def heavy_modules(name: str, cmd: list[str]) -> list[str]:
    if cmd[0] == "medsim":
        code = PROBE.format(argv=cmd, module="medsim.cli.main", heavy=HEAVY)
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
    print(f"{'command':32} {'median s':>9} {'- floor':>8}  heavy modules imported")
    for name, cmd in CASES.items():
        t = floor if "floor" in name else wall(cmd, args.runs)
        heavy = [] if "floor" in name else heavy_modules(name, cmd)
        shown = ", ".join(sorted({h if h.startswith("medsim") else h.split(".")[0] for h in heavy}))
        print(f"{name:32} {t:9.3f} {t - floor:8.3f}  {shown or '-'}")


if __name__ == "__main__":
    main()
