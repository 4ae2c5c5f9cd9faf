"""JSONL (OpenAI chat format + rewards + breakdown) and Hugging Face datasets export of a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsim.cli.main import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exp") / "ref"
    argv = ["eval", "--env", "Demo-v0", "--agent", "reference", "--out", str(out)]
    assert main(argv + ["--trials", "2", "--quiet", "--no-report"]) == 0
    return out


def test_jsonl_export(run_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "ep.jsonl"
    assert main(["export", str(run_dir), "--out", str(path)]) == 0
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 6
    first = next(x for x in lines if x["task_id"] == "demo-k-latest")
    assert first["reward"] == 1.0 and first["success"] is True
    assert sum(first["breakdown"].values()) == pytest.approx(1.0)  # the breakdown sums to it
    roles = [m["role"] for m in first["messages"]]
    assert roles[:2] == ["system", "user"] and "assistant" in roles
    assert all(
        set(m) == {"role", "content", "tool_calls", "tool_call_id"} for m in first["messages"]
    )
    assert [t["function"]["name"] for t in first["tools"]] == [
        "fhir_search",
        "fhir_read",
        "fhir_create",
        "finish",
    ]
    assert first["checkpoints"]["retrieved"] == "passed"


def test_export_filters(run_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "none.jsonl"
    assert main(["export", str(run_dir), "--out", str(path), "--min-score", "1.01"]) == 0
    assert path.read_text() == ""


def test_hf_dataset_export(run_dir: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets", reason="the optional hf extra")
    folder = tmp_path / "ds"
    assert main(["export", str(run_dir), "--out", str(folder), "--format", "hf"]) == 0
    ds = datasets.load_from_disk(str(folder))
    assert len(ds) == 6 and set(ds.column_names) >= {"messages", "tools", "reward", "breakdown"}
    row = ds[0]
    assert row["messages"][0]["role"] == "system" and isinstance(row["reward"], float)
    assert json.loads(row["breakdown"])
