"""Find and stream cohort data: the shipped file, NDJSON (plain or gzip), FHIR Bundles, or a
directory of such files (e.g. Synthea's one-Bundle-per-patient output)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from medsim.fhir.loader import DataError, iter_source

Json = dict[str, Any]
PACKAGE = "medsim.data.cohort"
SHIPPED = "cohort.ndjson.gz"


CohortDataError = DataError
"""A data file is missing, unreadable, or not FHIR JSON (the loader's error)."""


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


def meta_path(out: Path) -> Path:
    """``cohort.ndjson.gz`` -> ``cohort.meta.json`` (the sidecar with the metadata). Here, not in
    the generator, so that finding a sidecar does not import the generator (the embedded engine's
    first build looks for one)."""
    name = out.name
    for suffix in (".ndjson.gz", ".ndjson", ".json.gz", ".json"):
        if name.endswith(suffix):
            return out.with_name(name[: -len(suffix)] + ".meta.json")
    return out.with_name(name + ".meta.json")


def metadata(path: str | Path | None = None) -> Json:
    """The generator's metadata sidecar (``<name>.meta.json``) of a cohort file, or {}."""
    target = meta_path(Path(path) if path is not None else cohort_path())
    if not target.is_file():
        return {}
    return dict(json.loads(target.read_text(encoding="utf-8")))


def iter_resources(path: str | Path | None = None) -> Iterator[Json]:
    """Stream resources as dicts from the shipped cohort (``path=None``), an NDJSON file
    (``.ndjson``/``.ndjson.gz``), a Bundle / resource JSON file, or a directory of those
    (read by :mod:`medsim.fhir.loader`, which resolves Bundle references)."""
    yield from iter_source(Path(path) if path is not None else cohort_path())


def patient_of(resource: Json) -> str | None:
    """The patient a resource is about (its id for a Patient; ``subject``/``patient`` references)."""
    if resource.get("resourceType") == "Patient":
        return str(resource.get("id"))
    for key in ("subject", "patient"):
        ref = (resource.get(key) or {}).get("reference", "")
        if isinstance(ref, str) and ref.startswith("Patient/"):
            return ref.split("/", 1)[1]
    return None


def patient_subset(patients: set[str], path: str | Path | None = None) -> list[Json]:
    """Everything about ``patients`` plus the practitioners, organisations and locations it
    references: a self-contained slice of a cohort (e.g. to load a few patients into HAPI)."""
    from medsim.fhir.loader import iter_references

    everything = list(iter_resources(path))
    keep = [r for r in everything if patient_of(r) in patients]
    refs = {ref for r in keep for ref in iter_references(r)}
    keep += [
        r for r in everything if patient_of(r) is None and f"{r['resourceType']}/{r['id']}" in refs
    ]
    return keep
