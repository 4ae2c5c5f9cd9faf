"""MedCalc-Bench v1.0 conformance of the 36 equation-based calculators, and the grader itself.

The exact set of disagreeing rows must equal the reviewed set in
medsim/data/medcalc/label_disagreements.json (documented in docs/calculators.md), so any
regression (a new disagreement) or silent fix (a documented row that now agrees) fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from medsim.calculators.conformance import (
    Outcome,
    Row,
    grade,
    load_explained,
    load_rows,
    main,
    parse_weeks_days,
    run,
    summarize,
)

EQUATION_IDS = frozenset({2, 3, 5, 6, 7, 9, 10, 11, 13, 19, 22, 23, 24, 26, 30, 31, 38, 39, 40, 44,
                          46, 49, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69})  # fmt: skip
AGREEING_ROWS = 599  # of 667 equation-based v1.0 rows
DOCS = Path(__file__).resolve().parents[2] / "docs" / "calculators.md"


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    rows = [r for r in load_rows() if r.calculator_id in EQUATION_IDS]
    return run(rows, load_explained())


def _documented() -> set[int]:
    return {row for row, g in load_explained().items() if g["calculator_id"] in EQUATION_IDS}


def test_dataset_has_the_expected_rows() -> None:
    rows = load_rows()
    assert len(rows) == 1047
    assert sum(r.calculator_id in EQUATION_IDS for r in rows) == 667
    assert {r.category for r in rows if r.calculator_id in EQUATION_IDS} == {
        "lab", "physical", "dosage", "date"
    }  # fmt: skip


def test_every_equation_row_runs(outcomes: list[Outcome]) -> None:
    assert len(outcomes) == 667
    assert not [o for o in outcomes if o.status == "not_implemented"]


def test_disagreements_are_exactly_the_documented_rows(outcomes: list[Outcome]) -> None:
    disagreeing = {o.row_number for o in outcomes if o.status in ("disagree", "error")}
    assert disagreeing == _documented()
    assert all(o.explained for o in outcomes if o.status != "agree")
    assert sum(o.status == "agree" for o in outcomes) == AGREEING_ROWS


def test_documented_rows_belong_to_their_calculator() -> None:
    by_row = {r.row_number: r.calculator_id for r in load_rows()}
    for row, group in load_explained().items():
        assert by_row[row] == group["calculator_id"], row


def test_docs_table_lists_every_documented_row() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Disagreements with MedCalc-Bench v1.0 labels", 1)[1]
    listed = {int(n) for n in re.findall(r"(?<![\d./])\d{2,4}(?![\d/]|\.\d)", section)}
    missing = _documented() - listed
    assert not missing, f"rows missing from docs/calculators.md: {sorted(missing)}"


def test_summary_counts(outcomes: list[Outcome]) -> None:
    summary = {s["calculator_id"]: s for s in summarize(outcomes)}
    assert set(summary) == EQUATION_IDS
    assert summary[5]["agree"] == 20 and summary[46]["disagree"] == 16
    assert summary[65]["error"] == summary[65]["explained"] == 2


@pytest.mark.parametrize(
    ("cid", "answer", "gt", "lo", "hi", "ok"),
    [(13, "09/23/2014", "09/23/2014", "09/23/2014", "09/23/2014", True),
     (13, "9/23/2014", "09/23/2014", "", "", True),
     (13, "2014-09-23", "09/23/2014", "", "", False),
     (69, "(0 weeks, 6 days)", "('0 weeks', '6 days')", "", "", True),
     (69, "(1 week, 0 days)", "('1 weeks', '0 days')", "", "", True),
     (69, "(0 weeks, 5 days)", "('0 weeks', '6 days')", "", "", False),
     (4, "3.4", "3", "3", "3", True), (4, "3.6", "3", "3", "3", False),
     (2, "25.0", "25.238", "23.9761", "26.4999", True), (2, "27", "25.238", "23.9761", "26.4999", False),
     (38, "-0.8", "-0.828", "-0.8694", "-0.7866", True), (46, "0.0", "0", "0", "0", True),
     (2, "abc", "25.238", "23.9761", "26.4999", False), (2, "__import__('os')", "1", "0", "2", False)],
)  # fmt: skip
def test_grade_follows_medcalc_bench(
    cid: int, answer: str, gt: str, lo: str, hi: str, ok: bool
) -> None:
    assert grade(cid, answer, gt, lo, hi) is ok


def test_parse_weeks_days() -> None:
    assert parse_weeks_days("('14 weeks', '1 days')") == (14, 1)
    assert parse_weeks_days("no tuple here") is None


def test_unimplemented_and_failing_rows_are_outcomes_not_crashes() -> None:
    rows = [
        Row(1, 999, "Imaginary", "lab", {}, "1", "1", "1"),
        Row(2, 6, "Body Mass Index (BMI)", "physical", {"weight": [-1, "kg"]}, "1", "0.95", "1.05"),
    ]
    first, second = run(rows)
    assert first.status == "not_implemented"
    assert second.status == "error" and "weight" in second.message


def test_cli_json_and_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "dis.json"
    assert main(["--ids", "3,5", "--json", str(out), "-v"]) == 0  # disagreements all explained
    printed = capsys.readouterr().out
    assert "Mean Arterial Pressure" in printed and "row 25 (id 3)" in printed
    assert {d["row_number"] for d in json.loads(out.read_text())} == {23, 25}
