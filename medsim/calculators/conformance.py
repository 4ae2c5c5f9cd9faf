"""Run medsim's calculators over the MedCalc-Bench v1.0 test set and grade them its way.

    python -m medsim.calculators.conformance [--ids 2,3] [--category lab] [--json out.json]

Every row's "Relevant Entities" (a Python-literal dict) goes through :func:`compute` under the
row's calculator id; the answer is graded with MedCalc-Bench's rule (exact for integer scores,
dates and (weeks, days) tuples; Lower Limit <= answer <= Upper Limit for decimals). Rows whose
calculator is not implemented are reported as such, never as crashes. Disagreements listed in
``medsim/data/medcalc/label_disagreements.json`` (reviewed label or convention errors, see
docs/calculators.md) are counted as *explained*; any other disagreement is *unexplained*.
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from medsim.calculators.base import CalculatorError, compute, registry

DATA_PACKAGE = "medsim.data.medcalc"
CSV_NAME = "test_data_v1.0.csv"
DISAGREEMENTS_NAME = "label_disagreements.json"

# MedCalc-Bench's evaluate.py: which calculator ids are graded how.
DATE_IDS = frozenset({13, 68})
WEEKS_DAYS_IDS = frozenset({69})
INTEGER_IDS = frozenset({4, 15, 16, 17, 18, 20, 21, 25, 27, 28, 29, 32, 33, 36, 43, 45, 48, 51})
EQUATION_CATEGORIES = frozenset({"lab", "physical", "dosage", "date"})

Status = Literal["agree", "disagree", "error", "not_implemented"]


@dataclass(frozen=True)
class Row:
    """One MedCalc-Bench test row (only the columns conformance needs)."""

    row_number: int
    calculator_id: int
    calculator_name: str
    category: str
    entities: dict[str, Any]
    ground_truth: str
    lower: str
    upper: str


@dataclass(frozen=True)
class Outcome:
    """What medsim answered for one row and how MedCalc-Bench's rule grades it."""

    row_number: int
    calculator_id: int
    calculator_name: str
    category: str
    status: Status
    answer: str | None
    ground_truth: str
    lower: str
    upper: str
    explained: bool = False
    message: str = ""


def load_rows(path: Path | None = None) -> list[Row]:
    """Read the test CSV (the packaged copy unless ``path`` is given)."""
    source = path or resources.files(DATA_PACKAGE).joinpath(CSV_NAME)
    with io.StringIO(source.read_text(encoding="utf-8"), newline="") as fh:
        return [
            Row(
                row_number=int(r["Row Number"]),
                calculator_id=int(r["Calculator ID"]),
                calculator_name=r["Calculator Name"],
                category=r["Category"],
                entities=ast.literal_eval(r["Relevant Entities"]),
                ground_truth=r["Ground Truth Answer"],
                lower=r["Lower Limit"],
                upper=r["Upper Limit"],
            )
            for r in csv.DictReader(fh)
        ]


def load_explained(path: Path | None = None) -> dict[int, dict[str, Any]]:
    """Row number -> reviewed disagreement entry (calculator id, reason, source)."""
    source = path or resources.files(DATA_PACKAGE).joinpath(DISAGREEMENTS_NAME)
    with source.open(encoding="utf-8") as fh:
        groups = json.load(fh)["disagreements"]
    return {row: group for group in groups for row in group["rows"]}


_WEEKS_DAYS = re.compile(r"(\d+)\s*weeks?\W+(\d+)\s*days?", re.IGNORECASE)


