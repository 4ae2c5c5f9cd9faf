"""Read FHIR data from wherever users keep it — the one reader every part of medsim uses (the
embedded engine's loader, ``medsim.fhir.upload``, ``medsim.data.cohort``).

Sources: FHIR Bundles (transaction, batch, collection, searchset), single resources, NDJSON
bulk-export files (``.ndjson``/``.jsonl``), any of them gzipped, folders of such files, or Python
objects. Inside a Bundle, references to an entry's ``fullUrl`` (``urn:uuid:...`` or absolute) are
rewritten to ``Type/id``; an ``urn:uuid:`` reference that matches no entry is an error. Resources
without an id get a deterministic one (the tail of their fullUrl, else a UUID derived from their
content), so loading the same file twice yields the same ids. Bad input raises :class:`DataError`
naming the file (and line) or item.
"""

from __future__ import annotations

import gzip
import io
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from medsim.fhir.urls import ID_RE
from medsim.jsontext import loads

Json = dict[str, Any]
SUFFIXES = (".ndjson", ".jsonl", ".json")  # each also gzipped (".gz")
# Bulk-export files named after a type (``Patient.ndjson``) are read in this order, so that
# likely reference targets come first (servers that enforce referential integrity need it).
TYPE_ORDER = (
    "Organization",
    "Location",
    "Practitioner",
    "PractitionerRole",
    "Patient",
    "Encounter",
)
_ID_NAMESPACE = uuid.UUID("7d3f6c1e-52a4-4e0b-9d7e-6a1c2b3f4e5d")  # same content -> same id


class DataError(ValueError):
    """A data file or object that is missing, unreadable or not FHIR JSON; says where."""


def iter_source(source: Any) -> Iterator[Json]:
    """Every resource in ``source`` (path, folder, Bundle or resource dict, iterable of these)."""
    for _, resource in iter_located(source):
        yield resource


def iter_located(source: Any) -> Iterator[tuple[str, Json]]:
    """Like :func:`iter_source`, each resource with where it came from (``file:line``,
    ``file entry 3``, ``input item 2``) for error reports."""
    if isinstance(source, str | Path):
        for path in data_files(Path(source)):
            yield from iter_file_located(path)
    elif isinstance(source, Mapping):
        yield from _located(source, "input")
    elif isinstance(source, Iterable):
        for i, item in enumerate(source):
            yield from _located(item, f"input item {i}")
    else:
        raise DataError(f"cannot read FHIR data from a {type(source).__name__}")


def _located(obj: Any, where: str) -> Iterator[tuple[str, Json]]:
    found = resources_of(obj, where)
    for i, res in enumerate(found):
        yield (
            (
                f"{where} entry {i}"
                if len(found) > 1 or obj.get("resourceType") == "Bundle"
                else where
            ),
            res,
        )


def data_files(path: Path) -> list[Path]:
    """The data files of a path: itself, or a folder's ``.ndjson``/``.jsonl``/``.json`` files (gz
    or not, ``*.meta.json`` sidecars skipped), type-named files in :data:`TYPE_ORDER` first."""
    if path.is_dir():
        files = sorted((p for p in path.rglob("*") if p.is_file() and _is_data(p)), key=_file_rank)
        if not files:
            raise DataError(f"{path}: no .ndjson or .json files in this folder")
        return files
    if not path.is_file():
        raise DataError(f"{path}: no such file or folder")
    if not path.name.lower().removesuffix(".gz").endswith(SUFFIXES):
        raise DataError(f"{path}: expected one of {', '.join(SUFFIXES)} (optionally .gz)")
    return [path]


