"""MedCalc-Bench v1.0 conformance of the 19 rule-based calculators.

Every v1.0 row of these calculators goes through compute() with its "Relevant Entities" and is
graded with MedCalc-Bench's rule (exact integer; Wells PE within [Lower, Upper]). The rows that
disagree must be exactly the reviewed ones in medsim/data/medcalc/label_disagreements.json, each
listed in docs/calculators.md: a new disagreement (regression) or a documented row that starts
agreeing (silent change) fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from medsim.calculators.conformance import Outcome, load_explained, load_rows, run, summarize

RULE_IDS = frozenset({4, 8, 15, 16, 17, 18, 20, 21, 25, 27, 28, 29, 32, 33, 36, 43, 45, 48, 51})
# Agreeing rows per calculator (of 20 each): see docs/calculators.md, "Rule-based calculators".
AGREE = {4: 20, 8: 20, 15: 5, 16: 20, 17: 7, 18: 20, 20: 20, 21: 0, 25: 20, 27: 17, 28: 0,
         29: 18, 32: 4, 33: 20, 36: 0, 43: 1, 45: 20, 48: 20, 51: 9}  # fmt: skip
# Rows whose entities are refused (implausible WBC units), documented as such.
REFUSED = {592, 595, 598}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "calculators.md"


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    rows = [r for r in load_rows() if r.calculator_id in RULE_IDS]
    return run(rows, load_explained())


def _documented() -> set[int]:
    return {row for row, g in load_explained().items() if g["calculator_id"] in RULE_IDS}


def test_every_rule_row_runs(outcomes: list[Outcome]) -> None:
    assert len(outcomes) == 380
    assert {o.calculator_id for o in outcomes} == RULE_IDS
    assert not [o for o in outcomes if o.status == "not_implemented"]
    errors = {o.row_number for o in outcomes if o.status == "error"}
    assert errors == REFUSED
    assert all("wbc" in o.message and "implausible" in o.message
               for o in outcomes if o.status == "error")  # fmt: skip


def test_disagreements_are_exactly_the_documented_rows(outcomes: list[Outcome]) -> None:
    disagreeing = {o.row_number for o in outcomes if o.status in ("disagree", "error")}
    assert disagreeing == _documented()
    assert all(o.explained for o in outcomes if o.status != "agree")


def test_agreement_per_calculator(outcomes: list[Outcome]) -> None:
    summary = {s["calculator_id"]: s["agree"] for s in summarize(outcomes)}
    assert summary == AGREE
    assert sum(summary.values()) == 241


def test_docs_table_lists_every_documented_row() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Disagreements with MedCalc-Bench v1.0 labels", 1)[1]
    for row in _documented():
        assert str(row) in section, f"row {row} missing from docs/calculators.md"


def test_wells_pe_is_graded_by_range(outcomes: list[Outcome]) -> None:
    wells = [o for o in outcomes if o.calculator_id == 8]
    assert all(float(o.lower) <= float(o.answer or "nan") <= float(o.upper) for o in wells)
    assert any(float(o.answer or 0) % 1 == 0.5 for o in wells)  # decimal scores occur
