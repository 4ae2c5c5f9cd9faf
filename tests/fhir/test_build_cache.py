"""The base index cache (issue 19): two processes doing the first build of the same data at once
(one builds, the other waits and reuses it; one whole, correct index, no leftovers), and which
data a first build may trust without validating."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medsim.data.cohort.generate import meta_path, write_cohort
from medsim.fhir.embedded import EmbeddedBackend
from medsim.fhir.loader import DataError

CHILD = """
import sys, time
from medsim.fhir.embedded import EmbeddedBackend
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # both start building at the same moment
backend = EmbeddedBackend(sys.argv[1])
ep = backend.episode()
print(backend.path, backend.count(), ep.search("Observation", {"patient": "p7"})["total"])
"""


def test_two_processes_build_the_same_index_once(tmp_path: Path) -> None:
    data = tmp_path / "cohort.ndjson"
    lines = []
    for p in range(40):
        lines.append(json.dumps({"resourceType": "Patient", "id": f"p{p}", "gender": "female"}))
        for o in range(50):
            obs = {
                "resourceType": "Observation",
                "id": f"o{p}-{o}",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]},
                "subject": {"reference": f"Patient/p{p}"},
                "effectiveDateTime": f"2024-01-{1 + o % 28:02d}T08:00:00+00:00",
                "valueQuantity": {"value": 4.0, "unit": "mmol/L"},
            }
            lines.append(json.dumps(obs))
    data.write_text("\n".join(lines) + "\n")
    cache = tmp_path / "cache"
    env = {**os.environ, "MEDSIM_CACHE_DIR": str(cache), "MEDSIM_PROGRESS": "1"}
    start = time.time() + 4
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(data), str(start)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err
    builders = [err for _, err in outs if "building the FHIR search index" in err]
    assert len(builders) == 1  # one built, the other waited for it and reused it
    results = [out.split() for out, _ in outs]
    assert results[0] == results[1]  # the same file, the same counts
    path, count, total = results[0]
    assert (int(count), int(total)) == (40 * 51, 50)
    built = sorted(p.name for p in (cache / "fhir").iterdir() if not p.name.endswith(".lock"))
    assert built == [Path(path).name]  # one index, no temporary leftovers
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert (
            conn.execute("SELECT COUNT(DISTINCT type || '/' || id) FROM resources").fetchone()[0]
            == 40 * 51
        )


def test_generated_cohort_skips_validation_only_when_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cohort exactly as ``medsim data generate`` wrote it (sidecar names the generator, sha256
    matches) is trusted like the shipped one; any other bytes under the same sidecar are not."""
    monkeypatch.setenv("MEDSIM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MEDSIM_PROGRESS", "0")
    out = tmp_path / "gen.ndjson.gz"
    write_cohort(out, patients=1, seed=7, resources_per_patient=50)
    trusted = EmbeddedBackend(out)
    assert trusted._validate is False
    assert trusted.count() > 50
    tampered = tmp_path / "tampered.ndjson.gz"
    bad = {"resourceType": "Observation", "id": "bad", "code": {"text": "no status"}}
    tampered.write_bytes(
        out.read_bytes() + gzip.compress((json.dumps(bad) + "\n").encode())
    )  # a gzip member appended: still one readable NDJSON stream
    meta_path(tampered).write_text(meta_path(out).read_text())
    with pytest.raises(DataError, match="bad"):
        EmbeddedBackend(tampered)
