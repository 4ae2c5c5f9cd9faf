"""MedCalc-Bench v1.0's own test rows as MedCalc-v0 tasks (``dataset="medcalc-bench-v1"``).

Each of the 1,047 rows of ``medsim/data/medcalc/test_data_v1.0.csv`` becomes a task: its patient
note and question, graded by MedCalc-Bench's rule with the row's own Ground Truth and Lower/Upper
Limits. The reference solution answers the row's label; the negative control answers a wrong
value (its ``answer`` checkpoint must fail). The rows keep MedCalc-Bench's own limits: without
structured inputs, no wrong-method answers can be computed to narrow them (docs/medcalc.md). Rows whose label medsim's calculators dispute (``label_disagreements.json``) say so in
``metadata.issues``: there, a correct calculation may be graded wrong.

Data: MedCalc-Bench v1.0 (Khandekar et al., NeurIPS 2024 Datasets and Benchmarks), CC BY-SA 4.0;
the tasks are built in memory and never written to disk.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources
from typing import Any

from medsim.calculators.conformance import CSV_NAME, DATA_PACKAGE, load_explained
from medsim.tasks.loader import parse_task
from medsim.tasks.schema import Task

from .generate.v0 import FORMAT_HINT, INSTRUCTION, SPECIALTY, TOOLS, finish
from .grading import rule_from_row

SOURCE = (
    "MedCalc-Bench v1.0 test row {row} (Khandekar et al., 'MedCalc-Bench: Evaluating Large "
    "Language Models for Medical Calculations', NeurIPS 2024 Datasets and Benchmarks; "
    "github.com/ncbi-nlp/MedCalc-Bench; CC BY-SA 4.0)"
)
NOW = "2024-06-14T09:00:00+00:00"  # the release date of v1.0: no task here depends on "now"


def _answer(kind: str, truth: str) -> Any:
    if kind in ("date", "weeks_days"):
        return truth.strip()
    number = float(truth)
    return int(number) if kind == "integer" or number.is_integer() else number


def row_task(row: dict[str, str], issues: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """The task dict of one CSV row."""
    number = int(row["Row Number"])
    mid = int(row["Calculator ID"])
    rule = rule_from_row(mid, row["Ground Truth Answer"], row["Lower Limit"], row["Upper Limit"])
    wrong = rule.wrong()
    category = row["Category"].split()[0]
    explained = issues.get(number)
    return {
        "id": f"medcalc-bench-v1-{number:04d}",
        "suite": "medcalc",
        "version": 0,
        "split": "test",
        "specialty": SPECIALTY.get(category, "internal_medicine"),
        "workflow": "calculation",
        "patient": "note",
        "now": NOW,
        "instruction": INSTRUCTION.format(
            note=row["Patient Note"].strip(),
            question=row["Question"].strip(),
            hint=FORMAT_HINT[rule.kind],
        ),
        "tools": list(TOOLS),
        "max_steps": 8,
        "checkpoints": [rule.checkpoint()],
        "reference_solution": [finish(_answer(rule.kind, row["Ground Truth Answer"]))],
        "negative_controls": [
            {
                "name": "wrong_answer",
                "actions": [finish(wrong)],
                "why": f"answers {wrong!r}",
                "must_fail": ["answer"],
            }
        ],
        "metadata": {
            "tags": [category, f"medcalc-{mid}", "medcalc-bench-v1.0", row["Note Type"].lower()],
            "source": SOURCE.format(row=number),
            "issues": (
                [f"medsim disputes this label: {explained.get('reason', '')}".strip()]
                if explained
                else []
            ),
        },
    }


@cache
def _bench_tasks() -> tuple[Task, ...]:
    text = resources.files(DATA_PACKAGE).joinpath(CSV_NAME).read_text(encoding="utf-8")
    issues = load_explained()
    with io.StringIO(text, newline="") as fh:
        rows = list(csv.DictReader(fh))
    tasks = [parse_task(row_task(r, issues), f"{CSV_NAME} row {r['Row Number']}") for r in rows]
    return tuple(sorted(tasks, key=lambda t: t.id))


def bench_tasks() -> list[Task]:
    """Every MedCalc-Bench v1.0 test row as a task (parsed once per process)."""
    return list(_bench_tasks())
