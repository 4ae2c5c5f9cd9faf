"""The counts block of PhysicianBench-v0's README, computed from the suite so it stays true.

    python -m medsim.environments.physicianbench.counts           # print the block
    python -m medsim.environments.physicianbench.counts --write   # rewrite it in README.md

The block sits between ``<!-- counts:begin -->`` and ``<!-- counts:end -->``: the summary
line the README test parses (templates, tasks, checkpoints, gates), the shipped train set's
size, and the curated tasks by specialty, task type, difficulty and checkpoint category.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

README = Path(__file__).parent / "README.md"
BEGIN, END = "<!-- counts:begin -->", "<!-- counts:end -->"
CATEGORIES = ("data_retrieval", "clinical_reasoning", "action_execution", "documentation")
LEVELS = ("easy", "medium", "hard")


def _table(title: str, unit: str, rows: list[tuple[str, int]]) -> list[str]:
    return [f"| {title} | {unit} |", "|---|---|", *(f"| {k} | {n} |" for k, n in rows), ""]


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def counts_block() -> str:
    """The README block for the suite as it is now (test tasks rendered, train set loaded)."""
    from medsim.environments.physicianbench import SUITE

    tasks = SUITE.tasks()
    templates = SUITE.templates()
    scored = [c for t in tasks for c in t.checkpoints if not c.gate]
    gates = sum(1 for t in tasks for c in t.checkpoints if c.gate)
    specialties = Counter(t.specialty for t in tasks)
    difficulty = Counter(t.metadata.difficulty for t in tasks)
    per_template = Counter(t.metadata.details["template"] for t in tasks)
    train = SUITE.train_tasks(validate=False)
    lines = [
        BEGIN,
        f"<!-- counts: templates={len(templates)} tasks={len(tasks)} "
        f"checkpoints={len(scored)} gates={gates} -->",
        f"**{len(templates)} scenario templates, {len(tasks)} curated test tasks** "
        f"({', '.join(f'{n} with {k}' for k, n in sorted(Counter(per_template.values()).items()))}"
        f" instances), {len(specialties)} specialties, "
        f"{len({t.workflow for t in tasks})} task types; {len(scored)} scored checkpoints plus "
        f"{gates} safety gates. The shipped train set holds {len(train)} instances of the "
        f"{len({t.metadata.details['template'] for t in train})} templates on "
        f"{len({t.patient for t in train})} cohort patients who host no test task.",
        "",
        *_table("specialty", "tasks", _ranked(specialties)),
        *_table("task type", "tasks", _ranked(Counter(t.workflow for t in tasks))),
        *_table("difficulty", "tasks", [(k, difficulty[k]) for k in LEVELS]),
        *_table(
            "checkpoint category",
            "checkpoints",
            [(k, sum(1 for c in scored if c.category == k)) for k in CATEGORIES]
            + [("safety gates", gates)],
        ),
        END,
    ]
    return "\n".join(lines)


def readme_block(text: str) -> str:
    """The counts block currently in the README text (ValueError if the markers are missing)."""
    if BEGIN not in text or END not in text:
        raise ValueError(f"README has no {BEGIN} ... {END} block")
    return BEGIN + text.split(BEGIN, 1)[1].split(END, 1)[0] + END


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m medsim.environments.physicianbench.counts")
    parser.add_argument("--write", action="store_true", help="rewrite the block in README.md")
    args = parser.parse_args(argv)
    block = counts_block()
    if not args.write:
        print(block)
        return 0
    text = README.read_text(encoding="utf-8")
    README.write_text(text.replace(readme_block(text), block), encoding="utf-8")
    print(f"updated {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
