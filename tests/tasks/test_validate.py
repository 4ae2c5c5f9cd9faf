"""`medsim tasks validate`: static checks and scripted runs through the real env."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from medsim.cli.main import main
from medsim.core.suite import Suite
from medsim.core.validate import validate_tasks

FIXTURES = Path(__file__).parents[1] / "core" / "fixtures"
DATA = FIXTURES / "ehr.ndjson"


def fixture_task(name: str) -> dict[str, Any]:
    data = yaml.safe_load((FIXTURES / "tasks" / name).read_text())
    data["now"] = str(data["now"])
    return data


def suite_with(tmp_path: Path, *tasks: dict[str, Any]) -> Suite:
    for task in tasks:
        (tmp_path / f"{task['id']}.yaml").write_text(yaml.safe_dump(task, sort_keys=False))
    return Suite(name="tmp", tasks_dir=tmp_path, data=lambda: DATA)


def test_fixture_suite_is_valid(tmp_path: Path) -> None:
    suite = suite_with(tmp_path, fixture_task("query.yaml"), fixture_task("order.yaml"))
    reports = validate_tasks(suite)
    assert [r.ok for r in reports] == [True, True]
    assert reports[1].scores == {"reference": 1.0, "wrong_value": 0.0}


def test_problems_are_reported(tmp_path: Path) -> None:
    bad_ref = {**fixture_task("query.yaml"), "id": "bad-ref"}
    bad_ref["reference_solution"] = [{"name": "finish", "arguments": {"answer": [9.9]}}]
    good_control = {**fixture_task("query.yaml"), "id": "good-control"}
    good_control["negative_controls"] = [
        {
            "name": "same",
            "actions": fixture_task("query.yaml")["reference_solution"],
            "why": "identical",
        }
    ]
    static = {
        **fixture_task("query.yaml"),
        "id": "static",
        "tools": ["fhir_search", "fhir_teleport", "finish"],
    }
    static["checkpoints"] = [
        {"id": "a", "grader": "no_such_grader"},
        {"id": "b", "grader": "data_retrieved", "params": {"resource_tipe": "Observation"}},
    ]
    reports = {
        r.task_id: r for r in validate_tasks(suite_with(tmp_path, bad_ref, good_control, static))
    }
    assert "reference solution scores 0.000" in reports["bad-ref"].problems[0]
    assert "value:" in reports["bad-ref"].problems[0]  # names the failing checkpoint
    assert "negative control 'same' scores 1.000" in reports["good-control"].problems[0]
    problems = " | ".join(reports["static"].problems)
    assert "unknown tool 'fhir_teleport'" in problems
    assert "no_such_grader" in problems and "resource_tipe" in problems
    assert reports["static"].scores == {}  # not run when static checks fail


def test_cli_list_show_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tasks = str(FIXTURES / "tasks")
    assert main(["tasks", "list", tasks]) == 0
    out = capsys.readouterr().out
    assert "t-query" in out and "2 task(s)" in out
    assert main(["tasks", "show", tasks, "t-order", "--json"]) == 0
    assert '"grader": "resource_created"' in capsys.readouterr().out
    assert main(["tasks", "validate", tasks, "--data", str(DATA)]) == 0
    assert "2/2 task(s) valid" in capsys.readouterr().out
    bad = {**fixture_task("query.yaml"), "tools": ["nope"]}
    suite_with(tmp_path, bad)
    assert main(["tasks", "validate", str(tmp_path), "--static"]) == 1
    assert "unknown tool 'nope'" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="no task 'zzz'"):
        main(["tasks", "show", tasks, "zzz"])
    with pytest.raises(SystemExit, match="unknown suite"):
        main(["tasks", "list", "no-such-suite"])


@pytest.mark.parametrize(
    "now,instruction,problem",
    [
        ("2025-01-15T09:00:00-05:00", "Repeat the potassium tomorrow at 08:00.", "without a time"),
        ("2025-01-15T09:00:00-05:00", "Repeat it tomorrow at 08:00 UTC.", "not the offset"),
        ("2025-01-15T09:00:00-05:00", "Repeat it tomorrow at 08:00 (UTC+01:00).", "not the offset"),
        ("2025-01-15T09:00:00-05:00", "Repeat it at 2025-01-16T08:00.", "has no UTC offset"),
        ("2025-01-15T09:00:00-05:00", "Repeat it tomorrow at 08:00 (UTC-05:00).", None),
        ("2025-01-15T09:00:00+00:00", "Repeat it tomorrow at 08:00 UTC.", None),
        ("2025-01-15T09:00:00-05:00", "Repeat it at 2025-01-16T08:00:00-05:00.", None),
        ("2025-01-15T09:00:00-05:00", "Report the latest potassium.", None),
        ("2025-01-15T09:00:00-05:00", "Recheck it tomorrow at 8 am.", "without a time"),
        ("2025-01-15T09:00:00-05:00", "Recheck it tomorrow at 8 a.m. (UTC-05:00).", None),
    ],
)
def test_instruction_times_state_their_zone(
    now: str, instruction: str, problem: str | None
) -> None:
    """Issue 21: "tomorrow at 08:00" for a patient in Ohio was graded in UTC."""
    from medsim.core.validate import time_zone_problems
    from medsim.tasks.schema import Task

    window = {"after": "@today+P1DT7H59M", "before": "@today+P1DT8H1M"}
    order = {"resource_type": "ServiceRequest", "occurrence": window}
    checkpoints = [{"id": "repeat", "grader": "resource_created", "params": order}]
    data = {**fixture_task("query.yaml"), "now": now, "instruction": instruction}
    task = Task.model_validate({**data, "checkpoints": checkpoints})
    assert time_zone_problems(task.model_copy(update={"checkpoints": []})) == []  # no @today
    found = " | ".join(time_zone_problems(task))
    if problem is None:
        assert found == ""
    else:
        assert problem in found


def test_must_fail_checkpoints_and_calculation_controls(tmp_path: Path) -> None:
    """Issue 21: a wrong method's control must fail the answer checkpoint itself, not merely
    score below 1 through some other checkpoint; a calculation task needs such a control."""
    base = fixture_task("query.yaml")
    lucky = {**base, "id": "lucky"}
    lucky["negative_controls"] = [
        {  # the right value without looking: scores < 1, but its answer passes
            "name": "no_lookup",
            "actions": [{"name": "finish", "arguments": {"answer": [3.2, "x"]}}],
            "must_fail": ["value"],
            "why": "answers the right number without looking",
        }
    ]
    calc = {**base, "id": "calc", "workflow": "calculation"}  # only a control without must_fail
    reports = {r.task_id: r for r in validate_tasks(suite_with(tmp_path, lucky, calc))}
    assert reports["lucky"].scores["no_lookup"] < 1.0
    assert "passes checkpoint 'value' (must_fail)" in " ".join(reports["lucky"].problems)
    assert "wrong-method control" in " ".join(reports["calc"].problems)


def test_must_fail_names_a_checkpoint() -> None:
    from medsim.tasks.schema import Task

    data = fixture_task("query.yaml")
    data["negative_controls"][0]["must_fail"] = ["nope"]
    with pytest.raises(ValueError, match="unknown checkpoint"):
        Task.model_validate(data)
