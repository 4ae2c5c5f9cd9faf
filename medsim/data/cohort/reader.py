"""Find and stream cohort data: the shipped file, NDJSON (plain or gzip), FHIR Bundles, or a
directory of such files (e.g. Synthea's one-Bundle-per-patient output)."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import IO, Any

Json = dict[str, Any]
PACKAGE = "medsim.data.cohort"
SHIPPED = "cohort.ndjson.gz"
SUFFIXES = (".ndjson.gz", ".ndjson", ".jsonl", ".jsonl.gz", ".json", ".json.gz")


class CohortDataError(ValueError):
    """A data file is missing, unreadable, or not FHIR JSON."""


def cohort_path() -> Path:
    """Path of the shipped cohort (``medsim/data/cohort/cohort.ndjson.gz``)."""
    path = Path(str(resources.files(PACKAGE).joinpath(SHIPPED)))
    if not path.is_file():
        raise CohortDataError(
            f"the shipped cohort {path} is missing; regenerate it with "
            "`python -m medsim.data.cohort.generate --patients 100 --seed 42 "
            f"--out {path}`"
        )
    return path


def metadata(path: str | Path | None = None) -> Json:
    """The generator's metadata sidecar (``<name>.meta.json``) of a cohort file, or {}."""
    from medsim.data.cohort.generate import meta_path

    target = meta_path(Path(path) if path is not None else cohort_path())
    if not target.is_file():
        return {}
    return dict(json.loads(target.read_text(encoding="utf-8")))


def _open_text(path: Path) -> IO[str]:
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def _from_json(obj: Any, where: str) -> Iterator[Json]:
    if not isinstance(obj, dict) or "resourceType" not in obj:
        raise CohortDataError(f"{where}: not a FHIR resource (no resourceType)")
    if obj["resourceType"] == "Bundle":
        for n, entry in enumerate(obj.get("entry") or []):
            res = entry.get("resource") if isinstance(entry, dict) else None
            if res is None:
                raise CohortDataError(f"{where}: Bundle entry {n} has no resource")
            yield from _from_json(res, f"{where} entry {n}")
    else:
        yield obj


def _iter_file(path: Path) -> Iterator[Json]:
    name = path.name
    with _open_text(path) as fh:
        if name.endswith((".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")):
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CohortDataError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from exc
                yield from _from_json(obj, f"{path}:{lineno}")
        else:
            try:
                obj = json.load(fh)
            except json.JSONDecodeError as exc:
                raise CohortDataError(f"{path}: invalid JSON ({exc.msg})") from exc
            yield from _from_json(obj, str(path))


def iter_resources(path: str | Path | None = None) -> Iterator[Json]:
    """Stream resources as dicts from the shipped cohort (``path=None``), an NDJSON file
    (``.ndjson``/``.ndjson.gz``), a Bundle / resource JSON file, or a directory of those."""
    target = Path(path) if path is not None else cohort_path()
    if target.is_dir():
        files = sorted(
            p
            for p in target.iterdir()
            if p.name.endswith(SUFFIXES) and not p.name.endswith(".meta.json")
        )
        if not files:
            raise CohortDataError(f"{target}: no .ndjson/.json files in this directory")
        for file in files:
            yield from _iter_file(file)
        return
    if not target.is_file():
        raise CohortDataError(f"{target}: no such file")
    if not target.name.endswith(SUFFIXES):
        raise CohortDataError(f"{target}: expected one of {', '.join(SUFFIXES)}")
    yield from _iter_file(target)
