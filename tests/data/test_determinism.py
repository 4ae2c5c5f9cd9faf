"""Same generator version + seed -> identical bytes; the shipped file is the documented recipe."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

from medsim.data.cohort import cohort_path, metadata
from medsim.data.cohort.clock import DEFAULT_AS_OF
from medsim.data.cohort.generate import iter_cohort, meta_path, write_cohort

SHIPPED_PATIENTS, SHIPPED_SEED = 100, 42  # the recipe documented in docs/cohort.md


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = write_cohort(tmp_path / "a.ndjson.gz", patients=3, seed=11)
    b = write_cohort(tmp_path / "b.ndjson.gz", patients=3, seed=11)
    assert (tmp_path / "a.ndjson.gz").read_bytes() == (tmp_path / "b.ndjson.gz").read_bytes()
    assert a["sha256"] == b["sha256"]


def test_other_seed_other_cohort(tmp_path: Path) -> None:
    a = write_cohort(tmp_path / "a.ndjson.gz", patients=2, seed=11)
    b = write_cohort(tmp_path / "b.ndjson.gz", patients=2, seed=12)
    assert a["sha256"] != b["sha256"]


def test_gzip_header_has_no_timestamp_or_name(tmp_path: Path) -> None:
    write_cohort(tmp_path / "x.ndjson.gz", patients=1, seed=1)
    raw = (tmp_path / "x.ndjson.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert raw[4:8] == b"\x00\x00\x00\x00"  # MTIME
    assert raw[3] & 0x08 == 0  # no FNAME


def test_patients_do_not_depend_on_cohort_size() -> None:
    two = [r for r in iter_cohort(2, seed=5)]
    three = [r for r in iter_cohort(3, seed=5)]
    assert two == three[: len(two)]


def test_metadata_sidecar(tmp_path: Path) -> None:
    out = tmp_path / "m.ndjson.gz"
    meta = write_cohort(out, patients=2, seed=3)
    side = json.loads(meta_path(out).read_text())
    assert side["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() == meta["sha256"]
    assert side["as_of"] == "2025-01-01T00:00:00+00:00"
    assert side["seed"] == 3 and side["patients"] == 2
    lines = gzip.decompress(out.read_bytes()).decode().splitlines()
    assert side["resources"] == len(lines)


def test_shipped_file_is_the_documented_recipe(tmp_path: Path) -> None:
    """Regenerating with the recipe of docs/cohort.md reproduces the shipped file exactly."""
    shipped = cohort_path()
    meta = metadata(shipped)
    assert meta["seed"] == SHIPPED_SEED and meta["patients"] == SHIPPED_PATIENTS
    assert meta["as_of"] == DEFAULT_AS_OF.isoformat()
    out = tmp_path / "cohort.ndjson.gz"
    regenerated = write_cohort(out, patients=SHIPPED_PATIENTS, seed=SHIPPED_SEED)
    assert regenerated["sha256"] == hashlib.sha256(shipped.read_bytes()).hexdigest()
    assert regenerated["sha256"] == meta["sha256"]
