"""``medsim tasks generate SUITE --split train|test``: write instances of a template suite's
scenario templates as a packed task file.

    medsim tasks generate PhysicianBench-v0 --split train --n 1200 --seed 0 --out train.ndjson.xz
    medsim tasks generate PhysicianBench-v0 --split train --ship     # rewrite the shipped train set
    medsim tasks generate PhysicianBench-v0 --split test --seed 7    # a regenerated test-like set

``--split train``: ``--n`` distinct instances spread evenly over the templates, on cohort
patients who host no test instance. ``--split test``: a regenerated set with the test split's
mix (as many instances per template as it has curated ones) on non-test patients, for users
who suspect a model has seen the public tasks. ``--validate K`` replays the reference solution
and the negative controls of K sampled instances. Load a written file with
``medsim.make(ENV, tasks_file=PATH)``.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

DEFAULT_N = 1200


def register(sub: Any) -> None:
    """Add ``generate`` to the ``medsim tasks`` sub-commands."""
    p = sub.add_parser("generate", help="write template instances (train or regenerated test)")
    p.add_argument("suite", help="a template suite (e.g. PhysicianBench-v0)")
    p.add_argument("--split", choices=["train", "test"], required=True)
    p.add_argument("--n", type=int, default=DEFAULT_N, help="train instances (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="file (.ndjson.xz or .ndjson.gz) or folder to write into")
    p.add_argument("--ship", action="store_true", help="write the suite's shipped train file")
    p.add_argument("--validate", type=int, default=0, metavar="K", help="replay K instances")
    p.set_defaults(func=cmd_generate)


def _target(args: argparse.Namespace, suite: Any) -> Path:
    if args.ship:
        if args.split != "train" or suite.train_file is None:
            raise SystemExit("medsim tasks generate: --ship writes the suite's train file only")
        return Path(suite.train_file)
    name = (
        f"{suite.name}-train-n{args.n}-s{args.seed}.ndjson.xz"
        if args.split == "train"
        else f"{suite.name}-regenerated-s{args.seed}.ndjson.xz"
    )
    out = Path(args.out) if args.out else Path.cwd()
    if out.is_dir() or not out.name.endswith((".ndjson.xz", ".ndjson.gz")):
        out = out / name
    return out


def cmd_generate(args: argparse.Namespace) -> int:
    from medsim.cli.tasks_cmd import _suite
    from medsim.tasks.packed import task_records, write
    from medsim.tasks.templates import TemplateError

    suite = _suite(args.suite)
    if not hasattr(suite, "generate"):
        raise SystemExit(f"medsim tasks generate: {args.suite} is not a template suite")
    target = _target(args, suite)
    start = time.perf_counter()
    try:
        tasks = suite.generate(args.split, args.n, args.seed)
    except (TemplateError, ValueError) as exc:
        raise SystemExit(f"medsim tasks generate: {exc}") from None
    size = write(target, task_records(tasks))
    took = time.perf_counter() - start
    patients = {t.patient for t in tasks}
    reused = sum("reused-test-patient" in t.metadata.tags for t in tasks)
    print(
        f"wrote {target} ({len(tasks)} tasks, {len({t.metadata.details['template'] for t in tasks})}"
        f" templates, {len(patients)} patients, {size:,} bytes, {took:.1f} s)"
    )
    mix = Counter(t.metadata.difficulty for t in tasks)
    print("difficulty: " + ", ".join(f"{k} {mix[k]}" for k in ("easy", "medium", "hard")))
    if reused:
        print(f"{reused} instance(s) reuse a test patient (no eligible non-test patient)")
    if args.validate:
        return _validate(suite, tasks, args.validate, args.seed)
    return 0


def _validate(suite: Any, tasks: list[Any], k: int, seed: int) -> int:
    from medsim.core.validate import validate_tasks

    sample = random.Random(seed).sample(tasks, min(k, len(tasks)))
    reports = validate_tasks(suite, sample)
    bad = [r for r in reports if not r.ok]
    for r in bad:
        print(f"FAIL {r.task_id}: {'; '.join(r.problems)}")
    print(f"{len(reports) - len(bad)}/{len(reports)} sampled instance(s) valid")
    return 1 if bad else 0
