"""EpisodeRecord: exact JSON round trip, the write fold graders read, clear load errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medsim.fhir import Write
from medsim.grading import EpisodeRecord, RecordedWrite, ToolCall

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)

records = st.builds(
    EpisodeRecord,
    task_id=st.text(min_size=1, max_size=10),
    suite=st.text(max_size=10),
    task=st.dictionaries(st.text(max_size=8), JSON, max_size=4),
    messages=st.lists(st.dictionaries(st.text(max_size=8), JSON, max_size=3), max_size=3),
    tool_calls=st.lists(
        st.builds(
            ToolCall,
            step=st.integers(0, 50),
            name=st.text(max_size=10),
            arguments=st.dictionaries(st.text(max_size=8), JSON, max_size=3),
            result=JSON,
            error=st.none() | st.text(max_size=20),
            write_seqs=st.lists(st.integers(0, 9), max_size=3),
        ),
        max_size=4,
    ),
    writes=st.lists(
        st.builds(
            RecordedWrite,
            method=st.sampled_from(["create", "update", "delete"]),
            resource_type=st.text(min_size=1, max_size=10),
            id=st.text(min_size=1, max_size=10),
            resource=st.none() | st.dictionaries(st.text(max_size=8), JSON, max_size=4),
            seq=st.integers(0, 9),
            step=st.integers(0, 50),
        ),
        max_size=3,
    ),
    answer=JSON,
    note=st.none() | st.text(max_size=30),
    steps=st.integers(0, 100),
    terminated=st.booleans(),
    truncated=st.booleans(),
    usage=st.dictionaries(st.text(max_size=8), JSON, max_size=3),
    seed=st.none() | st.integers(0, 2**31),
    grade=st.none() | st.dictionaries(st.text(max_size=5), JSON, max_size=3),
)


@settings(max_examples=100, deadline=None)
@given(records)
def test_save_load_round_trip_is_exact(tmp_path_factory: Any, rec: EpisodeRecord) -> None:
    path = tmp_path_factory.getbasetemp() / "roundtrip.json"
    rec.save(path)
    loaded = EpisodeRecord.load(path)
    assert loaded == rec
    assert loaded.to_json() == rec.to_json()


def test_write_entry_and_fold() -> None:
    rec = EpisodeRecord(task_id="t")
    mr = {"resourceType": "MedicationRequest", "id": "1", "status": "active"}
    rec.writes = [
        EpisodeRecord.write_entry(Write("create", "MedicationRequest", "1", mr, seq=0), step=2),
        EpisodeRecord.write_entry(
            Write("update", "MedicationRequest", "1", {**mr, "status": "cancelled"}, seq=1), step=4
        ),
        EpisodeRecord.write_entry(Write("update", "Observation", "o9", {"id": "o9"}, seq=2), 5),
        EpisodeRecord.write_entry(Write("delete", "Observation", "o9", None, seq=3), step=6),
    ]
    assert rec.writes[0].step == 2 and rec.writes[0].method == "create"
    folded = rec.written()
    mr_final = folded[("MedicationRequest", "1")]
    assert mr_final.resource is not None and mr_final.resource["status"] == "cancelled"
    assert mr_final.created and (mr_final.first_step, mr_final.last_step) == (2, 4)
    obs = folded[("Observation", "o9")]
    assert obs.resource is None and not obs.created and obs.methods == ["update", "delete"]
    assert rec.written_ids() == {("MedicationRequest", "1"), ("Observation", "o9")}


def test_load_errors_name_file_and_field(tmp_path: Path) -> None:
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    with pytest.raises(ValueError, match="bad.json.*not a readable JSON"):
        EpisodeRecord.load(bad_json)
    bad_field = tmp_path / "field.json"
    bad_field.write_text(json.dumps({"task_id": "t", "steps": "many"}))
    with pytest.raises(ValueError, match="field.json.*steps"):
        EpisodeRecord.load(bad_field)
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"task_id": "t", "answr": 1}))
    with pytest.raises(ValueError, match="answr"):
        EpisodeRecord.load(extra)
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"task_id": "t", "format": 99}))
    with pytest.raises(ValueError, match="newer"):
        EpisodeRecord.load(newer)


def test_save_leaves_no_partial_file(tmp_path: Path) -> None:
    rec = EpisodeRecord(task_id="t", answer={"x": object()})  # not JSON-serialisable
    with pytest.raises(Exception):  # noqa: B017 - any serialisation error
        rec.save(tmp_path / "r.json")
    assert list(tmp_path.iterdir()) == []
