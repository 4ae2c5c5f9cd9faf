"""Two processes doing the first build of the same data at once (issue 19): one builds, the other
waits and reuses it; the cache ends with one whole, correct index and no leftovers."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

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
    for proc, (out, err) in zip(procs, outs, strict=True):
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
