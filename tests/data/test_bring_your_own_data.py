"""Bring your own data: a small carebundle-generated set (US Core R4 transaction Bundles, one per
patient, urn:uuid references) loads into the embedded engine as Bundles and as NDJSON bulk-export
files, searches work on it, and ``medsim data stats --data`` reads it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import carebundle
import pytest

from medsim.cli.main import main as cli
from medsim.fhir import EmbeddedBackend


@pytest.fixture(scope="module")
def bundles() -> list[dict[str, Any]]:
    return [json.loads(carebundle.to_json(b)) for b in carebundle.generate_cohort(count=3, seed=11)]


def _check(backend: EmbeddedBackend, bundles: list[dict[str, Any]]) -> None:
    n_entries = len(
        {(e["resource"]["resourceType"], e["fullUrl"]) for b in bundles for e in b["entry"]}
    )
    assert backend.count() == n_entries
    ep = backend.episode()
    patients = ep.search("Patient", {"_count": "50"})
    assert patients["total"] == 3
    for entry in patients["entry"]:
        pid = entry["resource"]["id"]
        obs = ep.search("Observation", {"patient": pid, "_count": "200"})
        assert obs["total"] > 0
        for o in obs["entry"]:  # urn:uuid references were resolved to Type/id
            assert o["resource"]["subject"]["reference"] == f"Patient/{pid}"


def test_folder_of_transaction_bundles(
    tmp_path: Path, bundles: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDSIM_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "bundles"
    folder.mkdir()
    for i, b in enumerate(bundles):
        (folder / f"patient{i}.json").write_text(json.dumps(b))
    _check(EmbeddedBackend(folder), bundles)


def test_ndjson_bulk_export(
    tmp_path: Path, bundles: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDSIM_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "export"
    folder.mkdir()
    resolved = EmbeddedBackend()
    resolved.load(bundles)  # resolve urn:uuid once, then export as a bulk-data server would
    ep = resolved.episode()
    for rtype in (
        "Patient",
        "Practitioner",
        "Encounter",
        "Observation",
        "Condition",
        "MedicationRequest",
        "AllergyIntolerance",
        "DiagnosticReport",
    ):
        rows = [e["resource"] for e in ep.search(rtype, {"_count": "1000"}).get("entry", [])]
        (folder / f"{rtype}.ndjson").write_text("".join(json.dumps(r) + "\n" for r in rows))
    _check(EmbeddedBackend(folder), bundles)


def test_data_stats_cli(
    tmp_path: Path, bundles: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundles[0]))
    assert cli(["data", "stats", "--data", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Patient" in out and "Observation" in out
