"""Read FHIR data from wherever users keep it: Bundles (transaction, batch, collection,
searchset), NDJSON bulk-export files (gzipped or not), folders of those, or Python objects.

``urn:uuid:`` references inside a Bundle are resolved to ``Type/id`` using each entry's
``fullUrl``; entries without an id get a deterministic one derived from their fullUrl, so loading
the same file twice yields the same ids.
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

Json = dict[str, Any]


def iter_source(source: Any) -> Iterator[Json]:
    """Every resource in ``source`` (path, folder, Bundle dict, resource dict or iterable of these)."""
    if isinstance(source, str | Path):
        yield from _iter_path(Path(source))
    elif isinstance(source, dict):
        if source.get("resourceType") == "Bundle":
            yield from resolve_bundle(source)
        else:
            yield source
    elif isinstance(source, Iterable):
        for item in source:
            yield from iter_source(item)
    else:
        raise TypeError(f"cannot load FHIR data from {type(source).__name__}")


def _iter_path(path: Path) -> Iterator[Json]:
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.name.endswith((".json", ".ndjson", ".json.gz", ".ndjson.gz")):
                yield from _iter_path(child)
        return
    if not path.exists():
        raise FileNotFoundError(f"FHIR data not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    name = path.name.removesuffix(".gz")
    with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        if name.endswith(".ndjson"):
            for n, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise ValueError(f"{path}:{n}: invalid JSON: {exc}") from None
                    yield from iter_source(obj)
        else:
            yield from iter_source(json.load(fh))


def resolve_bundle(bundle: Json) -> Iterator[Json]:
    """The resources of a Bundle with ``urn:uuid`` references rewritten to ``Type/id``."""
    entries = [e for e in bundle.get("entry") or [] if isinstance(e.get("resource"), dict)]
    mapping: dict[str, str] = {}
    for e in entries:
        res = e["resource"]
        full = e.get("fullUrl") or ""
        if "id" not in res:
            res = {**res, "id": _derived_id(full) if full else uuid.uuid4().hex}
            e["resource"] = res
        if full:
            mapping[full] = f"{res['resourceType']}/{res['id']}"
    for e in entries:
        yield rewrite_references(e["resource"], mapping) if mapping else e["resource"]


def _derived_id(full_url: str) -> str:
    tail = full_url.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    if 1 <= len(tail) <= 64 and all(c.isalnum() or c in "-." for c in tail):
        return tail
    return uuid.uuid5(uuid.NAMESPACE_URL, full_url).hex


def rewrite_references(node: Any, mapping: dict[str, str]) -> Any:
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