def parse_weeks_days(text: str) -> tuple[int, int] | None:
    """'(4 weeks, 3 days)' or "('4 weeks', '3 days')" -> (4, 3); None if neither form matches."""
    m = _WEEKS_DAYS.search(text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def grade(calculator_id: int, answer: str, ground_truth: str, lower: str, upper: str) -> bool:
    """MedCalc-Bench's correctness rule for one answer (no ``eval``: numbers are parsed)."""
    try:
        if calculator_id in DATE_IDS:
            fmt = "%m/%d/%Y"
            return datetime.strptime(answer.strip(), fmt) == datetime.strptime(ground_truth, fmt)
        if calculator_id in WEEKS_DAYS_IDS:
            ours = parse_weeks_days(answer)
            return ours is not None and ours == parse_weeks_days(ground_truth)
        value = float(answer)
        if calculator_id in INTEGER_IDS:
            return round(value) == float(ground_truth)
        return float(lower) <= value <= float(upper)
    except ValueError:
        return False


def _implemented() -> dict[int, str]:
    return {c.medcalc_id: c.id for c in registry().values() if c.medcalc_id is not None}


def run(rows: Iterable[Row], explained: dict[int, dict[str, Any]] | None = None) -> list[Outcome]:
    """Compute and grade every row; never raises for a row (errors become outcomes)."""
    explained = explained or {}
    implemented = _implemented()
    outcomes: list[Outcome] = []
    for row in rows:
        if row.calculator_id not in implemented:
            outcomes.append(_outcome(row, "not_implemented"))
            continue
        try:
            result = compute(implemented[row.calculator_id], row.entities)
        except CalculatorError as exc:
            outcomes.append(_outcome(row, "error", None, row.row_number in explained, str(exc)))
            continue
        answer = str(result.value)
        ok = grade(row.calculator_id, answer, row.ground_truth, row.lower, row.upper)
        status: Status = "agree" if ok else "disagree"
        outcomes.append(_outcome(row, status, answer, not ok and row.row_number in explained))
    return outcomes


def _outcome(
    row: Row, status: Status, answer: str | None = None, explained: bool = False, message: str = ""
) -> Outcome:
    return Outcome(
        row_number=row.row_number,
        calculator_id=row.calculator_id,
        calculator_name=row.calculator_name,
        category=row.category,
        status=status,
        answer=answer,
        ground_truth=row.ground_truth,
        lower=row.lower,
        upper=row.upper,
        explained=explained,
        message=message,
    )


def summarize(outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    """Per-calculator counts (agree, disagree, explained, error, not_implemented)."""
    per: dict[int, dict[str, Any]] = {}
    for o in outcomes:
        s = per.setdefault(o.calculator_id, {
            "calculator_id": o.calculator_id, "name": o.calculator_name, "category": o.category,
            "rows": 0, "agree": 0, "disagree": 0, "explained": 0, "error": 0, "not_implemented": 0,
        })  # fmt: skip
        s["rows"] += 1
        s[o.status] += 1
        s["explained"] += int(o.explained)
    return [per[k] for k in sorted(per)]


def _format(summary: list[dict[str, Any]]) -> str:
    lines = [f"{'id':>3}  {'calculator':<52} {'cat':<9} {'agree':>9} {'dis':>4} {'expl':>4} "
             f"{'err':>4} {'n/i':>4}"]  # fmt: skip
    for s in summary:
        lines.append(
            f"{s['calculator_id']:>3}  {s['name'][:52]:<52} {s['category']:<9} "
            f"{s['agree']:>4}/{s['rows']:<4} {s['disagree']:>4} {s['explained']:>4} "
            f"{s['error']:>4} {s['not_implemented']:>4}"
        )
    tot = {k: sum(s[k] for s in summary) for k in ("rows", "agree", "disagree", "explained",
                                                   "error", "not_implemented")}  # fmt: skip
    run_rows = tot["rows"] - tot["not_implemented"]
    pct = 100 * tot["agree"] / run_rows if run_rows else 0.0
    lines.append(
        f"overall: {tot['agree']}/{run_rows} implemented rows agree ({pct:.1f}%); "
        f"{tot['disagree']} disagree and {tot['error']} errors ({tot['explained']} explained, "
        f"{tot['disagree'] + tot['error'] - tot['explained']} unexplained); "
        f"{tot['not_implemented']} rows not implemented (of {tot['rows']})"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; exit status 1 if any row is unexplained (disagreement or error)."""
    parser = argparse.ArgumentParser(prog="python -m medsim.calculators.conformance",
                                     description=__doc__.split("\n")[0])  # fmt: skip
    parser.add_argument("--data", type=Path, help="test CSV (default: packaged v1.0 copy)")
    parser.add_argument("--ids", help="comma-separated MedCalc-Bench calculator ids")
    parser.add_argument("--category", action="append", help="lab, physical, dosage, date, ...")
    parser.add_argument("--equation", action="store_true", help="only the 36 equation-based ids")
    parser.add_argument("--json", type=Path, help="write disagreements and errors to this file")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each disagreement")
    args = parser.parse_args(argv)

    rows = load_rows(args.data)
    if args.ids:
        wanted = {int(i) for i in args.ids.split(",") if i.strip()}
        rows = [r for r in rows if r.calculator_id in wanted]
    if args.category:
        rows = [r for r in rows if r.category in set(args.category)]
    if args.equation:
        rows = [r for r in rows if r.category in EQUATION_CATEGORIES]
    outcomes = run(rows, load_explained())
    print(_format(summarize(outcomes)))
    bad = [o for o in outcomes if o.status in ("disagree", "error")]
    if args.verbose:
        for o in bad:
            tag = "explained" if o.explained else "UNEXPLAINED"
            print(
                f"row {o.row_number} (id {o.calculator_id}) {o.status} [{tag}]: ours="
                f"{o.answer} label={o.ground_truth} [{o.lower}, {o.upper}] {o.message}"
            )
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in bad], indent=1, ensure_ascii=False))
        print(f"wrote {len(bad)} disagreements/errors to {args.json}")
    return int(any(not o.explained for o in bad))


if __name__ == "__main__":
    sys.exit(main())
