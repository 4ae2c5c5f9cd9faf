"""Bytes of ``info`` per step (not a test: nothing is asserted).

    python bench/info_bench.py [--steps 150]

Runs one Demo-v0 episode of STEPS potassium searches (max_steps raised so it does not end) and
prints the size of ``json.dumps(info)`` at the last step and summed over all steps — what a
vector env pickles through its pipes. Run it on two checkouts to compare info layouts
(``PYTHONPATH=/path/to/other/checkout python bench/info_bench.py``).
"""

from __future__ import annotations

import argparse
import json
import time

import medsim

SEARCH = {
    "name": "fhir_search",
    "arguments": {
        "resource_type": "Observation",
        "params": {"patient": "pat-0007", "code": "http://loinc.org|2823-3", "_count": "5"},
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150)
    args = parser.parse_args()
    env = medsim.make("Demo-v0", max_steps=args.steps + 10)
    _, info = env.reset(options={"task_id": "demo-k-latest"})
    reset_bytes = len(json.dumps(info))
    total = 0
    start = time.perf_counter()
    for _ in range(args.steps):
        *_, info = env.step(SEARCH)
        size = len(json.dumps(info))
        total += size
    elapsed = time.perf_counter() - start
    print(f"medsim from {medsim.__file__}")
    print(f"reset info: {reset_bytes:,} bytes")
    print(f"info at step {args.steps}: {size:,} bytes")
    print(f"sum over {args.steps} steps: {total:,} bytes")
    print(f"time per step (incl. json.dumps of info): {1e3 * elapsed / args.steps:.2f} ms")
    env.close()


if __name__ == "__main__":
    main()