def _is_data(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(SUFFIXES) and not name.endswith(".meta.json")


def _file_rank(path: Path) -> tuple[int, str]:
    stem = path.name.split(".")[0]
    return (TYPE_ORDER.index(stem) if stem in TYPE_ORDER else len(TYPE_ORDER)), str(path)


def _open_text(path: Path) -> IO[str]:
    with path.open("rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"  # by content, whatever the file is called
    # the caller closes the returned stream (``with _open_text(path) as fh``), which closes these
    binary: Any = gzip.open(path, "rb") if gzipped else path.open("rb")  # noqa: SIM115
    return io.TextIOWrapper(binary, encoding="utf-8-sig")


def iter_file(path: Path) -> Iterator[Json]:
    """The resources of one file, streamed line by line for NDJSON."""
    for _, resource in iter_file_located(path):
        yield resource


def iter_file_located(path: Path) -> Iterator[tuple[str, Json]]:
    """The resources of one file with their locations (NDJSON streamed line by line)."""
    ndjson = path.name.lower().removesuffix(".gz").endswith((".ndjson", ".jsonl"))
    with _open_text(path) as fh:
        if ndjson:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        obj = loads(line)
                    except json.JSONDecodeError as exc:
                        raise DataError(f"{path}:{lineno}: invalid JSON: {exc.msg}") from None
                    yield from _located(obj, f"{path}:{lineno}")
            return
        try:
            obj = json.load(fh)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from _located(item, f"{path} item {i}")
    else:
        yield from _located(obj, str(path))


def resources_of(obj: Any, where: str) -> list[Json]:
    """A Bundle's resolved resources, or one resource given its id."""
    if not isinstance(obj, Mapping) or not isinstance(obj.get("resourceType"), str):
        raise DataError(f"{where}: not a FHIR resource (no resourceType)")
    if obj["resourceType"] == "Bundle":
        return resolve_bundle(obj, where)
    return [_with_id(dict(obj), None, where)]


def resolve_bundle(bundle: Mapping[str, Any], where: str = "bundle") -> list[Json]:
    """The resources of a Bundle, ids assigned and fullUrl references rewritten to ``Type/id``.
    The input is not modified."""
    resources: list[Json] = []
    names: dict[str, str] = {}
    for i, entry in enumerate(bundle.get("entry") or []):
        res = entry.get("resource") if isinstance(entry, Mapping) else None
        if res is None:
            continue  # e.g. a DELETE entry of a transaction
        if not isinstance(res, Mapping) or not isinstance(res.get("resourceType"), str):
            raise DataError(f"{where}: entry {i} has no valid resource")
        full_url = entry.get("fullUrl")
        res = _with_id(dict(res), full_url, f"{where} entry {i}")
        if full_url:
            names[full_url] = f"{res['resourceType']}/{res['id']}"
        resources.append(res)
    out = [rewrite_references(r, names) for r in resources]
    for r in out:
        for ref in iter_references(r):
            if ref.startswith("urn:uuid:"):
                raise DataError(
                    f"{where}: reference {ref} does not match any fullUrl in its Bundle"
                )
    return out


def _with_id(resource: Json, full_url: str | None, where: str) -> Json:
    rid = resource.get("id")
    if rid is None:
        tail = full_url.rsplit(":", 1)[-1].rsplit("/", 1)[-1] if full_url else ""
        if ID_RE.match(tail):
            rid = tail
        else:
            basis = full_url or json.dumps(resource, sort_keys=True, separators=(",", ":"))
            rid = str(uuid.uuid5(_ID_NAMESPACE, basis))
        resource["id"] = rid
    if not isinstance(rid, str) or not ID_RE.match(rid):
        raise DataError(f"{where}: invalid id {rid!r} for {resource['resourceType']}")
    return resource


def rewrite_references(node: Any, mapping: Mapping[str, str]) -> Any:
    """A copy of ``node`` with every ``reference`` found in ``mapping`` replaced."""
    if isinstance(node, dict):
        out = {k: rewrite_references(v, mapping) for k, v in node.items()}
        ref = out.get("reference")
        if isinstance(ref, str) and ref in mapping:
            out["reference"] = mapping[ref]
        return out
    if isinstance(node, list):
        return [rewrite_references(v, mapping) for v in node]
    return node


def iter_references(node: Any) -> Iterator[str]:
    """Every ``reference`` string inside a resource."""
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str):
            yield ref
        for key, value in node.items():
            if key != "reference":
                yield from iter_references(value)
    elif isinstance(node, list):
        for value in node:
            yield from iter_references(value)


def order_resources(resources: list[Json]) -> list[Json]:
    """Stable sort putting the usual reference targets (:data:`TYPE_ORDER`) first."""
    rank = {t: i for i, t in enumerate(TYPE_ORDER)}
    return sorted(resources, key=lambda r: rank.get(r["resourceType"], len(rank)))
