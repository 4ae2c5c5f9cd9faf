"""Demo-v0 on the shipped cohort: every reference solution scores 1.0, every control lower, and
`medsim demo` prints the transcript summary and the scores table."""

from __future__ import annotations

import pytest

from medsim.cli.main import main
from medsim.core.validate import validate_tasks
from medsim.registry import get_suite


def test_demo_tasks_validate() -> None:
    suite = get_suite("demo")
    reports = validate_tasks(suite)
    assert [r.task_id for r in reports] == ["demo-k-latest", "demo-k-replace", "demo-note-a1c"]
    for report in reports:
        assert report.ok, report.problems
        assert report.scores["reference"] == 1.0
        assert len(report.scores) >= 3  # reference + at least two negative controls
    workflows = {t.workflow for t in suite.tasks()}
    assert workflows == {"query", "conditional_action", "documentation"}


def test_medsim_demo_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "fhir_create(" in out and "negative control" in out
    assert "all reference solutions score 1.0" in out
    for task_id in ("demo-k-latest", "demo-k-replace", "demo-note-a1c"):
        assert task_id in out
