"""``medsim grade``: re-grading saved records reproduces the saved score, without any agent."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from medsim.cli import grade_cmd
from medsim.grading import grade
from tests.grading.helpers import LOINC, OTHER, P, chart_resources, cp, medication_request

K = {"codes": [f"{LOINC}|2823-3"]}
CHECKPOINTS = [
    cp("looked", "data_retrieved", resource_type="Observation", code=K),
    cp("answer", "value_reported", weight=2, expected={"observation": {"code": K}}),
    cp("dup", "no_duplicate_orders", gate=True),
    cp("safe", "writes_only_task_patient", gate=True),
]


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="medsim")
    grade_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["grade", *argv])
    return int(args.func(args))


@pytest.fixture
def data_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MEDSIM_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "chart.ndjson"
    path.write_text("\n".join(json.dumps(r) for r in chart_resources()) + "\n")
    return path


def save_episode(drive: Any, folder: Path, name: str, wrong: bool) -> float:
    d = drive(CHECKPOINTS)
    d.search("Observation", patient=P, code=f"{LOINC}|2823-3")
    d.write(medication_request(patient=OTHER if wrong else P))
    d.finish([3.1] if not wrong else [3.9])
    g = grade(d.task, d.record, d.episode)
    d.record.grade = g.model_dump(mode="json")
    d.record.save(folder / f"{name}.json")
    d.episode.reset()
    return g.score


def test_regrade_reproduces_saved_scores(
    drive: Any, tmp_path: Path, data_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    good = save_episode(drive, run, "good", wrong=False)
    bad = save_episode(drive, run, "bad", wrong=True)
    (run / "report.json").write_text('{"not": "a record"}')  # other JSON in a run folder
    assert (good, bad) == (1.0, 0.0)
    out = tmp_path / "grades.json"
    assert run_cli(str(run), "--data", str(data_file), "--out", str(out), "--check") == 0
    results = json.loads(out.read_text())
    assert sorted(r["score"] for r in results) == [0.0, 1.0]
    assert all(r["score"] == r["saved_score"] for r in results)
    printed = capsys.readouterr().out
    assert "2 records" in printed and "0 changed" in printed


def test_changed_score_is_flagged(drive: Any, tmp_path: Path, data_file: Path) -> None:
    save_episode(drive, tmp_path, "good", wrong=False)
    path = tmp_path / "good.json"
    data = json.loads(path.read_text())
    data["grade"]["score"] = 0.5  # pretend an older grader gave 0.5
    path.write_text(json.dumps(data))
    assert run_cli(str(path), "--data", str(data_file)) == 0
    assert run_cli(str(path), "--data", str(data_file), "--check") == 1


def test_without_store_chart_checks_pend(
    drive: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save_episode(drive, tmp_path, "good", wrong=False)
    out = tmp_path / "g.json"
    assert run_cli(str(tmp_path / "good.json"), "--no-store", "--out", str(out)) == 0
    checkpoints = json.loads(out.read_text())[0]["grade"]["checkpoints"]
    assert checkpoints["answer"]["status"] == "pending"
    assert checkpoints["looked"]["status"] == "passed"  # read from the recorded tool results


def test_bad_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(str(tmp_path / "missing.json")) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "x.json").write_text("[]")
    assert run_cli(str(tmp_path / "x.json")) == 2
    assert run_cli(str(tmp_path / "empty_dir_does_not_exist")) == 2


def test_list_graders(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("--list") == 0
    out = capsys.readouterr().out
    assert "resource_created  [orders]" in out and "params: resource_type, code" in out
    assert run_cli() == 2


def _corrupt(data: dict[str, Any], how: str) -> Any:
    bad = json.loads(json.dumps(data))
    if how == "format_text":
        bad["format"] = "one"
    elif how == "resource_string":
        bad["writes"][0]["resource"] = "a MedicationRequest"
    elif how == "score_text":
        bad["grade"]["score"] = "high"
    elif how == "rejected_write":
        bad["writes"][0]["resource"]["dosageInstruction"] = "twice a day"  # invalid R4
    elif how == "method":
        bad["writes"][0]["method"] = "patch"
    elif how == "task":
        del bad["task"]["now"]
    elif how == "writes_not_list":
        bad["writes"] = {"seq": 1}
    return bad


CORRUPTIONS = [
    "format_text",
    "resource_string",
    "score_text",
    "rejected_write",
    "method",
    "task",
    "writes_not_list",
]


def test_corrupted_records_are_one_line_each_and_the_rest_is_graded(
    drive: Any, tmp_path: Path, data_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    save_episode(drive, run, "good", wrong=False)
    data = json.loads((run / "good.json").read_text())
    for how in CORRUPTIONS:
        (run / f"bad_{how}.json").write_text(json.dumps(_corrupt(data, how)))
    (run / "bad_deep.json").write_text(
        json.dumps({**data, "answer": "X"}).replace('"X"', "[" * 5000 + "]" * 5000)
    )
    (run / "bad_syntax.json").write_text("{not json")
    (run / "bad_bytes.json").write_bytes(b"\xff\xfe\x00garbage")
    (run / "report.json").write_text('{"pass@1": 0.5}')  # not a record: skipped, not an error
    capsys.readouterr()
    assert run_cli(str(run), "--data", str(data_file)) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "1 records" in out and "good" in out
    lines = [line for line in err.splitlines() if line.startswith("medsim grade: error: ")]
    names = ["deep", "syntax", "bytes", *CORRUPTIONS]
    assert len(lines) == len(names)
    for name in names:
        (line,) = [ln for ln in lines if f"bad_{name}.json" in ln]
        assert len(line) < 400
    assert any("skipped" in ln and "report.json" in ln for ln in err.splitlines())
    by_name = {name: next(ln for ln in lines if f"bad_{name}.json" in ln) for name in names}
    assert "grade.score is not a number" in by_name["score_text"]
    assert "writes.0.resource" in by_name["resource_string"]
    assert "cannot be replayed" in by_name["rejected_write"]
    assert "nested too deeply" in by_name["deep"]
    assert "now" in by_name["task"]
    # one bad file given explicitly: its line, exit 2 (nothing graded)
    assert run_cli(str(run / "bad_score_text.json"), "--data", str(data_file)) == 2
    assert "bad_score_text.json: grade.score" in capsys.readouterr().err
