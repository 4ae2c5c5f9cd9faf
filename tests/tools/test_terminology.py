"""terminology_search: finds real codes from medsim's terminology files by words."""

from __future__ import annotations

import pytest

from medsim.tools.base import ToolContext
from medsim.tools.terminology import LOINC, RXNORM, concepts, search_concepts, terminology_search


@pytest.mark.parametrize(
    ("query", "system", "code"),
    [
        ("serum creatinine", "loinc", "2160-0"),
        ("potassium", "loinc", "2823-3"),
        ("hemoglobin a1c", "any", "4548-4"),
        ("apixaban 2.5", "rxnorm", "1364435"),
        ("apixaban 5 mg", "rxnorm", "1364445"),
        ("atrial fibrillation", "snomed", "49436004"),
        ("chronic kidney disease stage 4", "icd10", "N18.4"),
        ("albumin creatinine urine", "loinc", "9318-7"),
        ("patient referral", "snomed", "3457005"),
        ("2160", "any", "2160-0"),
    ],
)
def test_finds_code(query: str, system: str, code: str) -> None:
    assert code in [c.code for c in search_concepts(query, system)]


def test_numbers_do_not_match_inside_codes() -> None:
    found = [c.code for c in search_concepts("ckd stage 4")]
    assert "433144002" not in found  # stage 3 (its code merely contains a 4)


def test_system_filter_and_uniqueness() -> None:
    assert all(c.system == RXNORM for c in search_concepts("metformin", "rxnorm"))
    keys = [(c.system, c.code) for c in concepts()]
    assert len(keys) == len(set(keys))
    assert all(c.system == LOINC for c in search_concepts("glucose", "loinc"))


def test_tool_errors_and_empty_results() -> None:
    ctx = ToolContext()
    assert terminology_search.invoke({"query": "  "}, ctx).kind == "invalid_arguments"
    assert terminology_search.invoke({"query": "x", "limit": 99}, ctx).kind == "invalid_arguments"
    assert (
        terminology_search.invoke({"query": "x", "system": "cpt"}, ctx).kind == "invalid_arguments"
    )
    res = terminology_search.invoke({"query": "zzzqqq"}, ctx)
    assert res.error is None and res.value["total"] == 0 and "hint" in res.value
