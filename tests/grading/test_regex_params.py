"""Every grader parameter that holds a regular expression refuses one that does not compile when
the task loads (a GradingError naming the grader and field), instead of a raw ``re.error`` at
grading time. The patterns are hand-picked invalid ones (an unclosed group, a dangling
quantifier, an unclosed class)."""

from __future__ import annotations

from typing import Any

import pytest

import medsim.grading  # noqa: F401 - registers the built-in graders
from medsim.grading.checkpoints.registry import GradingError, validate_params

BAD = ["(unclosed", "*dangling", "[a-"]

CASES: list[tuple[str, dict[str, Any], str]] = [
    ("answer_matches", {"regex": ["{bad}"]}, "regex"),
    ("answer_matches", {"must_not": ["{bad}"]}, "must_not"),
    ("note_written", {"regex": ["{bad}"]}, "regex"),
    ("note_written", {"must_not": ["{bad}"]}, "must_not"),
    ("workspace_file", {"path": "output/a.md", "regex": ["{bad}"]}, "regex"),
    ("workspace_file", {"path": "output/a.md", "must_not": ["{bad}"]}, "must_not"),
    (
        "resource_created",
        {"resource_type": "ServiceRequest", "text_regex": ["{bad}"]},
        "text_regex",
    ),
    (
        "resource_created",
        {"resource_type": "Condition", "code": {"display_regex": "{bad}"}},
        "display_regex",
    ),
    (
        "resource_created",
        {"resource_type": "MedicationRequest", "dosage": {"frequency": {"text_regex": "{bad}"}}},
        "text_regex",
    ),
    (
        "dose_within_max",
        {"unit": "mg", "max_daily": 1000, "code": {"display_regex": "{bad}"}},
        "display_regex",
    ),
]


def _fill(value: Any, bad: str) -> Any:
    if isinstance(value, str):
        return value.replace("{bad}", bad)
    if isinstance(value, list):
        return [_fill(v, bad) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, bad) for k, v in value.items()}
    return value


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize(("grader", "params", "field"), CASES)
def test_a_regex_that_does_not_compile_is_refused_at_load(
    grader: str, params: dict[str, Any], field: str, bad: str
) -> None:
    with pytest.raises(GradingError, match=f"{field}.*not a valid regular expression"):
        validate_params(grader, _fill(params, bad))


@pytest.mark.parametrize(("grader", "params", "field"), CASES)
def test_the_same_params_with_a_valid_regex_load(
    grader: str, params: dict[str, Any], field: str
) -> None:
    validate_params(grader, _fill(params, r"potassium\s+\d"))
