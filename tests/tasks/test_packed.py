"""Packed task files (medsim.tasks.packed): gzip and xz framing round-trip, the same tasks give
the same bytes, and bad files are refused with the file and line named."""

from __future__ import annotations

import gzip
import lzma
from pathlib import Path

import pytest

from medsim.tasks.loader import TaskLoadError
from medsim.tasks.packed import dumps, load_packed, stored_content, task_records, write

TASK = {
    "id": "p-01",
    "suite": "demo",
    "specialty": "internal_medicine",
    "workflow": "query",
    "patient": "pat-0001",
    "now": "2025-03-01T09:00:00+00:00",
    "instruction": "What is the potassium?",
    "tools": ["fhir_search", "finish"],
    "checkpoints": [{"id": "c", "grader": "answer_matches", "params": {"expected": "4.1"}}],
    "reference_solution": [{"name": "finish", "arguments": {"answer": "4.1"}}],
}


@pytest.mark.parametrize("suffix", [".ndjson.gz", ".ndjson.xz"])
def test_round_trip_and_deterministic_bytes(tmp_path: Path, suffix: str) -> None:
    tasks = [TASK, {**TASK, "id": "p-00"}]
    first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    write(first, tasks)
    write(second, tasks)
    assert first.read_bytes() == second.read_bytes()
    opener = gzip.decompress if suffix.endswith(".gz") else lzma.decompress
    assert opener(first.read_bytes()) == dumps(tasks) == stored_content(first)
    loaded = load_packed(str(first))
    assert [t.id for t in loaded] == ["p-00", "p-01"]  # sorted by id
    again = task_records(loaded)
    assert again[1]["instruction"] == TASK["instruction"] and "split" not in again[1]


def test_bad_files_name_the_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ndjson.xz"
    broken.write_bytes(b"not compressed at all")
    with pytest.raises(TaskLoadError, match=r"broken\.ndjson\.xz: cannot read.*regenerate"):
        load_packed(str(broken), "regenerate it")
    bad_json = tmp_path / "bad.ndjson.gz"
    bad_json.write_bytes(gzip.compress(dumps([TASK]) + b"{oops\n"))
    with pytest.raises(TaskLoadError, match=r"bad\.ndjson\.gz:2: not valid JSON"):
        load_packed(str(bad_json))
    bad_task = tmp_path / "task.ndjson.gz"
    write(bad_task, [{**TASK, "now": "2025-03-01T09:00:00"}])
    with pytest.raises(TaskLoadError, match=r"task\.ndjson\.gz:1"):
        load_packed(str(bad_task))
