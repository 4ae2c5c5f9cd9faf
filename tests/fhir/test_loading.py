"""Loading: transaction/collection Bundles, NDJSON (gzipped or not), folders; urn:uuid resolution;
the cached base is reused and rebuilt when the data changes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from medsim.fhir import EmbeddedBackend
from medsim.fhir.loader import iter_source

BUNDLE = {
    "resourceType": "Bundle",
    "type": "transaction",
    "entry": [
        {
            "fullUrl": "urn:uuid:aaaaaaaa-0000-0000-0000-000000000001",
            "resource": {"resourceType": "Patient", "name": [{"family": "Urn"}]},
            "request": {"method": "POST", "url": "Patient"},
        },
        {
            "fullUrl": "urn:uuid:aaaaaaaa-0000-0000-0000-000000000002",
            "resource": {
                "resourceType": "Condition",
                "code": {"text": "x"},
                "subject": {"reference": "urn:uuid:aaaaaaaa-0000-0000-0000-000000000001"},
            },
            "request": {"method": "POST", "url": "Condition"},
        },
    ],
}


def test_bundle_urn_uuid_resolved() -> None:
    resources = list(iter_source(json.loads(json.dumps(BUNDLE))))
    patient, condition = resources
    assert condition["subject"]["reference"] == f"Patient/{patient['id']}"
    again = list(iter_source(json.loads(json.dumps(BUNDLE))))
    assert again == resources  # deterministic ids


@pytest.mark.parametrize("suffix", [".ndjson", ".ndjson.gz", ".json", "dir"])
def test_files_and_folders(tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDSIM_CACHE_DIR", str(tmp_path / "cache"))
    resources = list(iter_source(json.loads(json.dumps(BUNDLE))))
    if suffix == ".json":
        path = tmp_path / "b.json"
        path.write_text(json.dumps(BUNDLE))
    elif suffix == "dir":
        path = tmp_path / "folder"
        path.mkdir()
        (path / "Patient.ndjson").write_text(json.dumps(resources[0]) + "\n")
        (path / "Condition.ndjson").write_text(json.dumps(resources[1]) + "\n")
    else:
        path = tmp_path / f"data{suffix}"
        text = "\n".join(json.dumps(r) for r in resources) + "\n"
        path.write_bytes(gzip.compress(text.encode()) if suffix.endswith(".gz") else text.encode())
    backend = EmbeddedBackend(path)
    ep = backend.episode()
    pid = resources[0]["id"]
    assert ep.search("Condition", {"patient": pid})["total"] == 1
    assert backend.count() == 2


def test_cache_reused_and_invalidated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDSIM_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "d.ndjson"
    data.write_text(json.dumps({"resourceType": "Patient", "id": "p1"}) + "\n")
    first = EmbeddedBackend(data)
    assert EmbeddedBackend(data).path == first.path
    data.write_text(json.dumps({"resourceType": "Patient", "id": "p2"}) + "\n")
    second = EmbeddedBackend(data)
    assert second.path != first.path
    assert second.episode().read("Patient", "p2")["id"] == "p2"


def test_bad_ndjson_line_names_the_line(tmp_path: Path) -> None:
    data = tmp_path / "bad.ndjson"
    data.write_text('{"resourceType": "Patient", "id": "ok"}\n{broken\n')
    with pytest.raises(ValueError, match=r"bad.ndjson:2"):
        list(iter_source(data))


def test_loading_twice_keeps_one_copy() -> None:
    backend = EmbeddedBackend()
    backend.load([{"resourceType": "Patient", "id": "p", "gender": "male"}])
    backend.load([{"resourceType": "Patient", "id": "p", "gender": "female"}])
    ep = backend.episode()
    assert ep.search("Patient", {"_id": "p"})["total"] == 1
    assert ep.read("Patient", "p")["gender"] == "female"
