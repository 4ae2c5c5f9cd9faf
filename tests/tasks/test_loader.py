"""Task schema and loader: good files load, bad ones fail naming file, field and reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from medsim.tasks import Task, TaskLoadError, load_task_file, load_tasks, parse_task

GOOD: dict[str, Any] = {
    "id": "x-1",
    "suite": "x",
    "specialty": "nephrology",
    "workflow": "query",
    "patient": "pat-0001",
    "now": "2024-03-14T09:00:00+00:00",
    "instruction": "Do it.",
    "tools": ["fhir_search", "finish"],
    "overlay": [{"resourceType": "Patient", "id": "p", "birthDate": "1950-02-01"}],
    "checkpoints": [{"id": "c1", "grader": "nothing_created"}],
    "reference_solution": [{"name": "finish", "arguments": {"answer": 1}}, "FINISH([1])"],
    "negative_controls": [{"name": "nothing", "actions": ["FINISH([])"], "why": "no answer"}],
}


def write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_good_task_loads_with_defaults(tmp_path: Path) -> None:
    (task,) = load_task_file(write(tmp_path, "a.yaml", GOOD))
    assert isinstance(task, Task) and task.now.utcoffset() is not None
    assert task.split == "test" and task.max_steps == 30 and task.scoring.pass_threshold == 1.0
    assert task.overlay[0]["birthDate"] == "1950-02-01"  # dates stay strings
    assert task.negative_control("nothing").why == "no answer"
    with pytest.raises(KeyError, match="has: nothing"):
        task.negative_control("other")


def test_unquoted_yaml_dates_stay_strings(tmp_path: Path) -> None:
    text = yaml.safe_dump(GOOD).replace("'2024-03-14T09:00:00+00:00'", "2024-03-14T09:00:00+00:00")
    text = text.replace("'1950-02-01'", "1950-02-01")
    path = tmp_path / "b.yaml"
    path.write_text(text)
    (task,) = load_task_file(path)
    assert task.overlay[0]["birthDate"] == "1950-02-01"


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"tolls": ["x"]}, "tolls", "unknown field"),
        ({"now": "2024-03-14T09:00:00"}, "now", "timezone"),
        ({"split": "val"}, "split", "'train', 'dev' or 'test'"),
        ({"tools": []}, "tools", "at least 1"),
        (
            {"checkpoints": [{"id": "c", "grader": "g", "weight": -1}]},
            "checkpoints.0.weight",
            "greater than or equal",
        ),
        (
            {"checkpoints": [{"id": "c", "grader": "g"}, {"id": "c", "grader": "h"}]},
            "",
            "duplicate checkpoint c",
        ),
        ({"checkpoints": []}, "", "at least one checkpoint"),
        (  # a gate beside a scored checkpoint of weight 0, no rubric: nothing is scored
            {
                "checkpoints": [
                    {"id": "c", "grader": "nothing_created", "weight": 0},
                    {"id": "g", "grader": "nothing_created", "gate": True},
                ]
            },
            "",
            "nothing would be scored",
        ),
        (
            {"negative_controls": [{"name": "n", "actions": []}]},
            "negative_controls.0.why",
            "missing",
        ),
    ],
)
def test_errors_name_file_field_and_reason(
    tmp_path: Path, change: dict[str, Any], field: str, reason: str
) -> None:
    path = write(tmp_path, "bad.yaml", {**GOOD, **change})
    with pytest.raises(TaskLoadError) as err:
        load_task_file(path)
    msg = str(err.value)
    assert str(path) in msg and "task x-1" in msg and field in msg and reason in msg


def test_missing_required_field(tmp_path: Path) -> None:
    data = {k: v for k, v in GOOD.items() if k != "patient"}
    with pytest.raises(TaskLoadError, match="patient: required field is missing"):
        load_task_file(write(tmp_path, "m.yaml", data))


def test_list_files_duplicates_and_bad_yaml(tmp_path: Path) -> None:
    write(tmp_path, "many.yaml", [GOOD, {**GOOD, "id": "x-0"}])
    assert [t.id for t in load_tasks(tmp_path)] == ["x-0", "x-1"]  # sorted by id
    write(tmp_path, "zdup.yaml", GOOD)
    with pytest.raises(TaskLoadError, match="already defined in .*many.yaml"):
        load_tasks(tmp_path)
    (tmp_path / "zdup.yaml").write_text("id: [unclosed")
    with pytest.raises(TaskLoadError, match="zdup.yaml: not valid YAML"):
        load_tasks(tmp_path)
    (tmp_path / "zdup.yaml").write_text("")
    with pytest.raises(TaskLoadError, match="the file is empty"):
        load_tasks(tmp_path)
    with pytest.raises(TaskLoadError, match="no such task file"):
        load_tasks(tmp_path / "missing")
    with pytest.raises(TaskLoadError, match="must be a mapping"):
        parse_task(["not", "a", "task"], "src")


def test_task_roundtrips_through_json() -> None:
    task = parse_task(GOOD)
    assert Task.model_validate(task.model_dump(mode="json")) == task
